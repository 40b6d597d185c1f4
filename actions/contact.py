"""How a patient can be reached: a phone number read for the clinic's country
(phonenumbers), or an email address. Pure functions, used by the forms."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat
from phonenumbers.phonenumberutil import ValidationResult

# Deliberately plain: one "@", no spaces, a dot in the domain. Plus-addressing is fine.
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_LIKE = re.compile(r"\+?\(?\d[\d ().\-/]{5,}\d")


@dataclass(frozen=True)
class Contact:
    kind: str  # phone | email
    value: str  # E.164 (+12125550199) or the email address
    display: str  # how it is read back: national format, or the address


@dataclass(frozen=True)
class ContactError:
    message: str  # what the patient is told: specific, so they can fix it


def find_contact(text: str) -> str | None:
    """The part of a message that looks like an email address or a phone number."""
    email = EMAIL.search(text)
    if email:
        return email.group(0)
    phone = PHONE_LIKE.search(text)
    return phone.group(0) if phone else None


def read_contact(text: str, country: str) -> Contact | ContactError:
    """A phone number (for `country`, unless it starts with +) or an email, or why it is not one."""
    candidate = text.strip()
    if "@" in candidate:
        email = EMAIL.search(candidate)
        if not email or email.group(0) != candidate.strip(" .,;<>"):
            return ContactError(
                "That email address doesn't look complete - could you check it? (like name@example.com)"
            )
        address = email.group(0)
        local, domain = address.rsplit("@", 1)
        address = f"{local}@{domain.lower()}"
        return Contact("email", address, address)
    digits = re.sub(r"\D", "", candidate)
    if not digits:
        return ContactError("Could you give me a phone number or an email address the clinic can use to reach you?")
    region = country or None
    try:
        number = phonenumbers.parse(candidate, region)
    except NumberParseException:
        return ContactError("I couldn't read that as a phone number - could you check it? Include the area code.")
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible in (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        return ContactError("That number looks too short - could you check it? Include the area code.")
    if possible == ValidationResult.TOO_LONG:
        return ContactError("That number looks too long - could you check it?")
    if possible == ValidationResult.INVALID_COUNTRY_CODE:
        return ContactError("I don't recognise that country code - could you check the number?")
    if not phonenumbers.is_valid_number(number):
        hint = (
            f" If it isn't a {country} number, start it with + and the country code."
            if country and not candidate.startswith("+")
            else ""
        )
        return ContactError(f"That doesn't look like a valid phone number - could you check it?{hint}")
    national = phonenumbers.region_code_for_number(number) == country
    display = phonenumbers.format_number(
        number, PhoneNumberFormat.NATIONAL if national else PhoneNumberFormat.INTERNATIONAL
    )
    return Contact("phone", phonenumbers.format_number(number, PhoneNumberFormat.E164), display)


def display_contact(value: str, country: str) -> str:
    """How a stored contact is read back to the patient."""
    if "@" in value:
        return value
    result = read_contact(value, country)
    return result.display if isinstance(result, Contact) else value
