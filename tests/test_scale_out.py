"""Several Rasa server processes serving one clinic (issue: production scale-out), on real
servers: PostgreSQL (SQLTrackerStore) and Redis (RedisLockStore) from tools/services.py, one
action server, two Rasa servers on loopback. Turns of one conversation alternate between the
servers, concurrent messages are serialised, and a killed server's conversations go on."""

from __future__ import annotations

import dataclasses
import os
import signal
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import clinic_stack
from tools import servers, services
from tools.load import booking_turns, process_table, tree

pytestmark = [pytest.mark.e2e, pytest.mark.model, pytest.mark.services]


@dataclasses.dataclass
class Cluster:
    first: servers.Stack
    second: servers.Stack
    database_url: str
    postgres: services.PostgresServer


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with services.postgres() as postgres, services.redis() as redis:
        first = clinic_stack(tmp_path_factory, "scale-first")
        first.database_url, first.lock_store_url = postgres.url, redis.url
        second = dataclasses.replace(
            first,
            rasa_port=servers.free_port(),
            log_dir=tmp_path_factory.mktemp("scale-second") / "log",
            processes=[],
            logs=[],
            channels=[],
        )
        try:
            servers.start_actions_ready(first)
            servers.start_rasa_ready(first)
            servers.start_rasa_ready(second)  # after the first: it finds the tables made
            yield Cluster(first, second, postgres.url, postgres)
        finally:
            servers.stop(second)
            servers.stop(first)


def say(stack: servers.Stack, sender: str, message: str) -> list[str]:
    response = requests.post(
        f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
    )
    response.raise_for_status()
    return [m.get("text", "") for m in response.json()]


def tracker(stack: servers.Stack, sender: str) -> dict[str, Any]:
    url = f"{stack.url}/conversations/{sender}/tracker"
    return requests.get(url, params={"token": stack.token}, timeout=30).json()


def test_a_booking_alternates_between_the_servers(cluster: Cluster, answers: dict[str, str]) -> None:
    sender = "alt-" + uuid.uuid4().hex
    conversation = booking_turns("Maria Lopez", "(212) 555-0182", answers)
    for turn, (message, expected) in enumerate(conversation):
        server = (cluster.first, cluster.second)[turn % 2]
        reply = say(server, sender, message)
        assert any(text.startswith(expected) for text in reply), (turn, message, reply)
    engine = create_engine(cluster.database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT patient_name, contact, status FROM booking_requests WHERE sender_id = :s"), {"s": sender}
        ).all()
    assert [tuple(row) for row in rows] == [("Maria Lopez", "+12125550182", "new")]
    # Both servers read the same conversation.
    assert tracker(cluster.first, sender)["events"] == tracker(cluster.second, sender)["events"]


def test_concurrent_messages_of_one_conversation_are_serialised(cluster: Cluster, answers: dict[str, str]) -> None:
    sender = "burst-" + uuid.uuid4().hex
    say(cluster.first, sender, "hello")
    questions = ["does acupuncture hurt?", "what is sciatica exactly?", "how long is a session?"] * 4
    with ThreadPoolExecutor(max_workers=len(questions)) as pool:
        replies = list(
            pool.map(lambda pair: say((cluster.first, cluster.second)[pair[0] % 2], sender, pair[1]),
                     enumerate(questions))
        )  # fmt: skip
    assert all(len(reply) >= 1 for reply in replies)
    events = tracker(cluster.second, sender)["events"]
    users = [event for event in events if event["event"] == "user"]
    assert len(users) == 1 + len(questions)  # nothing lost
    assert len({event["parse_data"]["message_id"] for event in users}) == len(users)  # nothing twice
    # Each message's turn ran to its end (action_listen) before the next message was read.
    kinds = [
        "user" if event["event"] == "user" else "listen"
        for event in events
        if event["event"] == "user" or (event["event"] == "action" and event["name"] == "action_listen")
    ]
    assert kinds[-2 * len(users) :] == ["user", "listen"] * len(users)


def test_a_killed_server_leaves_its_conversations_to_the_other(cluster: Cluster, answers: dict[str, str]) -> None:
    sender = "kill-" + uuid.uuid4().hex
    assert say(cluster.second, sender, "I want to book")[-1] == "What's your full name?"
    assert say(cluster.second, sender, "Ana Ruiz") == [answers["utter_ask_patient_contact"]]
    rasa = cluster.second.processes[-1]
    os.killpg(rasa.pid, signal.SIGKILL)
    rasa.wait(timeout=30)
    with pytest.raises(requests.ConnectionError):
        say(cluster.second, sender, "ana@example.org")
    # The other server carries on mid-form, with the name already given.
    assert say(cluster.first, sender, "ana@example.org") == [answers["utter_ask_booking_time"]]
    assert tracker(cluster.first, sender)["slots"]["patient_name"] == "Ana Ruiz"


def test_database_lost_mid_run_fails_cleanly_and_service_resumes(cluster: Cluster, answers: dict[str, str]) -> None:
    sender = "dblost-" + uuid.uuid4().hex
    assert say(cluster.first, sender, "does acupuncture hurt?")[-1] == answers["utter_acupuncture_pain"]
    cluster.postgres.stop()
    try:
        started = time.monotonic()
        assert say(cluster.first, sender, "hello") == [answers["utter_service_unavailable"]]  # not silence
        assert time.monotonic() - started < 60
    finally:
        cluster.postgres.start()
    deadline = time.monotonic() + 60
    while True:  # the pool's broken connections are replaced on the next tries
        reply = say(cluster.first, sender, "what is sciatica exactly?")
        if reply != [answers["utter_service_unavailable"]]:
            break
        assert time.monotonic() < deadline, "no recovery after the database came back"
        time.sleep(1)
    assert reply[-1] == answers["utter_sciatica_definition"]


def test_a_database_restart_while_no_one_talks_fails_no_turn(cluster: Cluster, answers: dict[str, str]) -> None:
    """Pooled connections die with the database; the next patient must not be the one who finds out."""
    sender = "restart-" + uuid.uuid4().hex
    conversation = booking_turns("Sam Okafor", "(212) 555-0145", answers)
    for message, expected in conversation[:2]:  # both servers' pools and the action server's hold connections
        assert any(text.startswith(expected) for text in say(cluster.first, sender, message))
    cluster.postgres.stop()
    cluster.postgres.start()
    for message, expected in conversation[2:]:  # the second server was killed by an earlier test
        reply = say(cluster.first, sender, message)
        assert any(text.startswith(expected) for text in reply), (message, reply)


def test_two_workers_of_one_server_share_conversations_and_locks(
    cluster: Cluster, answers: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SANIC_WORKERS=2: each request may reach either worker process (a new connection each time)."""
    stack = dataclasses.replace(
        cluster.first,
        rasa_port=servers.free_port(),
        log_dir=tmp_path_factory.mktemp("scale-workers") / "log",
        processes=[],
        logs=[],
        channels=[],
        workers="2",
    )
    try:
        servers.start_rasa_ready(stack)
        parent = stack.processes[-1].pid
        table = process_table()
        workers = [pid for pid in tree(table, parent) if table[pid][0] == parent]
        assert len(workers) == 2, workers
        sender = "workers-" + uuid.uuid4().hex
        for message, expected in booking_turns("Li Wei", "(212) 555-0199", answers):
            reply = say(stack, sender, message)
            assert any(text.startswith(expected) for text in reply), (message, reply)
        burst = "burst-" + uuid.uuid4().hex
        say(stack, burst, "hello")
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda q: say(stack, burst, q), ["what is sciatica?", "does acupuncture hurt?"] * 4))
        users = [e for e in tracker(stack, burst)["events"] if e["event"] == "user"]
        assert len(users) == 9 and len({e["parse_data"]["message_id"] for e in users}) == 9
    finally:
        servers.stop(stack)


def test_two_workers_without_a_shared_lock_store_are_refused(tmp_path_factory: pytest.TempPathFactory) -> None:
    stack = clinic_stack(tmp_path_factory, "workers-no-redis")
    stack.workers = "2"
    try:
        with pytest.raises(servers.ServerError, match="exited with code 1"):
            servers.start_rasa_ready(stack, timeout=60)
    finally:
        servers.stop(stack)
    assert "SANIC_WORKERS > 1 needs LOCK_STORE_URL" in (stack.log_dir / "rasa.log").read_text()


def test_an_unreachable_database_stops_the_rasa_server_at_start(tmp_path_factory: pytest.TempPathFactory) -> None:
    stack = clinic_stack(tmp_path_factory, "no-database")
    stack.database_url = f"postgresql://clinic:hunter2secret@127.0.0.1:{servers.free_port()}/clinic"
    os.environ["DATABASE_WAIT_SECONDS"] = "1"
    try:
        with pytest.raises(servers.ServerError, match="exited with code 1"):
            servers.start_rasa_ready(stack, timeout=120)
    finally:
        del os.environ["DATABASE_WAIT_SECONDS"]
        servers.stop(stack)
    log = (stack.log_dir / "rasa.log").read_text()
    assert "cannot reach the database at postgresql://clinic:***@127.0.0.1:" in log and "hunter2secret" not in log
