"""Staff notifications through the clinic's webhook (Slack/Teams/email bridge).

Sent in the background: the patient's answer never waits for them. Every
attempt's outcome is stored in table `notifications`, so a failed one is seen.
The patient's own words are not sent: they stay in the clinic's database, and
the notification says where to find them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from assistant import settings as environment
from assistant.notify.webhook import Delivery, Webhook, configured, deliver
from assistant.records.db import insert_row, update_row
from assistant.records.tables import notifications
from assistant.triage.labels import label

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    staff_webhook: Webhook | None  # the clinic's Slack/Teams/email bridge; None when not configured
    database_url: str  # where each notification's outcome is stored


@environment.read_once
def settings() -> Settings:
    """Read once per process: both servers notify (the action server, and the Rasa server for a
    red flag it recorded while the action server was down)."""
    env = environment.settings()
    return Settings(staff_webhook=configured(env, "staff_webhook"), database_url=env.database_url)


# Running sends; a reference keeps each task alive until it is done.
_running: set[asyncio.Task] = set()


def notify_staff(kind: str, ref_id: int | None, sender_id: str, payload: dict[str, Any]) -> asyncio.Task | None:
    """Start sending in the background and return at once; None when no webhook is configured."""
    webhook = settings().staff_webhook
    if webhook is None:
        return None
    return in_background(_send(webhook, kind, ref_id, sender_id, payload))


def in_background(work: Coroutine[Any, Any, Any]) -> asyncio.Task:
    """Run on the server's loop without the caller waiting; kept referenced until done."""
    task = asyncio.get_running_loop().create_task(work)
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task


async def _send(webhook: Webhook, kind: str, ref_id: int | None, sender_id: str, payload: dict[str, Any]) -> Delivery:
    url = settings().database_url
    row = await asyncio.to_thread(_insert, url, webhook, kind, ref_id, sender_id)
    delivery = await deliver(webhook, payload, idempotency_key=f"{kind}-{uuid.uuid4()}")
    if row is not None:
        await asyncio.to_thread(_finish, url, row, delivery)
    if not delivery.delivered:
        logger.error(
            "staff notification (%s, conversation %s) to %s failed after %d attempt(s): %s",
            kind,
            sender_id,
            webhook.target,
            delivery.attempts,
            delivery.error,
        )
    return delivery


def _insert(url: str, webhook: Webhook, kind: str, ref_id: int | None, sender_id: str) -> int | None:
    values = {
        "kind": kind,
        "ref_id": ref_id,
        "sender_id": sender_id,
        "target": webhook.target,
        "status": "pending",
        "attempts": 0,
        "created_at": datetime.now(timezone.utc),
    }
    return insert_row(url, notifications, values)  # None: logged, and the notification is sent anyway


def _finish(url: str, row: int, delivery: Delivery) -> None:
    values = {
        "status": "sent" if delivery.delivered else "failed",
        "attempts": delivery.attempts,
        "last_error": delivery.error or None,
        "finished_at": datetime.now(timezone.utc),
    }
    update_row(url, notifications, row, values)


def red_flag_payload(escalation_id: int | None, sender_id: str, severity: str, flags: list[str]) -> dict[str, Any]:
    """`text` is what Slack and Teams incoming webhooks show; the other keys are for bridges that read JSON."""
    reported_at = datetime.now(timezone.utc)
    labels = [label(flag) for flag in flags]
    if "crisis" in flags:
        told = "given the crisis line and the emergency number, and offered a member of staff"
    elif severity == "emergency":
        told = "told to call the emergency number now"
    else:
        told = "told to see a doctor today"
    return {
        "event": "red_flag",
        "severity": severity,
        "flags": flags,
        "labels": labels,
        "conversation_id": sender_id,
        "escalation_id": escalation_id,
        "reported_at": reported_at.isoformat(timespec="seconds"),
        "text": (
            f"{severity.upper()} red flag ({'; '.join(labels) or 'unspecified'}) reported in conversation "
            f"{sender_id} at {reported_at:%H:%M} UTC. The patient was {told}. "
            "The conversation and the escalation are stored for staff review."
        ),
    }
