"""Where the time goes during `make load`: CPU seconds of each server's process tree (from /proc;
also used by tools/bench.py and the scale-out test) and Redis's command counts per turn."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tools import services

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
