"""The HTTP side of `make load`: one patient's conversation against the Rasa servers' REST
channel, turn by turn, what each turn and conversation records in the run, and the warm-up
requests sent before it."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import aiohttp

from tools.load.patients import Script

REQUEST_TIMEOUT = 30.0  # also how long the last turns may run past the deadline


@dataclass
class TurnResult:
    stage: int  # the stage in which the turn was sent
    started: float  # seconds since the load began
    latency: float
    error: str | None = None


@dataclass
class Conversation:
    script: Script
    sent: list[str] = field(default_factory=list)
    failed_turns: list[int] = field(default_factory=list)  # the client saw an error for these
    outcome: str = "cut"  # completed | failed | cut (the run ended first)
    ended_stage: int = 0


@dataclass
class LoadRun:
    stages: list[int]
    stage_seconds: float
    seconds: float = 0.0  # from the first turn until the last one returned
    turns: list[TurnResult] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # the first few failed turns, for the report
    cpu_marks: list[dict[str, float]] = field(default_factory=list)  # CPU seconds so far at each stage's start, end


def reply_error(status: int, texts: list[str] | None, expect: str | None, unavailable: Iterable[str]) -> str | None:
    """Why a turn failed, or None. No hand-off in these scripts, so every turn must get a reply."""
    if status != 200:
        return f"HTTP {status}"
    if not texts:
        return "empty reply"
    if any(text in unavailable for text in texts):
        return "service unavailable reply"
    if expect is not None and not any(text.startswith(expect) for text in texts):
        return "wrong reply"
    return None


async def converse(
    session: aiohttp.ClientSession,
    urls: Sequence[str],
    script: Script,
    run: LoadRun,
    clock: Clock,
    unavailable: frozenset[str],
) -> None:
    conversation = Conversation(script)
    run.conversations.append(conversation)
    for number, turn in enumerate(script.turns):
        if clock.now() + turn.think >= clock.deadline:
            break  # cut: no turn starts after the deadline
        await asyncio.sleep(turn.think)
        url = urls[(script.index + number) % len(urls)]  # the other server than last turn's
        stage, started = clock.stage(), clock.now()
        conversation.sent.append(turn.message)
        texts: list[str] | None = None
        status = 0
        try:
            async with session.post(url, json={"sender": script.sender, "message": turn.message}) as response:
                status = response.status
                if status == 200:
                    texts = [m.get("text", "") for m in await response.json() if isinstance(m, dict)]
            error = reply_error(status, texts, turn.expect, unavailable)
        except asyncio.TimeoutError:
            error = "timeout"
        except (aiohttp.ClientError, json.JSONDecodeError, ValueError) as exc:
            error = f"connection: {type(exc).__name__}"
        run.turns.append(TurnResult(stage, started, clock.now() - started, error))
        if error is not None:
            if len(run.failures) < 10:
                replies = [text[:60] for text in texts or []]
                run.failures.append(f"{script.sender} turn {number + 1} {turn.message!r}: {error}, replies {replies}")
            # A real patient would not follow the script on from here: end the conversation.
            conversation.failed_turns.append(number)
            conversation.outcome = "failed"
            break
    else:
        conversation.outcome = "completed"
    conversation.ended_stage = clock.stage()


@dataclass
class Clock:
    """Seconds since the load began, and which stage that is."""

    start: float
    stage_seconds: float
    stages: int

    @property
    def deadline(self) -> float:
        return self.stage_seconds * self.stages

    def now(self) -> float:
        return time.monotonic() - self.start

    def stage(self) -> int:
        return min(int(self.now() // self.stage_seconds), self.stages - 1)


async def warm_up(urls: Sequence[str], questions: Sequence[str]) -> None:
    """First requests load lazily (tokenizers, the action server's database pool): not part of the figures."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for number, url in enumerate(urls):
            sender = f"warmup-{uuid.uuid4().hex[:8]}"
            for message in [*questions[number : number + 2], "I want to book", "stop"]:
                async with session.post(url, json={"sender": sender, "message": message}) as response:
                    await response.read()
