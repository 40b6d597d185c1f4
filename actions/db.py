"""The action server's own tables, stored beside the conversations (DATABASE_URL): the records
module's engine and writes (assistant/records/db.py), on the action server's database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from actions.settings import settings
from assistant.records import db


def engine() -> Engine:
    return db.shared_engine(settings().database_url)


def insert_row(table: Table, values: dict[str, Any]) -> int | None:
    return db.insert_row(settings().database_url, table, values)


def update_row(table: Table, row_id: int, values: dict[str, Any]) -> bool:
    return db.update_row(settings().database_url, table, row_id, values)
