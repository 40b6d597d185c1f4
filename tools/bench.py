"""`make bench`: this project's configuration against Rasa's default one,
trained on the same data and measured in the same run, over the REST channel
on loopback. A report, not a test: figures go to var/reports/bench.md.

Per configuration: training time, time from start to ready, resident memory,
and turns per second with p50/p95/p99 latency at 1 and 16 concurrent users.
Columns: this project; Rasa's default config on the same server (our
speedups apply to both, so this isolates the configuration); Rasa's default
config on stock `rasa run` (what a team gets out of the box); this project
without its red-flag screening component (the latency the screening costs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import servers  # noqa: E402
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


@dataclass
class Figures:
    name: str
    train_seconds: float
    ready_seconds: float
    rss_mb: float
    peak_rss_mb: float
    loads: dict[int, Load]


def rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    kb = lambda k: float(fields.get(k, "0 kB").split()[0])  # noqa: E731
    return kb("VmRSS") / 1024, kb("VmHWM") / 1024


async def run_load(url: str, users: int, turns_per_user: int) -> Load:
    """Each user holds conversations of len(MESSAGES) turns, one after another,
    each with a new conversation id: patients' chats are short, and Rasa reads
    and writes the whole conversation on every turn."""
    load = Load(users=users, turns=0, seconds=0.0)
    timeout = aiohttp.ClientTimeout(total=60)

    async def patient(session: aiohttp.ClientSession, index: int) -> None:
        sender = ""
        for turn in range(turns_per_user):
            if turn % len(MESSAGES) == 0:
                sender = f"bench-{index}-{uuid.uuid4().hex[:8]}"
            message = MESSAGES[turn % len(MESSAGES)]
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

    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(patient(session, i) for i in range(users)))
        load.seconds = time.perf_counter() - started
    return load


def measure(name: str, model: Path, concurrency: list[int], turns: int, stock: bool = False) -> Figures:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        stack = servers.loopback_stack(model, Path(tmp), stock_server=stock)
        try:
            servers.start_actions_ready(stack)
            ready = servers.start_rasa_ready(stack)
            rasa_pid = stack.processes[-1].pid
            url = f"{stack.url}/webhooks/rest/webhook"
            asyncio.run(run_load(url, 2, 5))  # warm-up: first requests load lazily
            loads = {}
            for users in concurrency:
                loads[users] = asyncio.run(run_load(url, users, max(1, turns // users)))
            rss, peak = rss_mb(rasa_pid)
        finally:
            servers.stop(stack)
    return Figures(name, train_seconds(model), ready, rss, peak, loads)


def report(ours: Figures, baselines: list[Figures], concurrency: list[int]) -> str:
    """One column per configuration; "x" columns are ours relative to each baseline."""

    def cells(value: Callable[[Figures], float], fmt: str, better_low: bool) -> str:
        a = value(ours)
        out = [fmt.format(a)]
        for base in baselines:
            b = value(base)
            ratio = (b / a if better_low else a / b) if a and b else float("nan")
            out.append(f"{fmt.format(b)} ({ratio:.1f}x)")
        return " | ".join(out)

    head = " | ".join(b.name for b in baselines)
    lines = [
        f"| measure | {ours.name} | {head} |",
        "|---" * (2 + len(baselines)) + "|",
        f"| training time (s) | {cells(lambda f: f.train_seconds, '{:.0f}', True)} |",
        f"| start to ready (s) | {cells(lambda f: f.ready_seconds, '{:.1f}', True)} |",
        f"| resident memory after load (MB) | {cells(lambda f: f.rss_mb, '{:.0f}', True)} |",
        f"| peak resident memory (MB) | {cells(lambda f: f.peak_rss_mb, '{:.0f}', True)} |",
    ]
    for users in concurrency:
        lines += [
            f"| {users} user(s): turns/s | {cells(lambda f, u=users: f.loads[u].throughput, '{:.1f}', False)} |",
            f"| {users} user(s): p50 ms | {cells(lambda f, u=users: f.loads[u].pct(50), '{:.0f}', True)} |",
            f"| {users} user(s): p95 ms | {cells(lambda f, u=users: f.loads[u].pct(95), '{:.0f}', True)} |",
            f"| {users} user(s): p99 ms | {cells(lambda f, u=users: f.loads[u].pct(99), '{:.0f}', True)} |",
            f"| {users} user(s): turns / errors | "
            + " | ".join(f"{f.loads[users].turns} / {f.loads[users].errors}" for f in [ours, *baselines])
            + " |",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=320, help="turns per concurrency level (bounded)")
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
    print("==> measuring this project's model", file=sys.stderr)
    ours = measure("this project", ours_model, args.concurrency, args.turns)
    print("==> measuring this project without the red-flag screening (its latency cost)", file=sys.stderr)
    no_triage_model = ensure_model(NO_TRIAGE_CONFIG, NO_TRIAGE_CONFIG.stem, force=args.retrain)
    no_triage = measure("this project without red-flag screening", no_triage_model, args.concurrency, args.turns)
    print("==> measuring Rasa's default config on the same data, same server", file=sys.stderr)
    default = measure("Rasa default config", default_model, args.concurrency, args.turns)
    print("==> measuring Rasa's default config on stock `rasa run`", file=sys.stderr)
    stock = measure("Rasa default, stock rasa run", default_model, args.concurrency, args.turns, stock=True)
    typical = detector_times(labelled_texts(ROOT / "tests" / "triage" / "messages.yml"))
    long = detector_times([LONG_MESSAGE], repeat=30)
    detector = (
        f"\n\nRed-flag detector per message (in process): typical p50 {typical[0]:.2f} ms, p95 {typical[1]:.2f} ms"
        f" (target 2 ms); 2,000 characters p50 {long[0]:.1f} ms, p95 {long[1]:.1f} ms (target 10 ms)."
    )
    publish_report("bench.md", report(ours, [default, stock, no_triage], args.concurrency) + detector)
    return 0


if __name__ == "__main__":
    sys.exit(main())
