"""The clinic answers rendered from the profile: facts when known, staff when not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.clinic.profile import ProfileError, parse_profile
from assistant.clinic.render import ROOT, render
from assistant.clinic.render import main as render_main

EMPTY = {"name": "Natural Care Chiropractic", "practitioner": "Dr. Mark Freund", "emergency_number": "911"}
FULL = {
    **EMPTY,
    "address": "12 Main Street, Springfield",
    "phone": "(555) 010-0100",
    "email": "desk@example.com",
    "booking_url": "https://book.example.com/natural-care",
    "opening_hours": {"monday": ["09:00-17:00"], "thursday": ["09:00-12:00", "13:00-19:00"]},
    "first_visit_minutes": 60,
    "follow_up_minutes": 40,
    "prices": {"first_visit": "$95", "follow_up": "$70"},
    "insurance_policy": "We give you a receipt to claim from your insurer.",
    "payment_methods": "cash and cards",
    "booking_confirmation": "The front desk will confirm by phone within one working day.",
}


def texts(profile: dict) -> dict[str, str]:
    responses = yaml.safe_load(render(parse_profile(profile)))["responses"]
    # The words every channel gets (the widget's variants say the same with a severity: tested below).
    return {name: " ".join(v["text"] for v in variants if "channel" not in v) for name, variants in responses.items()}


def test_the_widget_gets_the_red_flag_texts_with_their_severity() -> None:
    responses = yaml.safe_load(render(parse_profile(EMPTY)))["responses"]
    for name, severity in (
        ("utter_red_flag_emergency", "emergency"),
        ("utter_red_flag_urgent", "urgent"),
        ("utter_red_flag_crisis", "emergency"),
    ):
        variants = responses[name]
        # Each answer for every channel is followed by the widget's copy, under the same condition.
        for generic, widget in zip(variants[::2], variants[1::2], strict=True):
            assert "channel" not in generic and widget["channel"] == "socketio"
            assert widget.get("condition") == generic.get("condition")
            assert widget["custom"]["data"] == {"text": generic["text"], "severity": severity}


def emergency_answers(profile: dict) -> dict[str | None, str]:
    """utter_red_flag_emergency's words by the emergency_sign they answer (None: sciatica's red flags)."""
    variants = yaml.safe_load(render(parse_profile(profile)))["responses"]["utter_red_flag_emergency"]
    return {(v.get("condition") or [{}])[0].get("value"): v["text"] for v in variants if "channel" not in v}


def test_every_emergency_beyond_the_back_has_its_own_answer() -> None:
    lexicon = yaml.safe_load((ROOT / "assistant" / "triage" / "lexicon.yml").read_text())["flags"]
    medical = {name for name, spec in lexicon.items() if spec.get("kind") == "medical"}
    answers = emergency_answers(EMPTY)
    assert set(answers) == medical | {None}
    for sign in medical:
        # What to do comes first, and no booking is offered instead.
        assert answers[sign].startswith("Please call 911"), sign
        assert "book" not in answers[sign].lower(), sign
    assert "stroke" in answers["stroke"] and "allergic" in answers["anaphylaxis"]
    assert "after needling" in answers["pneumothorax"]
    assert emergency_answers({**EMPTY, "emergency_number": ""})["chest_pain"].startswith(
        "Please call your local emergency number now."
    )


def test_the_crisis_answer_gives_the_crisis_line_and_the_emergency_number() -> None:
    us = texts({**EMPTY, "country": "US"})
    crisis = us["utter_red_flag_crisis"]
    assert "988 Suicide & Crisis Lifeline, call or text 988" in crisis and "call 911 now" in crisis
    assert "sciatica" not in crisis and "book" not in crisis.lower()
    assert "988" in us["utter_crisis_staff_declined"] and "988" in us["utter_crisis_staff_unavailable"]
    own = texts({**EMPTY, "country": "GB", "emergency_number": "999", "crisis_line": "Samaritans, call 116 123"})
    assert "Samaritans, call 116 123" in own["utter_red_flag_crisis"] and "call 999 now" in own["utter_red_flag_crisis"]
    unknown = texts({**EMPTY, "country": "FR", "emergency_number": "112"})["utter_red_flag_crisis"]
    assert "988" not in unknown and "local crisis line" in unknown


def test_a_crisis_with_a_physical_emergency_names_the_danger_sign_first() -> None:
    """The crisis answer has a variation for each emergency_sign: the sign's words, then the crisis words."""
    responses = yaml.safe_load(render(parse_profile({**EMPTY, "country": "US"})))["responses"]
    crisis = {
        (v.get("condition") or [{}])[0].get("value"): v["text"]
        for v in responses["utter_red_flag_crisis"]
        if "channel" not in v
    }
    signs = emergency_answers({**EMPTY, "country": "US"})
    assert set(crisis) == set(signs) | {"back"}
    for sign, text in crisis.items():
        assert "I'm glad you told me" in text and "988 Suicide & Crisis Lifeline" in text, sign
        if sign not in (None, "back"):
            assert text.startswith(signs[sign]), sign
    assert crisis["chest_pain"].startswith("Please call 911 now. Chest pain")
    assert crisis["back"].startswith("Please call 911 or go to the nearest emergency department now")
    assert "988" in crisis["chest_pain"]


def test_low_mood_gets_kind_words_and_staff_not_an_alarm() -> None:
    responses = yaml.safe_load(render(parse_profile({**EMPTY, "country": "US"})))["responses"]
    [low] = responses["utter_low_mood"]
    assert "someone from our team" in low["text"] and "911" not in low["text"]
    assert [b["payload"] for b in low["buttons"]] == ["/affirm", "/deny"]
    assert "988" in responses["utter_low_mood_declined"][0]["text"]


def test_unknown_facts_are_never_guessed_and_staff_is_offered() -> None:
    answers = texts(EMPTY)
    assert "don't have current prices" in answers["utter_cost_insurance"]
    assert "staff will confirm" in answers["utter_cost_insurance"]
    assert "$" not in answers["utter_cost_insurance"]
    assert "staff will confirm" in answers["utter_clinic_info"]
    assert "staff will confirm" in answers["utter_session_duration"]
    assert "minutes" not in answers["utter_session_duration"]
    assert "contact you to confirm a time" in answers["utter_booking_requested"]
    assert "not a booked appointment" in answers["utter_booking_requested"]


def test_known_facts_are_stated_from_the_profile() -> None:
    answers = texts(FULL)
    assert "12 Main Street, Springfield" in answers["utter_clinic_info"]
    assert "Monday: 09:00-17:00" in answers["utter_clinic_info"]
    assert "Thursday: 09:00-12:00, 13:00-19:00" in answers["utter_clinic_info"]
    assert "$95" in answers["utter_cost_insurance"] and "$70" in answers["utter_cost_insurance"]
    assert "receipt to claim" in answers["utter_cost_insurance"]
    assert "about 60 minutes" in answers["utter_session_duration"]
    assert "(555) 010-0100" in answers["utter_human_handoff"]
    assert "within one working day" in answers["utter_booking_requested"]


def test_chiropractic_care_offers_staff_for_what_the_profile_does_not_say() -> None:
    unknown = texts(EMPTY)["utter_chiropractic_care"]
    assert "offers chiropractic care" in unknown
    assert "staff will confirm who gives it and whether you can have both on the same day" in unknown
    assert "Freund" not in unknown  # the profile's practitioner is not assumed to be the chiropractor
    chiropractor = {**FULL, "chiropractor": "Dr. Jane Roe, DC"}
    named = texts(chiropractor)["utter_chiropractic_care"]
    assert "given by Dr. Jane Roe, DC." in named
    assert "staff will confirm whether you can have both on the same day: you can call (555) 010-0100" in named
    known = texts({**chiropractor, "same_day_care": "Both can be booked in one visit."})["utter_chiropractic_care"]
    assert known.endswith("given by Dr. Jane Roe, DC. Both can be booked in one visit.")
    assert "staff will confirm" not in known


def test_aftercare_says_how_to_reach_the_clinic_and_when_it_is_an_emergency() -> None:
    unknown = texts(EMPTY)["utter_session_aftercare_detail"]
    assert "please contact the Natural Care Chiropractic front desk" in unknown
    assert "call 911" in unknown
    known = texts(FULL)["utter_session_aftercare_detail"]
    assert "call (555) 010-0100 or email desk@example.com during opening hours" in known


@pytest.mark.parametrize("profile", [EMPTY, FULL, {**FULL, "chiropractor": "Dr. Jane Roe, DC"}])
def test_the_new_topics_fit_a_phone_screen_with_any_profile(profile: dict) -> None:
    answers = texts(profile)
    for name in ("utter_session_aftercare_detail", "utter_chiropractic_care"):
        assert len(answers[name].split()) <= 70, name


def test_booking_link_becomes_a_button_only_when_configured() -> None:
    with_link = yaml.safe_load(render(parse_profile(FULL)))["responses"]["utter_booking_requested"][0]
    assert with_link["buttons"] == [{"title": "Book online", "payload": FULL["booking_url"]}]
    without = yaml.safe_load(render(parse_profile(EMPTY)))["responses"]["utter_booking_requested"][0]
    assert "buttons" not in without


def test_the_notice_names_the_emergency_number_or_a_local_one() -> None:
    assert "call 911" in texts(EMPTY)["utter_session_notice"]
    assert "not a doctor" in texts(EMPTY)["utter_session_notice"]
    no_number = texts({**EMPTY, "emergency_number": ""})["utter_session_notice"]
    assert "local emergency number" in no_number


def test_quotes_in_profile_values_stay_valid_yaml() -> None:
    answers = texts({**FULL, "address": 'Suite "B", 12 Main St: rear entrance'})
    assert 'Suite "B", 12 Main St: rear entrance' in answers["utter_clinic_info"]


def test_braces_in_a_profile_value_are_refused() -> None:
    with pytest.raises(ProfileError, match="curly braces"):
        render(parse_profile({**EMPTY, "address": "{slot}"}))


def test_cli_reports_a_bad_profile_without_writing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "clinic.yml"
    bad.write_text("name: C\nopening_hours: {monday: ['late']}\n")
    out = tmp_path / "clinic_responses.yml"
    assert render_main(["--profile", str(bad), "--out", str(out)]) == 2
    assert "opening_hours.monday" in capsys.readouterr().err
    assert not out.exists()
