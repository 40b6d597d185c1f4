"""The turn gate (assistant/runtime/turn_gate.py): one turn computes at a time, in arrival order, a turn back
from outside goes first, and a slow outside call never holds the others up for long."""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import ClassVar

import pytest
import requests

from assistant.runtime.turn_gate import TurnGate
from tests.conftest import JsonStub, clinic_stack
from tools import servers

DEADLINE = 10.0  # seconds; only a broken gate (turns waiting for each other for ever) gets near it


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until they reach a state (a turn queued at the gate, say)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not condition():
        assert loop.time() < deadline, "the state was never reached"
        await asyncio.sleep(0)


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
    booking_in = asyncio.Event()

    async def action_server() -> str:
        await until(lambda: gate.waiting == 1)  # the FAQ waits at the gate
        for _ in range(3):
            await asyncio.sleep(0)  # an answer a few turns of the event loop later: quick, well within the hold
        return "events"

    async def booking() -> None:
        async with gate.turn():
            booking_in.set()
            log.append("booking asks the action server")
            log.append(await gate.outside(action_server(), hold=DEADLINE))
            log.append("booking ends")

    async def faq() -> None:
        await booking_in.wait()  # arrives while the booking has the gate
        async with gate.turn():
            log.append("faq")

    await asyncio.wait_for(asyncio.gather(booking(), faq()), DEADLINE)
    assert log == ["booking asks the action server", "events", "booking ends", "faq"]


async def test_a_slow_outside_call_lets_other_turns_run_then_resumes_before_new_ones() -> None:
    gate, log = TurnGate(), []
    booking_in, answered = asyncio.Event(), asyncio.Event()

    async def hanging_action_server() -> str:
        await answered.wait()  # only after another turn ran: it outlasts any hold
        return "late events"

    async def booking() -> None:
        async with gate.turn():
            booking_in.set()
            await until(lambda: gate.waiting == 2)  # both FAQs arrived meanwhile
            log.append(await gate.outside(hanging_action_server(), hold=0.01))
            log.append("booking ends")

    async def faq(name: str) -> None:
        await booking_in.wait()
        if name == "faq 2":
            await until(lambda: gate.waiting == 1)  # after faq 1
        async with gate.turn():
            log.append(name)
            if name == "faq 1":
                answered.set()  # the action server answers while faq 2 is queued
                await until(lambda: gate.waiting == 2)  # the booking is back at the gate

    await asyncio.wait_for(asyncio.gather(booking(), faq("faq 1"), faq("faq 2")), DEADLINE)
    assert log == ["faq 1", "late events", "booking ends", "faq 2"]


async def test_a_turns_last_outside_call_gives_the_gate_up_for_good() -> None:
    """The store's insert (a turn's last step): the next turn runs at once, and the saving turn
    ends without waiting for the gate again."""
    gate, log = TurnGate(), []
    saving_in, stored, sent = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def database() -> str:
        await stored.wait()
        return "stored"

    async def saving() -> None:
        async with gate.turn():
            saving_in.set()
            await until(lambda: gate.waiting == 1)  # the next turn waits
            log.append(await gate.outside(database(), hold=0, resume=False))
        log.append("answer sent")
        sent.set()

    async def next_turn() -> None:
        await saving_in.wait()
        async with gate.turn():
            log.append("next turn starts")
            stored.set()
            await sent.wait()  # computing: the saving turn finishes meanwhile, without the gate
            log.append("next turn ends")

    await asyncio.wait_for(asyncio.gather(saving(), next_turn()), DEADLINE)
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
    for as_the_gate_reaches_it in (False, True):
        await cancel_a_waiting_turn(gate, as_the_gate_reaches_it)
        assert await asyncio.wait_for(waiting_once_inside(gate), DEADLINE) == 0  # a cancelled waiter keeps nothing


async def waiting_once_inside(gate: TurnGate) -> int:
    async with gate.turn():
        return gate.waiting


async def cancel_a_waiting_turn(gate: TurnGate, as_the_gate_reaches_it: bool) -> None:
    """A turn waiting at the gate is cancelled (the patient's request gone), while it waits or in the
    moment between being handed the gate and running."""
    holder, release = asyncio.Event(), asyncio.Event()
    waiters: list[asyncio.Task[None]] = []

    async def holding() -> None:
        async with gate.turn():
            holder.set()
            await release.wait()
        if as_the_gate_reaches_it:
            waiters[0].cancel()  # the gate was just handed to it, and it has not run since

    first = asyncio.create_task(holding())
    await holder.wait()
    waiters.append(asyncio.create_task(gate.acquire()))
    await until(lambda: gate.waiting == 1)
    if not as_the_gate_reaches_it:
        waiters[0].cancel()
    release.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await waiters[0]


async def test_outside_calls_without_a_turn_just_run() -> None:
    async def call() -> int:
        return 42

    assert await TurnGate().outside(call()) == 42


class StuckActionServer(JsonStub):
    """Starts conversations at once; every other action call gets no answer until released."""

    release: ClassVar[threading.Event] = threading.Event()
    stuck: ClassVar[queue.Queue[str]] = queue.Queue()  # the calls waiting for their answer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        if body.get("next_action") != "action_session_start":
            StuckActionServer.stuck.put(body.get("sender_id", ""))
            StuckActionServer.release.wait(300)
        events = [{"event": "session_started"}, {"event": "action", "name": "action_listen"}]
        self.reply(200, {"events": events, "responses": []})


@pytest.fixture
def hanging_action_server() -> Iterator[int]:
    StuckActionServer.release.clear()
    StuckActionServer.stuck = queue.Queue()
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
            message = {"sender": "stuck-" + uuid.uuid4().hex, "message": "I want to book"}
            with contextlib.suppress(requests.RequestException):  # only if the test failed first
                requests.post(url, json=message, timeout=300)

        waiting = [threading.Thread(target=booking) for _ in range(3)]
        for thread in waiting:
            thread.start()
        reached = 0  # bookings whose turn waits for the action server; the others wait behind a turn
        with contextlib.suppress(queue.Empty):
            while reached < len(waiting):
                StuckActionServer.stuck.get(timeout=60)
                reached += 1
        assert reached == len(waiting), f"only {reached} of {len(waiting)} bookings reached the action server"
        # Answered while those turns still wait (they are released only afterwards): a turn that kept
        # the gate through its action call would keep this one waiting past its deadline.
        faq = {"sender": "faq-" + uuid.uuid4().hex, "message": "what is sciatica?"}
        reply = requests.post(url, json=faq, timeout=30)
        assert reply.status_code == 200 and reply.json(), reply.text
        assert all(thread.is_alive() for thread in waiting)  # the bookings still wait
        StuckActionServer.release.set()
        for thread in waiting:
            thread.join()
    finally:
        servers.stop(stack)
