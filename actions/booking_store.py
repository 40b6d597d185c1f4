"""Booking requests, stored beside the conversations (DATABASE_URL) with a status
staff and the delivery to the clinic's booking system move along:
new -> sent | failed (webhook), or new until staff handle it -> handled."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, Integer, String, Table, Text
from sqlalchemy.exc import SQLAlchemyError

from actions.db import engine, metadata
from actions.settings import settings
from assistant.dburl import safe_url

logger = logging.getLogger(__name__)
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
    try:
        with engine().begin() as connection:
            result = connection.execute(
                bookings.insert().values(**request.__dict__, status="new", created_at=now, updated_at=now)
            )
        return result.inserted_primary_key[0]
    except SQLAlchemyError:
        logger.exception("could not store a booking request in %s", safe_url(settings().database_url))
        return None


def set_booking_status(booking_id: int, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown booking status {status!r}")
    try:
        with engine().begin() as connection:
            connection.execute(
                bookings.update()
                .where(bookings.c.id == booking_id)
                .values(status=status, updated_at=datetime.now(timezone.utc))
            )
    except SQLAlchemyError:
        logger.exception("could not set booking request %d to %s", booking_id, status)
