"""The staff console benchmark's generated conversations (tools/conversations.py `generate`): rows
exactly as Rasa's SQLTrackerStore stores the events they stand for, and a console that indexes,
filters and searches them (tools/bench_staff.py loads them the way the benchmark does)."""

from __future__ import annotations

import itertools
import json
import re
import urllib.request
from collections import defaultdict
from datetime import timezone
from pathlib import Path

import pytest
from rasa.shared.core.events import Event

from assistant.records.db import connect
from assistant.staff.index import Indexer
from assistant.staff.queries import Filters, list_conversations
from assistant.stores.events import COLUMNS, event_row
from tools.bench_staff import console, load_sqlite
from tools.conversations import MIN_EVENTS, generate, intents

END = 1_790_000_000.0  # a fixed "now": the same data on every run
WORD = re.compile(r"[^\W_]+")


def test_generated_rows_are_what_rasa_stores_for_those_events() -> None:
    batches = list(generate(120, 2400, seed=5, end=END, chunk=50))
    rows = [dict(zip(COLUMNS, row, strict=True)) for batch in batches for row in batch.events]
    assert len(rows) == 2400 and sum(batch.conversations for batch in batches) == 120
    assert [row["id"] for row in rows] == list(range(1, 2401))
    kinds = set()
    for row in rows:
        event = Event.from_parameters(json.loads(row["data"]))
        assert event_row(row["sender_id"], event) == {k: v for k, v in row.items() if k != "id"}, row
        kinds.add(row["type_name"])
    assert {"action", "session_started", "user", "user_featurization", "bot", "slot"} <= kinds
    by_sender = defaultdict(list)
    for row in rows:
        by_sender[row["sender_id"]].append(row)
    assert len(by_sender) == 120 and min(len(events) for events in by_sender.values()) >= MIN_EVENTS
    for events in by_sender.values():
        assert [event["timestamp"] for event in events] == sorted(event["timestamp"] for event in events)
        assert [event["action_name"] for event in events[:1]] == ["action_session_start"]
    known = set(intents()) | {"nlu_fallback"}
    assert {row["intent_name"] for row in rows if row["type_name"] == "user"} <= known
    assert all(END - 366 * 86400 < row["timestamp"] < END for row in rows)
    again = [row for batch in generate(120, 2400, seed=5, end=END, chunk=50) for row in batch.events]
    assert again == [tuple(row.values()) for row in rows]


def test_console_indexes_filters_and_searches_the_generated_database(tmp_path: Path) -> None:
    load = load_sqlite(tmp_path / "bench.sqlite", 300, 6000, seed=9, end=END)
    assert (load.conversations, load.events) == (300, 6000)
    assert load.escalations and load.bookings and load.handoffs
    engine = connect(f"sqlite:///{tmp_path / 'bench.sqlite'}")
    assert Indexer(engine).refresh() == 6000

    # What each filter should find, worked out from the events themselves.
    expected: dict[str, set[str]] = defaultdict(set)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT sender_id, type_name, data FROM events").all()
        for name in ("escalations", "booking_requests"):
            expected[name] = set(connection.exec_driver_sql(f"SELECT sender_id FROM {name}").scalars())  # noqa: S608
    for sender, kind, data in rows:
        expected["all"].add(sender)
        if kind != "user":
            continue
        event = json.loads(data)
        intent = event["parse_data"]["intent"]
        words = WORD.findall(event["text"].lower())
        if intent["name"] == "nlu_fallback" or intent["confidence"] < 0.5:
            expected["fallback"].add(sender)
        if intent["name"] == "sciatica_symptoms":
            expected["topic"].add(sender)
        if event["input_channel"] == "telegram":
            expected["telegram"].add(sender)
        if any(word.startswith("sciatica") for word in words):
            expected["sciatica"].add(sender)
        if any(a == "lower" and b.startswith("back") for a, b in itertools.pairwise(words)):
            expected["lower back"].add(sender)

    def found(**filters: object) -> set[str]:
        first = list_conversations(engine, Filters(**filters), timezone.utc, page_size=1000)
        assert first.total == len(first.rows)
        return {row.sender_id for row in first.rows}

    assert found() == expected["all"] and len(expected["all"]) == 300
    assert found(escalation=True) == expected["escalations"]
    assert found(booking=True) == expected["booking_requests"]
    assert found(fallback=True) == expected["fallback"]
    assert found(topic="sciatica_symptoms") == expected["topic"]
    assert found(channel="telegram") == expected["telegram"]
    assert found(query="sciatica") == expected["sciatica"] and 0 < len(expected["sciatica"]) < 300
    assert found(query="lower back") == expected["lower back"]
    assert found(query="xylophone") == set()
    assert found(query="sciatica", channel="telegram") == expected["sciatica"] & expected["telegram"]
    newest = list_conversations(engine, Filters(page=2), timezone.utc, page_size=25)
    assert newest.pages == 12 and len(newest.rows) == 25


@pytest.mark.e2e
def test_the_benchmarks_console_starts_on_the_generated_database(tmp_path: Path) -> None:
    """`make bench` starts the console as its own server; it once exited at start (port 0 refused)."""
    load_sqlite(tmp_path / "bench.sqlite", 20, 400, seed=3, end=END)
    with (
        console(f"sqlite:///{tmp_path / 'bench.sqlite'}", tmp_path / "logs") as port,
        urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as response,
    ):
        assert response.status == 200
        assert b"password" in response.read().lower()
