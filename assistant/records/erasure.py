"""Erasure of one conversation (the patient's right to erase, or an admin's action) and retention
(conversations older than RETENTION_DAYS deleted): everything of a conversation goes together —
Rasa's events, its summary, red flags, requests and notifications — and the audit log says so."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.engine import Connection, Engine

from assistant.records import audit
from assistant.records.staff_tables import conversations, events
from assistant.records.tables import PER_CONVERSATION

# The website widget's conversation ids (random hex, see widget.js newId): the patient endpoint
# only erases such ids, so a Telegram chat id or a phone number cannot be erased by a stranger.
WIDGET_SESSION = re.compile(r"[0-9a-f]{20,64}")
WIDGET_CHANNEL = "socketio"
PURGE_BATCH = 500


class EraseRefused(ValueError):
    """The conversation is not one the caller may erase; the message says why."""


def _delete_conversations(connection: Connection, sender_ids: list[str]) -> int:
    """Delete everything of these conversations; the number of events deleted."""
    deleted = 0
    if inspect(connection).has_table(events.name):
        deleted = connection.execute(delete(events).where(events.c.sender_id.in_(sender_ids))).rowcount
    connection.execute(delete(conversations).where(conversations.c.sender_id.in_(sender_ids)))
    for table in PER_CONVERSATION:
        connection.execute(delete(table).where(table.c.sender_id.in_(sender_ids)))
    return deleted


def erase(engine: Engine, sender_id: str, actor: str, ip: str = "") -> int:
    """Erase one conversation (admin action); the number of events deleted. Audited in the same transaction."""
    with engine.begin() as connection:
        deleted = _delete_conversations(connection, [sender_id])
        audit.record(connection, actor, "erase", sender_id, f"{deleted} events", ip)
    return deleted


def erase_own(engine: Engine, session_id: str, ip: str = "") -> int:
    """The patient's own request from the website widget, scoped to its session id."""
    if not WIDGET_SESSION.fullmatch(session_id or ""):
        raise EraseRefused("not a conversation id of the website chat")
    with engine.connect() as connection:
        stored = connection.execute(
            select(events.c.data).where(events.c.sender_id == session_id, events.c.type_name == "user")
        ).scalars()
        channels = {json.loads(data).get("input_channel") for data in stored if data}
    if channels - {WIDGET_CHANNEL, None}:
        raise EraseRefused("not a conversation of the website chat")
    with engine.begin() as connection:
        deleted = _delete_conversations(connection, [session_id])
        audit.record(connection, "patient", "erase", session_id, f"{deleted} events, from the website chat", ip)
    return deleted


def purge(engine: Engine, older_than_days: int, actor: str = "system") -> tuple[int, int]:
    """Delete conversations whose last event is older than the given days, with everything
    recorded about them, and any other clinic record older than that; (conversations, events)."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = time.time() - older_than_days * 86400
    total_conversations = total_events = 0
    with engine.connect() as connection:
        has_events = inspect(connection).has_table(events.name)
    if has_events:
        while True:
            with engine.begin() as connection:
                old = list(
                    connection.execute(
                        select(events.c.sender_id)
                        .group_by(events.c.sender_id)
                        .having(func.max(events.c.timestamp) < cutoff)
                        .limit(PURGE_BATCH)
                    ).scalars()
                )
                if not old:
                    break
                total_events += _delete_conversations(connection, old)
                total_conversations += len(old)
    cutoff_at = datetime.fromtimestamp(cutoff, timezone.utc)
    with engine.begin() as connection:
        connection.execute(delete(conversations).where(conversations.c.last_at < cutoff))
        for table in PER_CONVERSATION:
            connection.execute(delete(table).where(table.c.created_at < cutoff_at))
        audit.record(
            connection,
            actor,
            "purge",
            None,
            f"older than {older_than_days} days: {total_conversations} conversations, {total_events} events",
        )
    return total_conversations, total_events
