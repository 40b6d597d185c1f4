"""The tracker store writes exactly the rows Rasa's SQLTrackerStore writes, with fewer queries.

Every turn reads the conversation and saves it; the store skips Rasa's count
query for trackers it read itself (assistant/stores/tracker_store.py). These tests
compare rows with Rasa's own store on a second database and cover the cases
where counting and remembering could differ.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.runtime.turn_gate import TurnGate
from assistant.stores import pg_events
from assistant.stores.events import ROW_COLUMNS, event_row
from assistant.stores.tracker_store import URLSQLTrackerStore
from tools import services

ROOT = Path(__file__).resolve().parent.parent
ROWS = f"SELECT {', '.join(ROW_COLUMNS)} FROM events"  # noqa: S608 (column names): every column but the id


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"{ROWS} ORDER BY id").fetchall()


def ours(path: Path, domain: Domain) -> URLSQLTrackerStore:
    return URLSQLTrackerStore(domain=domain, host=f"sqlite:///{path}")


def rasas(path: Path, domain: Domain) -> SQLTrackerStore:
    return SQLTrackerStore(domain=domain, dialect="sqlite", db=str(path))


def turn(text: str, answer: str, at: float) -> list:
    return [
        UserUttered(text, {"name": "greet", "confidence": 0.9}, timestamp=at),
        ActionExecuted("utter_greet", timestamp=at + 0.1),
        BotUttered(answer, timestamp=at + 0.2),
        ActionExecuted("action_listen", timestamp=at + 0.3),
    ]


async def talk(store: Any, sender: str) -> None:
    """What the processor does over three turns: read (or create), add the turn's events, save."""
    start = [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.1)]
    for number in range(3):
        tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
        events = [*start, ActionExecuted("action_listen", timestamp=1.2)] if number == 0 else []
        events += turn(f"message {number}", f"answer {number}", 10.0 * (number + 1))
        if number == 1:
            events.append(SlotSet("patient_name", "Ana", timestamp=25.0))
        for event in events:
            tracker.update(event)
        await store.save(tracker)


def conversation(store: Any, sender: str) -> None:
    run(talk(store, sender))


def test_rows_are_the_ones_rasas_store_writes(tmp_path: Path, domain: Domain) -> None:
    conversation(ours(tmp_path / "ours.db", domain), "patient-1")
    conversation(rasas(tmp_path / "rasa.db", domain), "patient-1")
    written = rows(tmp_path / "ours.db")
    assert written == rows(tmp_path / "rasa.db")
    assert len(written) == 3 + 4 * 3 + 1  # session start, three turns, one slot: each once


def test_a_read_tracker_equals_rasas(tmp_path: Path, domain: Domain) -> None:
    conversation(ours(tmp_path / "ours.db", domain), "patient-1")
    conversation(rasas(tmp_path / "rasa.db", domain), "patient-1")
    mine = run(ours(tmp_path / "ours.db", domain).retrieve("patient-1"))
    theirs = run(rasas(tmp_path / "rasa.db", domain).retrieve("patient-1"))
    assert list(mine.events) == list(theirs.events)
    assert mine.get_slot("patient_name") == "Ana"
    assert run(ours(tmp_path / "ours.db", domain).retrieve("nobody")) is None


def test_a_tracker_that_was_not_read_here_is_counted(tmp_path: Path, domain: Domain) -> None:
    """E.g. a tracker built from events sent to the HTTP API: the stored count decides what is new."""
    store = ours(tmp_path / "ours.db", domain)
    conversation(store, "patient-1")
    before = len(rows(tmp_path / "ours.db"))
    tracker = run(store.retrieve("patient-1"))
    rebuilt = DialogueStateTracker.from_events("patient-1", [*tracker.events, *turn("again", "yes", 90.0)])
    run(store.save(rebuilt))
    assert len(rows(tmp_path / "ours.db")) == before + 4


def test_saving_twice_stores_each_event_once(tmp_path: Path, domain: Domain) -> None:
    store = ours(tmp_path / "ours.db", domain)
    tracker = run(store.get_or_create_tracker("patient-1"))
    for event in turn("hi", "hello", 5.0):
        tracker.update(event)
    run(store.save(tracker))
    run(store.save(tracker))
    tracker.update(SlotSet("patient_name", "Ana", timestamp=6.0))
    run(store.save(tracker))
    assert [row[1] for row in rows(tmp_path / "ours.db")] == ["action", "user", "action", "bot", "action", "slot"]


def test_an_erased_conversation_is_not_written_back(tmp_path: Path, domain: Domain) -> None:
    """Staff erase a conversation while a turn is being answered: only that turn's events are saved,
    not the erased history (Rasa's count would find 0 stored and write everything again)."""
    store = ours(tmp_path / "ours.db", domain)
    conversation(store, "patient-1")
    tracker = run(store.retrieve("patient-1"))
    with sqlite3.connect(tmp_path / "ours.db") as conn:
        conn.execute("DELETE FROM events WHERE sender_id = 'patient-1'")
    for event in turn("still there?", "yes", 80.0):
        tracker.update(event)
    run(store.save(tracker))
    left = rows(tmp_path / "ours.db")
    assert [row[1] for row in left] == ["user", "action", "bot", "action"]
    assert '"still there?"' in left[0][5]


def test_a_full_history_read_then_saved_is_not_duplicated(tmp_path: Path, domain: Domain) -> None:
    """The HTTP API appends events to the tracker of all sessions; only the appended ones are new."""
    store = ours(tmp_path / "ours.db", domain)
    conversation(store, "patient-1")
    second = run(store.retrieve("patient-1"))
    for event in [ActionExecuted("action_session_start", timestamp=100.0), SessionStarted(timestamp=100.1)]:
        second.update(event)
    run(store.save(second))
    before = len(rows(tmp_path / "ours.db"))
    full = run(store.retrieve_full_tracker("patient-1"))
    full.update(BotUttered("A message from the clinic's staff", timestamp=120.0))
    run(store.save(full))
    assert len(rows(tmp_path / "ours.db")) == before + 1


def test_sqlite_uses_write_ahead_logging(tmp_path: Path, domain: Domain) -> None:
    conversation(ours(tmp_path / "ours.db", domain), "patient-1")
    with sqlite3.connect(tmp_path / "ours.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.fixture(scope="module")
def postgres() -> Iterator[services.PostgresServer]:
    with services.postgres() as server:
        yield server


@pytest.mark.services
def test_on_postgresql_rows_are_rasas_and_a_turn_is_one_read_and_one_insert(
    tmp_path: Path, domain: Domain, postgres: services.PostgresServer
) -> None:
    """No BEGIN/COMMIT/ROLLBACK round trips: Rasa's store sent six statements per turn."""
    admin = sa.create_engine(postgres.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text("ALTER SYSTEM SET log_statement = 'all'"))
        connection.execute(sa.text("SELECT pg_reload_conf()"))
    store = URLSQLTrackerStore(domain=domain, host=postgres.url)

    async def measured() -> int:
        # A server's connections stay open: the driver's own first queries (connecting, the
        # array types' description) come once per connection, here in the first conversation.
        await talk(store, "patient-pg-first")
        logged = postgres.log.stat().st_size
        await talk(store, "patient-pg")
        return logged

    logged = run(measured())
    text = postgres.log.read_bytes()[logged:].decode(errors="replace")
    # Simple queries are logged as "statement: ...", prepared ones as "execute <name>: ..."
    statements = [word.upper() for word in re.findall(r"(?:statement|execute [^:]*): (\w+)", text)]
    assert statements == ["SELECT", "INSERT"] * 3

    conversation(rasas(tmp_path / "rasa.db", domain), "patient-pg")
    with admin.connect() as connection:
        written = connection.execute(sa.text(f"{ROWS} WHERE sender_id = 'patient-pg' ORDER BY id")).fetchall()
    assert [tuple(row) for row in written] == rows(tmp_path / "rasa.db")
    mine = run(store.retrieve("patient-pg"))
    theirs = run(rasas(tmp_path / "rasa.db", domain).retrieve("patient-pg"))
    assert list(mine.events) == list(theirs.events)
    assert len(run(store.retrieve_full_tracker("patient-pg")).events) == len(written)
    admin.dispose()


@pytest.mark.services
def test_on_postgresql_other_turns_compute_while_one_waits_for_the_database(
    domain: Domain, postgres: services.PostgresServer
) -> None:
    """The read is awaited with the turn gate released: a turn that holds the gate and waits for
    PostgreSQL (here behind a table lock) does not hold up the next turn."""
    store = URLSQLTrackerStore(domain=domain, host=postgres.url)
    conversation(store, "patient-waits")
    blocker = sa.create_engine(postgres.url).connect()
    transaction = blocker.begin()
    blocker.execute(sa.text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
    gate = TurnGate()

    async def waiting_turn() -> DialogueStateTracker | None:
        await gate.acquire()
        try:
            return await store.retrieve("patient-waits")
        finally:
            gate.release()

    async def next_turn() -> None:
        await gate.acquire()
        gate.release()

    async def scenario() -> tuple[bool, int]:
        with patch.object(pg_events, "GATE", gate):
            waiting = asyncio.ensure_future(waiting_turn())
            await asyncio.sleep(0.3)
            assert not waiting.done()  # blocked by the table lock
            await asyncio.wait_for(next_turn(), timeout=2)  # the next turn gets the gate meanwhile
            transaction.commit()
            tracker = await asyncio.wait_for(waiting, timeout=10)
            return waiting.done(), len(tracker.events) if tracker else 0

    try:
        assert run(scenario()) == (True, 15)
    finally:
        if transaction.is_active:
            transaction.rollback()
        blocker.close()


@pytest.mark.services
def test_on_postgresql_a_database_that_is_down_raises_sqlalchemys_error_and_is_used_again_when_back(
    domain: Domain, postgres: services.PostgresServer
) -> None:
    """assistant/runtime/unavailable.py answers SQLAlchemy's errors with the "service unavailable" reply."""
    store = URLSQLTrackerStore(domain=domain, host=postgres.url)

    async def scenario() -> int:
        await talk(store, "patient-down")  # the pool holds a connection
        tracker = await store.retrieve("patient-down")
        assert tracker is not None
        postgres.stop()
        try:
            with pytest.raises(sa.exc.OperationalError):
                await store.retrieve("patient-down")
            tracker.update(UserUttered("hello", timestamp=50.0))
            with pytest.raises(sa.exc.OperationalError):
                await store.save(tracker)
        finally:
            postgres.start()
        tracker = await store.retrieve("patient-down")  # the same loop and pool: reconnects
        return len(tracker.events) if tracker else 0

    assert run(scenario()) == 15


@pytest.mark.services
def test_on_postgresql_a_restart_between_turns_costs_no_turn(domain: Domain, postgres: services.PostgresServer) -> None:
    store = URLSQLTrackerStore(domain=domain, host=postgres.url)

    async def scenario() -> int:
        await talk(store, "patient-restart")
        postgres.stop()
        postgres.start()
        tracker = await store.retrieve("patient-restart")
        assert tracker is not None
        tracker.update(UserUttered("still there?", timestamp=60.0))
        await store.save(tracker)
        tracker = await store.retrieve("patient-restart")
        return len(tracker.events) if tracker else 0

    assert run(scenario()) == 16


@pytest.mark.services
def test_on_postgresql_a_plan_made_on_a_small_table_reads_a_long_conversation_in_one_pass(
    domain: Domain, postgres: services.PostgresServer
) -> None:
    """asyncpg keeps statements prepared, and PostgreSQL keeps a prepared statement's generic plan.
    With Rasa's query (a join to the session-start subquery) a plan made while the table was small
    ran that subquery again for every event: 1,500 times here, ~190 ms a read."""
    store = URLSQLTrackerStore(domain=domain, host=postgres.url)
    table = store.SQLEvent.__table__
    assert store._postgres is not None
    statement = store._postgres._latest

    def row(event: Any) -> dict[str, Any]:
        return event_row("long-talk", event)

    with store.engine.begin() as connection:
        connection.execute(table.insert(), [row(SessionStarted(timestamp=1.0))])
    admin = sa.create_engine(postgres.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        cursor = connection.connection.cursor()
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        types = ", ".join("text" for _ in statement.names)
        cursor.execute(f"PREPARE latest ({types}) AS {statement.sql}")
        values = ", ".join("'session_started'" if name != "sender_id" else "'long-talk'" for name in statement.names)
        cursor.execute(f"EXECUTE latest ({values})")  # the generic plan, made on a table of one row
        assert len(cursor.fetchall()) == 1
        with store.engine.begin() as insert:
            insert.execute(table.insert(), [row(ActionExecuted("utter_greet", timestamp=2.0 + n)) for n in range(1500)])
        cursor.execute(f"EXPLAIN ANALYZE EXECUTE latest ({values})")
        plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.close()
    admin.dispose()
    assert max(int(loops) for loops in re.findall(r"loops=(\d+)", plan)) == 1, plan
    assert len(run(store.retrieve("long-talk")).events) == 1501


@pytest.mark.services
def test_on_postgresql_a_url_with_settings_only_psycopg2_reads_keeps_it(
    domain: Domain, postgres: services.PostgresServer
) -> None:
    store = URLSQLTrackerStore(domain=domain, host=postgres.url + "?connect_timeout=5")
    assert store._postgres is None
    conversation(store, "patient-psycopg2")
    assert len(run(store.retrieve("patient-psycopg2")).events) == 15
    assert URLSQLTrackerStore(domain=domain, host=postgres.url + "?sslmode=disable")._postgres is not None


def test_the_first_turn_works_while_another_process_writes_the_new_database(tmp_path: Path, domain: Domain) -> None:
    """Switching a database to write-ahead logging fails at once, without waiting, while another
    connection writes. Seen on `make run` from a fresh clone: the first patient's turn came while
    the staff console created its tables and got "technical problem". The switch now happens when
    the store is created, and a connection that cannot switch works in the old mode."""
    import threading
    import time

    path = tmp_path / "rasa.db"
    SQLTrackerStore(domain=domain, dialect="sqlite", db=str(path))  # Rasa's tables, no WAL yet
    other = sqlite3.connect(path, check_same_thread=False)

    def write_for_a_moment() -> None:
        other.execute("BEGIN IMMEDIATE")
        other.execute("CREATE TABLE staff_table (x)")
        time.sleep(0.5)
        other.commit()

    # A store created while another process writes: no error, and it works once that write is done.
    writer = threading.Thread(target=write_for_a_moment)
    writer.start()
    time.sleep(0.1)
    busy = ours(path, domain)
    writer.join()
    conversation(busy, "patient-1")

    # A store created on a quiet database switches at once: a write elsewhere during the first
    # turn only makes the turn wait for it.
    fresh = tmp_path / "fresh.db"
    SQLTrackerStore(domain=domain, dialect="sqlite", db=str(fresh))
    store = ours(fresh, domain)
    other = sqlite3.connect(fresh, check_same_thread=False)
    writer = threading.Thread(target=write_for_a_moment)
    writer.start()
    time.sleep(0.1)
    conversation(store, "patient-2")
    writer.join()
    assert len(rows(fresh)) == 3 + 4 * 3 + 1
    with sqlite3.connect(fresh) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
