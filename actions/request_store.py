"""Patients' requests for staff, stored beside the conversations (DATABASE_URL):
booking requests, with a status staff and the delivery to the clinic's booking
system move along (new -> sent | failed by the webhook; handled by staff), and
requests to move or cancel an appointment (new -> handled)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from actions.db import insert_row, metadata, update_row

STATUSES = ("new", "sent", "failed", "handled")

bookings = Table(
    "booking_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("patient_name", String(255), nullable=False),
    Column("contact", String(255), nullable=False),  # E.164 phone or email
    Column("contact_kind", String(16), nullable=False),  # phone | email
    Column("preferred", String(64), nullable=False),  # date[/start[/end]], clinic time zone
    Column("preferred_text", Text, nullable=False),  # as read back to the patient
    Column("patient_type", String(16), nullable=False),  # new | returning
    Column("reason", Text, nullable=False),
    Column("red_flag", String(16)),  # severity reported in the conversation, if any
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class BookingRequest:
    sender_id: str
    patient_name: str
    contact: str
    contact_kind: str
    preferred: str
    preferred_text: str
    patient_type: str
    reason: str
    red_flag: str | None


def store_booking(request: BookingRequest) -> int | None:
    """Store a new request; its id, or None (and an error in the log) if the database fails."""
    now = datetime.now(timezone.utc)
    return insert_row(bookings, {**request.__dict__, "status": "new", "created_at": now, "updated_at": now})


def set_booking_status(booking_id: int, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown booking status {status!r}")
    update_row(bookings, booking_id, {"status": status, "updated_at": datetime.now(timezone.utc)})


change_requests = Table(
    "change_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("patient_name", String(255), nullable=False),
    Column("contact", String(255), nullable=False),
    Column("details", Text, nullable=False),  # which appointment, and what they want
    Column("status", String(16), nullable=False, index=True),  # new | handled
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def store_change_request(sender_id: str, patient_name: str, contact: str, details: str) -> int | None:
    """Store a request to move or cancel an appointment; its id, or None if the database fails."""
    now = datetime.now(timezone.utc)
    values = {"sender_id": sender_id, "patient_name": patient_name, "contact": contact, "details": details}
    return insert_row(change_requests, {**values, "status": "new", "created_at": now, "updated_at": now})


handoff_requests = Table(
    "handoff_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("channel", String(64)),  # where the patient wrote from: staff replies go back there
    Column("status", String(16), nullable=False, index=True),  # waiting | resumed (by staff or timeout)
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def store_handoff(sender_id: str, channel: str | None) -> int | None:
    """Store a patient's wish to talk to staff; its id, or None if the database fails."""
    now = datetime.now(timezone.utc)
    values = {"sender_id": sender_id, "channel": channel, "status": "waiting", "created_at": now, "updated_at": now}
    return insert_row(handoff_requests, values)
