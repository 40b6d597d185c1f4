"""The clinic's and the staff console's tables follow the code through Alembic revisions
(assistant/records/migrations/versions/), so an existing clinic's database upgrades with it.

Every server that uses the tables migrates where it used to create them: the staff console at
start, the action server and the website before their first write (actions/db.py,
assistant.records.db.connect).
Two of them starting at once take turns: a PostgreSQL advisory lock, or SQLite's write lock
(BEGIN IMMEDIATE), is held from reading the revision to committing the upgrade, so the second
finds the database at the newest revision and does nothing. Both databases change their schema
inside that one transaction, so a failed upgrade leaves the database as it was.

A database made before migrations (the tables, no `alembic_version`) is recognised: the baseline
revision makes only what is missing and the database is stamped, then upgraded like any other.
Rasa's own `events` table belongs to Rasa's tracker store and is never touched here.

    python -m assistant.records migrate     # what the servers do at start (also `make migrate`)
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from assistant.stores.dburl import safe_url

logger = logging.getLogger(__name__)
# Alembic says "Will assume non-transactional DDL" on SQLite at every start of every server, though the
# migration runs in our transaction; what was migrated is logged here instead.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Held for the whole migration on PostgreSQL: any fixed number, the same in every process.
ADVISORY_LOCK = 7_318_004_211
# Not the project's to compare or migrate: Rasa's tracker store owns `events`; SQLite's FTS5 module
# makes and owns the full-text index's own tables (staff_search_data, ...), made by the baseline.
FOREIGN_TABLES = frozenset({"events"})
SEARCH_TABLE = "staff_search"


class MigrationError(RuntimeError):
    """The database cannot be brought to this version's schema; the message says why."""


def target_metadata() -> MetaData:
    """Every table the revisions must produce: the clinic's records and the staff console's."""
    from assistant.records import staff_tables  # noqa: F401  (registers the staff tables on `metadata`)
    from assistant.records.tables import metadata

    return metadata


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """What autogenerate compares (tests) and writes revisions for: the project's own tables."""
    if type_ == "table" and name is not None:
        return name not in FOREIGN_TABLES and name != SEARCH_TABLE and not name.startswith(SEARCH_TABLE + "_")
    return True


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    revision = scripts().get_current_head()
    assert revision is not None  # the baseline exists
    return revision


def _engine(url: str) -> Engine:
    """An engine for one migration. SQLite: a real transaction around the DDL (pysqlite runs DDL
    outside one otherwise), begun IMMEDIATE so a second process waits for the first to finish."""
    engine = create_engine(url, future=True, poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        engine.dispose()
        engine = create_engine(url, future=True, poolclass=NullPool, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def locked(url: str) -> Iterator[Connection]:
    """A connection in a transaction that no other migration of this database runs beside."""
    engine = _engine(url)
    try:
        with engine.connect() as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
            yield connection
    finally:
        engine.dispose()


def current(connection: Connection) -> str | None:
    """The revision the database is at; None when it has no `alembic_version` (new, or made before migrations)."""
    return MigrationContext.configure(connection).get_current_revision()


def made_before_migrations(connection: Connection) -> bool:
    """Tables of ours without an `alembic_version`: made by metadata.create_all before migrations."""
    present = set(inspect(connection).get_table_names())
    return current(connection) is None and bool(present & set(target_metadata().tables))


def migrate(url: str) -> str | None:
    """Bring the database at `url` to the newest revision; the revision it was at before."""
    with locked(url) as connection:
        before = current(connection)
        known = scripts()
        newest = known.get_current_head()
        if before == newest:
            return before
        if before is not None and before not in {script.revision for script in known.walk_revisions()}:
            raise MigrationError(
                f"the database {safe_url(url)} is at revision {before}, which this version of the assistant "
                "does not know: a newer version migrated it; run that version (or restore a backup)"
            )
        if before is None and made_before_migrations(connection):
            logger.warning(
                "%s was made before migrations: completing it to the baseline and stamping it", safe_url(url)
            )
        command.upgrade(alembic_config(connection), "head")
    logger.info("migrated %s from %s to %s", safe_url(url), before or "nothing", newest)
    return before


def _plain_default(default: str) -> str:
    """A column default as SQL text without the wrapping each database adds: ('') on SQLite, ''::text on PostgreSQL."""
    default = re.sub(r"::[a-z ]+$", "", default.strip())
    while default.startswith("(") and default.endswith(")"):
        default = default[1:-1].strip()
    return default.strip("'")


def compare_server_default(
    context: Any, inspected: Any, column: Any, inspected_default: str | None, default: Any, rendered: str | None
) -> bool | None:
    """Alembic's own comparison reports the models' `server_default=""` as changed on both databases."""
    if rendered is None or inspected_default is None:
        return None  # alembic's rules (e.g. PostgreSQL's serial ids have a default the models do not)
    return _plain_default(inspected_default) != _plain_default(rendered)


def differences(connection: Connection) -> list[Any]:
    """What autogenerate finds between the models and the database (empty: they agree)."""
    options = {"include_object": include_object, "compare_type": True, "compare_server_default": compare_server_default}
    with warnings.catch_warnings():
        # SQLAlchemy 1.4 does not reflect PostgreSQL's expression index ix_staff_search (the baseline makes it).
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        return compare_metadata(MigrationContext.configure(connection, opts=options), target_metadata())


def new_revision(message: str, folder: Path) -> Path:
    """A revision autogenerated from the models against a scratch SQLite database at head, numbered
    after the newest; to be read, completed (PostgreSQL-only objects, data) and tested."""
    url = f"sqlite:///{folder / 'scratch.db'}"
    migrate(url)
    number = f"{int(head()) + 1:04d}"
    with locked(url) as connection:
        script = command.revision(alembic_config(connection), message=message, autogenerate=True, rev_id=number)
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
