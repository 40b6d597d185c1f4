"""The stage runner of `make load`: patients join stage by stage (concurrency rises within a
hard total time), each starting conversation after conversation until the deadline."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Sequence

import aiohttp

from tools.load.driver import REQUEST_TIMEOUT, Clock, LoadRun, converse
from tools.load.patients import make_script


async def run_load(
    urls: Sequence[str],
    stages: Sequence[int],
    stage_seconds: float,
    seed: int,
    run_id: str,
    questions: Sequence[str],
    answers: dict[str, str],
    probe: Callable[[], dict[str, float]] | None = None,
) -> LoadRun:
    """Patient slot j joins in the first stage with more than j patients and keeps starting
    conversations until the deadline; a conversation going at the deadline ends there.
    `probe` (CPU seconds so far per process) is read at every stage boundary."""
    run = LoadRun(list(stages), stage_seconds)
    clock = Clock(time.monotonic(), stage_seconds, len(stages))
    unavailable = frozenset(answers[name] for name in ("utter_service_unavailable", "utter_requests_unavailable"))
    counter = itertools.count()

    async def slot(session: aiohttp.ClientSession, joins: float) -> None:
        await asyncio.sleep(joins)
        while clock.now() < clock.deadline:
            script = make_script(seed, next(counter), run_id, questions, answers)
            await converse(session, urls, script, run, clock, unavailable)

    async def sample() -> None:
        for boundary in range(len(stages) + 1):
            await asyncio.sleep(max(0.0, boundary * stage_seconds - clock.now()))
            if probe is not None:
                run.cpu_marks.append(probe())

    joins = [next(k for k, n in enumerate(stages) if n > j) * stage_seconds for j in range(max(stages))]
    # Keep-alive shorter than Rasa's (120 s), so no request meets a connection the server is closing.
    connector = aiohttp.TCPConnector(limit=2 * max(stages), keepalive_timeout=15)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(sample(), *(slot(session, j) for j in joins))
    run.seconds = clock.now()
    run.conversations = [c for c in run.conversations if c.sent]  # cut before saying anything
    return run
