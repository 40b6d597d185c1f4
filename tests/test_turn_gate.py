"""The turn gate (assistant/runtime/turn_gate.py): one turn computes at a time, in arrival order, a turn back
from outside goes first, and a slow outside call never holds the others up for long."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import ClassVar

import pytest
import requests

from assistant.runtime.turn_gate import TurnGate
from tests.conftest import JsonStub, clinic_stack
from tools import servers


async def test_turns_run_one_at_a_time_in_arrival_order() -> None:
    gate, log = TurnGate(), []

    async def turn(name: str) -> None:
        async with gate.turn():
            log.append(f"{name} starts")
            await asyncio.sleep(0)  # a yield inside a turn lets no other turn in
            log.append(f"{name} ends")

    await asyncio.gather(*(turn(name) for name in "abc"))
    assert log == ["a starts", "a ends", "b starts", "b ends", "c starts", "c ends"]


async def test_a_quick_outside_call_keeps_the_gate() -> None:
    gate, log = TurnGate(), []

    async def action_server() -> str:
        await asyncio.sleep(0.005)
        return "events"

    async def booking() -> None:
        async with gate.turn():
            log.append("booking asks the action server")
            log.append(await gate.outside(action_server()))
            log.append("booking ends")

    async def faq() -> None:
        await asyncio.sleep(0)  # arrives just after the booking
        async with gate.turn():
            log.append("faq")

    await asyncio.gather(booking(), faq())
    assert log == ["booking asks the action server", "events", "booking ends", "faq"]


async def test_a_slow_outside_call_lets_other_turns_run_then_resumes_before_new_ones() -> None:
    gate, log = TurnGate(), []
    answered = asyncio.Event()

    async def hanging_action_server() -> str:
        await answered.wait()
        return "late events"

    async def booking() -> None:
        async with gate.turn():
            log.append(await gate.outside(hanging_action_server(), hold=0.01))
            log.append("booking ends")

    async def faq(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        async with gate.turn():
            log.append(name)
            if name == "faq 1":
                answered.set()  # the action server answers while faq 2 is queued
                await asyncio.sleep(0.01)

    started = time.monotonic()
    await asyncio.gather(booking(), faq("faq 1", 0.001), faq("faq 2", 0.005))
    assert log == ["faq 1", "late events", "booking ends", "faq 2"]
    assert time.monotonic() - started < 1


async def test_a_turns_last_outside_call_gives_the_gate_up_for_good() -> None:
    """The store's insert (a turn's last step): the next turn runs at once, and the saving turn
    ends without waiting for the gate again."""
    gate, log = TurnGate(), []
    stored = asyncio.Event()

    async def database() -> str:
        await stored.wait()
        return "stored"

    async def saving() -> None:
        async with gate.turn():
            log.append(await gate.outside(database(), hold=0, resume=False))
        log.append("answer sent")

    async def next_turn() -> None:
        await asyncio.sleep(0)
        async with gate.turn():
            log.append("next turn starts")
            stored.set()
            await asyncio.sleep(0.01)  # computing: the saving turn finishes meanwhile
            log.append("next turn ends")

    await asyncio.gather(saving(), next_turn())
    assert log == ["next turn starts", "stored", "answer sent", "next turn ends"]
    assert gate.waiting == 0
    async with gate.turn():  # and the gate is free
        pass


async def test_an_error_or_a_cancelled_wait_passes_the_gate_on() -> None:
    gate = TurnGate()

    async def failing() -> None:
        async with gate.turn():
            raise ValueError("action failed")

    with pytest.raises(ValueError, match="action failed"):
        await failing()
    holder = asyncio.Event()
    release = asyncio.Event()

    async def holding() -> None:
        async with gate.turn():
            holder.set()
            await release.wait()

    first = asyncio.create_task(holding())
    await holder.wait()
    waiting = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    release.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await waiting
    async with gate.turn():  # free again: a cancelled waiter does not keep it
        assert gate.waiting == 0


async def test_outside_calls_without_a_turn_just_run() -> None:
    async def call() -> int:
        return 42

    assert await TurnGate().outside(call()) == 42


class StuckActionServer(JsonStub):
    """Starts conversations at once; every other action call gets no answer until the test ends."""

    release: ClassVar[threading.Event] = threading.Event()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        if body.get("next_action") != "action_session_start":
            StuckActionServer.release.wait(30)
        events = [{"event": "session_started"}, {"event": "action", "name": "action_listen"}]
        self.reply(200, {"events": events, "responses": []})


@pytest.fixture
def hanging_action_server() -> Iterator[int]:
    StuckActionServer.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), StuckActionServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    StuckActionServer.release.set()
    server.shutdown()


@pytest.mark.e2e
@pytest.mark.model
def test_a_hanging_action_server_does_not_hold_up_faq_answers(
    tmp_path_factory: pytest.TempPathFactory, hanging_action_server: int
) -> None:
    stack = clinic_stack(tmp_path_factory, "hanging-actions")
    stack.actions_port = hanging_action_server  # the Rasa server calls it; it never answers
    try:
        servers.start_rasa_ready(stack)
        url = f"{stack.url}/webhooks/rest/webhook"

        def booking() -> None:
            with contextlib.suppress(requests.RequestException):  # still waiting for the action server
                requests.post(url, json={"sender": "stuck-" + uuid.uuid4().hex, "message": "I want to book"}, timeout=8)

        waiting = [threading.Thread(target=booking) for _ in range(3)]
        for thread in waiting:
            thread.start()
        time.sleep(1)  # the bookings are out at the action server
        started = time.monotonic()
        faq = {"sender": "faq-" + uuid.uuid4().hex, "message": "what is sciatica?"}
        reply = requests.post(url, json=faq, timeout=30)
        elapsed = time.monotonic() - started
        assert reply.status_code == 200 and reply.json(), reply.text
        assert elapsed < 2, elapsed
        for thread in waiting:
            thread.join()
    finally:
        servers.stop(stack)
