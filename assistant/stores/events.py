"""A stored conversation event: Rasa's `events` table and the row its SQLTrackerStore writes for one event.

The tracker store's inserts (assistant/stores/tracker_store.py, pg_events.py), the staff console's
test and benchmark data (tools/conversations.py) and the tests take the columns and rows from
here, so they follow Rasa's table instead of copies of it. The staff console and the website do
not import Rasa: they read the table through their own plain SQLAlchemy copy
(assistant/records/staff_tables.py `events`), which tests/test_events_table.py checks against
Rasa's, column for column.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event

TABLE: sa.Table = SQLTrackerStore.SQLEvent.__table__
# Every column, in the table's order (the id first).
COLUMNS: tuple[str, ...] = tuple(TABLE.columns.keys())
# The columns of one event's row: all but the id the database assigns.
ROW_COLUMNS: tuple[str, ...] = tuple(column.name for column in TABLE.columns if not column.primary_key)


def event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """The row SQLTrackerStore.save writes for one event (rasa/core/tracker_store.py), keys in ROW_COLUMNS."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }
