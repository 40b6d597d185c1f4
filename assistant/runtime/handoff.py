"""Hand-off to staff, on the Rasa server's side.

`action_handoff_to_staff` pauses the conversation (Rasa's ConversationPaused):
Rasa then stores the patient's messages without answering them. Two things
Rasa does not do, and a clinic needs:
- red flags are always answered, paused or not (the NLU detector has already
  set the intent; the triage rules answer and escalate), and so is the reply to
  the crisis answer's offer of staff;
- a pause ends by itself after HANDOFF_TIMEOUT_MINUTES (default 120) without a
  staff reply, so a patient is not left talking to nobody.
Staff resume the bot earlier by appending a `resume` event (Rasa's HTTP API).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, ConversationPaused, ConversationResumed, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from assistant.settings import settings
from assistant.triage.severity import RED_FLAG_INTENTS, UNREADABLE_INTENT

# A message that could not be read may be a red flag: it gets the emergency advice, paused or not.
ALWAYS_ANSWERED = RED_FLAG_INTENTS | {UNREADABLE_INTENT}
# Questions whose reply is answered while paused: after a crisis, "yes" to staff must not go unanswered,
# nor a "yes" to the screening question.
ALWAYS_ANSWERED_AFTER = frozenset({"utter_offer_staff_crisis", "utter_red_flag_screening"})
_original = MessageProcessor._should_handle_message


def timeout_seconds() -> float:
    return settings().handoff_timeout_minutes * 60


def paused_since(tracker: DialogueStateTracker) -> float | None:
    """When the current pause began (a timestamp), or None when the conversation is not paused."""
    if not tracker.is_paused():
        return None
    for event in reversed(tracker.events):
        if isinstance(event, ConversationPaused):
            return event.timestamp
    return None


def last_response(events: Sequence[Event], passing: int = 0) -> str | None:
    """The bot's latest response after the latest patient message, once `passing` patient messages
    (the latest first) are passed; None when there is none."""
    for event in reversed(events):
        if isinstance(event, UserUttered):
            if not passing:
                return None
            passing -= 1
        elif not passing and isinstance(event, BotUttered):
            return event.metadata.get("utter_action")
    return None


def replies_to(tracker: DialogueStateTracker) -> str | None:
    """The response the latest patient message answers: the bot's last one before it, if any."""
    return last_response(tracker.events, passing=1)


def paused_this_turn(tracker: DialogueStateTracker) -> bool:
    """The pause came after the latest patient message: the turn that asked for staff is over."""
    for event in reversed(tracker.events):
        if isinstance(event, ConversationPaused):
            return True
        if isinstance(event, UserUttered):
            return False
    return False


def should_handle_message(tracker: DialogueStateTracker, timeout: float, now: float | None = None) -> bool:
    """Rasa's rule (not paused, or a restart), plus: red flags while paused, and an expired pause.

    Rasa asks this before every prediction of a turn, not only when a message arrives: a turn
    whose own action paused the conversation stops there, even when its message (a yes to the
    crisis answer's offer of staff) is one answered while paused."""
    if _original(tracker):
        return True
    if paused_this_turn(tracker):
        return False
    intent = (tracker.latest_message.intent if tracker.latest_message else {}).get(INTENT_NAME_KEY)
    if intent in ALWAYS_ANSWERED or replies_to(tracker) in ALWAYS_ANSWERED_AFTER:
        return True
    since = paused_since(tracker)
    if since is not None and (now or time.time()) - since > timeout:
        tracker.update(ConversationResumed())  # saved with the message by Rasa's processor
        return True
    return False


def answering_red_flags(original: Callable[[DialogueStateTracker], bool]) -> Callable[[DialogueStateTracker], bool]:
    """What the registry (assistant/runtime/patches.py) installs as `MessageProcessor._should_handle_message`."""
    timeout = timeout_seconds()  # a bad value stops the server at start, not at a patient's message
    return lambda tracker: should_handle_message(tracker, timeout)
