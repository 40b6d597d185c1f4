"""The figures and the report of `make load`: turns/s and p50/p95/p99 per stage and overall, the
integrity table, CPU per process, and the verdict (var/reports/load.md; load.json via without_nan)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.load.driver import REQUEST_TIMEOUT, LoadRun, TurnResult
from tools.load.integrity import Integrity
from tools.load.patients import THINK_SECONDS
from tools.load.resources import Resources

MAX_ERROR_RATE = 0.01


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


def without_nan(value: Any) -> Any:
    """NaN (a stage without turns has no percentiles) is not JSON: null instead."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_nan(item) for item in value]
    return value
