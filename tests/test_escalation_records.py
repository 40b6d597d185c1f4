"""A reported red flag is recorded once, by the Rasa server (its tracker store) and the action server
alike, whichever runs first or alone; the screening question's answer is stored on its report."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet as SdkSlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.triage import ActionEscalateRedFlag
from assistant.notify import staff
from assistant.stores.tracker_store import URLSQLTrackerStore
from assistant.triage.reports import Report, latest_report, report_of, reports
from tests.conftest import ROOT

SENDER = "patient-12"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def store(database: Path, domain: Domain) -> URLSQLTrackerStore:
    return URLSQLTrackerStore(domain=domain, host=f"sqlite:///{database}")


@pytest.fixture
def notified(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple]]:
    """What each server would send to staff (the webhook itself is tested in test_notify.py)."""
    sent: list[tuple] = []
    monkeypatch.setattr("assistant.stores.tracker_store.notify_staff", lambda *args: sent.append(("rasa", *args[:3])))
    monkeypatch.setattr("actions.triage.notify_staff", lambda *args: sent.append(("actions", *args[:3])))
    yield sent


def user(text: str, intent: str, flags: tuple[str, ...] = (), message_id: str = "m1", at: float = 10.0) -> UserUttered:
    entities = [{"entity": "red_flag", "value": flag} for flag in flags]
    return UserUttered(text, {"name": intent, "confidence": 1.0}, entities, message_id=message_id, timestamp=at)


def emergency_turn(message_id: str = "m1") -> list:
    return [
        user("I wet myself and can't feel my groin", "red_flag_emergency", ("bladder", "saddle"), message_id),
        ActionExecuted("utter_red_flag_emergency"),
        BotUttered("Please call 911 now.", metadata={"utter_action": "utter_red_flag_emergency"}),
        ActionExecuted("action_escalate_red_flag"),
        ActionExecuted("action_listen"),
    ]


async def save(store: URLSQLTrackerStore, events: list) -> None:
    tracker = await store.get_or_create_tracker(SENDER, append_action_listen=False)
    for event in events:
        tracker.update(event)
    await store.save(tracker)


def sdk_tracker(events: list) -> Tracker:
    """The action server's view of the same conversation (events as Rasa sends them)."""
    dicts = [event.as_dict() for event in events]
    latest = next(e for e in reversed(dicts) if e["event"] == "user")["parse_data"]
    return Tracker(SENDER, {}, latest, dicts, False, None, {}, "action_listen")


def escalation_rows(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT sender_id, message_id, severity, flags, message, screening_answer FROM escalations ORDER BY id"
        ).fetchall()


def test_with_the_action_server_down_the_rasa_server_records_and_notifies(
    store: URLSQLTrackerStore, database: Path, notified: list
) -> None:
    asyncio.run(save(store, emergency_turn()))
    assert escalation_rows(database) == [
        (SENDER, "m1", "emergency", json.dumps(["bladder", "saddle"]), "I wet myself and can't feel my groin", None)
    ]
    assert notified == [("rasa", "red_flag", 1, SENDER)]
    # Saving the conversation again (the next turn) records nothing more.
    asyncio.run(save(store, [user("thanks", "thank_you", message_id="m2", at=20.0)]))
    assert len(escalation_rows(database)) == 1 and len(notified) == 1


def test_the_action_first_then_the_rasa_server_make_one_record_and_one_notification(
    store: URLSQLTrackerStore, database: Path, notified: list
) -> None:
    turn = emergency_turn()
    events = asyncio.run(ActionEscalateRedFlag().run(CollectingDispatcher(), sdk_tracker(turn[:3]), {}))
    assert events == [SdkSlotSet("red_flag_severity", "emergency"), SdkSlotSet("red_flag_flags", ["bladder", "saddle"])]
    asyncio.run(save(store, turn))
    assert [row[:3] for row in escalation_rows(database)] == [(SENDER, "m1", "emergency")]
    assert notified == [("actions", "red_flag", 1, SENDER)]


def test_the_rasa_server_first_then_a_late_action_make_one_record(
    store: URLSQLTrackerStore, database: Path, notified: list
) -> None:
    turn = emergency_turn()
    asyncio.run(save(store, turn))
    asyncio.run(ActionEscalateRedFlag().run(CollectingDispatcher(), sdk_tracker(turn[:3]), {}))
    assert len(escalation_rows(database)) == 1
    assert notified == [("rasa", "red_flag", 1, SENDER)]


def screening(answer_intent: str, answer_text: str) -> list:
    return [
        user("had a couple of near misses getting to the loo", "red_flag_screen", message_id="m1"),
        ActionExecuted("action_escalate_red_flag"),
        ActionExecuted("utter_red_flag_screening"),
        BotUttered("One question...", metadata={"utter_action": "utter_red_flag_screening"}),
        ActionExecuted("action_listen"),
        user(answer_text, answer_intent, message_id="m2", at=20.0),
    ]


@pytest.mark.parametrize("writers", ["rasa", "both"])
def test_a_yes_to_the_screening_question_is_an_emergency_and_answers_the_borderline_report(
    writers: str, store: URLSQLTrackerStore, database: Path, notified: list
) -> None:
    events = screening("affirm", "yes")
    if writers == "both":
        asyncio.run(ActionEscalateRedFlag().run(CollectingDispatcher(), sdk_tracker(events[:1]), {}))
        asyncio.run(ActionEscalateRedFlag().run(CollectingDispatcher(), sdk_tracker(events), {}))
    asyncio.run(save(store, events))
    assert escalation_rows(database) == [
        (SENDER, "m1", "borderline", "[]", "had a couple of near misses getting to the loo", "yes"),
        (SENDER, "m2", "emergency", json.dumps(["screening_question"]), "yes", None),
    ]
    # Staff hear of the emergency, once; a borderline report alone is not a red flag to send.
    assert [entry[1:] for entry in notified] == [("red_flag", 2, SENDER)]


def test_a_no_to_the_screening_question_is_stored_on_its_report(
    store: URLSQLTrackerStore, database: Path, notified: list
) -> None:
    events = screening("deny", "no, nothing like that")
    asyncio.run(ActionEscalateRedFlag().run(CollectingDispatcher(), sdk_tracker(events), {}))
    asyncio.run(save(store, events))
    assert [(row[2], row[5]) for row in escalation_rows(database)] == [("borderline", "no")]
    assert notified == []


def test_a_later_yes_or_no_is_no_screening_answer() -> None:
    events = [e.as_dict() for e in screening("affirm", "yes")]
    events.insert(-1, BotUttered("Anything else?", metadata={"utter_action": "utter_anything_else"}).as_dict())
    assert latest_report(events) is None


def test_a_yes_to_the_booking_forms_safety_question_is_an_emergency() -> None:
    events = [
        SlotSet("requested_slot", "booking_screening").as_dict(),
        user("yes", "affirm").as_dict(),
    ]
    assert [report for _, report in reports(events)] == [Report("emergency", ("screening_question",))]
    events.insert(1, SlotSet("requested_slot", "booking_confirmed").as_dict())
    assert list(reports(events)) == []


def test_only_red_flag_intents_and_screening_answers_report() -> None:
    assert report_of({"intent": {"name": "faq"}}, None) is None
    assert report_of({"intent": {"name": "affirm"}}, None) is None
    crisis = {"intent": {"name": "red_flag_crisis"}, "entities": [{"entity": "red_flag", "value": "crisis"}]}
    assert report_of(crisis, None) == Report("emergency", ("crisis",))


def test_the_notification_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_WEBHOOK_URL", "https://hooks.example.org/x")
    staff.settings.cache_clear()
    try:
        assert staff.settings().staff_webhook is not None
        assert staff.settings().staff_webhook.target == "https://hooks.example.org"
    finally:
        staff.settings.cache_clear()


@pytest.mark.services
def test_on_postgresql_both_writers_make_one_row_and_two_processes_racing_too(
    domain: Domain, monkeypatch: pytest.MonkeyPatch, notified: list
) -> None:
    """The unique key holds on PostgreSQL (the production database), also for two Rasa processes
    saving the same report at once."""
    from concurrent.futures import ThreadPoolExecutor

    import sqlalchemy as sa

    from actions import settings
    from assistant.records import db as records_db
    from assistant.records.escalations import record_reports
    from tests.staff_console import fresh_postgres_database
    from tools import services

    with services.postgres() as server:
        url = fresh_postgres_database(server.url)
        monkeypatch.setenv("DATABASE_URL", url)
        settings.settings.cache_clear()
        records_db.shared_engine.cache_clear()
        try:
            store = URLSQLTrackerStore(domain=domain, host=url)
            turn = emergency_turn()
            asyncio.run(ActionEscalateRedFlag().run(CollectingDispatcher(), sdk_tracker(turn[:3]), {}))
            asyncio.run(save(store, turn))
            found = list(reports([e.as_dict() for e in turn]))
            with ThreadPoolExecutor(4) as pool:
                results = list(pool.map(lambda _: record_reports(url, SENDER, found), range(4)))
            engine = sa.create_engine(url)
            with engine.connect() as connection:
                rows = connection.execute(sa.text("SELECT message_id, severity FROM escalations")).all()
            engine.dispose()
        finally:
            settings.settings.cache_clear()
            records_db.shared_engine.cache_clear()
    assert [tuple(row) for row in rows] == [("m1", "emergency")]
    assert all(result == [(1, False)] for result in results)
    assert notified == [("actions", "red_flag", 1, SENDER)]


@pytest.mark.parametrize(
    ("text", "intent", "confidence", "reply"),
    [
        ("yes", "affirm", 0.98, "yes"),
        ("a little", "nlu_fallback", 0.3, "yes"),
        ("sort of, on and off", "nlu_fallback", 0.3, "yes"),
        ("I think so", "deny", 0.52, "yes"),  # what the classifier made of it
        ("maybe", "stop", 0.55, "yes"),
        ("not sure", "deny", 0.9, "yes"),
        ("no", "deny", 0.98, "no"),
        ("nope, nothing like that", "deny", 1.0, "no"),
        ("hmm no", "deny", 0.6, None),  # not a clear no: asked again by the rules' fallback
        ("how much is a session?", "cost_insurance", 0.9, None),
    ],
)
def test_a_reply_to_the_screening_question_that_is_not_a_clear_no_is_a_yes(
    text: str, intent: str, confidence: float, reply: str | None
) -> None:
    from assistant.triage.reports import screening_reply

    assert screening_reply(text, intent, confidence) == reply
