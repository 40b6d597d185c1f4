"""Escalation records: one row per reported red flag, whichever server writes it first.

Both the Rasa server (its tracker store, when it saves the turn) and the action
server (`action_escalate_red_flag`) record a report, so it is recorded while
either is down. The conversation and Rasa's id of the patient's message make
the row's key (a unique index): the second write finds the first one's row.
A "no" to the screening question is stored on the borderline report it answers.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from assistant.records.db import shared_engine
from assistant.records.migrate import MigrationError
from assistant.records.tables import escalations
from assistant.triage.reports import ANSWERS, Report
from assistant.triage.severity import BORDERLINE

logger = logging.getLogger(__name__)


def record(
    connection: Connection,
    sender_id: str,
    message_id: str | None,
    report: Report,
    text: str,
    at: datetime | None = None,
) -> tuple[int | None, bool]:
    """(the report's row id, whether this call created it). A screening answer is also stored on the
    borderline report it answers; a "no" creates no row of its own (id None)."""
    if report.screening_answer is not None:
        _answer_screening(connection, sender_id, report.screening_answer)
    if report.severity is None:
        return None, False
    values = {
        "sender_id": sender_id,
        "message_id": message_id,
        "severity": report.severity,
        "flags": json.dumps(list(report.flags)),
        "message": text,
        "created_at": at or datetime.now(timezone.utc),
    }
    if message_id is None:  # nothing to key it on (e.g. a message from before message ids were kept)
        return connection.execute(escalations.insert().values(**values)).inserted_primary_key[0], True
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(connection.dialect.name)
    if dialect is not None:
        statement = dialect.insert(escalations).values(**values).on_conflict_do_nothing()
        created = connection.execute(statement).rowcount == 1
    else:  # pragma: no cover - the clinic's databases are PostgreSQL or SQLite
        created = _existing(connection, sender_id, message_id) is None
        if created:
            connection.execute(escalations.insert().values(**values))
    return _existing(connection, sender_id, message_id), created


def _existing(connection: Connection, sender_id: str, message_id: str) -> int | None:
    query = select(escalations.c.id).where(escalations.c.sender_id == sender_id, escalations.c.message_id == message_id)
    return connection.execute(query).scalar()


def _answer_screening(connection: Connection, sender_id: str, answer: str) -> None:
    """Store the answer on the conversation's latest borderline report, unless it has one: the
    second writer of the same answer changes nothing, and an older unanswered report stays so."""
    latest = (
        select(func.max(escalations.c.id))
        .where(escalations.c.sender_id == sender_id, escalations.c.severity == BORDERLINE)
        .scalar_subquery()
    )
    connection.execute(
        update(escalations)
        .where(escalations.c.id == latest, escalations.c.screening_answer.is_(None))
        .values(screening_answer=answer)
    )


def record_reports(
    url: str, sender_id: str, found: list[tuple[dict[str, Any], Report]]
) -> list[tuple[int | None, bool]]:
    """Record each (patient message event, report) in one transaction; [] if the database failed
    (logged without the patient's words: the turn is stored, and the action server may record it)."""
    try:
        with shared_engine(url).begin() as connection:
            return [
                record(connection, sender_id, event.get("message_id"), report, _words(event), _at(event))
                for event, report in found
            ]
    except (SQLAlchemyError, MigrationError):
        logger.exception("could not record %d red-flag report(s) of conversation %s", len(found), sender_id)
        return []


def _words(event: dict[str, Any]) -> str:
    """What the patient sent, as staff read it: a button's payload ("/affirm") as the button's answer."""
    text = event.get("text") or ""
    if text.startswith("/"):
        answer = ANSWERS.get(text[1:].split("{", 1)[0].strip())
        if answer is not None:
            return f"{answer} (button)"
    return text


def _at(event: dict[str, Any]) -> datetime | None:
    timestamp = event.get("timestamp")
    return datetime.fromtimestamp(timestamp, timezone.utc) if isinstance(timestamp, int | float) else None
