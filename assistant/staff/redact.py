"""Redaction of what identifies a patient, on by default wherever staff read conversations.

Emails and phone-like numbers are masked anywhere in the text; names and
contact details the patient gave in the booking and change forms (slots) are
masked wherever they appear, also in the bot's read-back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 7+ digits with the separators people type: +1 (555) 010-2345, 555 0102345, 07700 900123.
PHONE = re.compile(r"(?<![\w+])\+?\d(?:[\s().-]{0,3}\d){6,}(?!\w)")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Slots holding what the patient gave about themselves, by kind.
NAME_SLOTS = ("patient_name",)
CONTACT_SLOTS = ("patient_contact",)


class Redactor:
    def __init__(self, names: Iterable[str] = (), contacts: Iterable[str] = ()) -> None:
        """names: what the patient gave as their name (each part of it is masked too, as written:
        "Will Smith" masks "Will" but not "will it hurt"); contacts: phone numbers and emails as stored."""
        full = {value.strip() for value in names if value and len(value.strip()) >= 2}
        parts = {part for name in full for part in re.findall(r"[^\W\d_][\w'-]{2,}", name)}
        self._patterns = [
            (pattern, label)
            for pattern, label in (
                (_alternation({c.strip() for c in contacts if c and c.strip()}, re.IGNORECASE), "[contact]"),
                (_alternation(full, re.IGNORECASE), "[name]"),
                (_alternation(parts - full, 0), "[name]"),
            )
            if pattern is not None
        ]

    def __call__(self, text: str) -> str:
        text = EMAIL.sub("[email]", text)
        for pattern, label in self._patterns:
            text = pattern.sub(label, text)
        return PHONE.sub(_phone, text)


def _phone(match: re.Match[str]) -> str:
    # ISO dates ("2026-12-01") are 8 digits with separators, not phone numbers.
    return match.group(0) if ISO_DATE.fullmatch(match.group(0)) else "[phone]"


def _alternation(values: set[str], flags: int) -> re.Pattern[str] | None:
    if not values:
        return None
    # Longest first, so "Anna Maria" is masked before "Anna".
    ordered = sorted(values, key=len, reverse=True)
    return re.compile("|".join(rf"(?<!\w){re.escape(value)}(?!\w)" for value in ordered), flags)


def no_redaction(text: str) -> str:
    return text
