"""The clinic profile (`clinic.yml`): loading, validation and plain-text views.

Pure Python, no Rasa imports: the response renderer (train time) and the
action server (run time) both read the profile through this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from assistant.settings import settings

# The crisis line patients are given when the profile names none, by country.
DEFAULT_CRISIS_LINES = {"US": "988 Suicide & Crisis Lifeline, call or text 988"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RANGE = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*$")


class ProfileError(ValueError):
    """The profile file is missing or has a value that cannot be used."""


@dataclass(frozen=True)
class OpeningRange:
    start: time
    end: time

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


@dataclass(frozen=True)
class ClinicProfile:
    name: str
    practitioner: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    booking_url: str = ""
    country: str = ""
    timezone: str = ""
    emergency_number: str = ""
    crisis_line: str = ""
    opening_hours: dict[str, tuple[OpeningRange, ...]] = field(default_factory=dict)
    first_visit_minutes: int | None = None
    follow_up_minutes: int | None = None
    prices: dict[str, str] = field(default_factory=dict)
    insurance_policy: str = ""
    payment_methods: str = ""
    booking_confirmation: str = ""
    chiropractor: str = ""
    same_day_care: str = ""

    @property
    def hours_known(self) -> bool:
        return bool(self.opening_hours)

    def hours_lines(self) -> list[str]:
        """One line per weekday, e.g. "Monday: 09:00-12:30, 14:00-18:00"."""
        if not self.hours_known:
            return []
        lines = []
        for day in WEEKDAYS:
            ranges = self.opening_hours.get(day, ())
            text = ", ".join(str(r) for r in ranges) if ranges else "closed"
            lines.append(f"{day.capitalize()}: {text}")
        return lines

    def zone(self) -> ZoneInfo | None:
        """The clinic's time zone; None when the profile does not say."""
        return ZoneInfo(self.timezone) if self.timezone else None

    def opening_ranges(self, day: str) -> tuple[OpeningRange, ...]:
        """The ranges the clinic is open on a weekday ("monday"); () when closed or hours unknown."""
        return self.opening_hours.get(day, ())

    def open_during(self, day: str, start: time, end: time | None = None) -> bool:
        """Open at `start` on a weekday ("monday"), or for part of the window [start, end) when `end` is given."""
        return any(
            (r.start <= start < r.end) if end is None else (start < r.end and r.start < end)
            for r in self.opening_ranges(day)
        )

    def hours_text(self) -> str:
        return "; ".join(self.hours_lines())

    def crisis_line_text(self) -> str:
        """The crisis line as patients should read it: the profile's, else the country's; "" when neither."""
        return self.crisis_line or DEFAULT_CRISIS_LINES.get(self.country, "")

    def has_contact(self) -> bool:
        return bool(self.phone or self.email)

    def contact_text(self) -> str:
        """How a patient reaches the front desk, from what the profile knows."""
        parts = []
        if self.phone:
            parts.append(f"call {self.phone}")
        if self.email:
            parts.append(f"email {self.email}")
        return " or ".join(parts)


def _clock(t: time) -> str:
    return t.strftime("%H:%M")


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ProfileError(f"clinic profile: '{key}' must be text, got {type(value).__name__}")
    return value.strip()


def _minutes(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 5 <= value <= 480:
        raise ProfileError(f"clinic profile: '{key}' must be whole minutes (5-480) or null, got {value!r}")
    return value


def _url(raw: Mapping[str, Any], key: str) -> str:
    value = _text(raw, key)
    if value and not value.startswith(("https://", "http://")):
        raise ProfileError(f"clinic profile: '{key}' must be a full http(s) URL, got {value!r}")
    return value


def _opening_hours(raw: Any) -> dict[str, tuple[OpeningRange, ...]]:
    if raw in (None, {}):
        return {}
    if not isinstance(raw, Mapping):
        raise ProfileError("clinic profile: 'opening_hours' must map weekdays to lists of 'HH:MM-HH:MM'")
    hours: dict[str, tuple[OpeningRange, ...]] = {}
    for day, ranges in raw.items():
        key = str(day).strip().lower()
        if key not in WEEKDAYS:
            raise ProfileError(f"clinic profile: unknown day {day!r} in 'opening_hours' (use monday ... sunday)")
        if ranges in (None, ""):
            ranges = []
        if isinstance(ranges, str):
            ranges = [ranges]
        parsed = []
        for item in ranges:
            match = _RANGE.match(str(item))
            if not match:
                raise ProfileError(f"clinic profile: opening_hours.{key} has {item!r}; write it as 'HH:MM-HH:MM'")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = time(h1, m1), time(h2, m2)
            if end <= start:
                raise ProfileError(f"clinic profile: opening_hours.{key} range {item!r} ends before it starts")
            parsed.append(OpeningRange(start, end))
        hours[key] = tuple(sorted(parsed, key=lambda r: r.start))
    return hours


def _timezone(raw: Mapping[str, Any]) -> str:
    value = _text(raw, "timezone")
    if value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            message = f"clinic profile: 'timezone' must be an IANA name like America/New_York, got {value!r}"
            raise ProfileError(message) from None
    return value


def parse_profile(raw: Any) -> ClinicProfile:
    """Build a profile from the YAML mapping, with a clear error for each bad value."""
    if not isinstance(raw, Mapping):
        raise ProfileError("clinic profile: the file must be a YAML mapping of field: value")
    name = _text(raw, "name")
    if not name:
        raise ProfileError("clinic profile: 'name' is required")
    prices_raw = raw.get("prices") or {}
    if not isinstance(prices_raw, Mapping):
        raise ProfileError("clinic profile: 'prices' must map first_visit/follow_up to text")
    prices = {str(k): _text(prices_raw, k) for k in prices_raw}
    return ClinicProfile(
        name=name,
        practitioner=_text(raw, "practitioner"),
        address=_text(raw, "address"),
        phone=_text(raw, "phone"),
        email=_text(raw, "email"),
        website=_url(raw, "website"),
        booking_url=_url(raw, "booking_url"),
        country=_text(raw, "country").upper(),
        timezone=_timezone(raw),
        emergency_number=_text(raw, "emergency_number"),
        crisis_line=_text(raw, "crisis_line"),
        opening_hours=_opening_hours(raw.get("opening_hours")),
        first_visit_minutes=_minutes(raw, "first_visit_minutes"),
        follow_up_minutes=_minutes(raw, "follow_up_minutes"),
        prices=prices,
        insurance_policy=_text(raw, "insurance_policy"),
        payment_methods=_text(raw, "payment_methods"),
        booking_confirmation=_text(raw, "booking_confirmation"),
        chiropractor=_text(raw, "chiropractor"),
        same_day_care=_text(raw, "same_day_care"),
    )


def profile_path() -> Path:
    """`CLINIC_PROFILE` overrides the default `clinic.yml` at the project root."""
    return settings().clinic_profile


def load_profile(path: Path | None = None) -> ClinicProfile:
    path = Path(path) if path else profile_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"clinic profile not found at {path} (set CLINIC_PROFILE or create clinic.yml)") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"clinic profile {path} is not valid YAML: {exc}") from None
    return parse_profile(raw)
