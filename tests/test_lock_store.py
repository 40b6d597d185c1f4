"""Start-up checks of the shared stores: the lock store from LOCK_STORE_URL (in-memory when empty,
Rasa's RedisLockStore on a real Redis from tools/services.py when set) and the database, each a
clear error naming the URL without its password when it cannot be used."""

from __future__ import annotations

import pytest
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from assistant.lock_store import URLLockStore
from tests.conftest import ROOT
from tools import services
from tools.servers import free_port


def store(url: str) -> object:
    return URLLockStore(EndpointConfig(url=url))


def test_empty_url_is_rasas_in_memory_lock_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCK_STORE_URL", "")
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/rasa.db")
    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "lock_store")
    assert config.type == "assistant.lock_store.URLLockStore"
    assert isinstance(URLLockStore(config), InMemoryLockStore)


async def test_redis_url_gives_a_shared_lock_store() -> None:
    with services.redis() as redis:
        first, second = store(redis.url), store(redis.url)
        assert isinstance(first, RedisLockStore)
        async with first.lock("conversation-1"):
            # The other process's store sees the same lock: its ticket waits behind ours.
            lock = second.get_lock("conversation-1")
            assert lock is not None and lock.is_someone_waiting()
        after = second.get_lock("conversation-1")
        assert after is None or not after.is_someone_waiting()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://localhost:6379", "must look like redis://"),
        ("redis://localhost:6379/cache", "must be a number"),
        (f"redis://:hunter2secret@127.0.0.1:{free_port()}/1", "cannot reach the lock store at redis://:***@127.0.0.1"),
    ],
)
def test_bad_lock_store_urls_are_named_without_password(url: str, message: str) -> None:
    with pytest.raises(RasaException, match="LOCK_STORE_URL|cannot reach") as error:
        store(url)
    assert message in str(error.value) and "hunter2secret" not in str(error.value)


def test_an_unreachable_database_stops_the_start_with_its_url_but_not_its_password() -> None:
    from assistant.dburl import DatabaseUnreachable, check_reachable

    with pytest.raises(DatabaseUnreachable) as error:
        check_reachable(f"postgresql://clinic:hunter2secret@127.0.0.1:{free_port()}/clinic", wait_seconds=0)
    assert "cannot reach the database at postgresql://clinic:***@127.0.0.1:" in str(error.value)
    assert "hunter2secret" not in str(error.value)
    with services.postgres() as postgres:
        check_reachable(postgres.url, wait_seconds=0)  # reachable: no error


def test_first_writes_at_once_on_a_new_database_all_land(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two bookings confirmed together on a new PostgreSQL database (seen in `make load`: one was
    refused while both threads created the tables), and two processes creating them together."""
    import threading
    from datetime import datetime, timezone

    from sqlalchemy import create_engine

    from actions import db, settings
    from assistant.records import create_tables, escalations

    with services.postgres() as postgres:
        monkeypatch.setenv("DATABASE_URL", postgres.url)
        settings.settings.cache_clear()
        db.engine.cache_clear()
        try:
            start = threading.Barrier(8)
            ids: list[int | None] = []

            def write() -> None:
                start.wait()
                values = {"sender_id": "s", "severity": "urgent", "flags": "[]", "message": "m"}
                ids.append(db.insert_row(escalations, {**values, "created_at": datetime.now(timezone.utc)}))

            threads = [threading.Thread(target=write) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(ids) == 8 and None not in ids
        finally:
            settings.settings.cache_clear()
            db.engine.cache_clear()
        # Two processes' engines creating the same (already made) and new tables at once: no error.
        engines = [create_engine(postgres.url) for _ in range(2)]
        errors: list[BaseException] = []

        def create(engine: object) -> None:
            try:
                create_tables(engine)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=create, args=(engine,)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
