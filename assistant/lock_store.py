"""Rasa's lock store, configured by one URL (endpoints.yml: `url: ${LOCK_STORE_URL}`).

Empty: Rasa's in-memory lock store, right for one Rasa server process. With
several processes serving one clinic (behind any load balancer), each
conversation's turns must be serialised across all of them:
`redis://[:password@]host:6379/1` (or `rediss://` for TLS) gives Rasa's
RedisLockStore, with its ticket steps made atomic (see AtomicRedisLockStore).
An unreachable Redis stops the server at start with the URL (password hidden),
instead of failing patients' turns later.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import WatchError

SCHEMES = ("redis", "rediss")
T = TypeVar("T")


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore with its read-modify-write steps made atomic.

    Rasa 3.6 issues a ticket, removes one and deletes an empty lock by reading the lock's JSON,
    changing it in the process and writing it back. Two Rasa processes taking turns of one
    conversation at the same moment overwrite each other's tickets, or one deletes the lock the
    other just joined, and both run the conversation at once: measured, 2 to 5 of 12
    simultaneous messages lost from the conversation. Here each step is one Redis transaction
    (WATCH/MULTI, retried when another process changed the lock meanwhile).
    """

    def _change(self, conversation_id: str, change: Callable[[TicketLock | None], tuple[TicketLock | None, T]]) -> T:
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new_lock.dumps())
                    pipe.execute()
                    return result
                except WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as exc:  # Rasa's contract: any failure here is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        def expire(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, expire)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket, and the lock with it when nobody else waits: in one step."""

        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish)


def safe_redis_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    return parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)).geturl()


class URLLockStore:
    """Not a lock store itself: Rasa instantiates it from endpoints.yml and gets one back."""

    def __new__(cls, endpoint_config: EndpointConfig | None = None, **_: Any) -> LockStore:  # type: ignore[misc]
        url = ((endpoint_config.url if endpoint_config else "") or "").strip()
        if not url:
            return InMemoryLockStore()
        parsed = urlparse(url)
        if parsed.scheme not in SCHEMES or not parsed.hostname:
            raise RasaException(f"LOCK_STORE_URL must look like redis://host:6379/1, got {safe_redis_url(url)!r}")
        path = parsed.path.lstrip("/")
        if path and not path.isdigit():
            raise RasaException(f"LOCK_STORE_URL: the database after the port must be a number, got {path!r}")
        store = AtomicRedisLockStore(
            host=parsed.hostname,
            port=parsed.port or 6379,
            db=int(path or 1),
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            use_ssl=parsed.scheme == "rediss",
            key_prefix=(endpoint_config.kwargs or {}).get("key_prefix") if endpoint_config else None,
        )
        try:
            store.red.ping()
        except Exception as exc:  # redis-py raises several families; all mean "not usable"
            raise RasaException(
                f"cannot reach the lock store at {safe_redis_url(url)}: {type(exc).__name__}: {exc}"
            ) from None
        return store
