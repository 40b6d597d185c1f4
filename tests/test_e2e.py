"""End to end: the real action server and Rasa server on free loopback ports,
SQLite in a temp dir, messages over the REST channel. No mocks of Rasa."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from actions import settings
from actions.topics import SUGGESTION_LABELS
from assistant.records import db as records_db
from assistant.staff.config import config as staff_config
from tests.conftest import clinic_stack
from tools import handoff, servers
from tools.load import booking_turns

pytestmark = [pytest.mark.e2e, pytest.mark.model]


@pytest.fixture(scope="module")
def rasa_without_actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Stack]:
    """The Rasa server alone: its action endpoint points at a port nobody listens on."""
    stack = clinic_stack(tmp_path_factory, "no-actions")
    try:
        servers.start_rasa_ready(stack)
        yield stack
    finally:
        servers.stop(stack)


def say(stack: servers.Stack, sender: str, message: str) -> list[dict[str, Any]]:
    response = requests.post(
        f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30
    )
    response.raise_for_status()
    return response.json()


def tracker_url(stack: servers.Stack, sender: str) -> str:
    return f"{stack.url}/conversations/{sender}/tracker"


def database(stack: servers.Stack) -> Path:
    return Path(stack.database_url.removeprefix("sqlite:///"))


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text", "") for m in messages]


def test_first_message_gets_the_notice_then_the_answer(stack: servers.Stack, answers: dict[str, str]) -> None:
    sender = uuid.uuid4().hex
    assert texts(say(stack, sender, "what is sciatica exactly?")) == [
        answers["utter_session_notice"],
        answers["utter_sciatica_definition"],
    ]
    # The notice is once per conversation.
    assert texts(say(stack, sender, "does acupuncture hurt?")) == [answers["utter_acupuncture_pain"]]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "is there any proof acupuncture works for sciatica?",
            ["utter_acupuncture_evidence", "utter_acupuncture_evidence_detail"],
        ),
        ("how much does it cost, do you take insurance?", ["utter_cost_insurance"]),
        ("where are you located and what are your hours?", ["utter_clinic_info"]),
        ("what should I wear?", ["utter_session_preparation", "utter_session_preparation_detail"]),
        (
            "can I drive home after a session? is it normal to feel tired or a bit sore after?",
            ["utter_session_aftercare", "utter_session_aftercare_detail"],
        ),
        (
            "do you also do chiropractic adjustments? can I have both on the same day?",
            ["utter_chiropractic_care", "utter_chiropractic_care_detail"],
        ),
        ("what's the weather tomorrow?", ["utter_out_of_scope"]),
        ("what's the best treatment for my migraines?", ["utter_out_of_scope"]),
        ("would needles even help my leg?", ["utter_acupuncture_benefits", "utter_acupuncture_benefits_detail"]),
        ("/acupuncture_points", ["utter_acupuncture_points"]),
    ],
)
def test_answers_over_rest(stack: servers.Stack, answers: dict[str, str], message: str, expected: list[str]) -> None:
    sender = uuid.uuid4().hex
    say(stack, sender, "hello")
    assert texts(say(stack, sender, message)) == [answers[name] for name in expected]


def test_gibberish_gets_suggestions_then_a_staff_offer(stack: servers.Stack, answers: dict[str, str]) -> None:
    sender = uuid.uuid4().hex
    say(stack, sender, "hi")
    first = say(stack, sender, "xkcd blorp zzzt")
    assert len(first) == 1
    if first[0]["text"] == answers["utter_did_you_mean"]:
        payloads = [b["payload"] for b in first[0]["buttons"]]
        assert 2 <= len(payloads) <= 4 and payloads[-1] == "/deny"
        assert all(p.startswith("/") and p[1:] in SUGGESTION_LABELS for p in payloads[:-1])
    else:
        assert first[0]["text"] == answers["utter_default"]
    second = say(stack, sender, "qwop fnord")
    assert texts(second) == [answers["utter_offer_staff"]]
    assert [b["payload"] for b in second[0]["buttons"]] == ["/affirm", "/deny"]
    reply = texts(say(stack, sender, "/affirm"))
    assert reply[0].startswith("I've asked our staff to join this chat.")
    assert reply[1] == answers["utter_handoff_waiting"]


def test_the_conversation_is_stored_in_the_database(stack: servers.Stack) -> None:
    sender = "stored-" + uuid.uuid4().hex
    say(stack, sender, "how many sessions will I need?")
    with sqlite3.connect(database(stack)) as conn:
        rows = conn.execute(
            "SELECT type_name, intent_name, action_name FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()
    kinds = [r[0] for r in rows]
    assert "session_started" in kinds
    assert ("user", "session_frequency", None) in rows
    assert ("action", None, "utter_session_frequency") in rows
    assert kinds.count("bot") == 2  # the notice and the answer


def test_the_http_api_needs_the_token(stack: servers.Stack) -> None:
    sender = uuid.uuid4().hex
    say(stack, sender, "hello")
    url = tracker_url(stack, sender)
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, params={"token": "wrong"}, timeout=10).status_code == 401
    tracker = requests.get(url, params={"token": stack.token}, timeout=10).json()
    assert tracker["latest_message"]["intent"]["name"] == "greet"


def parse(stack: servers.Stack, text: str) -> dict[str, Any]:
    response = requests.post(f"{stack.url}/model/parse", params={"token": stack.token}, json={"text": text}, timeout=10)
    response.raise_for_status()
    return response.json()


def test_parse_shows_the_topic_as_the_intent(stack: servers.Stack) -> None:
    parsed = parse(stack, "where do you put the needles?")
    assert parsed["intent"]["name"] == "acupuncture_points"


def test_faq_answers_do_not_need_the_action_server(
    rasa_without_actions: servers.Stack, answers: dict[str, str]
) -> None:
    sender = uuid.uuid4().hex
    # The notice needs the action server; the answer itself must not.
    assert texts(say(rasa_without_actions, sender, "what is sciatica exactly?")) == [
        answers["utter_sciatica_definition"]
    ]
    assert texts(say(rasa_without_actions, sender, "does acupuncture hurt?")) == [answers["utter_acupuncture_pain"]]


def test_an_emergency_is_answered_first_recorded_and_sets_the_slot(
    stack: servers.Stack, answers: dict[str, str]
) -> None:
    sender = "flag-" + uuid.uuid4().hex
    say(stack, sender, "how many sessions will I need?")
    reply = say(stack, sender, "also since this morning I can't feel anything down there when I wipe")
    assert texts(reply) == [answers["utter_red_flag_emergency"]]
    assert "call 911" in reply[0]["text"]
    tracker = requests.get(tracker_url(stack, sender), params={"token": stack.token}, timeout=10).json()
    assert tracker["slots"]["red_flag_severity"] == "emergency"
    assert tracker["latest_message"]["intent"]["name"] == "red_flag_emergency"
    with sqlite3.connect(database(stack)) as conn:
        rows = conn.execute("SELECT severity, flags FROM escalations WHERE sender_id = ?", (sender,)).fetchall()
    assert rows == [("emergency", '["saddle"]')]


def test_parse_shows_the_red_flag_for_debugging(stack: servers.Stack) -> None:
    parsed = parse(stack, "my dad had prostate cancer")
    assert parsed["intent"]["name"] != "red_flag_urgent"
    assert parsed["red_flags"][0]["flag"] == "cancer" and parsed["red_flags"][0]["other_person"] is True


def test_a_booking_request_ends_in_the_database(stack: servers.Stack, answers: dict[str, str]) -> None:
    sender = "book-" + uuid.uuid4().hex
    for message, expected in booking_turns("Maria Lopez", "(212) 555-0182", answers):
        reply = texts(say(stack, sender, message))
        assert any(text.startswith(expected) for text in reply), (message, reply)
    with sqlite3.connect(database(stack)) as conn:
        rows = conn.execute(
            "SELECT patient_name, contact, preferred, patient_type, reason, red_flag, status"
            " FROM booking_requests WHERE sender_id = ?",
            (sender,),
        ).fetchall()
    [(name, contact, preferred, kind, reason, red_flag, status)] = rows
    assert (name, contact, kind, reason, red_flag, status) == (
        "Maria Lopez", "+12125550182", "new", "sciatica down my left leg", None, "new"
    )  # fmt: skip
    assert preferred.endswith("/12:00/17:00")


def test_three_bad_numbers_offer_staff(stack: servers.Stack, answers: dict[str, str]) -> None:
    sender = "book-bad-" + uuid.uuid4().hex
    say(stack, sender, "I want to book")
    say(stack, sender, "Bob Stone")
    assert texts(say(stack, sender, "123"))[0].startswith("That number looks too short")
    assert texts(say(stack, sender, "555"))[0].startswith("That number looks too short")
    assert texts(say(stack, sender, "12")) == [answers["utter_form_too_many_tries"], answers["utter_offer_handoff"]]
    reply = texts(say(stack, sender, "yes"))
    assert reply[0].startswith("I've asked our staff to join this chat.")


def test_a_red_flag_mid_booking_pauses_the_form(stack: servers.Stack, answers: dict[str, str]) -> None:
    sender = "book-flag-" + uuid.uuid4().hex
    say(stack, sender, "I want to book")
    reply = texts(say(stack, sender, "I have a fever and chills and my back is killing me"))
    assert reply == [answers["utter_red_flag_urgent"], answers["utter_ask_continue_booking"]]
    tracker = requests.get(tracker_url(stack, sender), params={"token": stack.token}, timeout=10).json()
    assert tracker["active_loop"] == {} and tracker["slots"]["red_flag_severity"] == "urgent"


def test_a_hand_off_pauses_the_bot_but_not_red_flags_until_staff_resume(
    stack: servers.Stack, answers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = "handoff-" + uuid.uuid4().hex
    assert texts(say(stack, sender, "can I talk to a person?"))[-1] == answers["utter_offer_handoff"]
    reply = texts(say(stack, sender, "yes"))
    assert reply[0].startswith("I've asked our staff to join this chat.")
    assert say(stack, sender, "how much does it cost?") == []  # stored for staff, not answered
    assert texts(say(stack, sender, "I wet myself and didn't notice")) == [answers["utter_red_flag_emergency"]]
    assert say(stack, sender, "hello?") == []  # still paused after the red flag
    monkeypatch.setenv("RASA_URL", stack.url)
    monkeypatch.setenv("RASA_TOKEN", stack.token)
    monkeypatch.setenv("DATABASE_URL", stack.database_url)
    settings.settings.cache_clear()
    records_db.shared_engine.cache_clear()
    staff_config.cache_clear()
    try:
        assert [row.sender_id for row in handoff.waiting() if row.sender_id == sender] == [sender]
        handoff.reply(sender, "Hi, this is Anna from the front desk.")
        handoff.resume(sender)
        assert [row.sender_id for row in handoff.waiting() if row.sender_id == sender] == []
    finally:
        settings.settings.cache_clear()
        records_db.shared_engine.cache_clear()
        staff_config.cache_clear()
    tracker = requests.get(tracker_url(stack, sender), params={"token": stack.token}, timeout=10).json()
    assert "Hi, this is Anna from the front desk." in [e.get("text") for e in tracker["events"] if e["event"] == "bot"]
    assert texts(say(stack, sender, "what is sciatica exactly?")) == [answers["utter_sciatica_definition"]]


def test_requests_say_so_when_the_action_server_is_down(
    rasa_without_actions: servers.Stack, answers: dict[str, str]
) -> None:
    sender = uuid.uuid4().hex
    unavailable = answers["utter_requests_unavailable"]
    assert "can't take requests right now" in unavailable and "emergency" in unavailable
    assert texts(say(rasa_without_actions, sender, "I want to book an appointment")) == [unavailable]
    assert texts(say(rasa_without_actions, sender, "can I move my appointment on thursday?")) == [unavailable]
    assert texts(say(rasa_without_actions, sender, "can I talk to a person?"))[-1] == answers["utter_offer_handoff"]
    assert texts(say(rasa_without_actions, sender, "yes")) == [unavailable]
    tracker = requests.get(
        tracker_url(rasa_without_actions, sender), params={"token": rasa_without_actions.token}, timeout=10
    ).json()
    assert tracker["active_loop"] == {} and not tracker["latest_message"].get("text", "").startswith("Traceback")
    # Nothing stuck: the next question is answered as usual.
    assert texts(say(rasa_without_actions, sender, "does acupuncture hurt?")) == [answers["utter_acupuncture_pain"]]


def test_the_emergency_text_does_not_need_the_action_server(
    rasa_without_actions: servers.Stack, answers: dict[str, str]
) -> None:
    sender = uuid.uuid4().hex
    assert texts(say(rasa_without_actions, sender, "i wet myself this morning and didn't notice")) == [
        answers["utter_red_flag_emergency"]
    ]


def test_crisis_and_general_emergencies_get_their_own_answer_without_the_action_server(
    rasa_without_actions: servers.Stack, domain: dict[str, Any], answers: dict[str, str]
) -> None:
    sender = uuid.uuid4().hex
    reply = texts(say(rasa_without_actions, sender, "can I book for Friday? I keep thinking about killing myself"))
    assert reply == [answers["utter_red_flag_crisis"], answers["utter_offer_staff_crisis"]]
    assert texts(say(rasa_without_actions, sender, "yes")) == [answers["utter_crisis_staff_unavailable"]]
    [stroke] = [
        v["text"]
        for v in domain["responses"]["utter_red_flag_emergency"]
        if "channel" not in v and (v.get("condition") or [{}])[0].get("value") == "stroke"
    ]
    assert texts(say(rasa_without_actions, sender, "my husband's face is drooping and his speech is slurred")) == [
        stroke
    ]
    # Each emergency names its own sign, not the one before it.
    assert texts(say(rasa_without_actions, sender, "and my mum soiled herself and didn't notice")) == [
        answers["utter_red_flag_emergency"]
    ]


def test_a_crisis_with_a_physical_emergency_names_the_danger_sign_without_the_action_server(
    rasa_without_actions: servers.Stack, domain: dict[str, Any], answers: dict[str, str]
) -> None:
    sender = uuid.uuid4().hex
    [chest] = [
        v["text"]
        for v in domain["responses"]["utter_red_flag_crisis"]
        if "channel" not in v and (v.get("condition") or [{}])[0].get("value") == "chest_pain"
    ]
    reply = texts(say(rasa_without_actions, sender, "I took all my pills and now my chest hurts and I can't breathe"))
    assert reply == [chest, answers["utter_offer_staff_crisis"]]
    # The next crisis alone gets the crisis answer's own words (the action server, which clears the sign, is down).
    reply = texts(say(rasa_without_actions, sender, "I keep thinking about killing myself"))
    assert reply == [answers["utter_red_flag_crisis"], answers["utter_offer_staff_crisis"]]
