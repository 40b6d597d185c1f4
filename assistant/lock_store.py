"""Rasa's lock store, configured by one URL (endpoints.yml: `url: ${LOCK_STORE_URL}`).

Empty: Rasa's in-memory lock store, right for one Rasa server process. With
several processes serving one clinic (behind any load balancer), each
conversation's turns must be serialised across all of them:
`redis://[:password@]host:6379/1` (or `rediss://` for TLS) gives Rasa's
RedisLockStore. An unreachable Redis stops the server at start with the URL
(password hidden), instead of failing patients' turns later.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

SCHEMES = ("redis", "rediss")


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
        store = RedisLockStore(
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
