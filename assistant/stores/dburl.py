"""Database URLs: shown to people only with the password masked; checked at start."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from assistant.settings import settings


class DatabaseUnreachable(RuntimeError):
    """The database did not answer; the message names it without its password."""


def safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def check_reachable(url: str, wait_seconds: float | None = None) -> None:
    """Fail at start, naming the database, rather than start and fail every patient's turn (Rasa
    itself logs "Could not create tables" and serves anyway). Waits up to DATABASE_WAIT_SECONDS
    (default 30) for a database that is still starting."""
    if wait_seconds is None:
        wait_seconds = settings().database_wait_seconds
    engine = create_engine(url)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                return
            except OperationalError as exc:
                if time.monotonic() >= deadline:
                    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
                    raise DatabaseUnreachable(f"cannot reach the database at {safe_url(url)}: {reason}") from None
                time.sleep(1)
    finally:
        engine.dispose()
