from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from assistant.clinic.profile import ClinicProfile, ProfileError, load_profile, parse_profile

ROOT = Path(__file__).resolve().parent.parent


def test_the_clinic_profile_loads_with_its_known_facts() -> None:
    profile = load_profile(ROOT / "clinic.yml")
    assert profile.name == "Natural Care Chiropractic"
    assert profile.practitioner == "Dr. Mark Freund"


def test_opening_hours_are_parsed_sorted_and_listed_for_every_day() -> None:
    profile = parse_profile({"name": "C", "opening_hours": {"Monday": ["14:00-18:00", "09:00-12:30"], "friday": []}})
    assert [str(r) for r in profile.opening_hours["monday"]] == ["09:00-12:30", "14:00-18:00"]
    assert profile.opening_hours["monday"][0].start == time(9, 0)
    assert profile.hours_lines() == [
        "Monday: 09:00-12:30, 14:00-18:00",
        "Tuesday: closed",
        "Wednesday: closed",
        "Thursday: closed",
        "Friday: closed",
        "Saturday: closed",
        "Sunday: closed",
    ]


def test_unknown_hours_are_not_reported_as_closed() -> None:
    profile = parse_profile({"name": "C", "opening_hours": {}})
    assert not profile.hours_known
    assert profile.hours_lines() == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "'name' is required"),
        ({"name": "C", "opening_hours": {"funday": ["09:00-10:00"]}}, "unknown day 'funday'"),
        ({"name": "C", "opening_hours": {"monday": ["9am-5pm"]}}, "write it as 'HH:MM-HH:MM'"),
        ({"name": "C", "opening_hours": {"monday": ["17:00-09:00"]}}, "ends before it starts"),
        ({"name": "C", "opening_hours": ["monday"]}, "must map weekdays"),
        ({"name": "C", "first_visit_minutes": 0}, "'first_visit_minutes' must be whole minutes"),
        ({"name": "C", "follow_up_minutes": "an hour"}, "'follow_up_minutes' must be whole minutes"),
        ({"name": "C", "booking_url": "www.example.com"}, "'booking_url' must be a full http(s) URL"),
        ({"name": "C", "phone": ["555"]}, "'phone' must be text"),
        ({"name": "C", "prices": "cheap"}, "'prices' must map"),
        ("just text", "must be a YAML mapping"),
    ],
)
def test_bad_values_get_a_clear_error_naming_the_field(raw: object, message: str) -> None:
    with pytest.raises(ProfileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_profile(raw)


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="not found"):
        load_profile(tmp_path / "nope.yml")
    broken = tmp_path / "clinic.yml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(broken)


def test_contact_text_uses_what_is_known() -> None:
    assert ClinicProfile(name="C").contact_text() == ""
    assert ClinicProfile(name="C", phone="555 0100").contact_text() == "call 555 0100"
    assert ClinicProfile(name="C", phone="555 0100", email="a@b.c").contact_text() == "call 555 0100 or email a@b.c"


def test_the_crisis_line_is_the_profiles_or_the_countrys() -> None:
    assert parse_profile({"name": "x", "country": "us"}).crisis_line_text() == (
        "988 Suicide & Crisis Lifeline, call or text 988"
    )
    assert parse_profile({"name": "x", "country": "US", "crisis_line": "Local line 555"}).crisis_line_text() == (
        "Local line 555"
    )
    assert parse_profile({"name": "x", "country": "NZ"}).crisis_line_text() == ""
