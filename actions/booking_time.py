"""Preferred appointment times in patients' words, in the clinic's time zone.

dateparser 1.2.0 (the newest that fits Rasa's pins) gets the phrases patients
use most wrong or not at all: "next tuesday at 3pm" and "tomorrow morning"
give None, "tuesday at 3pm" a past Sunday, "friday after 5" a date months
away. So relative days, weekdays, clock times and parts of the day are read
here; dateparser is asked only about calendar dates ("3 december", "12/3").
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import dateparser

WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "weds": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
# Parts of the day as windows [start, end).
PARTS_OF_DAY = {
    "morning": (time(8), time(12)),
    "lunchtime": (time(12), time(14)),
    "lunch": (time(12), time(14)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(21)),
    "tonight": (time(17), time(21)),
}
MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
TOMORROW = r"(?:tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr|tmw|2morrow|2moro)"
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "a": 1, "an": 1}


@dataclass(frozen=True)
class Preferred:
    """A day and a time, or a window of the day ("tomorrow morning"); time None: any time that day."""

    day: date
    start: time | None = None
    end: time | None = None  # None with a start: that exact time; with a start: a window [start, end)

    def describe(self) -> str:
        """How the bot reads it back: "Tuesday 1 December, 3:00 pm"."""
        day = f"{self.day:%A} {self.day.day} {self.day:%B}"
        if self.start is None:
            return f"{day}, any time"
        if self.end is None:
            return f"{day}, {_clock(self.start)}"
        return f"{day}, between {_clock(self.start)} and {_clock(self.end)}"

    def value(self) -> str:
        """Stored in the slot and the booking record: ISO date and times."""
        parts = [self.day.isoformat()]
        if self.start is not None:
            parts.append(self.start.strftime("%H:%M"))
        if self.end is not None:
            parts.append(self.end.strftime("%H:%M"))
        return "/".join(parts)

    @classmethod
    def from_value(cls, value: str) -> Preferred:
        day, *times = value.split("/")
        clock = [time.fromisoformat(t) for t in times]
        return cls(date.fromisoformat(day), *clock)


def _clock(moment: time) -> str:
    if moment == time(12):
        return "12 noon"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def parse_preferred(text: str, now: datetime, month_first: bool = True) -> Preferred | None:
    """The day and time a patient asks for, or None when no day can be read.

    `now` is the current time in the clinic's time zone; a weekday means its next
    occurrence (today's if still ahead), "next <weekday>" the one after today too.
    `month_first` reads 12/3 as December 3 (US) rather than 12 March.
    """
    lowered = " " + re.sub(r"[^\w:/.' ]+", " ", text.lower()) + " "
    day = _day(lowered, now, month_first)
    start, end = _time_of_day(lowered)
    if day is None:
        if start is None:
            return None
        # "5pm", "this afternoon": today if it is still ahead, else tomorrow.
        day = (
            now.date() if datetime.combine(now.date(), start) > now.replace(tzinfo=None) else now.date() + timedelta(1)
        )
    return Preferred(day, start, end)


def _day(text: str, now: datetime, month_first: bool) -> date | None:
    today = now.date()
    if re.search(r"\bday after " + TOMORROW + r"\b", text):
        return today + timedelta(2)
    if re.search(r"\b" + TOMORROW + r"\b", text):
        return today + timedelta(1)
    if re.search(r"\b(today|tonight|this (morning|afternoon|evening))\b", text):
        return today
    found = re.search(r"\bin (\d+|one|two|three|four|five|six|seven|a|an) (day|days|week|weeks)\b", text)
    if found:
        count = int(found.group(1)) if found.group(1).isdigit() else _WORD_NUMBERS[found.group(1)]
        return today + timedelta(days=count * (7 if found.group(2).startswith("week") else 1))
    found = re.search(r"\b(?:(next|this|coming|on) )?(" + "|".join(WEEKDAYS) + r")s?\b", text)
    if found:
        ahead = (WEEKDAYS[found.group(2)] - today.weekday()) % 7
        if ahead == 0 and found.group(1) == "next":
            ahead = 7
        return today + timedelta(ahead)
    return _calendar_date(text, now, month_first)


def _calendar_date(text: str, now: datetime, month_first: bool) -> date | None:
    """An explicit date ("3 december", "dec 3rd", "12/3"), the next one from today."""
    ordinal = r"\d{1,2}(?:st|nd|rd|th)?"
    numeric = r"\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?"
    found = re.search(rf"\b({ordinal}(?: of)? {MONTHS}|{MONTHS} {ordinal}|{numeric})\b", text)
    if not found:
        return None
    with warnings.catch_warnings():  # dateparser warns about pytz internals on every call
        warnings.simplefilter("ignore")
        parsed = dateparser.parse(
            found.group(1),
            languages=["en"],
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": now.replace(tzinfo=None),
                "DATE_ORDER": "MDY" if month_first else "DMY",
                "REQUIRE_PARTS": ["day", "month"],
            },
        )
    return parsed.date() if parsed else None


def _hour(hour: int, minute: int, meridiem: str | None) -> time | None:
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    elif 1 <= hour <= 7:  # "at 3", "after 5": clinic hours, so the afternoon
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _time_of_day(text: str) -> tuple[time | None, time | None]:
    """(start, end): an exact time (end None), a window, or (None, None)."""
    if re.search(r"\b(noon|midday)\b", text):
        return time(12), None
    clock = re.search(
        r"\b(after|before|around|about|at|from|by)?\s*(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|o'?clock)?\b"
        r"(?!\s*(?:st|nd|rd|th|/|day|days|week|weeks|min|mins|minutes|hours)\b)",
        text,
    )
    while clock:
        word, hour, minute, meridiem = clock.groups()
        # A bare number counts only as a time with a word before it ("at 3") or after it ("3pm", "3:30").
        if word or minute or meridiem:
            meridiem = None if meridiem is None or "clock" in meridiem else meridiem
            moment = _hour(int(hour), int(minute or 0), meridiem)
            if moment is not None:
                if word == "after":
                    return moment, time(21)
                if word in ("before", "by"):
                    return time(8), moment
                return moment, None
        clock = re.compile(clock.re.pattern).search(text, clock.end())
    for part, window in PARTS_OF_DAY.items():
        if re.search(rf"\b{part}\b", text):
            return window
    if re.search(r"\bfirst thing\b", text):
        return PARTS_OF_DAY["morning"]
    return None, None
