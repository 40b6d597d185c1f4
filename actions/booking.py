"""The booking request: the form's own questions, its summary, and what happens
when it is complete, stopped, or interrupted by a red flag.

A request is never a booked appointment: it is stored for staff (table
booking_requests), sent to the clinic's booking system when one is configured,
and the patient is told honestly how the clinic confirms.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, time
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking_time import Preferred, parse_preferred
from actions.contact import display_contact
from actions.forms import (
    FAILURES_SLOT,
    MAX_FAILURES,
    PatientFormValidation,
    StartPatientForm,
    latest_intent,
    latest_text,
    question_answered,
    reset_form,
    yes_or_no,
)
from actions.request_store import BookingRequest, set_booking_status, store_booking
from actions.settings import settings
from assistant.clinic.profile import WEEKDAYS, ClinicProfile
from assistant.notify.staff import in_background, notify_staff
from assistant.notify.webhook import deliver

NEW = re.compile(r"\b(new|first (time|visit)|never (been|had|visited)|not been|haven't been|nevr)\b", re.I)
RETURNING = re.compile(
    r"\b(returning|existing|been (there |here |in )?before|came (in|before)|had (a |some )?(session|treatment)s? "
    r"(with|there|here|before)|i have been|i've been|again|last (year|time|month))\b",
    re.I,
)
STORED_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(/\d{2}:\d{2}){0,2}$")
SKIP = re.compile(r"^\s*(skip|no|nope|none|nothing|n/a|na|rather not|i'd rather not|pass|-)\s*[.!]*\s*$", re.I)
# Which answer a patient wants to change at the summary.
CHANGES = (
    ("patient_name", re.compile(r"\bname\b", re.I)),
    ("patient_contact", re.compile(r"\b(phone|number|mobile|email|e-mail|contact)\b", re.I)),
    ("booking_time", re.compile(r"\b(time|day|date|when|hour|morning|afternoon|evening)\b", re.I)),
    ("booking_patient_type", re.compile(r"\b(new|returning|before)\b", re.I)),
    ("booking_reason", re.compile(r"\b(reason|why|problem)\b", re.I)),
)


def clinic_now(profile: ClinicProfile) -> datetime:
    """Now in the clinic's time zone (the server's own when the profile does not say)."""
    zone = profile.zone()
    return datetime.now(zone) if zone else datetime.now().astimezone()


def opening_problem(preferred: Preferred, profile: ClinicProfile) -> str | None:
    """Why the clinic cannot see the patient then, from its opening hours; None if it can (or hours unknown)."""
    if not profile.hours_known:
        return None
    weekday = WEEKDAYS[preferred.day.weekday()]
    ranges = profile.opening_ranges(weekday)
    if not ranges:
        open_days = [d.capitalize() for d in WEEKDAYS if profile.opening_ranges(d)]
        days = ", ".join(open_days)
        return f"The clinic is closed on {weekday.capitalize()}s. It's open on {days}. Which day suits you?"
    if preferred.start is None or profile.open_during(weekday, preferred.start, preferred.end):
        return None
    hours = ", ".join(str(r) for r in ranges)
    return f"The clinic isn't open then. On {weekday.capitalize()}s it's open {hours}. What time would suit you?"


def past_problem(preferred: Preferred, now: datetime) -> str | None:
    today, clock = now.date(), now.time().replace(tzinfo=None)
    latest = preferred.end or preferred.start or time(23, 59)
    if preferred.day < today or (preferred.day == today and latest <= clock):
        return "That time has already passed. Could you give me a day and time from now on?"
    if preferred.day > date(today.year + 1, today.month, min(today.day, 28)):
        return "That's more than a year away. Could you check the date?"
    return None


class ValidateBookingForm(PatientFormValidation):
    def name(self) -> str:
        return "validate_booking_form"

    # -- preferred day and time -------------------------------------------------------

    async def extract_booking_time(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self.answer(tracker, "booking_time")
        if answer is not None:
            return {"booking_time": answer}
        # "can I come in next Tuesday afternoon?" starts the form: the time is used, not asked again.
        if tracker.get_slot("booking_time") is None and latest_intent(tracker)[0] in ("book_appointment", "inform"):
            text = latest_text(tracker)
            if parse_preferred(text, clinic_now(settings().profile)) is not None:
                return {"booking_time": text}
        return {}

    def validate_booking_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        profile = settings().profile
        now = clinic_now(profile)
        text = str(value or "")
        # When the form resumes, Rasa validates the stored value again: it is already read.
        stored = Preferred.from_value(text) if STORED_TIME.match(text) else None
        preferred = stored or parse_preferred(text, now, month_first=profile.country == "US")
        if preferred is None:
            return self.failed(
                tracker,
                dispatcher,
                "booking_time",
                'Sorry, I couldn\'t tell which day you mean. Could you say it like "Tuesday at 3pm" or '
                '"tomorrow morning"?',
            )
        problem = past_problem(preferred, now) or opening_problem(preferred, profile)
        if problem:
            return self.failed(tracker, dispatcher, "booking_time", problem)
        if stored is None:
            confirm = "" if profile.hours_known else " The front desk will check what's free then."
            dispatcher.utter_message(text=f"Got it: {preferred.describe()}.{confirm}")
        return {"booking_time": preferred.value()}

    # -- new or returning -------------------------------------------------------------

    async def extract_booking_patient_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = latest_text(tracker)
        kind = "new" if NEW.search(text) else "returning" if RETURNING.search(text) else None
        if self.answer(tracker, "booking_patient_type") is not None:
            return {"booking_patient_type": kind}
        if kind and self.may_prefill(tracker, "booking_patient_type"):
            return {"booking_patient_type": kind}
        return {}

    def validate_booking_patient_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value not in ("new", "returning"):
            return self.failed(
                tracker,
                dispatcher,
                "booking_patient_type",
                "Sorry, I didn't get that: is this your first visit to the clinic, or have you been before?",
            )
        return {"booking_patient_type": value}

    # -- reason (optional) ------------------------------------------------------------

    async def extract_booking_reason(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self.answer(tracker, "booking_reason")
        if answer is None:
            return {}
        return {"booking_reason": "" if SKIP.match(answer) else answer[:500]}

    # -- the screening question (a yes is answered by a rule: data/rules/booking.yml) ---

    async def extract_booking_screening(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.answer(tracker, "booking_screening") is None:
            return {}
        answer = yes_or_no(tracker)
        if answer is True:
            return {}  # not a slot value: the form rejects the turn and the escalation rule answers
        return {"booking_screening": answer}

    def validate_booking_screening(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            if self.requested(tracker, "booking_screening"):
                dispatcher.utter_message(
                    text="Please answer yes or no. If you're not sure, it's safest to answer yes and speak to a doctor."
                )
            return {"booking_screening": None}
        return {"booking_screening": value}

    # -- the summary --------------------------------------------------------------------

    async def extract_booking_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self.answer(tracker, "booking_confirmed")
        if answer is None:
            return {}
        changes = {slot: None for slot, words in CHANGES if words.search(answer)}
        if changes:
            return {**changes, "booking_confirmed": None}
        return {"booking_confirmed": yes_or_no(tracker)}

    def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # False: not right yet; action_ask_booking_confirmed then asks what to change.
        return {"booking_confirmed": True if value else None}


class ActionAskBookingConfirmed(Action):
    """The summary, read back before anything is sent."""

    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if question_answered(tracker) == "booking_confirmed" and yes_or_no(tracker) is False:
            dispatcher.utter_message(response="utter_ask_booking_change")
            return []
        profile = settings().profile
        preferred = tracker.get_slot("booking_time")
        reason = tracker.get_slot("booking_reason") or "not given"
        kind = {"new": "first visit", "returning": "returning patient"}.get(tracker.get_slot("booking_patient_type"))
        lines = [
            "Here's your request:",
            f"- Name: {tracker.get_slot('patient_name')}",
            f"- Contact: {display_contact(tracker.get_slot('patient_contact') or '', profile.country)}",
            f"- Preferred time: {Preferred.from_value(preferred).describe() if preferred else 'not given'}",
            f"- Visit: {kind or 'not given'}",
            f"- Reason: {reason}",
            "Shall I send it to the clinic?",
        ]
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[
                {"title": "Yes, send it", "payload": "/affirm"},
                {"title": "Change something", "payload": "/deny"},
            ],
        )
        return []


class ActionStartBooking(StartPatientForm):
    intro = "utter_booking_intro"
    resume = "utter_booking_resume"
    answers = ("patient_name", "patient_contact", "booking_time", "booking_patient_type", "booking_reason")

    def name(self) -> str:
        return "action_start_booking"


class ActionSubmitBooking(Action):
    """The form is complete (or ended early): store and send the request, or say why not."""

    def name(self) -> str:
        return "action_submit_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("contact_consent") is False:
            dispatcher.utter_message(response="utter_booking_no_consent")
            return reset_form()
        failures = tracker.get_slot(FAILURES_SLOT) or {}
        if any(n >= MAX_FAILURES for n in failures.values()):
            return [*reset_form(), FollowupAction("utter_offer_handoff")]  # after utter_form_too_many_tries
        if tracker.get_slot("booking_confirmed") is not True:
            dispatcher.utter_message(response="utter_human_handoff")
            return reset_form()
        profile = settings().profile
        preferred = Preferred.from_value(tracker.get_slot("booking_time"))
        contact = tracker.get_slot("patient_contact")
        request = BookingRequest(
            sender_id=tracker.sender_id,
            patient_name=tracker.get_slot("patient_name"),
            contact=contact,
            contact_kind="email" if "@" in contact else "phone",
            preferred=preferred.value(),
            preferred_text=preferred.describe(),
            patient_type=tracker.get_slot("booking_patient_type"),
            reason=tracker.get_slot("booking_reason") or "",
            red_flag=tracker.get_slot("red_flag_severity"),
        )
        booking_id = await asyncio.to_thread(store_booking, request)
        if booking_id is None:
            # Nothing was stored: say so, and how to reach the clinic instead.
            dispatcher.utter_message(response="utter_booking_not_stored")
            return reset_form()
        send_to_booking_system(booking_id, request, profile)
        notify_staff("booking", booking_id, tracker.sender_id, staff_payload(booking_id, request))
        dispatcher.utter_message(response="utter_booking_requested")
        return reset_form()


def booking_payload(booking_id: int, request: BookingRequest, profile: ClinicProfile) -> dict[str, Any]:
    return {
        "event": "booking_request",
        "booking_id": booking_id,
        "clinic": profile.name,
        "conversation_id": request.sender_id,
        "patient": {"name": request.patient_name, "contact": request.contact, "contact_kind": request.contact_kind},
        "preferred": request.preferred,
        "preferred_text": request.preferred_text,
        "time_zone": profile.timezone or None,
        "patient_type": request.patient_type,
        "reason": request.reason,
        "red_flag_reported": request.red_flag,
        "text": f"Booking request #{booking_id}: {request.preferred_text} ({request.patient_type} patient).",
    }


def staff_payload(booking_id: int, request: BookingRequest) -> dict[str, Any]:
    """For the staff bridge: enough to act on, no name or contact details."""
    flag = f" A {request.red_flag} red flag was reported in this conversation." if request.red_flag else ""
    return {
        "event": "booking_request",
        "booking_id": booking_id,
        "conversation_id": request.sender_id,
        "red_flag_reported": request.red_flag,
        "text": (
            f"New booking request #{booking_id} ({request.patient_type} patient) for {request.preferred_text}.{flag}"
        ),
    }


def send_to_booking_system(booking_id: int, request: BookingRequest, profile: ClinicProfile) -> asyncio.Task | None:
    """Deliver in the background; the status follows: sent, or failed (staff still see it as new work)."""
    webhook = settings().booking_webhook
    if webhook is None:
        return None

    async def send() -> None:
        delivery = await deliver(webhook, booking_payload(booking_id, request, profile), f"booking-{booking_id}")
        await asyncio.to_thread(set_booking_status, booking_id, "sent" if delivery.delivered else "failed")

    return in_background(send())
