"""Outgoing webhooks against a stub receiver on loopback: staff notifications (success,
timeout, 500 then success, refusal, unreachable; the patient's answer never waits) and
booking requests to the clinic's booking system (signed, retried, status recorded)."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from aiohttp import web
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import booking, settings
from actions.request_store import store_booking
from actions.triage import ActionEscalateRedFlag
from assistant.notify import staff as notify
from assistant.notify.webhook import Webhook, deliver, signature

SECRET = "shared-secret"


@dataclass
class Stub:
    """A webhook receiver: answers each request with the next planned reply (an HTTP status, or "hang")."""

    plan: list[int | str]
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        reply = self.plan.pop(0) if self.plan else 200
        if reply == "hang":
            await self.release.wait()
            reply = 200
        return web.Response(status=int(reply))


@pytest.fixture
async def stub() -> AsyncIterator[Stub]:
    receiver = Stub(plan=[])
    app = web.Application()
    app.router.add_post("/hooks/T000/secret-path", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    receiver.url = f"http://127.0.0.1:{port}/hooks/T000/secret-path"
    yield receiver
    receiver.release.set()
    await runner.cleanup()


def hook(stub: Stub, **changes: object) -> Webhook:
    return replace(Webhook(url=stub.url, secret=SECRET, timeout=2.0, attempts=3, backoff=0.01), **changes)


async def test_success_is_one_signed_request(stub: Stub) -> None:
    delivery = await deliver(hook(stub), {"event": "red_flag"}, idempotency_key="red_flag-1")
    assert (delivery.delivered, delivery.attempts, delivery.status, delivery.error) == (True, 1, 200, "")
    [(headers, body)] = stub.requests
    assert json.loads(body) == {"event": "red_flag"}
    assert headers["Idempotency-Key"] == "red_flag-1"
    assert headers["X-Signature-256"] == signature(SECRET, headers["X-Signature-Timestamp"], body)


async def test_a_server_error_is_retried_with_the_same_idempotency_key(stub: Stub) -> None:
    stub.plan = [500, 200]
    delivery = await deliver(hook(stub), {"event": "red_flag"}, idempotency_key="k-2")
    assert (delivery.delivered, delivery.attempts, delivery.status) == (True, 2, 200)
    assert [headers["Idempotency-Key"] for headers, _ in stub.requests] == ["k-2", "k-2"]


async def test_a_timeout_is_retried_then_given_up(stub: Stub) -> None:
    stub.plan = ["hang", "hang", "hang"]
    delivery = await deliver(hook(stub, timeout=0.2), {"event": "red_flag"}, idempotency_key="k-3")
    assert (delivery.delivered, delivery.attempts, delivery.status) == (False, 3, None)
    assert delivery.error == "no answer within 0.2 s"
    assert len(stub.requests) == 3


async def test_a_timeout_then_success_is_delivered(stub: Stub) -> None:
    stub.plan = ["hang", 200]
    delivery = await deliver(hook(stub, timeout=0.2), {"event": "red_flag"}, idempotency_key="k-4")
    assert (delivery.delivered, delivery.attempts) == (True, 2)


async def test_a_refusal_is_not_retried(stub: Stub) -> None:
    stub.plan = [403]
    delivery = await deliver(hook(stub), {"event": "red_flag"}, idempotency_key="k-5")
    assert (delivery.delivered, delivery.attempts, delivery.status, delivery.error) == (False, 1, 403, "HTTP 403")


async def test_an_unreachable_receiver_fails_without_leaking_the_url_path(stub: Stub) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = hook(stub, url=f"http://127.0.0.1:{port}/hooks/T000/secret-path", attempts=2)
    delivery = await deliver(closed, {"event": "red_flag"}, idempotency_key="k-6")
    assert (delivery.delivered, delivery.attempts) == (False, 2)
    assert delivery.error and "secret-path" not in delivery.error


def test_configuration_errors_are_clear_and_keep_the_secret_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_WEBHOOK_URL", "hooks.slack.com/services/T0/B0/very-secret")
    notify.settings.cache_clear()
    with pytest.raises(ValueError, match="STAFF_WEBHOOK") as error:
        notify.settings()
    assert "very-secret" not in str(error.value)
    monkeypatch.setenv("STAFF_WEBHOOK_URL", "https://hooks.example.org/x")
    monkeypatch.setenv("STAFF_WEBHOOK_TIMEOUT", "soon")
    notify.settings.cache_clear()
    with pytest.raises(ValueError, match="STAFF_WEBHOOK_TIMEOUT must be a number"):
        notify.settings()
    notify.settings.cache_clear()
    assert Webhook("https://user:pw@hooks.example.org/x/y").target == "https://hooks.example.org"


def escalation_tracker(text: str) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": "red_flag_emergency", "confidence": 1.0},
        "entities": [{"entity": "red_flag", "value": "bladder"}],
    }
    events = [{"event": "user", "text": text, "parse_data": latest, "message_id": "m1"}]
    return Tracker("patient-9", {}, latest, events, False, None, {}, "action_listen")


def running() -> list[asyncio.Task]:
    return [task for task in notify._running if not task.done()]


def rows(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT kind, ref_id, sender_id, target, status, attempts, last_error FROM notifications"
        ).fetchall()


@pytest.fixture
def configured(stub: Stub, database: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The notification settings with the stub as the staff webhook (short backoff for the test)."""
    configured_settings = replace(notify.settings(), staff_webhook=hook(stub))
    monkeypatch.setattr(notify, "settings", lambda: configured_settings)
    return database


async def test_the_action_answers_before_staff_are_notified_and_the_outcome_is_stored(
    stub: Stub, configured: Path
) -> None:
    stub.plan = ["hang"]  # the receiver holds the request until released
    text = "I wet myself and didn't notice"
    events = await asyncio.wait_for(
        ActionEscalateRedFlag().run(CollectingDispatcher(), escalation_tracker(text), {}), timeout=30
    )
    assert events == [SlotSet("red_flag_severity", "emergency"), SlotSet("red_flag_flags", ["bladder"])]
    [task] = running()
    assert not task.done()
    stub.release.set()
    delivery = await asyncio.wait_for(task, timeout=30)
    assert delivery.delivered
    [(headers, body)] = stub.requests
    payload = json.loads(body)
    assert (payload["event"], payload["severity"], payload["flags"]) == ("red_flag", "emergency", ["bladder"])
    assert payload["conversation_id"] == "patient-9"
    assert text not in body.decode()  # the patient's words stay in the clinic's database
    target = stub.url.split("/hooks")[0]
    assert rows(configured) == [("red_flag", payload["escalation_id"], "patient-9", target, "sent", 1, None)]


def test_the_notification_names_the_flags_in_words_and_what_the_patient_was_told() -> None:
    crisis = notify.red_flag_payload(3, "patient-9", "emergency", ["crisis"])
    assert crisis["labels"] == ["thoughts of suicide or self-harm"]
    assert "(thoughts of suicide or self-harm)" in crisis["text"]
    assert "given the crisis line and the emergency number" in crisis["text"]
    chest = notify.red_flag_payload(4, "patient-9", "emergency", ["chest_pain"])
    assert "(chest pain or pressure)" in chest["text"] and "told to call the emergency number now" in chest["text"]
    urgent = notify.red_flag_payload(5, "patient-9", "urgent", ["fever"])
    assert "told to see a doctor today" in urgent["text"]


async def test_a_failed_notification_is_recorded(stub: Stub, configured: Path) -> None:
    stub.plan = [500, 500, 500]
    await ActionEscalateRedFlag().run(CollectingDispatcher(), escalation_tracker("peed myself"), {})
    [task] = running()
    assert not (await task).delivered
    [row] = rows(configured)
    assert row[4:] == ("failed", 3, "HTTP 500")


async def test_without_a_webhook_nothing_is_sent(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STAFF_WEBHOOK_URL", raising=False)
    settings.settings.cache_clear()
    assert notify.notify_staff("red_flag", 1, "patient-9", {"event": "red_flag"}) is None


# -- booking requests to the clinic's booking system ------------------------------------------


@pytest.fixture
def booking_system(stub: Stub, database: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    configured_settings = replace(settings.settings(), booking_webhook=hook(stub))
    monkeypatch.setattr(booking, "settings", lambda: configured_settings)
    return database


def stored_request() -> tuple[int, booking.BookingRequest]:
    request = booking.BookingRequest(
        "patient-5", "Maria Lopez", "+12125550182", "phone", "2026-12-01/15:00", "Tuesday 1 December, 3:00 pm",
        "new", "sciatica", None,
    )  # fmt: skip
    return store_booking(request), request


def booking_status(database: Path) -> str:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT status FROM booking_requests").fetchone()[0]


async def test_a_booking_request_is_signed_retried_and_marked_sent(stub: Stub, booking_system: Path) -> None:
    stub.plan = [500, 200]
    booking_id, request = stored_request()
    task = booking.send_to_booking_system(booking_id, request, settings.settings().profile)
    await asyncio.wait_for(task, timeout=30)
    assert booking_status(booking_system) == "sent"
    (first_headers, _), (headers, body) = stub.requests
    assert first_headers["Idempotency-Key"] == headers["Idempotency-Key"] == f"booking-{booking_id}"
    assert headers["X-Signature-256"] == signature(SECRET, headers["X-Signature-Timestamp"], body)
    payload = json.loads(body)
    assert payload["patient"] == {"name": "Maria Lopez", "contact": "+12125550182", "contact_kind": "phone"}
    assert (payload["booking_id"], payload["preferred"]) == (booking_id, "2026-12-01/15:00")


async def test_a_booking_request_that_cannot_be_delivered_is_marked_failed(stub: Stub, booking_system: Path) -> None:
    stub.plan = [500, 500, 500]
    booking_id, request = stored_request()
    await asyncio.wait_for(booking.send_to_booking_system(booking_id, request, settings.settings().profile), 30)
    assert booking_status(booking_system) == "failed"
    assert len(stub.requests) == 3
