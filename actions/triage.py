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

from actions.settings import settings
from assistant.notify.staff import notify_staff, red_flag_payload
from assistant.records import escalations
from assistant.triage.reports import Report, latest_report
from assistant.triage.severity import SEVERITIES

SIGN_SLOT = "emergency_sign"  # picked the emergency answer's variation (domain.yml)


def record_report(sender_id: str, message: dict[str, Any], report: Report) -> tuple[int | None, bool | None]:
    """The report's escalation id and whether this call created the row (the Rasa server records it
    too, when it saves the turn); (None, None) if the database failed (logged)."""
    recorded = escalations.record_reports(settings().database_url, sender_id, [(message, report)])
    return recorded[0] if recorded else (None, None)


class ActionEscalateRedFlag(Action):
    def name(self) -> str:
        return "action_escalate_red_flag"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        found = latest_report(tracker.events)
        if found is None:
            return []
        message, report = found
        escalation_id, created = await asyncio.to_thread(record_report, tracker.sender_id, message, report)
        if report.severity is None:  # a "no" to the screening question: stored on the report it answers
            return []
        flags = list(report.flags)
        # Whoever created the row notifies (the Rasa server, when it got there first); with the database
        # failing here, staff are notified all the same.
        if created is not False and report.severity in SEVERITIES:
            payload = red_flag_payload(escalation_id, tracker.sender_id, report.severity, flags)
            notify_staff("red_flag", escalation_id, tracker.sender_id, payload)
        events: list[EventType] = []
        if report.severity in SEVERITIES:
            # Emergency outranks urgent for the rest of the conversation.
            severity = "emergency" if tracker.get_slot("red_flag_severity") == "emergency" else report.severity
            events += [SlotSet("red_flag_severity", severity), SlotSet("red_flag_flags", flags)]
        # Answered: the next emergency answer (a yes to a screening question) must not name this
        # message's danger sign.
        if tracker.get_slot(SIGN_SLOT) is not None:
            events.append(SlotSet(SIGN_SLOT, None))
        return events
