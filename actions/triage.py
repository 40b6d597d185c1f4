"""Red-flag escalation: record it for staff, notify them, set red_flag_severity.

The patient has already been answered by the Rasa server's own response
(data/rules/triage.yml), so nothing here can delay or block that message;
the staff notification is sent in the background besides.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.escalations import record_escalation
from actions.notify import notify_staff, red_flag_payload
from assistant.triage.severity import INTENT_SEVERITY

SEVERITY_FOR_INTENT = INTENT_SEVERITY
SIGN_SLOT = "emergency_sign"  # picked the emergency answer's variation (domain.yml)


SCREENING_SLOT = "booking_screening"  # a yes to the booking form's screening question is an emergency report


def latest_red_flags(tracker: Tracker) -> tuple[str | None, list[str]]:
    """Severity and flag ids of the latest message, as the NLU detector found them."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name", "")
    if intent == "affirm" and tracker.get_slot("requested_slot") == SCREENING_SLOT:
        return "emergency", ["screening_question"]
    severity = SEVERITY_FOR_INTENT.get(intent)
    flags = sorted({e["value"] for e in message.get("entities") or [] if e.get("entity") == "red_flag"})
    return severity, flags


class ActionEscalateRedFlag(Action):
    def name(self) -> str:
        return "action_escalate_red_flag"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        severity, flags = latest_red_flags(tracker)
        if severity is None:
            return []
        escalation_id = await asyncio.to_thread(
            record_escalation,
            sender_id=tracker.sender_id,
            severity=severity,
            flags=flags,
            text=(tracker.latest_message or {}).get("text") or "",
        )
        payload = red_flag_payload(escalation_id, tracker.sender_id, severity, flags)
        notify_staff("red_flag", escalation_id, tracker.sender_id, payload)
        # Emergency outranks urgent for the rest of the conversation.
        if tracker.get_slot("red_flag_severity") == "emergency":
            severity = "emergency"
        events = [SlotSet("red_flag_severity", severity), SlotSet("red_flag_flags", flags)]
        # Answered: the next emergency answer (a yes to the booking form's safety question) must not
        # name this message's danger sign.
        if tracker.get_slot(SIGN_SLOT) is not None:
            events.append(SlotSet(SIGN_SLOT, None))
        return events
