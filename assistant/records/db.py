"""A connection to the clinic's database (DATABASE_URL, shared with Rasa's tracker store) for the staff
console and the website app, with every clinic and staff table migrated to this version."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from assistant.records.migrate import MigrationError, migrate
from assistant.stores.dburl import safe_url

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
