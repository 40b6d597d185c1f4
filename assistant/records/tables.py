"""The clinic's own tables, stored beside Rasa's conversations (DATABASE_URL).

Written by the action server (escalations, requests, notifications), read and
updated by the staff console, emptied by retention and erasure: one schema
for all of them. A change here needs a migration (assistant/records/migrate.py;
`python -m assistant.records revision -m "..."`): tests/test_migrations.py fails
until the revisions produce these tables.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

escalations = Table(
    "escalations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("severity", String(16), nullable=False),  # assistant.triage.severity.SEVERITIES
    Column("flags", Text, nullable=False),  # JSON list of flag ids
    Column("message", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("acknowledged_by", String(255)),
    # Rasa's id of the patient's message: the Rasa server and the action server both record a
    # report, whichever runs, and this key keeps it to one row (assistant/records/escalations.py).
    Column("message_id", String(64)),
    # For severity "borderline" (the screening question was asked): "yes", "no", or None (unanswered).
    Column("screening_answer", String(8)),
    Index("ix_escalations_report", "sender_id", "message_id", unique=True),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),  # red_flag, booking, change_request, handoff
    Column("ref_id", Integer),  # the escalation's (booking's, hand-off's) id, when it was stored
    Column("sender_id", String(255), nullable=False, index=True),
    Column("target", String(255), nullable=False),  # scheme://host only
    Column("status", String(16), nullable=False, index=True),  # pending, sent, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)

BOOKING_STATUSES = ("new", "sent", "failed", "handled")

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

CHANGE_STATUSES = ("new", "handled")

change_requests = Table(
    "change_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("patient_name", String(255), nullable=False),
    Column("contact", String(255), nullable=False),
    Column("details", Text, nullable=False),  # which appointment, and what they want
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

HANDOFF_STATUSES = ("waiting", "resumed")

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

# Every table that holds something of one conversation, by its sender_id: what erasure and retention empty.
PER_CONVERSATION = (escalations, notifications, bookings, change_requests, handoff_requests)
