"""Patients' requests for staff, stored beside the conversations (DATABASE_URL):
booking requests, with a status staff and the delivery to the clinic's booking
system move along (new -> sent | failed by the webhook; handled by staff), and
requests to move or cancel an appointment (new -> handled)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from actions.db import insert_row, update_row
from assistant.records.tables import BOOKING_STATUSES, bookings, change_requests, handoff_requests


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
    if status not in BOOKING_STATUSES:
        raise ValueError(f"unknown booking status {status!r}")
    update_row(bookings, booking_id, {"status": status, "updated_at": datetime.now(timezone.utc)})


def store_change_request(sender_id: str, patient_name: str, contact: str, details: str) -> int | None:
    """Store a request to move or cancel an appointment; its id, or None if the database fails."""
    now = datetime.now(timezone.utc)
    values = {"sender_id": sender_id, "patient_name": patient_name, "contact": contact, "details": details}
    return insert_row(change_requests, {**values, "status": "new", "created_at": now, "updated_at": now})


def store_handoff(sender_id: str, channel: str | None) -> int | None:
    """Store a patient's wish to talk to staff; its id, or None if the database fails."""
    now = datetime.now(timezone.utc)
    values = {"sender_id": sender_id, "channel": channel, "status": "waiting", "created_at": now, "updated_at": now}
    return insert_row(handoff_requests, values)
