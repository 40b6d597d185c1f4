"""The action server's own tables, stored beside the conversations (DATABASE_URL).

Writes never raise into an action: a failed write is logged (with the URL
without its password) and reported as None/False, so the caller can tell
the patient honestly or carry on.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from actions.settings import settings
from assistant.records.migrate import MigrationError, migrate
from assistant.stores.dburl import safe_url

logger = logging.getLogger(__name__)


_creating = threading.Lock()


@lru_cache(maxsize=1)
def engine() -> Engine:
    """Created on first use, not at import; the tables migrated to this version first (the
    migration takes its own database lock against other processes). Actions store from worker
    threads: the thread lock makes two first writes at once (two bookings confirmed together on
    a new database) migrate once."""
    with _creating:
        migrate(settings().database_url)
        # Pre-ping: after a database restart the pool's connections are dead; without it the
        # first booking afterwards failed ("couldn't save your request").
        return create_engine(settings().database_url, future=True, pool_pre_ping=True)


def insert_row(table: Table, values: dict[str, Any]) -> int | None:
    """The new row's id, or None (and an error in the log) if the database fails."""
    try:
        with engine().begin() as connection:
            return connection.execute(table.insert().values(**values)).inserted_primary_key[0]
    except (SQLAlchemyError, MigrationError):
        logger.exception("could not add a row to %s in %s", table.name, safe_url(settings().database_url))
        return None


def update_row(table: Table, row_id: int, values: dict[str, Any]) -> bool:
    """Update one row by id; False (and an error in the log) if the database fails."""
    try:
        with engine().begin() as connection:
            connection.execute(table.update().where(table.c.id == row_id).values(**values))
        return True
    except (SQLAlchemyError, MigrationError):
        logger.exception("could not update row %d of %s in %s", row_id, table.name, safe_url(settings().database_url))
        return False
