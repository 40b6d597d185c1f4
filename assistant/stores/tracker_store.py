"""Rasa's SQLTrackerStore, configured by one database URL.

`endpoints.yml` gives `url: ${DATABASE_URL}`; e.g. `sqlite:///var/rasa.db`
(the default set by `make run`) or `postgresql://user:pass@host:5432/rasa`.
Rasa hands a custom store the endpoint's `url` as `host`.

Reads and writes are Rasa's, with two measured changes (docs/performance.md):
- Saving a turn: Rasa counts the conversation's stored events with a query to
  find which of the tracker's events are new. A tracker read from this store
  already knows how many of its events are stored (the conversation's lock is
  held from read to save, on every instance), so the count query only runs for
  trackers that did not come from here. New events are inserted in one
  statement, without an ORM object per event.
- Reading: only the events' JSON is selected, by a Core statement built once
  (no ORM query built and compiled per turn, no ORM objects).
On PostgreSQL each statement is its own transaction (autocommit): a turn's
read and its insert are single statements, and the conversation's lock
serialises turns, so Rasa's BEGIN/ROLLBACK/COMMIT around them were four of a
turn's six waits for the database. The read and the insert are awaited
(assistant/stores/pg_events.py), so the process computes another turn meanwhile; the
rest (tables, Rasa's count query, listing conversations) stays on
SQLAlchemy. On SQLite the database uses write-ahead
logging (commits cost one sync instead of several, and the staff console can
read while Rasa writes) and connections are kept open between turns. A read
that finds the database restarted since the pool connected is tried once
more on a new connection.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sqlite3
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from assistant.notify.staff import notify_staff, red_flag_payload
from assistant.records.escalations import record_reports
from assistant.stores import pg_events
from assistant.stores.dburl import DatabaseUnreachable, check_reachable, safe_url
from assistant.stores.events import event_row
from assistant.triage.reports import may_report, reports
from assistant.triage.severity import SEVERITIES

logger = logging.getLogger(__name__)

# Set on trackers this store returns or saves: how many of `tracker.events` are in the database.
STORED = "_assistant_stored_events"


class URLSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        url = (host or "").strip()
        if not url:
            raise RasaException("DATABASE_URL is empty: set it to e.g. sqlite:///var/rasa.db")
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise RasaException(f"DATABASE_URL is not a database URL: {safe_url(url)}") from None
        try:
            check_reachable(url)
        except DatabaseUnreachable as exc:
            raise RasaException(str(exc)) from None
        self._records_url = url  # escalation records go beside the conversations
        super().__init__(
            domain=domain,
            dialect=parsed.drivername,
            host=parsed.host,
            port=parsed.port,
            db=parsed.database or "",
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            query=dict(parsed.query) or None,
            **kwargs,
        )

        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            # SQLAlchemy opens and closes a file database's connection for every
            # session (NullPool); with write-ahead logging each close also folds the
            # log back into the file. Two reads and a write per turn: keep them open.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                url, poolclass=QueuePool, pool_size=2, connect_args={"check_same_thread": False}
            )
            event.listen(self.engine, "connect", _sqlite_wal)
            self.sessionmaker = sessionmaker(bind=self.engine)
            with self.engine.connect():
                pass  # switch to WAL now, at start, before the other processes open the file
        elif self.engine.dialect.name == "postgresql":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", **create_engine_kwargs(url))
            self.sessionmaker = sessionmaker(bind=self.engine)
        self._latest_session, self._all_sessions = _event_queries(self.SQLEvent.__table__)
        self._postgres: pg_events.PostgresEvents | None = None
        if pg_events.supports(self.engine.url):
            self._postgres = pg_events.PostgresEvents(
                self.engine.url, self.SQLEvent.__table__, self._latest_session, self._all_sessions
            )
        elif self.engine.dialect.name == "postgresql":
            logger.info("DATABASE_URL has settings only psycopg2 reads: turns wait for the database synchronously")

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        if self._postgres is not None:
            rows = await self._postgres.fetch(sender_id, fetch_events_from_all_sessions)
        else:
            try:
                rows = self._rows(sender_id, fetch_events_from_all_sessions)
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
                # The database restarted since the pool's connections were made. SQLAlchemy has now
                # dropped them all, so one more try reaches it on a new connection, and this turn's
                # save will too: the first patient after a restart is answered, not told the service
                # is down. (Cheaper than checking every connection taken from the pool.)
                rows = self._rows(sender_id, fetch_events_from_all_sessions)
        if not (self.domain and rows):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)
        setattr(tracker, STORED, len(rows))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        stored = getattr(tracker, STORED, None)
        if stored is None and not tracker.events:  # a new conversation's empty tracker: nothing to count
            stored = 0
        if stored is None or stored > len(tracker.events):
            with self.session_scope() as session:  # Rasa's count of what is stored
                new = list(self._additional_events(session, tracker))
        else:
            new = list(itertools.islice(tracker.events, stored, None))
        if new:
            rows = [event_row(tracker.sender_id, e) for e in new]
            if self._postgres is not None:
                await self._postgres.insert(rows)
            else:
                with self.engine.begin() as connection:
                    connection.execute(self.SQLEvent.__table__.insert(), rows)
            await self._record_reports(tracker, len(new))
        setattr(tracker, STORED, len(tracker.events))

    async def _record_reports(self, tracker: DialogueStateTracker, new: int) -> None:
        """Record the red flags the turn's patient messages reported, once the turn is stored, so the
        record never depends on the action server; staff are notified of those it did not record."""
        added = itertools.islice(tracker.events, len(tracker.events) - new, None)
        if not any(isinstance(e, UserUttered) and may_report(e.intent_name) for e in added):
            return  # nearly every turn: nothing to read
        events = [event.as_dict() for event in tracker.events]
        found = list(reports(events, len(events) - new))
        if not found:
            return
        recorded = await asyncio.to_thread(record_reports, self._records_url, tracker.sender_id, found)
        for (_, report), (escalation_id, created) in zip(found, recorded, strict=False):
            if created and report.severity in SEVERITIES:
                payload = red_flag_payload(escalation_id, tracker.sender_id, report.severity, list(report.flags))
                notify_staff("red_flag", escalation_id, tracker.sender_id, payload)

    def _rows(self, sender_id: str, fetch_events_from_all_sessions: bool) -> list[str]:
        """The events' JSON, in order."""
        query = self._all_sessions if fetch_events_from_all_sessions else self._latest_session
        with self.engine.connect() as connection:
            return [data for (data,) in connection.execute(query, {"sender_id": sender_id})]


def _event_queries(events: sa.Table) -> tuple[sa.sql.Select, sa.sql.Select]:
    """Rasa's `_event_query` as Core statements, built once: the events' JSON of the latest
    session (since its last `session_started`, or all when there is none), and of all.

    Rasa joins the events to a subquery of the session's start. A prepared statement's plan is
    made once, and one made while the table was small re-ran that subquery for every event of the
    conversation (measured: 144 ms a turn at 250 turns; tests/test_tracker_store.py). Here the
    start is a scalar subquery, which PostgreSQL and SQLite compute once in any plan: same rows."""
    sender = sa.bindparam("sender_id")
    session_start = (
        sa.select(sa.func.max(events.c.timestamp))
        .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
        .scalar_subquery()
    )
    everything = sa.select(events.c.data).where(events.c.sender_id == sender).order_by(events.c.id)
    latest = everything.where(sa.or_(events.c.timestamp >= session_start, session_start.is_(None)))
    return latest, everything


def _sqlite_wal(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        # The switch needs the file to itself and fails at once, without waiting, while another
        # process writes: this connection works in the old mode and a later one switches. (Once
        # the file is in WAL mode the pragma changes nothing and never fails.)
        pass
    finally:
        cursor.close()
