"""End to end, on real servers (action server, Rasa server, SQLite) over the REST channel: the safety
paths a clinic relies on. A crisis in the middle of a booking, a caregiver's emergency, the screening
question answered yes, an escalation while the action server is stopped (recorded once, by the Rasa
server, and nothing doubled when it is back), and an emergency sent with a broken emoji."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import clinic_stack
from tools import servers

pytestmark = [pytest.mark.e2e, pytest.mark.model]


@pytest.fixture(scope="module")
def safety_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Stack]:
    """The action server and the Rasa server (the action server is stopped and started by a test)."""
    stack = clinic_stack(tmp_path_factory, "safety")
    try:
        servers.start_actions_ready(stack)
        servers.start_rasa_ready(stack)
        yield stack
    finally:
        servers.stop(stack)


def post(stack: servers.Stack, body: bytes) -> list[dict[str, Any]]:
    response = requests.post(
        f"{stack.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    response.raise_for_status()
    return response.json()


def say(stack: servers.Stack, sender: str, message: str, **extra: Any) -> list[dict[str, Any]]:
    return post(stack, json.dumps({"sender": sender, "message": message, **extra}).encode())


def texts(messages: list[dict[str, Any]]) -> list[str]:
    """What the patient read, without the welcome notice that opens every conversation."""
    found = [m.get("text", "") for m in messages]
    return found[1:] if found and found[0].startswith("Welcome to the virtual assistant") else found


def tracker(stack: servers.Stack, sender: str) -> dict[str, Any]:
    url = f"{stack.url}/conversations/{sender}/tracker"
    return requests.get(url, params={"token": stack.token}, timeout=10).json()


def escalations(stack: servers.Stack, sender: str) -> list[tuple]:
    path = Path(stack.database_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT severity, flags, screening_answer FROM escalations WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()


def test_a_crisis_in_the_booking_form_ends_it_with_the_crisis_answer(
    safety_stack: servers.Stack, answers: dict[str, str]
) -> None:
    sender = "crisis-form-" + uuid.uuid4().hex
    say(safety_stack, sender, "I'd like to book an appointment")
    assert tracker(safety_stack, sender)["active_loop"].get("name") == "booking_form"
    reply = texts(say(safety_stack, sender, "honestly some days I just don't want to be alive anymore"))
    assert reply == [answers["utter_red_flag_crisis"], answers["utter_offer_staff_crisis"]]
    assert "988" in reply[0] and "911" in reply[0]
    assert tracker(safety_stack, sender)["active_loop"] == {}
    assert escalations(safety_stack, sender) == [("emergency", '["crisis"]', None)]


def test_a_caregivers_report_of_someone_elses_emergency_is_escalated(
    safety_stack: servers.Stack, answers: dict[str, str]
) -> None:
    sender = "caregiver-" + uuid.uuid4().hex
    message = (
        "My husband's sciatica flared up on Tuesday and now he can't control his bladder. He's wet himself twice today."
    )
    assert texts(say(safety_stack, sender, message)) == [answers["utter_red_flag_emergency"]]
    assert [row[0] for row in escalations(safety_stack, sender)] == ["emergency"]


def test_the_screening_question_answered_yes_is_an_emergency(
    safety_stack: servers.Stack, answers: dict[str, str]
) -> None:
    sender = "screening-" + uuid.uuid4().hex
    asked = say(
        safety_stack,
        sender,
        "had a couple of near misses getting to the loo in time this week, not sure if that's anything",
    )
    assert texts(asked) == [answers["utter_red_flag_screening"]]
    assert [b["payload"] for b in asked[-1].get("buttons", [])] == ["/affirm", "/deny"], asked
    assert texts(say(safety_stack, sender, "/affirm")) == [answers["utter_red_flag_emergency"]]  # the Yes button
    assert escalations(safety_stack, sender) == [
        ("borderline", '["unsure"]', "yes"),
        ("emergency", '["screening_question"]', None),
    ]
    # Staff read the button's answer, not its payload.
    path = Path(safety_stack.database_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        words = db.execute("SELECT message FROM escalations WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    assert words[-1] == ("yes (button)",)


def test_the_screening_question_answered_no_is_recorded(safety_stack: servers.Stack, answers: dict[str, str]) -> None:
    sender = "screening-no-" + uuid.uuid4().hex
    say(
        safety_stack,
        sender,
        "had a couple of near misses getting to the loo in time this week, not sure if that's anything",
    )
    assert texts(say(safety_stack, sender, "no")) == [answers["utter_red_flag_screening_no"]]
    assert escalations(safety_stack, sender) == [("borderline", '["unsure"]', "no")]


@contextlib.contextmanager
def action_server_stopped(stack: servers.Stack) -> Iterator[None]:
    actions = stack.processes[0]
    os.killpg(actions.pid, signal.SIGTERM)
    actions.wait(timeout=30)
    try:
        yield
    finally:
        stack.processes.remove(actions)
        servers.start_actions_ready(stack)


def test_an_escalation_is_recorded_once_with_the_action_server_stopped(
    safety_stack: servers.Stack, answers: dict[str, str]
) -> None:
    sender = "no-actions-" + uuid.uuid4().hex
    say(safety_stack, sender, "what is sciatica?")
    with action_server_stopped(safety_stack):
        assert texts(say(safety_stack, sender, "since last night I can't feel my bum or my groin")) == [
            answers["utter_red_flag_emergency"]
        ]
        assert escalations(safety_stack, sender) == [("emergency", '["saddle"]', None)]
    # Back: the next turns add nothing to that report.
    say(safety_stack, sender, "thanks")
    assert texts(say(safety_stack, sender, "does acupuncture hurt?"))
    assert escalations(safety_stack, sender) == [("emergency", '["saddle"]', None)]


def test_an_emergency_sent_with_a_broken_emoji_is_answered_stored_and_escalated(
    safety_stack: servers.Stack, answers: dict[str, str]
) -> None:
    sender = "emoji-" + uuid.uuid4().hex
    # A lone high surrogate, as some phone keyboards send half an emoji: valid JSON, not valid UTF-8 text.
    body = b'{"sender": "%s", "message": "I wet myself this morning and did not notice, my legs are numb \\ud83d"}' % (
        sender.encode()
    )
    assert texts(post(safety_stack, body)) == [answers["utter_red_flag_emergency"]]
    stored = [e["text"] for e in tracker(safety_stack, sender)["events"] if e["event"] == "user"]
    assert stored == ["I wet myself this morning and did not notice, my legs are numb \ufffd"]
    assert [row[0] for row in escalations(safety_stack, sender)] == ["emergency"]


def test_metadata_that_is_a_string_does_not_drop_the_message(
    safety_stack: servers.Stack, answers: dict[str, str]
) -> None:
    sender = "metadata-" + uuid.uuid4().hex
    assert texts(say(safety_stack, sender, "I can't feel my groin", metadata="from the kiosk")) == [
        answers["utter_red_flag_emergency"]
    ]
    assert [row[0] for row in escalations(safety_stack, sender)] == ["emergency"]


@pytest.mark.parametrize("reply", ["I think so", "a little", "maybe"])
def test_an_unsure_reply_to_the_screening_question_is_a_yes(
    safety_stack: servers.Stack, answers: dict[str, str], reply: str
) -> None:
    sender = "screening-unsure-" + uuid.uuid4().hex
    # Unsure for the lexicon and far from sure for the net (0.27; "peeing feels a bit odd since Tuesday" reached
    # 0.81 once blind11 joined its examples, and got the emergency answer at once).
    first = texts(say(safety_stack, sender, "is it normal that it feels a bit different when I pee? not painful"))
    assert first == [answers["utter_red_flag_screening"]]
    assert texts(say(safety_stack, sender, reply)) == [answers["utter_red_flag_emergency"]]
    assert [(row[0], row[2]) for row in escalations(safety_stack, sender)] == [
        ("borderline", "yes"),
        ("emergency", None),
    ]


def test_a_crisis_in_reply_to_the_screening_question_gets_the_crisis_answer(
    safety_stack: servers.Stack, answers: dict[str, str]
) -> None:
    sender = "screening-crisis-" + uuid.uuid4().hex
    # Unsure for the lexicon and far from sure for the net (0.27; "peeing feels a bit odd since Tuesday" reached
    # 0.81 once blind11 joined its examples, and got the emergency answer at once).
    first = texts(say(safety_stack, sender, "is it normal that it feels a bit different when I pee? not painful"))
    assert first == [answers["utter_red_flag_screening"]]
    reply = texts(say(safety_stack, sender, "maybe. honestly I just want to end it all"))
    assert reply[0] == answers["utter_red_flag_crisis"]
