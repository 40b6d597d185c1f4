"""Escalation records, so staff can find every reported red flag first."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from actions.db import insert_row, metadata

escalations = Table(
    "escalations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("severity", String(16), nullable=False),
    Column("flags", Text, nullable=False),  # JSON list of flag ids
    Column("message", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("acknowledged_by", String(255)),
)


def record_escalation(sender_id: str, severity: str, flags: list[str], text: str) -> int | None:
    """Store one escalation; its id, or None (and an error in the log) if the database fails."""
    values = {
        "sender_id": sender_id,
        "severity": severity,
        "flags": json.dumps(flags),
        "message": text,
        "created_at": datetime.now(timezone.utc),
    }
    return insert_row(escalations, values)
