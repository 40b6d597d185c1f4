"""`make load`: a bounded load test on loopback, then an integrity check of the tracker store.

Stack: throwaway PostgreSQL (tracker store, booking requests) and Redis (lock store) from
tools/services.py, one action server and two Rasa servers (assistant.runtime.serve) sharing them, all on
127.0.0.1. Simulated patients, each in their own conversation, follow scripts of three kinds:
FAQ questions taken from the training data (70%), the full booking conversation
(`booking_turns`, which the end-to-end tests follow too) under a unique name (20%), and an
FAQ, an emergency, another question (10%).
Each turn goes to the other Rasa server than the turn before (a load balancer without
stickiness), after a seeded random think time. Concurrency rises in stages within a hard total.

Reported per stage and overall: turns/s, p50/p95/p99 latency, errors, conversations completed.
Afterwards, with the Rasa servers stopped (nothing in flight), every conversation's user events
in PostgreSQL are compared with what its client sent: lost, duplicated, out of order; and the
booking_requests rows with the completed bookings. A correctness check, not a speed target:
exits 1 if any message or booking was lost or duplicated or more than 1% of turns failed. Reports go to
var/reports/load.md and load.json.

    python -m tools.load [--minutes 5] [--stages 4 8 16 32] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import servers, services  # noqa: E402
from tools.model import ensure_model, publish_report  # noqa: E402

REPORTS = ROOT / "var" / "reports"
WORK = ROOT / "var" / "load"  # the servers' logs, kept after the run for a look at any errors
DEFAULT_STAGES = (4, 8, 16, 32)
MAX_PATIENTS = 256  # bounded: enough to find where two cores saturate (docs/performance.md)
MAX_MINUTES = 30.0
REQUEST_TIMEOUT = 30.0  # also how long the last turns may run past the deadline
THINK_SECONDS = (0.2, 1.0)
MAX_ERROR_RATE = 0.01
MIX = (("faq", 0.7), ("booking", 0.2), ("red_flag", 0.1))
# Emergency messages of the end-to-end tests; each must get utter_red_flag_emergency.
EMERGENCIES = (
    "I wet myself this morning and didn't notice",
    "also since this morning I can't feel anything down there when I wipe",
)
SUMMARY_PREFIX = "Here's your request:"  # the booking summary, written by the action server
FIRST_NAMES = (
    "Maria", "Ana", "James", "Priya", "Olga", "David", "Fatima", "Kenji", "Laura", "Tomasz",
    "Amara", "Lucas", "Sofia", "Daniel", "Mei", "Omar", "Elena", "Samuel", "Ingrid", "Rafael",
)  # fmt: skip
LAST_NAMES = (
    "Lopez", "Smith", "Nguyen", "Patel", "Kowalski", "Okafor", "Garcia", "Johansson", "Rossi", "Tanaka",
    "Haddad", "Murphy", "Fischer", "Silva", "Kim", "Novak", "Brennan", "Castillo", "Larsen", "Mendes",
)  # fmt: skip
MIDDLE_NAMES = ("", "Jean", "Lee", "Marie", "Ray", "Ann", "Noor", "Kai", "Rose", "Ivan")


# -- scripts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    message: str
    think: float  # seconds the patient waits before sending
    expect: str | None = None  # some reply must start with this; None: any reply at all


@dataclass(frozen=True)
class Script:
    index: int
    sender: str
    kind: str
    turns: tuple[Turn, ...]
    name: str | None = None  # the booking's patient name


def faq_questions(nlu_dir: Path = ROOT / "data" / "nlu") -> list[str]:
    """Real patients' wording: every example of the FAQ intents (data/nlu/faq_*.yml)."""
    questions = []
    for path in sorted(nlu_dir.glob("faq_*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" in block:
                questions += [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
    return questions


def domain_answers() -> dict[str, str]:
    """First text of every response: domain.yml plus data/responses/*.yml (as tests/conftest.py merges them)."""
    merged = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    for path in sorted((ROOT / "data" / "responses").glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8"))["responses"])
    return {name: variants[0].get("text", "") for name, variants in merged.items()}


def patient_name(index: int) -> str:
    """Unique per conversation index (for 4,000 conversations, far more than a run starts)."""
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    middle = MIDDLE_NAMES[(index // (len(FIRST_NAMES) * len(LAST_NAMES))) % len(MIDDLE_NAMES)]
    return " ".join(part for part in (first, middle, last) if part)


def booking_turns(name: str, phone: str, answers: dict[str, str]) -> list[tuple[str, str]]:
    """A whole booking request, with a question in between, and the reply expected after each message
    (also the end-to-end and scale-out tests' booking)."""
    return [
        ("can I come in next Tuesday afternoon?", answers["utter_ask_patient_name"]),
        (name, answers["utter_ask_patient_contact"]),
        (phone, answers["utter_ask_booking_patient_type"]),
        ("does acupuncture hurt?", answers["utter_acupuncture_pain"]),
        ("I'm a new patient", answers["utter_ask_booking_reason"]),
        ("sciatica down my left leg", answers["utter_ask_contact_consent"]),
        ("yes", answers["utter_ask_booking_screening"]),
        ("no", SUMMARY_PREFIX),
        ("yes", answers["utter_booking_requested"]),
    ]


def make_script(seed: int, index: int, run_id: str, questions: Sequence[str], answers: dict[str, str]) -> Script:
    """Conversation `index` of a run: the same for the same seed, whenever and whichever patient runs it."""
    rng = random.Random(f"{seed}:{index}")  # noqa: S311 (a test script, not a secret)
    kind = rng.choices([kind for kind, _ in MIX], weights=[share for _, share in MIX])[0]
    name = None
    if kind == "faq":
        steps: list[tuple[str, str | None]] = [(q, None) for q in rng.sample(questions, rng.randint(3, 5))]
    elif kind == "booking":
        name = patient_name(index)
        steps = list(booking_turns(name, f"(212) 555-01{index % 100:02d}", answers))
    else:
        first, last = rng.sample(questions, 2)
        steps = [(first, None), (rng.choice(EMERGENCIES), answers["utter_red_flag_emergency"]), (last, None)]
    turns = tuple(Turn(message, round(rng.uniform(*THINK_SECONDS), 3), expect) for message, expect in steps)
    return Script(index, f"load-{run_id}-{index:05d}-{kind}", kind, turns, name)


# -- the load -------------------------------------------------------------------------------


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


async def warm_up(urls: Sequence[str], questions: Sequence[str]) -> None:
    """First requests load lazily (tokenizers, the action server's database pool): not part of the figures."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for number, url in enumerate(urls):
            sender = f"warmup-{uuid.uuid4().hex[:8]}"
            for message in [*questions[number : number + 2], "I want to book", "stop"]:
                async with session.post(url, json={"sender": sender, "message": message}) as response:
                    await response.read()


# -- figures --------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest rank on the sorted values, as tools/bench.py does; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class Stats:
    label: str
    patients: int
    seconds: float
    turns: int
    errors: int
    turns_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    conversations_completed: int
    error_kinds: dict[str, int]
    cpu_cores: dict[str, float] = field(default_factory=dict)  # CPU seconds per second, per process

    @property
    def error_rate(self) -> float:
        return self.errors / self.turns if self.turns else 0.0


def stats(label: str, patients: int, seconds: float, turns: Sequence[TurnResult], completed: int) -> Stats:
    latencies = [t.latency * 1000 for t in turns]
    kinds = Counter(t.error for t in turns if t.error is not None)
    return Stats(
        label=label,
        patients=patients,
        seconds=round(seconds, 1),
        turns=len(turns),
        errors=sum(kinds.values()),
        turns_per_s=len(turns) / seconds if seconds else 0.0,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        conversations_completed=completed,
        error_kinds=dict(kinds.most_common()),
    )


def summarise(run: LoadRun) -> tuple[list[Stats], Stats]:
    """Turns count in the stage they were sent in, conversations in the stage they ended in."""
    per_stage = []
    for stage, patients in enumerate(run.stages):
        turns = [t for t in run.turns if t.stage == stage]
        done = sum(1 for c in run.conversations if c.outcome == "completed" and c.ended_stage == stage)
        per_stage.append(stats(str(stage + 1), patients, run.stage_seconds, turns, done))
        if len(run.cpu_marks) > stage + 1:
            before, after = run.cpu_marks[stage], run.cpu_marks[stage + 1]
            per_stage[-1].cpu_cores = {n: round((after[n] - before[n]) / run.stage_seconds, 3) for n in after}
    done = sum(1 for c in run.conversations if c.outcome == "completed")
    return per_stage, stats("all", max(run.stages), run.seconds, run.turns, done)


# -- integrity ------------------------------------------------------------------------------


@dataclass
class Integrity:
    conversations: int = 0
    sent: int = 0
    stored: int = 0
    lost: int = 0  # sent, not stored
    lost_after_client_error: int = 0  # of those: conversations in which the client saw an error
    duplicated: int = 0  # stored more often than sent
    never_sent: int = 0  # stored, but this conversation's client never sent it
    out_of_order: int = 0  # conversations with the right messages in another order
    unknown_conversations: int = 0  # in the store under this run's prefix, never started by a client
    bookings_completed: int = 0
    booking_rows: int = 0
    bookings_not_stored_once: int = 0  # completed bookings without exactly one row under the right name
    booking_rows_unexpected: int = 0  # rows of conversations whose booking the client did not see completed
    examples: list[str] = field(default_factory=list)


def compare(
    sent: dict[str, list[str]],
    stored: dict[str, list[str]],
    client_errors: frozenset[str] = frozenset(),
    result: Integrity | None = None,
) -> Integrity:
    """Each conversation's stored user messages against the ones its client sent, in order.
    The client never retries, so any extra copy is the server's."""
    result = result or Integrity()
    result.conversations = len(sent)
    for sender, messages in sent.items():
        kept = stored.get(sender, [])
        result.sent += len(messages)
        result.stored += len(kept)
        lost = Counter(messages) - Counter(kept)
        extra = Counter(kept) - Counter(messages)
        duplicated = sum(n for text, n in extra.items() if text in messages)
        never_sent = sum(extra.values()) - duplicated
        result.lost += sum(lost.values())
        if sender in client_errors:
            result.lost_after_client_error += sum(lost.values())
        result.duplicated += duplicated
        result.never_sent += never_sent
        if lost or extra:
            result.examples.append(f"{sender}: lost {sorted(lost.elements())}, extra {sorted(extra.elements())}")
        elif kept != messages:
            result.out_of_order += 1
            result.examples.append(f"{sender}: out of order {kept}")
    unknown = sorted(set(stored) - set(sent))
    result.unknown_conversations = len(unknown)
    result.examples += [f"{sender}: in the store, never started by a client" for sender in unknown[:5]]
    return result


def compare_bookings(completed: dict[str, str], attempted: set[str], rows: Sequence[tuple[str, str]]) -> Integrity:
    """`completed`: sender -> name of each booking the client saw confirmed; `attempted`: all booking
    conversations; `rows`: (sender, patient_name) in booking_requests."""
    result = Integrity(bookings_completed=len(completed))
    by_sender: dict[str, list[str]] = {}
    for sender, name in rows:
        if sender in attempted:
            by_sender.setdefault(sender, []).append(name)
            result.booking_rows += 1
    for sender, name in completed.items():
        if by_sender.get(sender) != [name]:
            result.bookings_not_stored_once += 1
            result.examples.append(f"{sender}: booking rows {by_sender.get(sender, [])}, expected [{name!r}]")
    unexpected = [sender for sender in by_sender if sender not in completed]
    result.booking_rows_unexpected = sum(len(by_sender[sender]) for sender in unexpected)
    result.examples += [f"{sender}: booking row of an unfinished booking" for sender in unexpected[:5]]
    return result


def read_store(database_url: str, prefix: str) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """This run's user messages per conversation in stored order, and its booking_requests rows."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    stored: dict[str, list[str]] = {}
    try:
        with engine.connect() as connection:
            events = connection.execute(
                text("SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id LIKE :p ORDER BY id"),
                {"p": prefix + "%"},
            )
            for sender, data in events:
                stored.setdefault(sender, []).append(json.loads(data).get("text"))
            rows = connection.execute(
                text("SELECT sender_id, patient_name FROM booking_requests WHERE sender_id LIKE :p"),
                {"p": prefix + "%"},
            )
            bookings = [(sender, name) for sender, name in rows]
    finally:
        engine.dispose()
    return stored, bookings


def check_integrity(run: LoadRun, database_url: str, prefix: str) -> Integrity:
    stored, rows = read_store(database_url, prefix)
    bookings = [c for c in run.conversations if c.script.kind == "booking"]
    completed = {c.script.sender: c.script.name or "" for c in bookings if c.outcome == "completed"}
    result = compare_bookings(completed, {c.script.sender for c in bookings}, rows)
    sent = {c.script.sender: c.sent for c in run.conversations}
    errors = frozenset(c.script.sender for c in run.conversations if c.failed_turns)
    return compare(sent, stored, errors, result)


# -- where the time goes ----------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), sum(int(value) for value in fields[11:15]) / TICK


def process_table() -> dict[int, tuple[int, float]]:
    """Every process now: pid -> (parent pid, CPU seconds)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _proc_stat(int(entry.name))) is not None:
            table[int(entry.name)] = found
    return table


def tree(table: dict[int, tuple[int, float]], root: int) -> list[int]:
    """`root` and all its descendants (Sanic's workers, PostgreSQL's backends)."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def cpu_seconds(roots: dict[str, int]) -> dict[str, float]:
    """CPU time so far of each named process with its descendants."""
    table = process_table()
    return {name: sum(table.get(pid, (0, 0.0))[1] for pid in tree(table, root)) for name, root in roots.items()}


def postgres_pid(server: services.PostgresServer) -> int:
    return int((server.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])


def redis_commands(url: str) -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return {name.removeprefix("cmdstat_"): s["calls"] for name, s in client.info("commandstats").items()}
    finally:
        client.close()


@dataclass
class Resources:
    cpu_seconds: dict[str, float]
    redis_per_turn: dict[str, float]
    lock_waits: float  # polls for a conversation's lock held by another turn, from the scripts' call count

    @staticmethod
    def between(
        cpu_before: dict[str, float],
        cpu_after: dict[str, float],
        redis_before: dict[str, int],
        redis_after: dict[str, int],
        turns: int,
    ) -> Resources:
        cpu = {name: round(cpu_after[name] - cpu_before.get(name, 0.0), 2) for name in cpu_after}
        calls = {name: n - redis_before.get(name, 0) for name, n in redis_after.items()}
        calls = {name: n for name, n in calls.items() if n > 0 and name != "info"}
        per_turn = {name: round(n / turns, 3) for name, n in sorted(calls.items())} if turns else {}
        # An uncontended turn runs two lock scripts (take a ticket, give it back); each 50 ms
        # poll while another turn of the conversation runs adds one. See assistant/stores/lock_store.py.
        waits = max(0.0, calls.get("evalsha", 0) + calls.get("eval", 0) - 2 * turns)
        return Resources(cpu, per_turn, waits)


# -- report ---------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}"


def stats_row(s: Stats) -> str:
    rate = f"{s.errors} ({100 * s.error_rate:.1f}%)" if s.turns else "0"
    return (
        f"| {s.label} | {s.patients} | {s.seconds:.0f} | {s.turns} | {s.turns_per_s:.1f} | {fmt_ms(s.p50_ms)} | "
        f"{fmt_ms(s.p95_ms)} | {fmt_ms(s.p99_ms)} | {rate} | {s.conversations_completed} |"
    )


def verdict(overall: Stats, integrity: Integrity) -> list[str]:
    """Why the run failed; empty when it passed."""
    reasons = []
    if overall.error_rate > MAX_ERROR_RATE:
        reasons.append(f"error rate {100 * overall.error_rate:.1f}% above {100 * MAX_ERROR_RATE:.0f}%")
    if integrity.lost or integrity.duplicated or integrity.never_sent:
        reasons.append(f"{integrity.lost} lost, {integrity.duplicated + integrity.never_sent} extra user event(s)")
    if integrity.out_of_order or integrity.unknown_conversations:
        reasons.append(
            f"{integrity.out_of_order} conversation(s) out of order, {integrity.unknown_conversations} unknown"
        )
    if integrity.bookings_not_stored_once or integrity.booking_rows_unexpected:
        reasons.append(
            f"booking requests: {integrity.bookings_not_stored_once} completed not stored once, "
            f"{integrity.booking_rows_unexpected} unexpected row(s)"
        )
    return reasons


def report(
    run: LoadRun,
    per_stage: list[Stats],
    overall: Stats,
    integrity: Integrity,
    resources: Resources,
    setup: dict[str, Any],
) -> str:
    kinds = Counter(c.script.kind for c in run.conversations)
    outcomes = Counter(c.outcome for c in run.conversations)
    lines = [
        f"# Load test ({setup['date']}, {setup['cores']} cores)",
        "",
        f"Two Rasa servers (assistant.runtime.serve), one action server, PostgreSQL {setup['postgres']} and "
        f"Redis {setup['redis']} on loopback; every turn to the other Rasa server than the last. "
        f"{run.stage_seconds:.0f} s per stage, think time {THINK_SECONDS[0]}-{THINK_SECONDS[1]} s, "
        f"seed {setup['seed']}, timeout {REQUEST_TIMEOUT:.0f} s.",
        "",
        "| stage | patients | s | turns | turns/s | p50 ms | p95 ms | p99 ms | errors | conversations completed |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(stats_row(s) for s in [*per_stage, overall]),
        "",
        f"Conversations: {len(run.conversations)} started (FAQ {kinds['faq']}, booking {kinds['booking']}, "
        f"red flag {kinds['red_flag']}); {outcomes['completed']} completed, {outcomes['failed']} ended by an "
        f"error, {outcomes['cut']} cut off by the end of the run.",
    ]
    if overall.error_kinds:
        lines.append("Errors: " + ", ".join(f"{kind} {n}" for kind, n in overall.error_kinds.items()) + ".")
        lines += ["", "First failed turns:", *(f"- {failure}" for failure in run.failures[:5])]
    i = integrity
    lines += [
        "",
        "## Tracker store integrity (PostgreSQL, after the Rasa servers stopped)",
        "",
        "| check | count |",
        "|---|---|",
        f"| conversations compared | {i.conversations} |",
        f"| user messages sent / stored as user events | {i.sent} / {i.stored} |",
        f"| lost (sent, not stored) | {i.lost} (in conversations with a client error: {i.lost_after_client_error}) |",
        f"| duplicated (stored more often than sent) | {i.duplicated} |",
        f"| stored but never sent in that conversation | {i.never_sent} |",
        f"| conversations out of order / unknown to the clients | {i.out_of_order} / {i.unknown_conversations} |",
        f"| booking_requests rows / completed bookings | {i.booking_rows} / {i.bookings_completed} |",
        f"| completed bookings without exactly one row of their name | {i.bookings_not_stored_once} |",
        f"| rows of bookings the client did not see completed | {i.booking_rows_unexpected} |",
    ]
    if i.examples:
        lines += ["", "First problems:", *(f"- {example}" for example in i.examples[:10])]
    names = sorted(resources.cpu_seconds, key=lambda name: -resources.cpu_seconds[name])
    lines += [
        "",
        f"## Where the time went (CPU cores busy, of {setup['cores']})",
        "",
        "| stage | patients | " + " | ".join(names) + " | all |",
        "|---" * (len(names) + 3) + "|",
    ]
    for s in per_stage:
        if s.cpu_cores:
            cells = [f"{s.cpu_cores.get(name, 0.0):.2f}" for name in names]
            lines.append(f"| {s.label} | {s.patients} | {' | '.join(cells)} | {sum(s.cpu_cores.values()):.2f} |")
    total = [resources.cpu_seconds[name] / run.seconds for name in names]
    lines.append(f"| all | {max(run.stages)} | {' | '.join(f'{c:.2f}' for c in total)} | {sum(total):.2f} |")
    per_turn = sum(v for k, v in resources.cpu_seconds.items() if k.startswith("rasa")) / max(1, len(run.turns))
    redis_calls = ", ".join(f"{name} {n:.1f}" for name, n in resources.redis_per_turn.items())
    lines += [
        "",
        f"Rasa servers' CPU per turn: {1000 * per_turn:.0f} ms. Redis commands per turn (those the lock"
        f" scripts run counted too): {redis_calls}; "
        f"lock waits (50 ms polls): {resources.lock_waits:.0f}.",
    ]
    reasons = verdict(overall, integrity)
    lines += ["", "Result: " + ("FAIL: " + "; ".join(reasons) if reasons else "PASS (nothing lost or duplicated)")]
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------


def _loopback_only(urls: Iterable[str]) -> None:
    for url in urls:
        if not url.startswith("http://127.0.0.1:"):
            raise SystemExit(f"error: refusing to load anything but loopback, got {url}")


def _version(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    found = re.search(r"(\d+\.\d+(\.\d+)?)", out)
    return found.group(1) if found else "?"


def measure(args: argparse.Namespace) -> int:
    stage_seconds = args.minutes * 60 / len(args.stages)
    model = ensure_model(ROOT / "config.yml", "clinic")
    questions, answers = faq_questions(), domain_answers()
    run_id = uuid.uuid4().hex[:8]
    shutil.rmtree(WORK, ignore_errors=True)
    with services.postgres() as postgres, services.redis() as redis:
        first = servers.loopback_stack(model, WORK / "first")
        first.database_url, first.lock_store_url = postgres.url, redis.url
        second = dataclasses.replace(
            first, rasa_port=servers.free_port(), log_dir=WORK / "second" / "log", processes=[], logs=[], channels=[]
        )
        urls = [f"{stack.url}/webhooks/rest/webhook" for stack in (first, second)]
        _loopback_only([*urls, first.actions_url])
        try:
            print("==> starting PostgreSQL, Redis, the action server and two Rasa servers", file=sys.stderr)
            servers.start_actions_ready(first)
            servers.start_rasa_ready(first)
            servers.start_rasa_ready(second)  # after the first: it finds the tables made
            asyncio.run(warm_up(urls, questions))
            roots = {
                "rasa (first)": first.processes[-1].pid,
                "rasa (second)": second.processes[-1].pid,
                "action server": first.processes[0].pid,
                "postgresql": postgres_pid(postgres),
                "redis": redis.process.pid if redis.process else 0,
            }

            def probe() -> dict[str, float]:
                client = os.times()
                return {**cpu_seconds(roots), "load client": client.user + client.system}

            cpu_before, redis_before = probe(), redis_commands(redis.url)
            print(
                f"==> load: {' -> '.join(map(str, args.stages))} patients, {stage_seconds:.0f} s each", file=sys.stderr
            )
            run = asyncio.run(
                asyncio.wait_for(
                    run_load(urls, args.stages, stage_seconds, args.seed, run_id, questions, answers, probe),
                    timeout=args.minutes * 60 + REQUEST_TIMEOUT + 10,  # the hard bound, whatever happens
                )
            )
            cpu_after, redis_after = probe(), redis_commands(redis.url)
            resources = Resources.between(cpu_before, cpu_after, redis_before, redis_after, len(run.turns))
        finally:
            servers.stop(second)
            servers.stop(first)
        print("==> comparing the tracker store with what the clients sent", file=sys.stderr)
        integrity = check_integrity(run, postgres.url, f"load-{run_id}-")
        pg_version = _version([str(postgres.bin_dir / "postgres"), "--version"])
    per_stage, overall = summarise(run)
    setup = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "postgres": pg_version,
        "redis": _version([str(services.redis_binary()), "--version"]),
        "seed": args.seed,
        "minutes": args.minutes,
        "stages": args.stages,
        "model": model.name,
        "logs": str(WORK.relative_to(ROOT)),
    }
    publish_report("load.md", report(run, per_stage, overall, integrity, resources, setup))
    reasons = verdict(overall, integrity)
    data = {
        "setup": setup,
        "stages": [dataclasses.asdict(s) for s in per_stage],
        "overall": dataclasses.asdict(overall),
        "conversations": dict(Counter(f"{c.script.kind} {c.outcome}" for c in run.conversations)),
        "failed_turns": run.failures,
        "integrity": dataclasses.asdict(integrity),
        "resources": dataclasses.asdict(resources),
        "passed": not reasons,
        "failures": reasons,
    }
    (REPORTS / "load.json").write_text(json.dumps(without_nan(data), indent=2, default=str) + "\n")
    return 1 if reasons else 0


def without_nan(value: Any) -> Any:
    """NaN (a stage without turns has no percentiles) is not JSON: null instead."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_nan(item) for item in value]
    return value


def stages_arg(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= MAX_PATIENTS:
        raise argparse.ArgumentTypeError(f"patients per stage must be 1-{MAX_PATIENTS}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes", type=float, default=5.0, help=f"total load time (default 5, at most {MAX_MINUTES:.0f})"
    )
    parser.add_argument(
        "--stages", type=stages_arg, nargs="+", default=list(DEFAULT_STAGES), help="patients at once, per stage"
    )
    parser.add_argument("--seed", type=int, default=1, help="scripts and think times (default 1)")
    args = parser.parse_args(argv)
    if not 0 < args.minutes <= MAX_MINUTES:
        parser.error(f"--minutes must be above 0 and at most {MAX_MINUTES:.0f}")
    if sorted(args.stages) != args.stages:
        parser.error("--stages must not decrease (concurrency rises stage by stage)")

    def terminated(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)  # `kill` stops the servers like Ctrl-C does
    try:
        return measure(args)
    except KeyboardInterrupt:
        print("interrupted: servers stopped, no report written", file=sys.stderr)
        return 130
    except (servers.ServerError, services.ServiceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
