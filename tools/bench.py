"""`make bench`: this project's configuration against Rasa's default one,
trained on the same data and measured in the same run, over the REST channel
on loopback. A report, not a test: figures go to var/reports/bench.md.

Per configuration: training time, time from start to ready, resident memory
(all of the Rasa server's processes), Rasa's CPU time per turn, and turns per
second with p50/p95/p99 latency at 1 and 16 concurrent users. Columns:
- this project as `make run` starts it (SQLite, one process);
- the full deployment of one instance: PostgreSQL + Redis (started on
  loopback, as docker-compose.yml uses them), one Rasa process, and with two
  Sanic workers (SANIC_WORKERS=2);
- Rasa's default config on stock `rasa run` (what a team gets out of the box:
  the baseline of the performance targets), and on this project's server
  (our speed-ups apply to it too, so this isolates the configuration);
- this project without its red-flag screening (the latency the screening costs).
Then one patient's long conversation on PostgreSQL + Redis: latency and CPU
per turn as it grows, and after a new session.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import servers, services  # noqa: E402
from tools.load.resources import cpu_seconds, process_table, tree  # noqa: E402
from tools.model import ensure_model, publish_report, train_seconds  # noqa: E402
from tools.triage_report import LONG_MESSAGE, detector_times, labelled_texts  # noqa: E402

DEFAULT_CONFIG = ROOT / "bench" / "configs" / "rasa-default.yml"
NO_TRIAGE_CONFIG = ROOT / "bench" / "configs" / "no-triage.yml"
# What simulated patients say: FAQ questions, small talk, a booking request.
MESSAGES = [
    "hi",
    "what is sciatica?",
    "what causes sciatica",
    "does acupuncture hurt?",
    "is there any proof acupuncture works for sciatica?",
    "how many sessions will I need",
    "how much does it cost, do you take insurance?",
    "where do you put the needles?",
    "is it better than taking ibuprofen?",
    "I want to book a session",
    "thanks a lot",
]


@dataclass
class Load:
    users: int
    turns: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def throughput(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


@dataclass(frozen=True)
class Setup:
    name: str
    model: Path
    stock: bool = False  # plain `rasa run` instead of assistant.runtime.serve
    shared_stores: bool = False  # PostgreSQL + Redis instead of SQLite + in-process locks
    workers: int = 1


@dataclass
class Figures:
    name: str
    train_seconds: float
    ready_seconds: float
    rss_mb: float
    peak_rss_mb: float
    cpu_ms_per_turn: float  # the Rasa server's processes, over the loads
    loads: dict[int, Load]


def rss_mb(root: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process and its children (Sanic's workers), in MB."""
    total = peak = 0.0
    for pid in tree(process_table(), root):
        fields = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        total += float(fields.get("VmRSS", "0 kB").split()[0]) / 1024
        peak += float(fields.get("VmHWM", "0 kB").split()[0]) / 1024
    return total, peak


async def run_load(url: str, users: int, turns_per_user: int) -> Load:
    """Each user holds conversations of len(MESSAGES) turns, one after another,
    each with a new conversation id: patients' chats are short, and Rasa reads
    and writes the whole conversation on every turn. User i starts at message
    i of the script (its first conversation begins there): independent patients
    are not all at the same step, while in lockstep all 16 ask for a booking,
    the costliest turn, in the same instant every 11 turns (docs/performance.md)."""
    load = Load(users=users, turns=0, seconds=0.0)

    async def patient(session: aiohttp.ClientSession, index: int) -> None:
        sender = ""
        for turn in range(index, index + turns_per_user):
            if turn == index or turn % len(MESSAGES) == 0:
                sender = f"bench-{index}-{uuid.uuid4().hex[:8]}"
            await _send(session, url, sender, MESSAGES[turn % len(MESSAGES)], load)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(patient(session, i) for i in range(users)))
        load.seconds = time.perf_counter() - started
    return load


async def _send(session: aiohttp.ClientSession, url: str, sender: str, message: str, load: Load) -> None:
    """One turn: its latency, and an error unless Rasa answered with at least one message."""
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": message}) as response:
            body = await response.json()
            ok = response.status == 200 and isinstance(body, list) and body
    except (aiohttp.ClientError, asyncio.TimeoutError):
        ok = False
    load.latencies.append(time.perf_counter() - started)
    load.turns += 1
    if not ok:
        load.errors += 1


@contextlib.contextmanager
def running(setup: Setup) -> Iterator[tuple[servers.Stack, float]]:
    """The setup's servers on loopback, warmed up: the stack and its seconds from start to ready."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, contextlib.ExitStack() as stores:
        stack = servers.loopback_stack(setup.model, Path(tmp), stock_server=setup.stock)
        if setup.shared_stores:
            stack.database_url = stores.enter_context(services.postgres()).url
            stack.lock_store_url = stores.enter_context(services.redis()).url
        stack.workers = str(setup.workers)
        try:
            servers.start_actions_ready(stack)
            ready = servers.start_rasa_ready(stack)
            # Warm-up: first requests load lazily; enough of them to reach every worker.
            asyncio.run(run_load(webhook(stack), 2 * setup.workers, 11))
            yield stack, ready
        finally:
            servers.stop(stack)


def webhook(stack: servers.Stack) -> str:
    return f"{stack.url}/webhooks/rest/webhook"


def rasa_cpu(stack: servers.Stack) -> float:
    """CPU seconds so far of the Rasa server (the stack's last process) and its workers."""
    return cpu_seconds({"rasa": stack.processes[-1].pid})["rasa"]


def measure(setup: Setup, concurrency: list[int], turns: int) -> Figures:
    print(f"==> measuring: {setup.name}", file=sys.stderr)
    with running(setup) as (stack, ready):
        cpu_before = rasa_cpu(stack)
        loads = {}
        for users in concurrency:
            loads[users] = asyncio.run(run_load(webhook(stack), users, max(1, turns // users)))
        cpu = rasa_cpu(stack) - cpu_before
        rss, peak = rss_mb(stack.processes[-1].pid)
    total_turns = sum(load.turns for load in loads.values())
    return Figures(setup.name, train_seconds(setup.model), ready, rss, peak, 1000 * cpu / total_turns, loads)


# One patient's long conversation: FAQ questions (no form), then a new session.
LONG_TURNS = 400
LENGTH_BUCKET = 50
FAQ = MESSAGES[1:9]


@dataclass
class Length:
    """Latency and the Rasa server's CPU per turn along one long conversation, by bucket of turns."""

    buckets: list[tuple[str, Load, float]] = field(default_factory=list)  # label, load, CPU ms per turn
    sessions: int = 0  # session_started events stored for the conversation (2 expected)


def _sessions(database_url: str, sender: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = "SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'session_started'"
            return int(connection.execute(sa.text(query), {"s": sender}).scalar_one())
    finally:
        engine.dispose()


async def _one_conversation(url: str, sender: str, messages: list[str]) -> Load:
    load = Load(users=1, turns=0, seconds=0.0)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        started = time.perf_counter()
        for message in messages:
            await _send(session, url, sender, message, load)
        load.seconds = time.perf_counter() - started
    return load


def measure_length(model: Path) -> Length:
    """How a turn's cost grows with the conversation (Rasa reads and replays the latest session
    on every turn), and what a new session (after `session_expiration_time`, here forced with
    /session_start) does to it. PostgreSQL + Redis, one process, one patient."""
    print("==> measuring: one long conversation (PostgreSQL + Redis, 1 process)", file=sys.stderr)
    result = Length()
    sender = f"bench-long-{uuid.uuid4().hex[:8]}"
    with running(Setup("long conversation", model, shared_stores=True)) as (stack, _):

        def bucket(label: str, first: int) -> None:
            messages = [FAQ[(first + i) % len(FAQ)] for i in range(LENGTH_BUCKET)]
            before = rasa_cpu(stack)
            load = asyncio.run(_one_conversation(webhook(stack), sender, messages))
            result.buckets.append((label, load, 1000 * (rasa_cpu(stack) - before) / max(1, load.turns)))

        for first in range(0, LONG_TURNS, LENGTH_BUCKET):
            bucket(f"turns {first + 1}-{first + LENGTH_BUCKET}", first)
        asyncio.run(_one_conversation(webhook(stack), sender, ["/session_start"]))
        bucket(f"new session: its turns 1-{LENGTH_BUCKET}", LONG_TURNS)
        result.sessions = _sessions(stack.database_url, sender)
    return result


def length_report(length: Length) -> str:
    lines = [
        "",
        "",
        f"One patient's conversation of {LONG_TURNS} FAQ turns, then a new session"
        f" (PostgreSQL + Redis, 1 process, 1 user; sessions stored: {length.sessions}):",
        "",
        "| turns | p50 / p95 ms | Rasa CPU per turn (ms) | errors |",
        "|---|---|---|---|",
    ]
    for label, load, cpu in length.buckets:
        lines.append(f"| {label} | {load.pct(50):.1f} / {load.pct(95):.1f} | {cpu:.1f} | {load.errors} |")
    return "\n".join(lines)


BASELINE = "Rasa default config, stock rasa run"
TARGETS = "Targets (issue: production): throughput >= 3x the baseline's, p95 <= 150 ms at 16 users, ready <= 10 s."


def report(figures: list[Figures], concurrency: list[int]) -> str:
    """A column per setup, then each of this project's setups against the baseline and the targets."""

    def row(label: str, value: Callable[[Figures], float], fmt: str) -> str:
        return f"| {label} | " + " | ".join(fmt.format(value(f)) for f in figures) + " |"

    lines = [
        "| measure | " + " | ".join(f.name for f in figures) + " |",
        "|---" * (1 + len(figures)) + "|",
        row("training time (s)", lambda f: f.train_seconds, "{:.0f}"),
        row("start to ready (s)", lambda f: f.ready_seconds, "{:.1f}"),
        row("resident memory after load (MB)", lambda f: f.rss_mb, "{:.0f}"),
        row("peak resident memory (MB)", lambda f: f.peak_rss_mb, "{:.0f}"),
        row("Rasa server CPU per turn (ms)", lambda f: f.cpu_ms_per_turn, "{:.1f}"),
    ]
    for users in concurrency:
        loads = [f.loads[users] for f in figures]
        lines += [
            row(f"{users} user(s): turns/s", lambda f, u=users: f.loads[u].throughput, "{:.1f}"),
            f"| {users} user(s): p50 / p95 / p99 ms | "
            + " | ".join(f"{x.pct(50):.0f} / {x.pct(95):.0f} / {x.pct(99):.0f}" for x in loads)
            + " |",
            f"| {users} user(s): turns / errors | " + " | ".join(f"{x.turns} / {x.errors}" for x in loads) + " |",
        ]
    base = next((f for f in figures if f.name == BASELINE), None)
    if base is None:
        return "\n".join(lines)
    lines += ["", TARGETS, ""]
    for f in figures:
        if not f.name.startswith("this project") or "without" in f.name:
            continue
        ratios = ", ".join(f"{u} user(s) {f.loads[u].throughput / base.loads[u].throughput:.1f}x" for u in concurrency)
        p95 = f.loads[max(concurrency)].pct(95)
        lines.append(
            f"- {f.name}: throughput {ratios}; p95 at {max(concurrency)} users {p95:.0f} ms"
            f" ({'met' if p95 <= 150 else 'NOT met'}); ready {f.ready_seconds:.1f} s"
            f" ({'met' if f.ready_seconds <= 10 else 'NOT met'}); memory {f.rss_mb:.0f} MB"
            f" (baseline {base.rss_mb:.0f} MB)"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=640, help="turns per concurrency level (bounded)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument(
        "--retrain",
        action="store_true",
        help="train both models from scratch (no Rasa cache) so training times are comparable",
    )
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    ours_model = ensure_model(ROOT / "config.yml", "clinic", force=args.retrain)
    default_model = ensure_model(DEFAULT_CONFIG, DEFAULT_CONFIG.stem, force=args.retrain)
    no_triage_model = ensure_model(NO_TRIAGE_CONFIG, NO_TRIAGE_CONFIG.stem, force=args.retrain)
    setups = [
        Setup("this project (SQLite, 1 process)", ours_model),
        Setup(BASELINE, default_model, stock=True),
        Setup("this project, PostgreSQL + Redis, 1 process", ours_model, shared_stores=True),
        Setup("this project, PostgreSQL + Redis, 2 workers", ours_model, shared_stores=True, workers=2),
        Setup("Rasa default config, this project's server", default_model),
        Setup("this project without red-flag screening", no_triage_model),
    ]
    figures = [measure(setup, args.concurrency, args.turns) for setup in setups]
    length = measure_length(ours_model)
    typical = detector_times(labelled_texts(ROOT / "tests" / "triage" / "messages.yml"))
    long = detector_times([LONG_MESSAGE], repeat=30)
    detector = (
        f"\n\nRed-flag detector per message (in process): typical p50 {typical[0]:.2f} ms, p95 {typical[1]:.2f} ms"
        f" (target 2 ms); 2,000 characters p50 {long[0]:.1f} ms, p95 {long[1]:.1f} ms (target 10 ms)."
    )
    publish_report("bench.md", report(figures, args.concurrency) + detector + length_report(length))
    return 0


if __name__ == "__main__":
    sys.exit(main())
