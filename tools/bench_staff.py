"""`make bench-staff` (also run by `make bench`): the staff console's conversation list and search
over a generated database of 100,000 conversations and 2,000,000 events, on SQLite and on
PostgreSQL. A report, not a test: a missed target is reported, only errors fail the run.

Per database: generation and load time, the index's first full build (the real
`Indexer.refresh()`), the database's size, then the console as its own server process
(`python -m assistant.staff serve`) answering sequential GETs of one signed-in user: the list
page, a deep page, each filter, and searches (a very common word, a rare one, a phrase, a word
that matches nothing, search with filters). p50/p95/p99 per query and overall go to stdout
(markdown), var/reports/bench_staff.md and var/reports/bench_staff.json.

The SQLite file is generated once per generator version, vocabulary and size, and kept in
var/bench/ (each run indexes a fresh copy of it); PostgreSQL is a throwaway server
(tools/services.py) loaded with the same data on every run.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import http.client
import io
import json
import os
import platform
import re
import shutil
import sqlite3
import sys
import time
import urllib.parse
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from assistant.records import tables  # noqa: E402
from assistant.records.db import connect  # noqa: E402
from assistant.records.migrate import head, migrate  # noqa: E402
from assistant.records.staff_tables import conversations as summaries  # noqa: E402
from assistant.staff import accounts  # noqa: E402
from assistant.staff.index import Indexer  # noqa: E402
from assistant.stores.events import COLUMNS as EVENT_COLUMNS  # noqa: E402
from tools import servers, services  # noqa: E402
from tools.conversations import GENERATOR_VERSION, VOCABULARY, Batch, generate  # noqa: E402

CONVERSATIONS, EVENTS, SEED, DAYS = 100_000, 2_000_000, 1, 365.0
CACHE = ROOT / "var" / "bench"
REPORTS = ROOT / "var" / "reports"
TARGET_MS = 200.0
USER, PASSWORD = "bench", "a long benchmark password"
TOTAL = re.compile(r"<p>([\d,]+) conversations? ·")
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
RECORD_TABLES = [tables.metadata.tables[table.name] for table in tables.PER_CONVERSATION]


# --- the generated database ---------------------------------------------------------------------


@dataclass
class Load:
    """How a database was filled."""

    generate_seconds: float = 0.0  # building the rows (JSON included)
    insert_seconds: float = 0.0
    events: int = 0
    conversations: int = 0
    escalations: int = 0
    bookings: int = 0
    handoffs: int = 0
    end: float = 0.0  # when the data was generated: conversations start until 90 minutes before
    cached: bool = False

    def take(self, batch: Batch) -> None:
        self.events += len(batch.events)
        self.conversations += batch.conversations
        self.escalations += len(batch.escalations)
        self.bookings += len(batch.bookings)
        self.handoffs += len(batch.handoffs)


def timed_batches(load: Load, conversations: int, events: int, seed: int) -> Iterator[Batch]:
    """The generator's batches, with the time spent generating them added to load.generate_seconds."""
    batches = generate(conversations, events, seed=seed, end=load.end - 3600, days=DAYS)
    while True:
        started = time.perf_counter()
        batch = next(batches, None)
        load.generate_seconds += time.perf_counter() - started
        if batch is None:
            return
        load.take(batch)
        yield batch


def create_rasa_events_table(url: str) -> None:
    """Rasa's `events` table made by Rasa itself (SQLTrackerStore, with its sequence on PostgreSQL)."""
    from assistant.stores.tracker_store import URLSQLTrackerStore

    with warnings.catch_warnings():  # Rasa's own SQLAlchemy deprecations
        warnings.simplefilter("ignore")
        URLSQLTrackerStore(host=url).engine.dispose()


def insert_records(engine: Engine, batch: Batch) -> None:
    with engine.begin() as connection:
        for table, rows in (
            (tables.escalations, batch.escalations),
            (tables.bookings, batch.bookings),
            (tables.handoff_requests, batch.handoffs),
        ):
            if rows:
                connection.execute(table.insert(), rows)


def cache_name(conversations: int, events: int, seed: int) -> str:
    vocabulary = hashlib.sha256(VOCABULARY.read_bytes()).hexdigest()[:8]
    # The schema revision too: a file made for an older schema is made again.
    return f"staff-v{GENERATOR_VERSION}-r{head()}-{vocabulary}-{conversations}c-{events}e-s{seed}"


def load_sqlite(path: Path, conversations: int, events: int, seed: int, end: float) -> Load:
    """Rasa's events and the clinic's records in a new SQLite file, migrated as the servers do."""
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    create_rasa_events_table(url)
    engine = create_engine(url, future=True)
    migrate(url)  # the clinic's tables (and the console's) as the servers make them
    load = Load(end=end)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        columns, marks = ", ".join(EVENT_COLUMNS), ", ".join("?" * len(EVENT_COLUMNS))
        insert = f"INSERT INTO events ({columns}) VALUES ({marks})"  # noqa: S608 (constant names)
        for batch in timed_batches(load, conversations, events, seed):
            started = time.perf_counter()
            db.execute("BEGIN")
            db.executemany(insert, batch.events)
            db.execute("COMMIT")
            insert_records(engine, batch)
            load.insert_seconds += time.perf_counter() - started
        started = time.perf_counter()
        db.execute("PRAGMA journal_mode=DELETE")  # as Rasa leaves it
        load.insert_seconds += time.perf_counter() - started
    finally:
        db.close()
        engine.dispose()
    return load


def cached_sqlite(conversations: int, events: int, seed: int, fresh: bool) -> tuple[Path, Load]:
    """The generated SQLite file (made now if it is not in var/bench/ yet) and how it was made."""
    CACHE.mkdir(parents=True, exist_ok=True)
    name = cache_name(conversations, events, seed)
    path, info = CACHE / f"{name}.sqlite", CACHE / f"{name}.json"
    if path.exists() and info.exists() and not fresh:
        load = Load(**json.loads(info.read_text()))
        load.cached = True
        return path, load
    for old in CACHE.glob("staff-v*"):  # one generated database at a time: they are large
        old.unlink()
    print(f"==> generating {conversations:,} conversations, {events:,} events into {path}", file=sys.stderr)
    partial = path.with_suffix(".partial")
    load = load_sqlite(partial, conversations, events, seed, time.time())
    partial.rename(path)
    info.write_text(json.dumps(asdict(load)))
    return path, load


def load_postgres(url: str, conversations: int, events: int, seed: int, end: float) -> Load:
    """The same data as the SQLite file, with COPY."""
    create_rasa_events_table(url)
    engine = create_engine(url, future=True)
    migrate(url)  # the clinic's tables (and the console's) as the servers make them
    load = Load(end=end)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        copy = f"COPY events ({', '.join(EVENT_COLUMNS)}) FROM STDIN WITH (FORMAT csv)"
        for batch in timed_batches(load, conversations, events, seed):
            started = time.perf_counter()
            buffer = io.StringIO()
            csv.writer(buffer).writerows(batch.events)  # None -> an empty field -> NULL
            buffer.seek(0)
            cursor.copy_expert(copy, buffer)
            raw.commit()
            insert_records(engine, batch)
            load.insert_seconds += time.perf_counter() - started
        started = time.perf_counter()
        # Rasa inserts with the sequence's next value: after the copied ids.
        cursor.execute("SELECT setval('events_id_seq', (SELECT max(id) FROM events))")
        raw.commit()
    finally:
        raw.close()
    try:
        vacuum_analyze(engine)  # what autovacuum does soon after a bulk load
        load.insert_seconds += time.perf_counter() - started
    finally:
        engine.dispose()
    return load


def vacuum_analyze(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def database_size(engine: Engine) -> int:
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database or "")
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def build_index(engine: Engine) -> tuple[float, int]:
    """The console's first full index of the database (seconds, events read)."""
    started = time.perf_counter()
    read = Indexer(engine).refresh()
    seconds = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        vacuum_analyze(engine)
    return seconds, read


# --- the console over HTTP ----------------------------------------------------------------------


@dataclass
class Query:
    name: str
    path: str
    matches: int | None = None  # conversations found, as the page says
    latencies: list[float] = field(default_factory=list)  # seconds

    def pct(self, p: float) -> float:
        return percentile(self.latencies, p)

    def figures(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "matches": self.matches,
            "requests": len(self.latencies),
            "p50_ms": round(self.pct(50), 1),
            "p95_ms": round(self.pct(95), 1),
            "p99_ms": round(self.pct(99), 1),
            "max_ms": round(max(self.latencies) * 1000, 1) if self.latencies else None,
            "target_met": self.pct(95) <= TARGET_MS,
        }


def percentile(latencies: list[float], p: float) -> float:
    """Nearest rank, in milliseconds (as tools/bench.py)."""
    if not latencies:
        return float("nan")
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def queries(newest: float) -> list[Query]:
    """What staff ask for: the list, a deep page, each filter, and searches of every kind."""
    day = datetime.fromtimestamp(newest, timezone.utc).date() - timedelta(days=120)
    month = f"since={day - timedelta(days=29)}&until={day}"
    return [
        Query("list, page 1", "/conversations"),
        Query("list, page 2,000", "/conversations?page=2000"),
        Query("filter: red flag", "/conversations?escalation=1"),
        Query("filter: not understood / low confidence", "/conversations?fallback=1"),
        Query("filter: topic (most asked)", "/conversations?topic=sciatica_symptoms"),
        Query("filter: 30 days", f"/conversations?{month}"),
        Query("filter: channel", "/conversations?channel=telegram"),
        Query("search: very common word", "/conversations?q=sciatica"),
        Query("search: rare word", "/conversations?q=moxibustion"),
        Query("search: two-word phrase", "/conversations?q=" + urllib.parse.quote("lower back")),
        Query("search: no match", "/conversations?q=xylophone"),
        Query("search + filters", f"/conversations?q=acupuncture&channel=telegram&{month}"),
    ]


class Browser:
    """One signed-in member of staff: a kept-alive connection, the session cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                page = response.read().decode()
                break
            except (ConnectionError, http.client.HTTPException):  # the server closed an idle keep-alive
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0].strip('"')
        return response.status, page

    def sign_in(self, name: str, password: str) -> None:
        _, page = self.request("GET", "/login")
        found = CSRF_FIELD.search(page)
        if not found:
            raise RuntimeError("the sign-in page has no CSRF field")
        status, _ = self.request("POST", "/login", {"name": name, "password": password, "csrf": found.group(1)})
        if status != 303 or "staff_session" not in self.cookies:
            raise RuntimeError(f"signing in failed (HTTP {status})")

    def close(self) -> None:
        self.connection.close()


@contextmanager
def console(url: str, log_dir: Path) -> Iterator[int]:
    """The staff console as its own server process on a free loopback port; its port."""
    # Only the console runs; the other ports are never served, but they are real port numbers because the
    # console's settings refuse anything else (port 0 in ACTIONS_PORT stopped it at start).
    rasa_port, actions_port, web_port, staff_port = (servers.free_port() for _ in range(4))
    stack = servers.Stack(
        model=Path(), rasa_port=rasa_port, actions_port=actions_port, web_port=web_port, staff_port=staff_port,
        token="", database_url=url, log_dir=log_dir,
    )  # fmt: skip
    try:
        servers.start_staff_ready(stack, timeout=120)
        yield stack.staff_port
    finally:
        servers.stop(stack)


def measure(url: str, engine: Engine, requests: int, warmup: int, log_dir: Path) -> list[Query]:
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(summaries.c.last_at))).scalar_one()
    planned = queries(newest)
    with console(url, log_dir) as port:
        browser = Browser(port)
        try:
            browser.sign_in(USER, PASSWORD)
            for query in planned:
                for round_ in range(warmup + requests):
                    started = time.perf_counter()
                    status, page = browser.request("GET", query.path)
                    elapsed = time.perf_counter() - started
                    if status != 200:
                        raise RuntimeError(f"GET {query.path}: HTTP {status}")
                    if round_ >= warmup:
                        query.latencies.append(elapsed)
                    elif round_ == 0:
                        found = TOTAL.search(page)
                        query.matches = int(found.group(1).replace(",", "")) if found else None
                print(
                    f"    {query.name:<42} p50 {query.pct(50):7.1f} ms  p95 {query.pct(95):7.1f} ms"
                    f"  ({query.matches if query.matches is not None else '?'} conversations)",
                    file=sys.stderr,
                )
        finally:
            browser.close()
    return planned


# --- one database, and the report ---------------------------------------------------------------


@dataclass
class Run:
    database: str
    load: Load
    index_seconds: float = 0.0
    indexed_events: int = 0
    indexed_conversations: int = 0
    size_bytes: int = 0
    queries: list[Query] = field(default_factory=list)
    error: str = ""

    def overall(self, p: float) -> float:
        return percentile([latency for query in self.queries for latency in query.latencies], p)

    def figures(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "load": asdict(self.load),
            "index_seconds": round(self.index_seconds, 1),
            "indexed_events": self.indexed_events,
            "indexed_conversations": self.indexed_conversations,
            "index_events_per_second": round(self.indexed_events / self.index_seconds) if self.index_seconds else None,
            "size_bytes": self.size_bytes,
            "queries": [query.figures() for query in self.queries],
            "overall": {f"p{p}_ms": round(self.overall(p), 1) for p in (50, 95, 99)} if self.queries else None,
            "error": self.error or None,
        }


def bench(run: Run, url: str, args: argparse.Namespace) -> None:
    """Index, then measure; the figures go into `run` as they come (an error keeps the ones so far)."""
    engine = connect(url)
    try:
        run.size_bytes = database_size(engine)
        print(f"==> {run.database}: indexing {run.load.events:,} events", file=sys.stderr)
        run.index_seconds, run.indexed_events = build_index(engine)
        with engine.connect() as connection:
            run.indexed_conversations = connection.execute(select(func.count()).select_from(summaries)).scalar_one()
        run.size_bytes = database_size(engine)
        print(
            f"    {run.indexed_conversations:,} conversations in {run.index_seconds:.0f} s "
            f"({run.indexed_events / max(run.index_seconds, 1e-9):,.0f} events/s); {run.size_bytes / 2**20:,.0f} MiB",
            file=sys.stderr,
        )
        accounts.add_user(engine, USER, PASSWORD)
        print(f"==> {run.database}: {args.requests} requests per query after {args.warmup} warm-ups", file=sys.stderr)
        run.queries = measure(url, engine, args.requests, args.warmup, CACHE / f"log-{run.database}")
    finally:
        engine.dispose()


def run_sqlite(run: Run, args: argparse.Namespace) -> None:
    source, run.load = cached_sqlite(args.conversations, args.events, args.seed, args.fresh)
    work = CACHE / "work" / "staff.sqlite"
    work.parent.mkdir(parents=True, exist_ok=True)
    for old in work.parent.glob("staff.sqlite*"):
        old.unlink()
    shutil.copyfile(source, work)  # the console adds its tables and index to a copy
    try:
        bench(run, f"sqlite:///{work}", args)
    finally:
        if not args.keep:
            for old in work.parent.glob("staff.sqlite*"):
                old.unlink()


def run_postgres(run: Run, args: argparse.Namespace, end: float) -> None:
    with services.postgres(database="bench") as server:
        print(f"==> PostgreSQL: loading {args.conversations:,} conversations, {args.events:,} events", file=sys.stderr)
        run.load = load_postgres(server.url, args.conversations, args.events, args.seed, end)
        bench(run, server.url, args)


def markdown(runs: list[Run]) -> str:
    def ms(value: float) -> str:
        return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"

    def cell(query: Query) -> str:
        p95 = query.pct(95)
        return f"{ms(query.pct(50))} / {'**' + ms(p95) + '**' if p95 > TARGET_MS else ms(p95)} / {ms(query.pct(99))}"

    lines = [
        f"Staff console: p50 / p95 / p99 ms per page, sequential requests of one signed-in user "
        f"(target p95 <= {TARGET_MS:.0f} ms; misses in bold).",
        "",
        "| query | matches | " + " | ".join(run.database for run in runs) + " |",
        "|---|---:|" + "---:|" * len(runs),
    ]
    reference = max(runs, key=lambda run: len(run.queries)).queries
    for index, query in enumerate(reference):
        cells = [cell(run.queries[index]) if index < len(run.queries) else "-" for run in runs]
        matches = f"{query.matches:,}" if query.matches is not None else "?"
        lines.append(f"| {query.name} | {matches} | " + " | ".join(cells) + " |")
    overall = [f"{ms(run.overall(50))} / {ms(run.overall(95))} / {ms(run.overall(99))}" for run in runs]
    lines.append("| **all of the above** | | " + " | ".join(overall) + " |")
    lines += ["", "| | " + " | ".join(run.database for run in runs) + " |", "|---|" + "---:|" * len(runs)]
    rows = [
        ("conversations / events", lambda r: f"{r.load.conversations:,} / {r.load.events:,}"),
        ("generate rows (s)", lambda r: f"{r.load.generate_seconds:.0f}" + (" (cached)" if r.load.cached else "")),
        ("insert (s)", lambda r: f"{r.load.insert_seconds:.0f}" + (" (cached)" if r.load.cached else "")),
        ("first full index (s)", lambda r: f"{r.index_seconds:.0f}"),
        ("index rate (events/s)", lambda r: f"{r.indexed_events / r.index_seconds:,.0f}" if r.index_seconds else "-"),
        ("database size (MiB)", lambda r: f"{r.size_bytes / 2**20:,.0f}"),
    ]
    lines += [f"| {label} | " + " | ".join(value(run) for run in runs) + " |" for label, value in rows]
    lines += [
        "",
        "PostgreSQL's insert time includes a VACUUM ANALYZE after the COPY (what autovacuum does soon after a bulk"
        " load); another one follows the first index (not counted). SQLite is left as Rasa leaves it (no ANALYZE).",
    ]
    for run in runs:
        if run.error:
            lines.append(f"\n{run.database} failed: {run.error}")
    return "\n".join(lines)


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "cpus": str(os.cpu_count())}
    with contextlib.suppress(services.ServiceError):
        found["postgresql"] = services.postgres_bin_dir().parent.name
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per query")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per query first")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--fresh", action="store_true", help="generate the SQLite file again even if cached")
    parser.add_argument("--keep", action="store_true", help="keep the indexed SQLite copy in var/bench/work/")
    args = parser.parse_args(argv)
    wanted = [name.strip().lower() for name in args.databases.split(",") if name.strip()]
    if unknown := set(wanted) - {"sqlite", "postgresql"}:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    # The console must not delete the oldest generated conversations while it is measured.
    os.environ.update(RETENTION_DAYS="0", STAFF_HOST="127.0.0.1")
    started = time.monotonic()
    runs: list[Run] = []
    end = time.time()
    for name in wanted:
        run = Run({"sqlite": "SQLite", "postgresql": "PostgreSQL"}[name], Load())
        runs.append(run)
        try:
            if name == "sqlite":
                run_sqlite(run, args)
                end = run.load.end  # PostgreSQL gets the very same conversations
            else:
                run_postgres(run, args, end)
        except Exception as exc:  # reported with the figures so far
            run.error = f"{type(exc).__name__}: {exc}"
            print(f"error: {run.database}: {run.error}", file=sys.stderr)
    table = markdown(runs) + f"\n\nWhole benchmark: {time.monotonic() - started:.0f} s."
    print(table)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "bench_staff.md").write_text(table + "\n")
    report = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "target_p95_ms": TARGET_MS,
        "requests_per_query": args.requests,
        "warmup_per_query": args.warmup,
        "dataset": {"conversations": args.conversations, "events": args.events, "seed": args.seed, "days": DAYS},
        "versions": versions(),
        "seconds": round(time.monotonic() - started, 1),
        "databases": {run.database.lower(): run.figures() for run in runs},
    }
    (REPORTS / "bench_staff.json").write_text(json.dumps(report, indent=2) + "\n")
    return 1 if any(run.error for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
