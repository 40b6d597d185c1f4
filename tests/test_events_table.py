"""One definition of a stored event: assistant/stores/events.py takes Rasa's `events` table and
writes the rows its SQLTrackerStore writes; the staff console's own copy of the table
(assistant/records/staff_tables.py, so the console does not import Rasa) is Rasa's, column for
column. A Rasa upgrade that changes the table fails here."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.records.staff_tables import events as console_events
from assistant.stores.events import ROW_COLUMNS, TABLE, event_row

ROOT = Path(__file__).resolve().parent.parent


def columns(table: sa.Table) -> list[tuple[object, ...]]:
    """What the console relies on of each column: name, type (with its length), nullability, key."""
    return [
        (column.name, type(column.type), getattr(column.type, "length", None), column.nullable, column.primary_key)
        for column in table.columns
    ]


def indexes(table: sa.Table) -> set[tuple[object, ...]]:
    return {(index.name, tuple(column.name for column in index.columns), index.unique) for index in table.indexes}


def test_the_console_table_is_rasas_column_for_column() -> None:
    rasas = SQLTrackerStore.SQLEvent.__table__
    assert console_events.name == rasas.name == "events"
    assert columns(console_events) == columns(rasas)
    assert indexes(console_events) == indexes(rasas) == {("ix_events_sender_id", ("sender_id",), False)}
    assert TABLE is rasas


def test_event_row_is_the_row_rasas_store_writes(tmp_path: Path) -> None:
    events = [
        ActionExecuted("action_session_start", timestamp=1.0),
        SessionStarted(timestamp=2.0),
        ActionExecuted("action_listen", timestamp=3.0),
        UserUttered(
            "what is sciatica?",
            {"name": "sciatica_what", "confidence": 0.93},
            parse_data={"intent": {"name": "sciatica_what", "confidence": 0.93}, "entities": []},
            timestamp=4.0,
        ),
        ActionExecuted("utter_sciatica_what", timestamp=5.0),
        BotUttered("Sciatica is ...", {"buttons": None}, {"utter_action": "utter_sciatica_what"}, timestamp=6.0),
        SlotSet("red_flag_severity", None, timestamp=7.0),
        ConversationPaused(timestamp=8.0),
    ]
    store = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "rasa.db"))
    asyncio.run(store.save(DialogueStateTracker.from_events("patient", events)))
    with sqlite3.connect(tmp_path / "rasa.db") as connection:
        cursor = connection.execute(f"SELECT {', '.join(ROW_COLUMNS)} FROM events ORDER BY id")  # noqa: S608
        stored = [dict(zip(ROW_COLUMNS, row, strict=True)) for row in cursor]
    assert [event_row("patient", event) for event in events] == stored
    assert all(tuple(event_row("patient", event)) == ROW_COLUMNS for event in events)


def test_the_console_and_the_website_do_not_import_rasa() -> None:
    """Their copy of the table is what keeps Rasa (about 2 s to import) out of them."""
    check = (
        "import sys, assistant.staff.app, assistant.website.app, assistant.records.erasure;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rasa'))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    found = subprocess.run([sys.executable, "-c", check], env=env, cwd=ROOT, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "[]"
