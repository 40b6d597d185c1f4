"""Turns computed one at a time, in arrival order, and a turn back from the action server goes first.

Rasa starts every arriving message's turn at once. A turn awaits the action
server, the channel's sends and (on PostgreSQL) the tracker store; the models
do not await. So while a booking request waits for its action call, asyncio
runs every other turn that arrived meanwhile to its end, and the booking
resumes after all of them, once per call: under load the turns that use the
action server had a latency several times the others' (docs/performance.md).

The gate lets one turn compute at a time, new turns in arrival order, and a
turn coming back from the action server or a channel send before any new
one. A turn keeps it for up to 50 ms while it waits for those (a local
action server answers in a few), then releases it, so a slow action server
or messaging API never holds up other patients' turns for longer. A turn
waiting for PostgreSQL (a millisecond) releases it at once and, after its
read, comes back first too (assistant/stores/pg_events.py). It is taken after
the conversation's lock (inside `MessageProcessor.handle_message`), so a
turn never waits for the gate while holding up one that has it. Per process:
each Rasa process or Sanic worker has its own.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

T = TypeVar("T")
HOLD_SECONDS = 0.05  # longest a turn keeps the gate while waiting outside (docs/performance.md)

_holding: contextvars.ContextVar[bool] = contextvars.ContextVar("assistant_turn_gate", default=False)


class TurnGate:
    def __init__(self) -> None:
        self._busy = False
        self._resuming: deque[asyncio.Future[None]] = deque()
        self._new: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(not f.done() for f in (*self._resuming, *self._new))

    async def acquire(self, resuming: bool = False) -> None:
        if self._busy:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            (self._resuming if resuming else self._new).append(future)
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._hand_on()  # it was given the gate as it was cancelled: pass it on
                raise
        self._busy = True
        _holding.set(True)

    def release(self) -> None:
        if _holding.get():
            _holding.set(False)
            self._hand_on()

    def _hand_on(self) -> None:
        for queue in (self._resuming, self._new):
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)  # the gate stays busy: it passes to that turn
                    return
        self._busy = False

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if _holding.get():  # already inside a turn of this task
            yield
            return
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    async def outside(self, work: Awaitable[T], hold: float = HOLD_SECONDS, resume: bool = True) -> T:
        """Await a call outside the process (the action server, a messaging API).

        The turn keeps the gate for up to `hold` seconds first: a local action server answers
        in a few milliseconds, and other turns run meanwhile would each delay reading its answer
        by a whole turn (the event loop reads sockets only between turns). A slower answer
        releases the gate, so it never holds up other patients for longer than that. With
        `resume=False` a released turn does not take the gate back (the turn's last step)."""
        if not _holding.get():
            return await work
        task = asyncio.ensure_future(work)
        try:
            await asyncio.wait({task}, timeout=hold)
            if task.done():
                return task.result()
            self.release()
            if not resume:
                return await task  # nothing of the turn is left to compute
            try:
                return await task
            finally:
                await self.acquire(resuming=True)
        except asyncio.CancelledError:
            task.cancel()
            raise


GATE = TurnGate()
_installed = False


def install(gate: TurnGate = GATE) -> None:
    """Gate Rasa's turns (MessageProcessor.handle_message), release it around action-server
    requests (EndpointConfig.request) and around sends to push channels (execute_side_effects)."""
    global _installed
    if _installed:
        return
    from rasa.core.processor import MessageProcessor
    from rasa.utils.endpoints import EndpointConfig

    handle_message = MessageProcessor.handle_message
    execute_side_effects = MessageProcessor.execute_side_effects
    request = EndpointConfig.request

    async def gated_handle_message(self: MessageProcessor, message: Any) -> Any:
        async with gate.turn():
            return await handle_message(self, message)

    async def gated_side_effects(self: MessageProcessor, events: Any, tracker: Any, output_channel: Any) -> None:
        # REST collects the answers in memory and is done at once; push channels send them.
        await gate.outside(execute_side_effects(self, events, tracker, output_channel))

    async def gated_request(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
        return await gate.outside(request(self, *args, **kwargs))

    MessageProcessor.handle_message = gated_handle_message
    MessageProcessor.execute_side_effects = gated_side_effects
    EndpointConfig.request = gated_request
    _installed = True
