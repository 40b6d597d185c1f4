"""Keeps `staff_conversations` (one summary row per conversation) in step with Rasa's events.

Each refresh reads the events added since the last one, and recomputes the
summary of every conversation they belong to from all its events, together
with its red flags and requests. Recomputing a whole conversation makes the
work idempotent, so events are read again until they are `SETTLE_SECONDS`
old: on PostgreSQL a transaction can commit a lower id after a higher one
was already seen, and such an event would otherwise never be indexed.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, inspect, select, update
from sqlalchemy.engine import Connection, Engine

from assistant.records.staff_tables import conversations, events, index_state
from assistant.records.tables import bookings, escalations, handoff_requests
from assistant.triage.severity import rank

SETTLE_SECONDS = 30.0
BATCH = 5000  # events per step
SENDERS_PER_QUERY = 400
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})
# Clinic tables whose new rows change a conversation's flags.
RECORD_TABLES = (escalations, bookings, handoff_requests)


@dataclass
class Summary:
    sender_id: str
    channel: str | None = None
    started_at: float = 0.0
    last_at: float = 0.0
    n_user: int = 0
    n_fallback: int = 0  # patient messages not understood
    n_low: int = 0
    topics: list[str] = field(default_factory=list)
    severity: str | None = None
    has_booking: bool = False
    has_handoff: bool = False
    paused: bool = False
    messages: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {
            "sender_id": self.sender_id,
            "channel": self.channel,
            "started_at": self.started_at,
            "last_at": self.last_at,
            "n_user": self.n_user,
            "n_fallback": self.n_fallback,
            "n_low": self.n_low,
            "topics": " " + " ".join(self.topics) + " " if self.topics else "",
            "severity": self.severity,
            "has_booking": self.has_booking,
            "has_handoff": self.has_handoff,
            "paused": self.paused,
            "preview": self.messages[-1] if self.messages else "",
            "search_text": "\n".join(self.messages),
        }


def summarise(sender_id: str, rows: Iterable[Any], low_confidence: float) -> Summary | None:
    """One conversation's summary from its events in order (type_name, intent_name, action_name,
    timestamp, data); None when it has none. Only patient messages are parsed: they are a fraction
    of the events and hold everything the lists need."""
    summary = Summary(sender_id)
    seen = False
    missed = False  # the latest patient message already counted as not understood
    for row in rows:
        if row.timestamp is not None:
            summary.started_at = row.timestamp if not seen else min(summary.started_at, row.timestamp)
            summary.last_at = max(summary.last_at, row.timestamp)
            seen = True
        if row.type_name == "user":
            data = json.loads(row.data or "{}")
            summary.n_user += 1
            summary.channel = data.get("input_channel") or summary.channel
            text = (data.get("text") or "").strip()
            if text:
                summary.messages.append(text)
            intent = row.intent_name or ""
            confidence = ((data.get("parse_data") or {}).get("intent") or {}).get("confidence")
            missed = intent == FALLBACK_INTENT
            if missed:
                summary.n_fallback += 1
            elif intent and confidence is not None and confidence < low_confidence:
                summary.n_low += 1
            if intent and intent != FALLBACK_INTENT and intent not in summary.topics:
                summary.topics.append(intent)
        elif row.type_name == "action" and row.action_name in FALLBACK_ACTIONS and not missed:
            summary.n_fallback += 1  # understood by NLU, but no policy was sure what to do
            missed = True
        elif row.type_name == "pause":
            summary.paused = True
        elif row.type_name == "resume":
            summary.paused = False
    return summary if seen else None


class Indexer:
    def __init__(self, engine: Engine, low_confidence: float = 0.5, batch: int = BATCH) -> None:
        self.engine = engine
        self.low_confidence = low_confidence
        self.batch = batch

    def behind(self) -> int:
        """Events not yet read: shown on the pages while a large backlog is indexed."""
        with self.engine.connect() as connection:
            if not inspect(connection).has_table(events.name):
                return 0
            last = self._last_id(connection, events.name)
            return connection.execute(select(func.count()).where(events.c.id > last)).scalar_one()

    def refresh(self, max_steps: int | None = None) -> int:
        """Index what is new; the number of events read. Stops after max_steps batches."""
        total, steps = 0, 0
        while max_steps is None or steps < max_steps:
            read, more = self._step()
            total += read
            steps += 1
            if not more:
                break
        return total

    def reindex(self, sender_ids: Iterable[str]) -> None:
        """Recompute some conversations now (after erasure, or a request staff just changed)."""
        with self.engine.begin() as connection:
            self._recompute(connection, set(sender_ids))

    def _step(self) -> tuple[int, bool]:
        with self.engine.begin() as connection:
            if not inspect(connection).has_table(events.name):
                return 0, False
            last = self._last_id(connection, events.name)
            rows = connection.execute(
                select(events.c.id, events.c.sender_id, events.c.timestamp)
                .where(events.c.id > last)
                .order_by(events.c.id)
                .limit(self.batch)
            ).all()
            senders = {row.sender_id for row in rows}
            settled_before = time.time() - SETTLE_SECONDS
            settled = last
            for row in rows:  # advance only over the settled prefix
                if (row.timestamp or 0) > settled_before:
                    break
                settled = row.id
            for table in RECORD_TABLES:
                senders |= self._new_record_senders(connection, table)
            if not senders:
                return 0, False
            self._recompute(connection, senders)
            if settled != last:
                self._set_last_id(connection, events.name, settled)
            # More to read only if a full batch was settled: unsettled events are read again next refresh.
            return len(rows), len(rows) == self.batch and settled == rows[-1].id

    def _new_record_senders(self, connection: Connection, table: Any) -> set[str]:
        last = self._last_id(connection, table.name)
        rows = connection.execute(select(table.c.id, table.c.sender_id).where(table.c.id > last)).all()
        if rows:
            self._set_last_id(connection, table.name, max(row.id for row in rows))
        return {row.sender_id for row in rows}

    def _recompute(self, connection: Connection, senders: set[str]) -> None:
        ordered = sorted(senders)
        for start in range(0, len(ordered), SENDERS_PER_QUERY):
            chunk = ordered[start : start + SENDERS_PER_QUERY]
            by_sender: dict[str, list[Any]] = defaultdict(list)
            query = (
                select(
                    events.c.sender_id,
                    events.c.type_name,
                    events.c.intent_name,
                    events.c.action_name,
                    events.c.timestamp,
                    events.c.data,
                )
                .where(events.c.sender_id.in_(chunk))
                .order_by(events.c.id)
            )
            for row in connection.execute(query):
                by_sender[row.sender_id].append(row)
            flags = self._flags(connection, chunk)
            existing = dict(
                connection.execute(
                    select(conversations.c.sender_id, conversations.c.id).where(conversations.c.sender_id.in_(chunk))
                ).all()
            )
            inserts = []
            for sender_id in chunk:
                summary = summarise(sender_id, by_sender.get(sender_id, ()), self.low_confidence)
                if summary is None:
                    if sender_id in existing:
                        connection.execute(delete(conversations).where(conversations.c.id == existing[sender_id]))
                    continue
                summary.severity, summary.has_booking, summary.has_handoff = flags.get(sender_id, (None, False, False))
                if sender_id in existing:
                    connection.execute(
                        update(conversations).where(conversations.c.id == existing[sender_id]).values(summary.row())
                    )
                else:
                    inserts.append(summary.row())
            if inserts:
                connection.execute(conversations.insert(), inserts)

    @staticmethod
    def _flags(connection: Connection, senders: list[str]) -> dict[str, tuple[str | None, bool, bool]]:
        severity: dict[str, str] = {}
        for sender_id, level in connection.execute(
            select(escalations.c.sender_id, escalations.c.severity).where(escalations.c.sender_id.in_(senders))
        ):
            if rank(level) < rank(severity.get(sender_id)):
                severity[sender_id] = level
        booked = set(
            connection.execute(select(bookings.c.sender_id).where(bookings.c.sender_id.in_(senders))).scalars()
        )
        handed = set(
            connection.execute(
                select(handoff_requests.c.sender_id).where(handoff_requests.c.sender_id.in_(senders))
            ).scalars()
        )
        return {sender: (severity.get(sender), sender in booked, sender in handed) for sender in senders}

    @staticmethod
    def _last_id(connection: Connection, name: str) -> int:
        value = connection.execute(select(index_state.c.last_id).where(index_state.c.name == name)).scalar()
        return value or 0

    @staticmethod
    def _set_last_id(connection: Connection, name: str, last_id: int) -> None:
        changed = connection.execute(
            update(index_state).where(index_state.c.name == name).values(last_id=last_id)
        ).rowcount
        if not changed:
            connection.execute(index_state.insert().values(name=name, last_id=last_id))
