"""Outgoing webhooks (staff notifications; the booking system later): a JSON body,
an idempotency key, an HMAC signature when a secret is set, retries with backoff."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from assistant import settings as environment

# Worth another try: the receiver or a proxy was busy, down or slow.
RETRY_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str = ""
    timeout: float = 5.0  # seconds per attempt
    attempts: int = 4
    backoff: float = 1.0  # seconds before the second attempt, doubled before each next one

    @property
    def target(self) -> str:
        """scheme://host[:port]: safe to log and store (Slack and Teams URLs carry their secret in the path)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def configured(env: environment.Settings, prefix: str) -> Webhook | None:
    """<prefix>_URL, _SECRET, _TIMEOUT (seconds per attempt), _ATTEMPTS; None when the URL is unset."""
    url = env.secret(f"{prefix}_url")
    if not url:
        return None
    timeout, attempts = getattr(env, f"{prefix}_timeout"), getattr(env, f"{prefix}_attempts")
    return Webhook(url=url, secret=env.secret(f"{prefix}_secret"), timeout=timeout, attempts=attempts)


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    attempts: int
    status: int | None  # last HTTP status, None when nothing answered
    error: str  # why the last attempt failed, "" when delivered


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", so a captured request cannot be replayed later with a new time."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


async def deliver(webhook: Webhook, payload: dict[str, Any], idempotency_key: str) -> Delivery:
    """POST the payload until it is accepted (2xx), refused for good (other 4xx) or attempts run out."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
    status: int | None = None
    error = ""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=webhook.timeout)) as session:
        for attempt in range(1, webhook.attempts + 1):
            if attempt > 1:
                await asyncio.sleep(webhook.backoff * 2 ** (attempt - 2))
            if webhook.secret:
                timestamp = str(int(time.time()))
                headers["X-Signature-Timestamp"] = timestamp
                headers["X-Signature-256"] = signature(webhook.secret, timestamp, body)
            try:
                async with session.post(webhook.url, data=body, headers=headers, allow_redirects=False) as response:
                    status = response.status
            except asyncio.TimeoutError:
                status, error = None, f"no answer within {webhook.timeout:g} s"
                continue
            except aiohttp.ClientError as exc:
                status, error = None, f"{type(exc).__name__}: {exc}".replace(webhook.url, webhook.target)
                continue
            if 200 <= status < 300:
                return Delivery(True, attempt, status, "")
            error = f"HTTP {status}"
            if status < 500 and status not in RETRY_STATUSES:
                return Delivery(False, attempt, status, error)
    return Delivery(False, webhook.attempts, status, error)
