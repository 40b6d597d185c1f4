"""Escalation records, so staff can find every reported red flag first."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, Integer, String, Table, Text
from sqlalchemy.exc import SQLAlchemyError

from actions.db import engine, metadata
from actions.settings import settings
from assistant.dburl import safe_url

logger = logging.getLogger(__name__)

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
    try:
        with engine().begin() as connection:
            result = connection.execute(
                escalations.insert().values(
                    sender_id=sender_id,
                    severity=severity,
                    flags=json.dumps(flags),
                    message=text,
                    created_at=datetime.now(timezone.utc),
                )
            )
        return result.inserted_primary_key[0]
    except SQLAlchemyError:
        logger.exception("could not record a %s escalation in %s", severity, safe_url(settings().database_url))
        return None
