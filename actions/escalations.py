"""Escalation records, so staff can find every reported red flag first."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from actions.db import insert_row
from assistant.records.tables import escalations


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
