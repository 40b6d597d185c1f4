"""Hand-off to staff: the action's exact events, when staff are said to be around, and the
Rasa server's handling of paused conversations (red flags answered, pauses that expire)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, ConversationResumed, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted as SdkActionExecuted
from rasa_sdk.events import ConversationPaused as SdkConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import reset_form
from actions.handoff import ActionHandoffToStaff, staff_availability
from assistant.clinic.profile import parse_profile
from assistant.runtime import handoff, unavailable
from assistant.settings import settings

NEW_YORK = ZoneInfo("America/New_York")
CLINIC = parse_profile(
    {"name": "Test Clinic", "opening_hours": {"monday": ["09:00-17:00"], "wednesday": ["09:00-12:00"]}}
)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 30, 10, 0, tzinfo=NEW_YORK), "The clinic is open now"),
        (datetime(2026, 11, 30, 7, 0, tzinfo=NEW_YORK), "opens today at 09:00"),
        (datetime(2026, 11, 30, 18, 0, tzinfo=NEW_YORK), "opens on Wednesday at 09:00"),
        (datetime(2026, 12, 1, 12, 0, tzinfo=NEW_YORK), "opens tomorrow at 09:00"),
    ],
)
def test_the_patient_is_told_when_staff_are_around(now: datetime, expected: str) -> None:
    assert expected in staff_availability(CLINIC, now)


def test_without_opening_hours_no_time_is_promised() -> None:
    assert staff_availability(parse_profile({"name": "x"}), datetime.now(NEW_YORK)) == (
        "They'll reply here as soon as they can."
    )


async def test_the_action_records_notifies_and_pauses(database: Path, domain: dict[str, Any]) -> None:
    events = [{"event": "user", "text": "yes", "input_channel": "socketio"}]
    tracker = Tracker("patient-8", {}, {"text": "yes"}, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    result = await ActionHandoffToStaff().run(dispatcher, tracker, domain)
    assert result == [*reset_form(), SdkConversationPaused(), SdkActionExecuted("action_listen")]
    assert dispatcher.messages[0]["text"].startswith("I've asked our staff to join this chat.")
    assert dispatcher.messages[1]["response"] == "utter_handoff_waiting"
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT sender_id, channel, status FROM handoff_requests").fetchall()
    assert rows == [("patient-8", "socketio", "waiting")]


def paused_tracker(intent: str, paused_at: float) -> DialogueStateTracker:
    tracker = DialogueStateTracker("patient-8", slots=[])
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(ConversationPaused(timestamp=paused_at))
    tracker.update(UserUttered("some text", intent={"name": intent, "confidence": 1.0}))
    return tracker


def test_paused_conversations_answer_only_red_flags() -> None:
    now = 1_000_000.0
    assert handoff.should_handle_message(paused_tracker("red_flag_emergency", now - 60), 3600, now)
    assert handoff.should_handle_message(paused_tracker("red_flag_urgent", now - 60), 3600, now)
    assert handoff.should_handle_message(paused_tracker("red_flag_crisis", now - 60), 3600, now)
    quiet = paused_tracker("cost_insurance", now - 60)
    assert not handoff.should_handle_message(quiet, 3600, now)
    assert quiet.is_paused()


def test_while_paused_a_reply_to_the_crisis_answers_offer_of_staff_is_answered() -> None:
    now = 1_000_000.0
    tracker = DialogueStateTracker("patient-8", slots=[])
    tracker.update(ConversationPaused(timestamp=now - 60))
    tracker.update(UserUttered("I want to die", intent={"name": "red_flag_crisis", "confidence": 1.0}))
    tracker.update(BotUttered("Would you like someone ...", metadata={"utter_action": "utter_offer_staff_crisis"}))
    tracker.update(UserUttered("yes", intent={"name": "affirm", "confidence": 1.0}))
    assert handoff.should_handle_message(tracker, 3600, now)
    tracker.update(BotUttered("...", metadata={"utter_action": "utter_handoff_waiting"}))
    tracker.update(UserUttered("thanks", intent={"name": "thank", "confidence": 1.0}))
    assert not handoff.should_handle_message(tracker, 3600, now)


def test_the_turn_that_hands_over_to_staff_ends_with_the_pause() -> None:
    """A yes to the crisis answer's offer of staff is answered while paused, but once that turn's
    hand-off has paused the conversation, nothing more is said ("What would you like to know?"
    used to follow the message that staff will join)."""
    now = 1_000_000.0
    tracker = DialogueStateTracker("patient-8", slots=[])
    tracker.update(UserUttered("I want to die", intent={"name": "red_flag_crisis", "confidence": 1.0}))
    tracker.update(BotUttered("Would you like someone ...", metadata={"utter_action": "utter_offer_staff_crisis"}))
    tracker.update(UserUttered("yes", intent={"name": "affirm", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_handoff_to_staff"))
    tracker.update(BotUttered("I've asked our staff to join this chat."))
    tracker.update(ConversationPaused(timestamp=now))
    tracker.update(ActionExecuted("action_listen"))
    assert not handoff.should_handle_message(tracker, 3600, now)
    # The same for a red flag whose turn ended in a hand-off.
    tracker.update(UserUttered("my chest hurts", intent={"name": "red_flag_emergency", "confidence": 1.0}))
    assert handoff.should_handle_message(tracker, 3600, now)
    tracker.update(ActionExecuted("action_handoff_to_staff"))
    tracker.update(ConversationPaused(timestamp=now))
    assert not handoff.should_handle_message(tracker, 3600, now)


def test_a_pause_without_a_staff_reply_ends_after_the_timeout() -> None:
    now = 1_000_000.0
    tracker = paused_tracker("cost_insurance", now - 3601)
    assert handoff.should_handle_message(tracker, 3600, now)
    assert isinstance(tracker.events[-1], ConversationResumed) and not tracker.is_paused()


def test_the_timeout_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_TIMEOUT_MINUTES", "soon")
    settings.cache_clear()
    with pytest.raises(ValueError, match="HANDOFF_TIMEOUT_MINUTES"):
        handoff.timeout_seconds()
    monkeypatch.setenv("HANDOFF_TIMEOUT_MINUTES", "30")
    settings.cache_clear()
    assert handoff.timeout_seconds() == 1800
    settings.cache_clear()


class _Nlg:
    async def generate(self, response: str, tracker: Any, channel: str) -> dict[str, Any]:
        return {"text": f"<{response}>"}


class _Channel:
    @staticmethod
    def name() -> str:
        return "rest"


async def test_staff_accepted_after_a_crisis_with_the_action_server_down_get_the_crisis_line_again() -> None:
    async def down(*_: Any) -> list:
        raise RasaException("Failed to execute custom action")

    run = unavailable.answering_when_actions_are_down(down)
    tracker = DialogueStateTracker("patient-8", slots=[])
    tracker.update(BotUttered("Would you like ...", metadata={"utter_action": "utter_offer_staff_crisis"}))
    tracker.update(UserUttered("yes", intent={"name": "affirm", "confidence": 1.0}))
    events = await run(RemoteAction("action_handoff_to_staff", None), _Channel(), _Nlg(), tracker, None)
    assert events[0].metadata == {"utter_action": "utter_crisis_staff_unavailable"}
    # Any other hand-off: the usual apology.
    plain = DialogueStateTracker("patient-9", slots=[])
    plain.update(BotUttered("Would you like ...", metadata={"utter_action": "utter_offer_handoff"}))
    plain.update(UserUttered("yes", intent={"name": "affirm", "confidence": 1.0}))
    events = await run(RemoteAction("action_handoff_to_staff", None), _Channel(), _Nlg(), plain, None)
    assert events[0].metadata == {"utter_action": "utter_requests_unavailable"}
