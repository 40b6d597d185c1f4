"""A turn's read and insert of conversation events on PostgreSQL, awaited (asyncpg).

With psycopg2 the Rasa process stands idle while PostgreSQL answers a turn's
read and its insert (about a millisecond per turn), and a process computes one
turn at a time (assistant/runtime/turn_gate.py). Awaited, another patient's turn
computes meanwhile (measured in docs/performance.md, "Third pass"). The
statements are the synchronous path's (SQLAlchemy writes both from Rasa's
table), prepared once per connection. Errors reach callers as SQLAlchemy's
OperationalError, the type the rest of the store raises, so a database that
is down is answered as before (assistant/runtime/unavailable.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from assistant.runtime.turn_gate import GATE
from assistant.stores.events import ROW_COLUMNS

logger = logging.getLogger(__name__)

# URL settings asyncpg reads itself; any other (e.g. connect_timeout, options) would reach the
# server as a session setting, so such a URL keeps the synchronous driver (`supports`).
DRIVER_SETTINGS = frozenset(
    {"host", "port", "passfile", "sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslpassword"}
    | {"target_session_attrs", "application_name"}  # the last is a session setting for both drivers
)
CONNECT_SECONDS = 10.0
STATEMENT_SECONDS = 30.0  # a turn waits no longer for a database that stopped answering
MAX_CONNECTIONS = 10  # per Rasa process: one per turn waiting for the database at once
# A connection that broke (the database restarted, a proxy dropped it): a read is tried once more.
CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
)
FAILED = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError)


def supports(url: URL) -> bool:
    return url.get_backend_name() == "postgresql" and set(url.query) <= DRIVER_SETTINGS


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """No reset query when a connection goes back to the pool: these statements leave no session
    state (no transaction, setting or lock), and asyncpg's default reset costs a round trip."""


class PostgresEvents:
    def __init__(self, url: URL, table: sa.Table, latest: sa.sql.Select, everything: sa.sql.Select) -> None:
        """`latest` and `everything`: the store's statements for the latest session's and all events."""
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._latest = _numbered(latest)
        self._all = _numbered(everything)
        arrays = [sa.cast(sa.bindparam(name), ARRAY(table.c[name].type)) for name in ROW_COLUMNS]
        rows = sa.select(sa.literal_column("*")).select_from(sa.func.unnest(*arrays))
        self._insert = _numbered(table.insert().from_select([table.c[name] for name in ROW_COLUMNS], rows))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._creating: asyncio.Task[asyncpg.Pool] | None = None

    async def fetch(self, sender_id: str, all_sessions: bool) -> list[str]:
        """The events' JSON in order, of the latest session or of all."""
        query = self._all if all_sessions else self._latest
        args = query.arguments({"sender_id": sender_id})
        try:
            try:
                rows = await self._outside(query.sql, "fetch", args)
            except CONNECTION_LOST as exc:
                # The database restarted since this connection was made: the pool replaces it,
                # and the patient is answered rather than told the service is down.
                logger.info("database connection lost (%s): reading once more", type(exc).__name__)
                rows = await self._outside(query.sql, "fetch", args)
        except FAILED as exc:
            raise OperationalError(query.sql, None, exc) from exc
        return [row[0] for row in rows]

    async def insert(self, rows: list[dict[str, Any]]) -> None:
        args = self._insert.arguments({name: [row[name] for row in rows] for name in ROW_COLUMNS})
        try:
            # The save is a turn's last step: once it is stored the turn only returns its answer,
            # so it does not queue for the gate again.
            await self._outside(self._insert.sql, "execute", args, resume=False)
        except FAILED as exc:
            raise OperationalError(self._insert.sql, None, exc) from exc

    async def _outside(self, query: str, method: str, args: tuple[Any, ...], resume: bool = True) -> Any:
        """One statement on a pooled connection, the turn gate released meanwhile."""
        return await GATE.outside(self._run(query, method, args), hold=0, resume=resume)

    async def _run(self, query: str, method: str, args: tuple[Any, ...]) -> Any:
        pool = await self._pool()
        async with pool.acquire() as connection:
            return await getattr(connection, method)(query, *args, timeout=STATEMENT_SECONDS)

    async def _pool(self) -> asyncpg.Pool:
        loop = asyncio.get_running_loop()
        if loop is not self._loop or self._creating is None:  # a pool's connections belong to one loop
            self._loop = loop
            self._creating = loop.create_task(self._connect())
        creating = self._creating
        try:
            return await asyncio.shield(creating)
        except Exception:
            if creating is self._creating:
                self._creating = None  # the database is down: the next turn tries again
            raise

    async def _connect(self) -> asyncpg.Pool:
        return await asyncpg.create_pool(
            self._dsn, min_size=1, max_size=MAX_CONNECTIONS, timeout=CONNECT_SECONDS, reset=_keep_session
        )


@dataclass(frozen=True)
class Statement:
    sql: str  # with asyncpg's $1, $2, ... placeholders
    names: tuple[str, ...]  # the parameter of each placeholder
    defaults: dict[str, Any]  # values bound in the statement itself (e.g. 'session_started')

    def arguments(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[name] if name in values else self.defaults[name] for name in self.names)


def _numbered(statement: sa.sql.ClauseElement) -> Statement:
    """A SQLAlchemy statement as PostgreSQL SQL for asyncpg: SQLAlchemy writes the SQL, so it is
    the same SQL the synchronous path sends."""
    compiled = statement.compile(dialect=postgresql.dialect(paramstyle="numeric"))
    sql = re.sub(r"(?<!:):(\d+)", r"$\1", str(compiled))
    return Statement(sql, tuple(compiled.positiontup or ()), dict(compiled.params))
