"""What every patient form shares (the booking form now; a reschedule request next):
telling an answer from an interruption, the patient's name, contact and consent,
specific re-prompts, and offering staff after three failed tries at one question.

Slots use custom mappings: the `extract_<slot>` methods below decide what counts
as an answer. An interruption (a red flag, "stop", a question about a topic)
is not taken as an answer, so the form rejects the turn and the rules answer it
(data/rules/booking.yml); the form then asks its question again.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.contact import Contact, find_contact, read_contact
from actions.settings import settings
from actions.topics import SUGGESTION_LABELS
from assistant.triage.severity import RED_FLAG_INTENTS, UNREADABLE_INTENT

MAX_FAILURES = 3
FAILURES_SLOT = "form_failures"
# Every patient form's answers (domain.yml: booking_form, reschedule_form), forgotten together when a
# form ends, is left, or staff take over.
FORM_ANSWERS = (
    "patient_name",
    "patient_contact",
    "booking_time",
    "booking_patient_type",
    "booking_reason",
    "change_details",
    "contact_consent",
    "booking_screening",
    "booking_confirmed",
)
# Asked again every time a form starts or resumes: a stale "yes" must not send a request.
ASKED_EACH_TIME = ("contact_consent", "booking_screening", "booking_confirmed", FAILURES_SLOT)
# Always an interruption, whatever the form asked (a message that could not be read may be a red flag).
ALWAYS_INTERRUPT = RED_FLAG_INTENTS | {UNREADABLE_INTENT}
# An interruption when the classifier is fairly sure ("Bob Stone" is a name, not "stop").
INTERRUPT = frozenset({"stop", "human_handoff", "bot_challenge", "reschedule_cancel"})
# Topic questions interrupt only when phrased as a question: "sciatica down my left leg"
# is an answer to "what would you like help with?", "does acupuncture hurt?" is not.
TOPICS = frozenset(SUGGESTION_LABELS) - {"book_appointment", "reschedule_cancel", "human_handoff"}
CONFIDENT = 0.5
QUESTION = re.compile(
    r"\?\s*$|^\s*(what|how|why|when|where|who|which|is|are|can|could|do|does|did|should|will|would|may)\b", re.I
)
YES = re.compile(r"^\s*(y|yes|yeah|yep|yup|sure|ok|okay|fine|of course|please do|go ahead|correct|right)\b", re.I)
NO = re.compile(r"^\s*(n|no|nope|nah|not really|don't|do not|never)\b", re.I)
NAME_INTRO = re.compile(r"\b(?:my name is|my name's|name is|i am|i'm|im|this is|it's|its|call me)\s+(.+)$", re.I)
NOT_A_NAME = frozenset(
    {"yes", "yeah", "yep", "no", "nope", "ok", "okay", "sure", "hi", "hello", "hey", "thanks", "why"}
)
NAME_CHARACTERS = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*$")


def latest_intent(tracker: Tracker) -> tuple[str, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name") or "", float(intent.get("confidence") or 0.0)


def latest_text(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("text") or "").strip()


def question_answered(tracker: Tracker) -> str | None:
    """The slot the form had asked about when the latest message came in."""
    seen_latest_message = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_latest_message = True
        elif seen_latest_message and event.get("event") == "slot" and event.get("name") == REQUESTED_SLOT:
            return event.get("value")
    return None


def is_interruption(tracker: Tracker) -> bool:
    """The latest message is not an answer to the form's question."""
    name, confidence = latest_intent(tracker)
    if name in ALWAYS_INTERRUPT:
        return True
    if confidence < CONFIDENT:
        return False
    return name in INTERRUPT or (name in TOPICS and bool(QUESTION.search(latest_text(tracker))))


def yes_or_no(tracker: Tracker) -> bool | None:
    """True for yes, False for no, None when the message is neither."""
    name, confidence = latest_intent(tracker)
    text = latest_text(tracker)
    if (name == "affirm" and confidence >= CONFIDENT) or YES.match(text):
        return True
    if (name == "deny" and confidence >= CONFIDENT) or NO.match(text):
        return False
    return None


def clean_name(text: str) -> str | None:
    """A name as the patient gave it, without "my name is" and punctuation; None if it is not one."""
    found = NAME_INTRO.search(text)
    name = (found.group(1) if found else text).strip(" .,!;:\"'")
    name = re.sub(r"\s+", " ", name)
    if not name or len(name) > 80 or len(name.split()) > 6 or not NAME_CHARACTERS.match(name):
        return None
    if name.lower() in NOT_A_NAME:
        return None
    return name


class PatientFormValidation(FormValidationAction, ABC):
    """Validation shared by the patient forms. Subclasses name the form (`validate_<form>`)."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>; abstract, so the action server does not register this base class."""

    def requested(self, tracker: Tracker, slot: str) -> bool:
        return tracker.get_slot("requested_slot") == slot

    def may_prefill(self, tracker: Tracker, slot: str) -> bool:
        """A value for `slot` may be taken from a message that did not answer a question about it:
        the message that started the form ("I can't make Thursday at 3, my name is Ana"), or any
        later answer, unless the message was an interruption or the slot is filled already."""
        if tracker.get_slot(slot) is not None:
            return False
        return tracker.get_slot(REQUESTED_SLOT) is None or not is_interruption(tracker)

    def answer(self, tracker: Tracker, slot: str) -> str | None:
        """The latest message, if it answers the question about `slot`."""
        if not self.requested(tracker, slot) or is_interruption(tracker):
            return None
        return latest_text(tracker)

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType | None:
        # No consent to be contacted, or three failed tries at one question: the form ends here
        # (after this turn's answers were validated) and the submit action says what happens instead.
        failures = tracker.get_slot(FAILURES_SLOT) or {}
        if tracker.get_slot("contact_consent") is False or any(n >= MAX_FAILURES for n in failures.values()):
            return SlotSet(REQUESTED_SLOT, None)
        return await super().next_requested_slot(dispatcher, tracker, domain)

    def failed(self, tracker: Tracker, dispatcher: CollectingDispatcher, slot: str, message: str) -> dict[str, Any]:
        """Re-prompt with a specific message; after MAX_FAILURES tries, offer staff instead.

        A value that was not asked for (picked from another message, or reset when the form
        starts) is dropped quietly: the form asks for it in its turn."""
        if not self.requested(tracker, slot):
            return {slot: None}
        failures = dict(tracker.get_slot(FAILURES_SLOT) or {})
        failures[slot] = failures.get(slot, 0) + 1
        if failures[slot] >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_form_too_many_tries")
        else:
            dispatcher.utter_message(text=message)
        return {slot: None, FAILURES_SLOT: failures}

    # -- name -------------------------------------------------------------------------

    async def extract_patient_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self.answer(tracker, "patient_name")
        if answer is not None:
            return {"patient_name": answer}
        # "I'd like to book, my name is Ana Lopez": used without asking.
        if self.may_prefill(tracker, "patient_name"):
            found = re.search(r"\bmy name(?: is|'s)\s+([^\W\d_]+(?: [^\W\d_]+){0,3})", latest_text(tracker), re.I)
            if found:
                return {"patient_name": found.group(1)}
        return {}

    def validate_patient_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = clean_name(str(value or ""))
        if name is None:
            return self.failed(
                tracker, dispatcher, "patient_name", "Sorry, I didn't catch your name. What's your full name?"
            )
        return {"patient_name": name}

    # -- contact ----------------------------------------------------------------------

    async def extract_patient_contact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self.answer(tracker, "patient_contact")
        if answer is not None:
            return {"patient_contact": find_contact(answer) or answer}
        if self.may_prefill(tracker, "patient_contact"):
            found = find_contact(latest_text(tracker))
            if found:
                return {"patient_contact": found}
        return {}

    def validate_patient_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = read_contact(str(value or ""), settings().profile.country)
        if not isinstance(result, Contact):
            return self.failed(tracker, dispatcher, "patient_contact", result.message)
        return {"patient_contact": result.value}

    # -- consent ----------------------------------------------------------------------

    async def extract_contact_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self.answer(tracker, "contact_consent") is None:
            return {}
        return {"contact_consent": yes_or_no(tracker)}

    def validate_contact_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return self.failed(tracker, dispatcher, "contact_consent", "Please answer yes or no.")
        return {"contact_consent": bool(value)}


def reset_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in (*FORM_ANSWERS, FAILURES_SLOT, REQUESTED_SLOT)]


class StartPatientForm(Action, ABC):
    """Before a form starts or resumes: consent, screening and summary are asked afresh."""

    intro: str  # the response that introduces the form
    resume: str  # ... or says it carries on, when some of `answers` are already given
    answers: tuple[str, ...]

    @abstractmethod
    def name(self) -> str:
        """action_start_<form>; abstract, so the action server does not register this base class."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        resuming = any(tracker.get_slot(slot) is not None for slot in self.answers)
        dispatcher.utter_message(response=self.resume if resuming else self.intro)
        # requested_slot too: the message that (re)starts the form answers no earlier question.
        return [SlotSet(slot, None) for slot in (*ASKED_EACH_TIME, REQUESTED_SLOT)]


class ActionStopForm(Action):
    """Leaving a patient form: nothing is sent, and its answers are forgotten."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_form_stopped")
        return reset_form()
