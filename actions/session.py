"""Conversation start: the one-time notice before the first answer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, BotUttered, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

NOTICE_RESPONSE = "utter_session_notice"


class ActionSessionStart(Action):
    """Rasa's session start plus the notice (general information, not a doctor,
    what to do in an emergency), once per conversation."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        if domain.get("session_config", {}).get("carry_over_slots_to_new_session", True):
            # The same carry-over as Rasa's built-in session start.
            events.extend(
                SlotSet(key, value)
                for key, value in tracker.current_slot_values().items()
                if value is not None and key != "session_started_metadata"
            )
        # Returned as an event rather than via the dispatcher: Rasa puts dispatcher
        # messages before SessionStarted, which would file the notice under the
        # previous conversation. Rasa still sends BotUttered events to the channel.
        variants = domain.get("responses", {}).get(NOTICE_RESPONSE) or []
        if variants and variants[0].get("text"):
            events.append(BotUttered(text=variants[0]["text"], metadata={"utter_action": NOTICE_RESPONSE}))
        events.append(ActionExecuted("action_listen"))
        return events
