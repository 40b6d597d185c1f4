"""`python -m tools.load` (`make load`): checks the arguments, starts PostgreSQL, Redis, the action
server and two Rasa servers on loopback, runs the stages, stops the servers, checks the store and
writes the reports."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import tools.load
from tools import servers, services
from tools.load.driver import REQUEST_TIMEOUT, warm_up
from tools.load.integrity import check_integrity
from tools.load.patients import domain_answers, faq_questions
from tools.load.reporting import report, summarise, verdict, without_nan
from tools.load.resources import Resources, cpu_seconds, postgres_pid, redis_commands
from tools.load.stages import run_load
from tools.model import ensure_model, publish_report

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTION = (tools.load.__doc__ or "").splitlines()[0]
REPORTS = ROOT / "var" / "reports"
WORK = ROOT / "var" / "load"  # the servers' logs, kept after the run for a look at any errors
DEFAULT_STAGES = (4, 8, 16, 32)
MAX_PATIENTS = 256  # bounded: enough to find where two cores saturate (docs/performance.md)
MAX_MINUTES = 30.0


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


def stages_arg(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= MAX_PATIENTS:
        raise argparse.ArgumentTypeError(f"patients per stage must be 1-{MAX_PATIENTS}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.load", description=DESCRIPTION)
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
