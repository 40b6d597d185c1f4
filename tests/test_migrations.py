"""Migrations of the clinic's and the staff console's tables (assistant/records/migrate.py), on SQLite
and on a throwaway PostgreSQL: a new database reaches the newest revision with exactly the schema the
code made before migrations; a database made by that code is recognised, completed and stamped,
its rows kept; two processes starting together migrate once; and the models and the revisions must
agree, so a table change without a revision fails here."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, text
from sqlalchemy.engine import make_url

from assistant.records import migrate
from assistant.records.__main__ import main as records_cli
from assistant.settings import settings
from tests.conftest import ROOT
from tests.staff_console import fresh_postgres_database
from tools import services

# What the code made with metadata.create_all before migrations (dumped from that code).
BEFORE = {dialect: ROOT / "tests" / "data" / f"before_migrations.{dialect}.sql" for dialect in ("sqlite", "postgresql")}


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    with services.postgres() as server:
        yield server.url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes empty databases, each call another: SQLite files, or databases on a throwaway PostgreSQL."""
    if request.param == "sqlite":
        names = (f"sqlite:///{tmp_path / f'rasa{number}.db'}" for number in range(100))
        return lambda: next(names)
    server = request.getfixturevalue("postgres_server")
    return lambda: fresh_postgres_database(server)


def statements(dialect: str, clinic_only: bool = False) -> list[str]:
    """The old schema's statements; clinic_only: what an action server alone made (no staff console yet)."""
    body = "\n".join(line for line in BEFORE[dialect].read_text().splitlines() if not line.startswith("--"))
    found = [statement.strip() for statement in body.split(";\n\n") if statement.strip()]
    return [statement for statement in found if not (clinic_only and "staff_" in statement)]


def load_old_schema(url: str, clinic_only: bool = False) -> None:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        with sqlite3.connect(parsed.database) as db:
            db.executescript(";\n".join(statements("sqlite", clinic_only)) + ";")
        return
    db = psycopg2.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password, dbname=parsed.database
    )
    db.autocommit = True
    with db.cursor() as cursor:
        cursor.execute(";\n".join(statements("postgresql", clinic_only)) + ";")
    db.close()


def schema(url: str) -> set[tuple]:
    """Every table, column, index, constraint, trigger and function, as the database describes them."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                queries = ["SELECT type, name, tbl_name, sql FROM sqlite_master"]
            else:
                queries = [
                    "SELECT 'column', table_name, column_name, data_type, character_maximum_length, is_nullable, "
                    "column_default FROM information_schema.columns WHERE table_schema = 'public'",
                    "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
                    "SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                    "FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
                    "SELECT 'trigger', tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) "
                    "FROM pg_trigger WHERE NOT tgisinternal",
                    "SELECT 'function', proname, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
                    "SELECT 'sequence', sequence_name FROM information_schema.sequences",
                ]
            found = {tuple(row) for query in queries for row in connection.execute(text(query))}
    finally:
        engine.dispose()
    return {row for row in found if not any("alembic_version" in str(cell) for cell in row)}


BASELINE = "0001"  # the schema the code made before migrations


def upgrade_to(url: str, target: str) -> None:
    from alembic import command

    with migrate.locked(url) as connection:
        command.upgrade(migrate.alembic_config(connection), target)


def revision(url: str) -> str | None:
    with migrate.locked(url) as connection:
        return migrate.current(connection)


def differences(url: str) -> list:
    with migrate.locked(url) as connection:
        return migrate.differences(connection)


def test_a_new_database_gets_exactly_the_schema_the_code_made_before_migrations(
    new_database: Callable[[], str],
) -> None:
    url, old, fresh = new_database(), new_database(), new_database()
    upgrade_to(url, BASELINE)
    load_old_schema(old)
    assert schema(url) == schema(old)
    # The later revisions make the same schema from the baseline as from nothing.
    assert migrate.migrate(url) == BASELINE
    assert migrate.migrate(fresh) is None
    assert revision(url) == revision(fresh) == migrate.head()
    assert schema(url) == schema(fresh)
    assert differences(url) == []
    assert migrate.migrate(url) == migrate.head()  # the next start: nothing to do


def test_a_database_made_before_migrations_is_stamped_and_keeps_its_rows(
    new_database: Callable[[], str], caplog: pytest.LogCaptureFixture
) -> None:
    url = new_database()
    load_old_schema(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO escalations (sender_id, severity, flags, message, created_at) "
                "VALUES ('patient-1', 'emergency', '[]', 'numb groin', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(text("INSERT INTO staff_audit (at, actor, action) VALUES (1, 'ada', 'sign_in')"))
    before = schema(url)
    with caplog.at_level(logging.WARNING, logger="assistant.records.migrate"):
        assert migrate.migrate(url) is None
    assert "made before migrations" in caplog.text
    assert revision(url) == migrate.head()
    fresh = new_database()
    migrate.migrate(fresh)
    assert schema(url) == schema(fresh) != before
    assert differences(url) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT sender_id FROM escalations")).scalars().all() == ["patient-1"]
        assert connection.execute(text("SELECT actor FROM staff_audit")).scalars().all() == ["ada"]
    engine.dispose()


def test_a_database_with_only_the_action_servers_tables_is_completed(new_database: Callable[[], str]) -> None:
    """Before migrations the action server made the clinic's tables only; the console made its own later."""
    url, fresh = new_database(), new_database()
    load_old_schema(url, clinic_only=True)
    migrate.migrate(fresh)
    migrate.migrate(url)
    assert revision(url) == migrate.head()
    assert schema(url) == schema(fresh)


def test_servers_starting_together_migrate_once(new_database: Callable[[], str]) -> None:
    url = new_database()
    start = threading.Barrier(4)
    results: list[object] = []

    def start_server() -> None:
        start.wait()
        try:
            results.append(migrate.migrate(url))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=start_server) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One migrated the empty database; the others waited and found it at the newest revision.
    assert sorted(map(str, results)) == sorted([str(None)] + [migrate.head()] * 3)
    assert differences(url) == []


def test_an_upgrade_that_fails_half_way_leaves_the_database_as_it_was(
    new_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic.operations import Operations

    url = new_database()
    execute = Operations.execute

    def fail_at_the_last_statement(self: Operations, sql: object, *args: object, **kwargs: object) -> None:
        if "staff_audit_no_delete" in str(sql) or "CREATE TRIGGER staff_audit_append_only" in str(sql):
            raise RuntimeError("the server went away")
        execute(self, sql, *args, **kwargs)

    monkeypatch.setattr(Operations, "execute", fail_at_the_last_statement)
    with pytest.raises(RuntimeError, match="went away"):
        migrate.migrate(url)
    assert schema(url) == set() and revision(url) is None  # the tables made before it are gone too
    monkeypatch.setattr(Operations, "execute", execute)
    migrate.migrate(url)
    assert differences(url) == []


def test_a_table_change_without_a_revision_is_found(
    new_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = new_database()
    migrate.migrate(url)
    changed = MetaData()
    for table in migrate.target_metadata().tables.values():
        table.to_metadata(changed)
    Table("escalations", changed, Column("reviewed", Integer), extend_existing=True)
    Table("staff_reminders", changed, Column("id", Integer, primary_key=True))
    monkeypatch.setattr(migrate, "target_metadata", lambda: changed)
    changes = _flat(differences(url))
    found = {(change[0], change[3].name if change[0] == "add_column" else change[1].name) for change in changes}
    assert found == {("add_column", "reviewed"), ("add_table", "staff_reminders")}


def _flat(changes: list) -> list:
    return [item for change in changes for item in (change if isinstance(change, list) else [change])]


def test_a_new_revision_is_written_from_the_models_and_applies(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`python -m assistant.records revision -m ...`, on a copy of the migrations."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "MIGRATIONS", copy)
    changed = MetaData()
    for table in migrate.target_metadata().tables.values():
        table.to_metadata(changed)
    Table("handoff_requests", changed, Column("staff_member", Integer), extend_existing=True)
    monkeypatch.setattr(migrate, "target_metadata", lambda: changed)
    path = migrate.new_revision("who took the hand-off", tmp_path)
    assert path.name == "0003_who_took_the_hand_off.py"
    assert "staff_member" in path.read_text() and "down_revision = '0002'" in path.read_text()
    url = f"sqlite:///{tmp_path / 'rasa.db'}"
    migrate.migrate(url)
    assert revision(url) == "0003" and differences(url) == []


def test_a_database_migrated_by_a_newer_version_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rasa.db'}"
    migrate.migrate(url)
    with sqlite3.connect(tmp_path / "rasa.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(migrate.MigrationError, match="is at revision 0099, which this version .* does not know"):
        migrate.migrate(url)


def test_a_table_older_than_the_baseline_is_named_and_nothing_changes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rasa.db'}"
    load_old_schema(url, clinic_only=True)
    with sqlite3.connect(tmp_path / "rasa.db") as db:
        db.execute("ALTER TABLE handoff_requests DROP COLUMN channel")
    before = schema(url)
    with pytest.raises(migrate.MigrationError, match="table handoff_requests lacks the columns channel"):
        migrate.migrate(url)
    assert schema(url) == before and revision(url) is None


def test_the_baseline_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'rasa.db'}"
    migrate.migrate(url)
    with migrate.locked(url) as connection:
        command.downgrade(migrate.alembic_config(connection), "base")
    assert {row[1] for row in schema(url) if row[0] == "table"} == set()
    migrate.migrate(url)
    assert differences(url) == []


def test_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'rasa.db'}"
    load_old_schema(url)
    monkeypatch.setenv("DATABASE_URL", url)
    settings.cache_clear()
    try:
        assert records_cli(["current"]) == 0
        assert "at revision none (made before migrations: run migrate)" in capsys.readouterr().out
        assert records_cli(["migrate"]) == 0
        assert f"at revision {migrate.head()} (before: none)" in capsys.readouterr().out
        assert records_cli(["current"]) == 0
        assert f"at revision {migrate.head()} (the newest)" in capsys.readouterr().out
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'rasa.db'}")
        settings.cache_clear()
        assert records_cli(["migrate"]) == 2
        assert "unable to open database file" in capsys.readouterr().err
    finally:
        settings.cache_clear()
