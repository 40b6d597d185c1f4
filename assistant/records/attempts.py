"""Attempts counted per key in the database (failed sign-ins, a patient's erase requests), so every
process of the staff console and the website app counts the same and nothing grows in memory."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from assistant.records.staff_tables import login_failures


def locked_for(connection: Connection, key: str, now: float) -> float:
    """How many more seconds `key` is locked by count_attempt (0: not locked)."""
    locked_until = connection.execute(select(login_failures.c.locked_until).where(login_failures.c.key == key)).scalar()
    return max(0.0, locked_until - now) if locked_until else 0.0


def count_attempt(connection: Connection, key: str, limit: int, window: float, now: float) -> bool:
    """Count one attempt under `key` (a failed sign-in, a patient's erase request); True when it is
    the `limit`-th within `window` seconds, which locks the key for `window` seconds. Kept in the
    database, so every process of the staff console or the website app counts the same."""
    row = connection.execute(select(login_failures).where(login_failures.c.key == key)).first()
    if row is None or row.first_at < now - window:
        connection.execute(delete(login_failures).where(login_failures.c.key == key))
        connection.execute(login_failures.insert().values(key=key, failures=1, first_at=now, locked_until=None))
        failures = 1
    else:
        failures = row.failures + 1
        connection.execute(update(login_failures).where(login_failures.c.key == key).values(failures=failures))
    if failures < limit:
        return False
    values = {"locked_until": now + window, "failures": 0, "first_at": now}
    connection.execute(update(login_failures).where(login_failures.c.key == key).values(**values))
    return True
