"""The booking form's validators and actions, on real trackers with exact events."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import db, settings
from actions.booking import (
    ActionAskBookingConfirmed,
    ActionStartBooking,
    ActionSubmitBooking,
    ValidateBookingForm,
    opening_problem,
    past_problem,
)
from actions.booking_time import Preferred, parse_preferred
from actions.contact import Contact, ContactError, read_contact
from actions.reschedule import ActionSubmitReschedule, ValidateRescheduleForm
from assistant.clinic.profile import parse_profile

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 25, 14, 30, tzinfo=NEW_YORK)  # a Wednesday afternoon
HOURS = {
    "name": "Test Clinic",
    "country": "US",
    "timezone": "America/New_York",
    "phone": "(555) 010-0100",
    "opening_hours": {
        "monday": ["09:00-12:30", "14:00-18:00"],
        "tuesday": ["09:00-17:00"],
        "thursday": ["09:00-17:00"],
        "friday": ["09:00-17:00"],
    },
}


# -- preferred times, as patients write them ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("next tuesday at 3pm", "2026-12-01/15:00"),
        ("tomorrow morning", "2026-11-26/08:00/12:00"),
        ("friday after 5", "2026-11-27/17:00/21:00"),
        ("tuesday at 3pm", "2026-12-01/15:00"),
        ("tmrw", "2026-11-26"),
        ("5pm", "2026-11-25/17:00"),
        ("9am", "2026-11-26/09:00"),  # already past today: tomorrow
        ("can I come in next Tuesday afternoon?", "2026-12-01/12:00/17:00"),
        ("next wednesday", "2026-12-02"),
        ("wednesday", "2026-11-25"),
        ("around 10:30 on thursday", "2026-11-26/10:30"),
        ("in two weeks", "2026-12-09"),
        ("Dec 3rd at 4:15pm", "2026-12-03/16:15"),
        ("25th december 10:30", "2026-12-25/10:30"),
        ("12/3 at 2", "2026-12-03/14:00"),
        ("before 10 tomorrow", "2026-11-26/08:00/10:00"),
        ("noon friday", "2026-11-27/12:00"),
    ],
)
def test_the_phrases_patients_use_are_read(text: str, expected: str) -> None:
    parsed = parse_preferred(text, NOW)
    assert parsed is not None and parsed.value() == expected


@pytest.mark.parametrize("text", ["hello", "I am 45 years old", "3 weeks", "I may come", "yesterday-ish maybe"])
def test_no_day_is_invented(text: str) -> None:
    assert parse_preferred(text, NOW) is None


def test_a_time_is_read_back_in_words() -> None:
    assert Preferred.from_value("2026-12-01/15:00").describe() == "Tuesday 1 December, 3:00 pm"
    assert Preferred.from_value("2026-11-26/08:00/12:00").describe() == (
        "Thursday 26 November, between 8:00 am and 12 noon"
    )


def test_opening_hours_and_the_past_are_checked() -> None:
    clinic = parse_profile(HOURS)
    assert "closed on Wednesdays" in opening_problem(Preferred.from_value("2026-12-02/10:00"), clinic)
    assert "Monday, Tuesday, Thursday, Friday" in opening_problem(Preferred.from_value("2026-12-02"), clinic)
    assert "isn't open then" in opening_problem(Preferred.from_value("2026-11-30/13:00"), clinic)  # lunch break
    assert opening_problem(Preferred.from_value("2026-11-30/14:00"), clinic) is None
    assert opening_problem(Preferred.from_value("2026-11-30/12:00/17:00"), clinic) is None  # the window overlaps
    assert "isn't open then" in opening_problem(Preferred.from_value("2026-11-27/17:00/21:00"), clinic)
    assert opening_problem(Preferred.from_value("2026-12-02/10:00"), parse_profile({"name": "x"})) is None
    assert "already passed" in past_problem(Preferred.from_value("2026-11-25/09:00"), NOW)
    assert "already passed" in past_problem(Preferred.from_value("2026-11-20"), NOW)
    assert past_problem(Preferred.from_value("2026-11-25/16:00"), NOW) is None
    assert "more than a year" in past_problem(Preferred.from_value("2028-01-10"), NOW)


# -- contact details ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("(212) 555-0182", "+12125550182"),
        ("212 555 0199", "+12125550199"),
        ("+1 212 555 0199", "+12125550199"),
        ("+44 7911 123456", "+447911123456"),
        ("ana.lopez@Example.COM", "ana.lopez@example.com"),
        ("a.b+sciatica@mail.co.uk", "a.b+sciatica@mail.co.uk"),
    ],
)
def test_good_contacts_are_normalised(text: str, value: str) -> None:
    result = read_contact(text, "US")
    assert isinstance(result, Contact) and result.value == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("555 0100", "too short"),
        ("12345", "too short"),
        ("2125550199123", "too long"),
        ("212 000 0000", "start it with + and the country code"),
        ("bob@", "doesn't look complete"),
        ("kim@example", "doesn't look complete"),
        ("call me maybe", "phone number or an email"),
    ],
)
def test_bad_contacts_get_a_specific_reprompt(text: str, message: str) -> None:
    result = read_contact(text, "US")
    assert isinstance(result, ContactError) and message in result.message


# -- the form on real trackers ----------------------------------------------------------------


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = tmp_path / "clinic.yml"
    profile.write_text(yaml.safe_dump(HOURS))
    monkeypatch.setenv("CLINIC_PROFILE", str(profile))
    # The clinic's clock at NOW: "monday at 2pm" is in the past on a Monday evening, and a test
    # must not pass or fail by the day it runs on.
    monkeypatch.setattr("actions.booking.clinic_now", lambda profile: NOW)
    monkeypatch.setattr("actions.reschedule.clinic_now", lambda profile: NOW)
    settings.settings.cache_clear()
    yield
    settings.settings.cache_clear()


def form_tracker(
    text: str, intent: str, requested: str | None, slots: dict[str, Any] | None = None, confidence: float = 0.95
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    events = [
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "user", "text": text, "parse_data": latest},
    ]
    return Tracker(
        "patient-3",
        {**(slots or {}), "requested_slot": requested},
        latest,
        events,
        False,
        None,
        {"name": "booking_form"},
        "action_listen",
    )


async def validate(tracker: Tracker, domain: dict[str, Any]) -> tuple[list[dict], list[str]]:
    dispatcher = CollectingDispatcher()
    events = await ValidateBookingForm().run(dispatcher, tracker, domain)
    return events, [m.get("text") or m.get("response") for m in dispatcher.messages]


async def test_a_good_number_is_stored_normalised(clinic: None, domain: dict[str, Any]) -> None:
    events, said = await validate(form_tracker("(212) 555-0182", "inform", "patient_contact"), domain)
    assert events == [SlotSet("patient_contact", "+12125550182")]
    assert said == []


async def test_a_short_number_is_reprompted_and_counted(clinic: None, domain: dict[str, Any]) -> None:
    events, said = await validate(form_tracker("555", "inform", "patient_contact"), domain)
    assert events == [SlotSet("patient_contact", None), SlotSet("form_failures", {"patient_contact": 1})]
    assert said == ["That number looks too short - could you check it? Include the area code."]


async def test_three_bad_numbers_offer_staff_and_end_the_form(clinic: None, domain: dict[str, Any]) -> None:
    tracker = form_tracker("12", "inform", "patient_contact", {"form_failures": {"patient_contact": 2}})
    events, said = await validate(tracker, domain)
    assert events == [
        SlotSet("patient_contact", None),
        SlotSet("form_failures", {"patient_contact": 3}),
        SlotSet("requested_slot", None),
    ]
    assert said == ["utter_form_too_many_tries"]


async def test_the_time_is_read_back_and_opening_hours_apply(clinic: None, domain: dict[str, Any]) -> None:
    tracker = form_tracker("monday at 2pm", "inform", "booking_time")
    events, said = await validate(tracker, domain)
    [event] = events
    assert event["name"] == "booking_time" and event["value"].endswith("/14:00")
    assert said[0].startswith("Got it: Monday") and "3:00" not in said[0]
    events, said = await validate(form_tracker("sunday at 2pm", "inform", "booking_time"), domain)
    assert events[0] == SlotSet("booking_time", None)
    assert said == [
        "The clinic is closed on Sundays. It's open on Monday, Tuesday, Thursday, Friday. Which day suits you?"
    ]


async def test_values_in_the_first_message_are_used(clinic: None, domain: dict[str, Any]) -> None:
    text = "can I book for next tuesday at 10am, my name is Dan Ray, my number is (212) 555-0147"
    events, _ = await validate(form_tracker(text, "book_appointment", None), domain)
    values = {e["name"]: e["value"] for e in events}
    assert values["patient_name"] == "Dan Ray"
    assert values["patient_contact"] == "+12125550147"
    assert values["booking_time"].endswith("/10:00")


async def test_a_question_mid_form_is_not_taken_as_an_answer(clinic: None, domain: dict[str, Any]) -> None:
    # No events: the form rejects the turn and the FAQ rule answers it.
    events, said = await validate(form_tracker("does acupuncture hurt?", "acupuncture_pain", "booking_reason"), domain)
    assert (events, said) == ([], [])
    # Symptom talk is the answer to "what would you like help with?".
    events, _ = await validate(form_tracker("sciatica down my left leg", "sciatica_symptoms", "booking_reason"), domain)
    assert events == [SlotSet("booking_reason", "sciatica down my left leg")]


async def test_a_red_flag_mid_form_is_never_taken_as_an_answer(clinic: None, domain: dict[str, Any]) -> None:
    tracker = form_tracker("I wet myself and didn't notice", "red_flag_emergency", "patient_name")
    assert await validate(tracker, domain) == ([], [])


async def test_no_consent_ends_the_form(clinic: None, domain: dict[str, Any]) -> None:
    events, _ = await validate(form_tracker("no", "deny", "contact_consent"), domain)
    assert events == [SlotSet("contact_consent", False), SlotSet("requested_slot", None)]


async def test_screening_yes_is_left_to_the_escalation_rule_and_no_carries_on(
    clinic: None, domain: dict[str, Any]
) -> None:
    assert await validate(form_tracker("yes", "affirm", "booking_screening"), domain) == ([], [])
    events, _ = await validate(form_tracker("no", "deny", "booking_screening"), domain)
    assert events == [SlotSet("booking_screening", False)]


async def test_a_change_at_the_summary_asks_that_question_again(clinic: None, domain: dict[str, Any]) -> None:
    events, _ = await validate(form_tracker("change the time", "inform", "booking_confirmed"), domain)
    assert events == [SlotSet("booking_time", None), SlotSet("booking_confirmed", None)]
    dispatcher = CollectingDispatcher()
    await ActionAskBookingConfirmed().run(dispatcher, form_tracker("no", "deny", "booking_confirmed"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_booking_change"]


async def test_start_resets_the_answers_that_must_be_given_afresh(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionStartBooking().run(dispatcher, form_tracker("yes", "affirm", "booking_reason"), domain)
    assert events == [
        SlotSet(slot, None)
        for slot in ("contact_consent", "booking_screening", "booking_confirmed", "form_failures", "requested_slot")
    ]
    assert [m["response"] for m in dispatcher.messages] == ["utter_booking_intro"]


COMPLETE = {
    "patient_name": "Maria Lopez",
    "patient_contact": "+12125550182",
    "booking_time": "2026-12-01/15:00",
    "booking_patient_type": "new",
    "booking_reason": "sciatica",
    "contact_consent": True,
    "booking_screening": False,
    "booking_confirmed": True,
    "red_flag_severity": "urgent",
}


async def test_a_complete_request_is_stored_with_the_red_flag(
    clinic: None, database: Path, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitBooking().run(dispatcher, form_tracker("yes", "affirm", None, COMPLETE), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_booking_requested"]
    assert SlotSet("patient_name", None) in events and SlotSet("booking_confirmed", None) in events
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT sender_id, patient_name, contact, contact_kind, preferred, preferred_text, patient_type,"
            " reason, red_flag, status FROM booking_requests"
        ).fetchall()
    assert rows == [
        (
            "patient-3",
            "Maria Lopez",
            "+12125550182",
            "phone",
            "2026-12-01/15:00",
            "Tuesday 1 December, 3:00 pm",
            "new",
            "sciatica",
            "urgent",
            "new",
        )
    ]


async def test_without_consent_nothing_is_stored(clinic: None, database: Path, domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = form_tracker("no", "deny", None, {**COMPLETE, "contact_consent": False})
    await ActionSubmitBooking().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_booking_no_consent"]
    db.engine()  # the tables, so that "no rows" is a real answer
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM booking_requests").fetchone() == (0,)


def test_payloads_keep_personal_details_out_of_the_staff_notification() -> None:
    from actions.booking import BookingRequest, booking_payload, staff_payload

    request = BookingRequest("p", "Maria Lopez", "+12125550182", "phone", "2026-12-01/15:00", "Tue", "new", "x", None)
    assert "Maria" not in json.dumps(staff_payload(7, request))
    assert booking_payload(7, request, parse_profile(HOURS))["patient"]["name"] == "Maria Lopez"


# -- requests to move or cancel an appointment ---------------------------------------------------


async def validate_change(tracker: Tracker, domain: dict[str, Any]) -> tuple[list[dict], list[str]]:
    dispatcher = CollectingDispatcher()
    events = await ValidateRescheduleForm().run(dispatcher, tracker, domain)
    return events, [m.get("text") or m.get("response") for m in dispatcher.messages]


async def test_the_appointment_named_in_the_first_message_is_used(clinic: None, domain: dict[str, Any]) -> None:
    text = "I can't make my appointment on Thursday at 3pm anymore, can we move it?"
    events, _ = await validate_change(form_tracker(text, "reschedule_cancel", None), domain)
    assert events == [SlotSet("change_details", text)]


async def test_a_bare_yes_does_not_say_which_appointment(clinic: None, domain: dict[str, Any]) -> None:
    events, said = await validate_change(form_tracker("yes", "affirm", "change_details"), domain)
    assert events == [SlotSet("change_details", None), SlotSet("form_failures", {"change_details": 1})]
    assert said == ["Which appointment is it (day and time), and would you like to cancel it or move it?"]


async def test_a_change_request_is_stored_for_staff(clinic: None, database: Path, domain: dict[str, Any]) -> None:
    slots = {
        "patient_name": "Lucy Hart",
        "patient_contact": "lucy@example.com",
        "change_details": "Thursday 3pm, please move it to Friday",
        "contact_consent": True,
    }
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitReschedule().run(dispatcher, form_tracker("yes", "affirm", None, slots), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_change_requested"]
    assert SlotSet("change_details", None) in events
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT sender_id, patient_name, contact, details, status FROM change_requests")
        assert rows.fetchall() == [
            ("patient-3", "Lucy Hart", "lucy@example.com", "Thursday 3pm, please move it to Friday", "new")
        ]


@pytest.mark.parametrize(
    ("slot", "text", "intent", "expected"),
    [
        ("patient_name", "my name is Ana Lopez", "inform", "Ana Lopez"),
        ("patient_name", "Liam O'Connor", "inform", "Liam O'Connor"),
        ("patient_name", "José Núñez", "inform", "José Núñez"),
        ("patient_name", "12345", "inform", None),
        ("patient_name", "Ana", "inform", "Ana"),  # one name is enough; the summary lets them fix it
        ("patient_name", "ok", "affirm", None),
        ("booking_patient_type", "I've been before", "inform", "returning"),
        ("booking_patient_type", "first time", "inform", "new"),
        ("booking_patient_type", "maybe", "inform", None),
        ("booking_reason", "skip", "inform", ""),
        ("booking_reason", "pain down my left leg", "sciatica_symptoms", "pain down my left leg"),
        ("contact_consent", "sure", "affirm", True),
        ("contact_consent", "hmm", "out_of_scope", None),
        ("booking_time", "tmrw 10am", "inform", "2026-11-26/10:00"),
    ],
)
async def test_every_question_takes_good_answers_and_refuses_bad_ones(
    clinic: None,
    domain: dict[str, Any],
    slot: str,
    text: str,
    intent: str,
    expected: Any,
) -> None:
    events, _ = await validate(form_tracker(text, intent, slot), domain)
    assert events[0] == SlotSet(slot, expected)


async def test_five_pm_is_outside_hours_that_end_at_five(clinic: None, domain: dict[str, Any]) -> None:
    events, said = await validate(form_tracker("tuesday at 5pm", "inform", "booking_time"), domain)
    assert events[0] == SlotSet("booking_time", None)
    assert said == ["The clinic isn't open then. On Tuesdays it's open 09:00-17:00. What time would suit you?"]
