"""Requests to move or cancel an appointment: who the patient is and what they
want, stored for staff (table change_requests). The change itself is made by
staff, and the patient is told to keep their appointment until staff confirm.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import clinic_now
from actions.booking_time import parse_preferred
from actions.forms import FAILURES_SLOT, MAX_FAILURES, PatientFormValidation, StartPatientForm, latest_text, reset_form
from actions.request_store import store_change_request
from actions.settings import settings
from assistant.notify.staff import notify_staff

BARE_ANSWER = re.compile(r"^\s*(yes|yeah|yep|no|nope|ok|okay|sure|fine|please)\W*$", re.I)


class ValidateRescheduleForm(PatientFormValidation):
    def name(self) -> str:
        return "validate_reschedule_form"

    async def extract_change_details(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self.answer(tracker, "change_details")
        if answer is not None:
            return {"change_details": answer}
        # "I can't make Thursday at 3 anymore" starts the form and already says which appointment.
        text = latest_text(tracker)
        if self.may_prefill(tracker, "change_details") and parse_preferred(text, clinic_now(settings().profile)):
            return {"change_details": text}
        return {}

    def validate_change_details(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        details = str(value or "").strip()
        if len(details) < 3 or BARE_ANSWER.match(details):
            message = "Which appointment is it (day and time), and would you like to cancel it or move it?"
            return self.failed(tracker, dispatcher, "change_details", message)
        return {"change_details": details[:500]}


class ActionStartReschedule(StartPatientForm):
    intro = resume = "utter_reschedule_intro"
    answers = ("patient_name", "patient_contact", "change_details")

    def name(self) -> str:
        return "action_start_reschedule"


class ActionSubmitReschedule(Action):
    def name(self) -> str:
        return "action_submit_reschedule"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset = reset_form()
        if tracker.get_slot("contact_consent") is False:
            dispatcher.utter_message(response="utter_booking_no_consent")
            return reset
        failures = tracker.get_slot(FAILURES_SLOT) or {}
        if any(n >= MAX_FAILURES for n in failures.values()):
            return [*reset, FollowupAction("utter_offer_handoff")]  # after utter_form_too_many_tries
        request_id = await asyncio.to_thread(
            store_change_request,
            tracker.sender_id,
            tracker.get_slot("patient_name"),
            tracker.get_slot("patient_contact"),
            tracker.get_slot("change_details"),
        )
        if request_id is None:
            dispatcher.utter_message(response="utter_booking_not_stored")
            return reset
        payload = {
            "event": "change_request",
            "change_request_id": request_id,
            "conversation_id": tracker.sender_id,
            "text": f"Request #{request_id} to move or cancel an appointment. Details are stored for staff review.",
        }
        notify_staff("change_request", request_id, tracker.sender_id, payload)
        dispatcher.utter_message(response="utter_change_requested")
        return reset
