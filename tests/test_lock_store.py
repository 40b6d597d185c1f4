"""Start-up checks of the shared stores: the lock store from LOCK_STORE_URL (in-memory when empty,
Rasa's RedisLockStore on a real Redis from tools/services.py when set) and the database, each a
clear error naming the URL without its password when it cannot be used."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockError, RedisLockStore
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from assistant.stores.lock_store import URLLockStore
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
    assert config.type == "assistant.stores.lock_store.URLLockStore"
    assert isinstance(URLLockStore(config), InMemoryLockStore)


@pytest.mark.services
async def test_redis_url_gives_a_shared_lock_store() -> None:
    with services.redis() as redis:
        first, second = store(redis.url), store(redis.url)
        assert isinstance(first, RedisLockStore)
        async with first.lock("conversation-1"):
            # The other process's store sees the same lock, held by our ticket.
            lock = second.get_lock("conversation-1")
            assert lock is not None and [t.number for t in lock.tickets] == [0] and lock.now_serving == 0
        # Our ticket given back and nobody else waiting: the lock is deleted, not left empty.
        assert second.get_lock("conversation-1") is None


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with services.redis() as redis:
        yield redis.url


@pytest.mark.services
def test_the_lock_is_rasas_format_both_ways(redis_url: str) -> None:
    """Rasa's own RedisLockStore reads what ours writes and ours goes on from what Rasa's wrote: a
    rolling upgrade or Rasa's tools see the same lock."""
    ours, stock = store(redis_url), RedisLockStore(**_connection(redis_url))
    first = stock.issue_ticket("format-1")  # Rasa's way: 0
    second = ours.issue_ticket("format-1")
    lock = stock.get_lock("format-1")
    assert (first, second) == (0, 1)
    assert lock is not None and [t.number for t in lock.tickets] == [0, 1] and lock.now_serving == 0
    ours.cleanup("format-1", 0)
    lock = stock.get_lock("format-1")
    assert lock is not None and [t.number for t in lock.tickets] == [1]
    ours.cleanup("format-1", 1)
    assert stock.get_lock("format-1") is None  # nobody waits: the lock is gone


@pytest.mark.services
def test_tickets_issued_at_once_by_two_stores_are_all_distinct(redis_url: str) -> None:
    """Rasa 3.6's read-modify-write lost tickets here (two processes got the same number)."""
    stores = [store(redis_url), store(redis_url)]
    numbers: list[int] = []
    start = threading.Barrier(8)

    def issue(index: int) -> None:
        start.wait()
        for _ in range(25):
            numbers.append(stores[index % 2].issue_ticket("burst-1"))

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(200))
    lock = stores[0].get_lock("burst-1")
    assert lock is not None and [t.number for t in lock.tickets] == list(range(200))


@pytest.mark.services
async def test_turns_of_one_conversation_on_two_stores_run_one_at_a_time_in_order(redis_url: str) -> None:
    stores = [store(redis_url), store(redis_url)]
    inside: list[int] = []
    entered: list[int] = []
    # Each turn asks for its ticket once the one before has one: the tickets' order is the
    # indexes' (timing alone is not enough: a store's first call also opens its connection).
    issued = [asyncio.Event() for _ in range(6)]
    issuing = [-1]

    def tracked(original: Any) -> Any:
        async def call(script: str, *args: Any) -> Any:
            result = await original(script, *args)
            if script == "issue":
                issued[issuing[0]].set()
            return result

        return call

    for each in stores:
        each._async_call = tracked(each._async_call)

    async def turn(index: int) -> None:
        if index:
            await issued[index - 1].wait()
        issuing[0] = index
        async with stores[index % 2].lock("turns-1"):
            inside.append(index)
            entered.append(index)
            assert inside == [index]  # nobody else in the conversation meanwhile
            await asyncio.sleep(0.01)
            inside.remove(index)

    await asyncio.gather(*(turn(i) for i in range(6)))
    assert entered == list(range(6))
    assert stores[0].get_lock("turns-1") is None


@pytest.mark.services
async def test_a_ticket_that_expired_is_skipped_and_a_waiter_whose_ticket_expired_gives_up(redis_url: str) -> None:
    first, second = store(redis_url), store(redis_url)
    # A process died holding the conversation (its ticket never given back): the next turn goes
    # ahead once that ticket expired.
    first.issue_ticket("crashed-1", lock_lifetime=0.1)
    async with second.lock("crashed-1") as lock:
        assert lock.conversation_id == "crashed-1"

    # A turn waiting longer than its own ticket lives is refused, not left waiting for ever.
    async def wait_behind() -> None:
        async with second.lock("slow-1", lock_lifetime=0.1):
            pass

    async with first.lock("slow-1"):
        with pytest.raises(LockError):
            await asyncio.wait_for(wait_behind(), timeout=10)  # Rasa's own loop never ends here
    assert first.get_lock("slow-1") is None


@pytest.mark.services
async def test_a_turn_takes_and_gives_back_the_lock_in_two_round_trips(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa's RedisLockStore (and this store before) sent seven requests per turn, each a wait
    with the process idle; these two are awaited, so the process computes meanwhile."""
    from redis import connection
    from redis.asyncio import connection as async_connection

    ours = store(redis_url)
    async with ours.lock("warm-1"):  # the scripts are loaded into Redis once
        pass
    sent: list[str] = []
    send, async_send = connection.Connection.send_packed_command, async_connection.Connection.send_packed_command

    def counted(self: connection.Connection, command: object, check_health: bool = True) -> None:
        sent.append("blocking")
        send(self, command, check_health)

    async def async_counted(self: async_connection.Connection, command: object, check_health: bool = True) -> None:
        sent.append("awaited")
        await async_send(self, command, check_health)

    monkeypatch.setattr(connection.Connection, "send_packed_command", counted)
    monkeypatch.setattr(async_connection.Connection, "send_packed_command", async_counted)
    async with ours.lock("trips-1"):
        assert sent == ["awaited"]
    assert sent == ["awaited", "awaited"]


def _connection(url: str) -> dict[str, object]:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    return {"host": parsed.hostname, "port": parsed.port, "db": int(parsed.path.lstrip("/") or 0)}


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


@pytest.mark.services
def test_an_unreachable_database_stops_the_start_with_its_url_but_not_its_password() -> None:
    from assistant.stores.dburl import DatabaseUnreachable, check_reachable

    with pytest.raises(DatabaseUnreachable) as error:
        check_reachable(f"postgresql://clinic:hunter2secret@127.0.0.1:{free_port()}/clinic", wait_seconds=0)
    assert "cannot reach the database at postgresql://clinic:***@127.0.0.1:" in str(error.value)
    assert "hunter2secret" not in str(error.value)
    with services.postgres() as postgres:
        check_reachable(postgres.url, wait_seconds=0)  # reachable: no error


@pytest.mark.services
def test_first_writes_at_once_on_a_new_database_all_land(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two bookings confirmed together on a new PostgreSQL database (seen in `make load`: one was
    refused while both threads created the tables), and two processes creating them together."""
    import threading
    from datetime import datetime, timezone

    from actions import db, settings
    from assistant.records import db as records_db
    from assistant.records.migrate import migrate
    from assistant.records.tables import escalations

    with services.postgres() as postgres:
        monkeypatch.setenv("DATABASE_URL", postgres.url)
        settings.settings.cache_clear()
        records_db.shared_engine.cache_clear()
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
            records_db.shared_engine.cache_clear()
        # Two processes migrating the (already migrated) database at once: no error.
        errors: list[BaseException] = []

        def create() -> None:
            try:
                migrate(postgres.url)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=create) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []


@pytest.mark.services
def test_one_store_serves_turns_on_a_new_event_loop(redis_url: str) -> None:
    """An asyncio client's connections belong to the loop that made them; the store makes a
    client for each new loop instead of failing with "Event loop is closed"."""
    ours = store(redis_url)

    async def turn() -> None:
        async with ours.lock("loops-1"):
            pass

    for _ in range(2):
        asyncio.run(turn())
    assert ours.get_lock("loops-1") is None
