"""Without the action server, the first message of a conversation is still answered."""

from __future__ import annotations

from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.policies.session_safe_rule_policy import as_if_started, failed_session_start_index

DOMAIN = Domain.from_yaml(
    """
intents: [greet]
slots:
  name: {type: text, mappings: [{type: custom}]}
"""
)


def tracker(*events: object) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("p", list(events), slots=DOMAIN.slots, domain=DOMAIN)


def greet() -> UserUttered:
    return UserUttered("hi", {"name": "greet", "confidence": 1.0})


def test_a_start_that_ran_is_left_alone() -> None:
    ok = tracker(
        ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME), greet()
    )
    assert failed_session_start_index(ok) is None
    assert as_if_started(ok, DOMAIN) is ok


def test_a_failed_start_gets_the_missing_listen_in_a_copy() -> None:
    failed = tracker(SlotSet("name", "Ana"), ActionExecuted(ACTION_SESSION_START_NAME), greet())
    assert failed_session_start_index(failed) == 1
    view = as_if_started(failed, DOMAIN)
    assert view is not failed
    assert [e.action_name for e in view.events if isinstance(e, ActionExecuted)] == [
        ACTION_SESSION_START_NAME,
        ACTION_LISTEN_NAME,
    ]
    assert view.latest_message.intent["name"] == "greet"
    assert view.get_slot("name") == "Ana"
    # The real tracker is unchanged.
    assert len(failed.events) == 3


def test_later_turns_after_a_failed_start_need_no_repair() -> None:
    later = tracker(
        ActionExecuted(ACTION_SESSION_START_NAME),
        greet(),
        ActionExecuted("utter_greet"),
        BotUttered("Hello"),
        ActionExecuted(ACTION_LISTEN_NAME),
        greet(),
    )
    assert failed_session_start_index(later) is None
