"""`make bench`: this project's configuration against Rasa's default one,
trained on the same data and measured in the same run, over the REST channel
on loopback. A report, not a test: figures go to var/reports/bench.md.

Per configuration: training time, time from start to ready, resident memory,
and turns per second with p50/p95/p99 latency at 1 and 16 concurrent users.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import servers  # noqa: E402
from tools.model import ensure_model  # noqa: E402

REPORTS = ROOT / "var" / "reports"
DEFAULT_CONFIG = ROOT / "bench" / "configs" / "rasa-default.yml"
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


def measure(name: str, model: Path, concurrency: list[int], turns: int) -> Figures:
    train_file = model.parent / (model.name + ".train-seconds")
    train_seconds = float(train_file.read_text()) if train_file.exists() else float("nan")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        stack = servers.Stack(
            model=model,
            rasa_port=servers.free_port(),
            actions_port=servers.free_port(),
            token=uuid.uuid4().hex,
            database_url=f"sqlite:///{tmp}/rasa.db",
            log_dir=Path(tmp) / "log",
        )
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
    return Figures(name, train_seconds, ready, rss, peak, loads)


def report(ours: Figures, default: Figures, concurrency: list[int]) -> str:
    def row(label: str, a: float, b: float, fmt: str = "{:.1f}", better_low: bool = True) -> str:
        ratio = (b / a if better_low else a / b) if a and b else float("nan")
        return f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {ratio:.1f}x |"

    lines = [
        f"| measure | this project ({ours.name}) | Rasa default ({default.name}) | advantage |",
        "|---|---|---|---|",
        row("training time (s)", ours.train_seconds, default.train_seconds, "{:.0f}"),
        row("start to ready (s)", ours.ready_seconds, default.ready_seconds),
        row("resident memory after load (MB)", ours.rss_mb, default.rss_mb, "{:.0f}"),
        row("peak resident memory (MB)", ours.peak_rss_mb, default.peak_rss_mb, "{:.0f}"),
    ]
    for users in concurrency:
        a, b = ours.loads[users], default.loads[users]
        lines += [
            row(f"{users} user(s): turns/s", a.throughput, b.throughput, better_low=False),
            row(f"{users} user(s): p50 ms", a.pct(50), b.pct(50), "{:.0f}"),
            row(f"{users} user(s): p95 ms", a.pct(95), b.pct(95), "{:.0f}"),
            row(f"{users} user(s): p99 ms", a.pct(99), b.pct(99), "{:.0f}"),
            f"| {users} user(s): turns / errors | {a.turns} / {a.errors} | {b.turns} / {b.errors} | |",
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
    ours = measure("config.yml", ours_model, args.concurrency, args.turns)
    print("==> measuring Rasa's default config on the same data", file=sys.stderr)
    default = measure("rasa-default.yml", default_model, args.concurrency, args.turns)
    text = report(ours, default, args.concurrency)
    print(text)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "bench.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
