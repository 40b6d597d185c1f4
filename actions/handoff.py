"""Hand-off to staff: record the request, notify staff, tell the patient when
staff are around, and pause the bot for this conversation (the Rasa server
still answers red flags while paused, and ends the pause after a timeout:
assistant/runtime/handoff.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import clinic_now
from actions.forms import reset_form
from actions.request_store import store_handoff
from actions.settings import settings
from assistant.clinic.profile import WEEKDAYS, ClinicProfile
from assistant.notify.staff import notify_staff


def staff_availability(profile: ClinicProfile, now: datetime) -> str:
    """When staff can reply, from the opening hours: now, or when the clinic next opens."""
    if not profile.hours_known:
        return "They'll reply here as soon as they can."
    today = WEEKDAYS[now.weekday()]
    clock = now.time().replace(tzinfo=None)
    if profile.open_during(today, clock):
        return "The clinic is open now, so someone should reply here soon."
    for ahead in range(8):
        day = now + timedelta(days=ahead)
        for opening in profile.opening_ranges(WEEKDAYS[day.weekday()]):
            if ahead or opening.start > clock:
                when = "today" if ahead == 0 else "tomorrow" if ahead == 1 else f"on {day:%A}"
                return (
                    f"The clinic is closed right now; staff will reply when it opens {when} at {opening.start:%H:%M}."
                )
    return "They'll reply here as soon as they can."


class ActionHandoffToStaff(Action):
    def name(self) -> str:
        return "action_handoff_to_staff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        profile = settings().profile
        channel = tracker.get_latest_input_channel()
        handoff_id = await asyncio.to_thread(store_handoff, tracker.sender_id, channel)
        payload = {
            "event": "handoff",
            "handoff_id": handoff_id,
            "conversation_id": tracker.sender_id,
            "channel": channel,
            "text": f"A patient asks for staff in conversation {tracker.sender_id} ({channel or 'unknown'} channel).",
        }
        notify_staff("handoff", handoff_id, tracker.sender_id, payload)
        dispatcher.utter_message(
            text=f"I've asked our staff to join this chat. {staff_availability(profile, clinic_now(profile))}"
        )
        dispatcher.utter_message(response="utter_handoff_waiting")
        # Any form in progress is left: staff take it from here. Paused, Rasa predicts nothing more, so
        # record the bot as listening: a red flag (or the first message after the pause) then starts
        # from the state every rule expects.
        return [*reset_form(), ConversationPaused(), ActionExecuted("action_listen")]
