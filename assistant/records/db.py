"""A connection to the clinic's database (DATABASE_URL, shared with Rasa's tracker store) for the staff
console and the website app, with every clinic and staff table migrated to this version."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any, TypeVar

from sqlalchemy import Table, create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from assistant.records.migrate import MigrationError, migrate
from assistant.stores.dburl import safe_url

logger = logging.getLogger(__name__)
T = TypeVar("T")


class DatabaseError(RuntimeError):
    """The database cannot be used; the message names it without its password."""


def connect(url: str) -> Engine:
    """An engine on a database migrated to this version; a clear error if the database is unusable."""
    try:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(f"DATABASE_URL is not a usable database URL ({safe_url(url)}): {exc}") from None
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        migrate(url)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseError(f"cannot use the database {safe_url(url)}: {reason}") from None
    except MigrationError as exc:
        raise DatabaseError(str(exc)) from None
    return engine


async def in_thread(function: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Run blocking database work off the event loop, so one slow query does not stall every page."""
    return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args, **kwargs))


_creating = threading.Lock()


@lru_cache(maxsize=4)
def shared_engine(url: str) -> Engine:
    """One engine per database for the servers' own writes (escalations, requests, notifications),
    made on first use, not at import, on a database migrated to this version first (the migration
    takes its own database lock against other processes). Writes come from worker threads: the
    thread lock makes two first writes at once (two bookings confirmed together on a new
    database) migrate once."""
    with _creating:
        migrate(url)
        # Pre-ping: after a database restart the pool's connections are dead; without it the
        # first booking afterwards failed ("couldn't save your request").
        return create_engine(url, future=True, pool_pre_ping=True)


def insert_row(url: str, table: Table, values: dict[str, Any]) -> int | None:
    """The new row's id, or None (and an error in the log) if the database fails: a failed write
    never raises into a patient's turn, and the caller can tell the patient honestly or carry on."""
    try:
        with shared_engine(url).begin() as connection:
            return connection.execute(table.insert().values(**values)).inserted_primary_key[0]
    except (SQLAlchemyError, MigrationError):
        logger.exception("could not add a row to %s in %s", table.name, safe_url(url))
        return None


def update_row(url: str, table: Table, row_id: int, values: dict[str, Any]) -> bool:
    """Update one row by id; False (and an error in the log) if the database fails."""
    try:
        with shared_engine(url).begin() as connection:
            connection.execute(table.update().where(table.c.id == row_id).values(**values))
        return True
    except (SQLAlchemyError, MigrationError):
        logger.exception("could not update row %d of %s in %s", row_id, table.name, safe_url(url))
        return False
