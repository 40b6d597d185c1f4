"""Rasa's lock store, configured by one URL (endpoints.yml: `url: ${LOCK_STORE_URL}`).

Empty: Rasa's in-memory lock store, right for one Rasa server process. With
several processes serving one clinic (behind any load balancer), each
conversation's turns must be serialised across all of them:
`redis://[:password@]host:6379/1` (or `rediss://` for TLS) gives Rasa's
RedisLockStore, with its ticket steps made atomic and one round trip each
(see AtomicRedisLockStore).
An unreachable Redis stops the server at start with the URL (password hidden),
instead of failing patients' turns later.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote, urlparse

import redis.asyncio
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

SCHEMES = ("redis", "rediss")


# The ticket steps as Lua scripts: Redis runs each atomically, in one round trip.
# KEYS[1]: the lock; ARGV[1]: the conversation id as JSON; ARGV[2]: now (s); ARGV[3]: per script.
# The lock is Rasa's JSON ({"conversation_id": .., "tickets": [<a ticket's JSON>, ..]}); ticket
# texts are kept as they are, so Rasa's TicketLock.from_dict reads what these write and back.
_LUA_TICKETS = """
local function tickets(drop)
  local kept, numbers = {}, {}
  local raw = redis.call('GET', KEYS[1])
  if not raw then return kept, numbers end
  local now = tonumber(ARGV[2])
  for _, text in ipairs(cjson.decode(raw).tickets or {}) do
    local ticket = cjson.decode(text)
    if ticket.expires >= now and ticket.number ~= drop then
      kept[#kept + 1] = text
      numbers[#numbers + 1] = ticket.number
    end
  end
  return kept, numbers
end
local function save(kept)
  if #kept == 0 then
    redis.call('DEL', KEYS[1])
    return
  end
  local quoted = {}
  for i, text in ipairs(kept) do quoted[i] = cjson.encode(text) end
  local lock = '{"conversation_id": ' .. ARGV[1] .. ', "tickets": [' .. table.concat(quoted, ', ') .. ']}'
  redis.call('SET', KEYS[1], lock)
end
"""
# ARGV[3]: the new ticket's expiry. Returns {its number, the number now served}.
ISSUE = (
    _LUA_TICKETS
    + """
local kept, numbers = tickets(nil)
local number = (numbers[#numbers] or -1) + 1
kept[#kept + 1] = '{"number": ' .. number .. ', "expires": ' .. ARGV[3] .. '}'
numbers[#numbers + 1] = number
save(kept)
return {number, numbers[1]}
"""
)
# ARGV[3]: a ticket number. Drops expired tickets; returns the number now served, or -1 when
# that ticket is not in the lock (expired).
SERVING = (
    _LUA_TICKETS
    + """
local kept, numbers = tickets(nil)
save(kept)
for _, number in ipairs(numbers) do
  if number == tonumber(ARGV[3]) then return numbers[1] end
end
return -1
"""
)
# ARGV[3]: a ticket number. Removes it (and expired ones); deletes the lock when none are left.
FINISH = (
    _LUA_TICKETS
    + """
local kept = tickets(tonumber(ARGV[3]))
save(kept)
return #kept
"""
)
SCRIPTS = {"issue": ISSUE, "serving": SERVING, "finish": FINISH}
# The connection settings Rasa gives its client that redis.asyncio takes under the same names.
ASYNC_SETTINGS = ("host", "port", "db", "username", "password", "socket_timeout")
ASYNC_SETTINGS += ("ssl_keyfile", "ssl_certfile", "ssl_cert_reqs", "ssl_ca_certs")  # with rediss://
GONE = -1
POLL_SECONDS = 0.05  # how often a turn waiting behind another of its conversation checks


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore with each ticket step one atomic Redis script.

    Rasa 3.6 issues a ticket, removes one and deletes an empty lock by reading the lock's JSON,
    changing it in the process and writing it back. Two Rasa processes taking turns of one
    conversation at the same moment overwrite each other's tickets, or one deletes the lock the
    other just joined, and both run the conversation at once: measured, 2 to 5 of 12
    simultaneous messages lost from the conversation. Here each step is a Lua script, which
    Redis runs atomically, in one round trip: a turn takes its ticket (and learns whether it is
    served at once) in one and gives it back in another, where Rasa needed seven commands that
    each wait for Redis with the whole process idle. The lock keeps Rasa's JSON layout, so
    Rasa's own lock store code (and `get_lock`) reads it.

    A turn behind another one of the same conversation (a patient sending two messages in a
    row) checks every POLL_SECONDS instead of Rasa's 1 s, and gives up with a LockError when
    its ticket expired meanwhile (Rasa's loop would wait on for ever).
    """

    def __init__(self, *args: Any, use_ssl: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, use_ssl=use_ssl, **kwargs)
        # Turns take and give back the lock on an asyncio client: while Redis answers, the
        # process computes another turn instead of waiting. Rasa's synchronous methods
        # (issue_ticket, cleanup, ...) keep Rasa's client.
        settings = self.red.connection_pool.connection_kwargs
        self._async_settings = {key: settings[key] for key in ASYNC_SETTINGS if key in settings}
        self._async_settings["ssl"] = use_ssl
        self._scripts = {name: self.red.register_script(text) for name, text in SCRIPTS.items()}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_scripts: dict[str, Any] = {}

    def _arguments(self, conversation_id: str, *args: Any) -> dict[str, list[Any]]:
        return {"keys": [self.key_prefix + conversation_id], "args": [json.dumps(conversation_id), time.time(), *args]}

    def _call(self, script: str, conversation_id: str, *args: Any) -> Any:
        return self._scripts[script](**self._arguments(conversation_id, *args))

    async def _async_call(self, script: str, conversation_id: str, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # an asyncio client's connections belong to one event loop
            client = redis.asyncio.Redis(**self._async_settings)
            self._async_scripts = {name: client.register_script(text) for name, text in SCRIPTS.items()}
            self._loop = loop
        return await self._async_scripts[script](**self._arguments(conversation_id, *args))

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return int(self._call("issue", conversation_id, repr(time.time() + lock_lifetime))[0])
        except Exception as exc:  # Rasa's contract: any failure here is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        try:
            issued = await self._async_call("issue", conversation_id, repr(time.time() + lock_lifetime))
        except Exception as exc:  # as issue_ticket
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
        ticket, serving = int(issued[0]), int(issued[1])
        try:
            while serving != ticket:
                if serving == GONE:
                    raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
                await asyncio.sleep(min(wait_time_in_seconds, POLL_SECONDS))
                serving = int(await self._async_call("serving", conversation_id, ticket))
            yield TicketLock(conversation_id, deque([Ticket(ticket, time.time() + lock_lifetime)]))
        finally:
            await self._async_call("finish", conversation_id, ticket)

    def update_lock(self, conversation_id: str) -> None:
        self._call("serving", conversation_id, GONE)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket, and the lock with it when nobody else waits."""
        self._call("finish", conversation_id, ticket_number)


def safe_redis_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    return parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)).geturl()


class URLLockStore:
    """Not a lock store itself: Rasa instantiates it from endpoints.yml and gets one back."""

    def __new__(cls, endpoint_config: EndpointConfig | None = None, **_: Any) -> LockStore:
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
