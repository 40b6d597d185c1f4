"""Settings of the action server, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from actions.webhook import Webhook, parse_webhook


@dataclass(frozen=True)
class Settings:
    # Where conversations live; escalation records go beside them.
    database_url: str
    # Topics below this confidence are noise, not "did you mean" material.
    suggestion_floor: float
    max_suggestions: int
    # The clinic's Slack/Teams/email bridge for staff notifications; None when not configured.
    staff_webhook: Webhook | None


def _number(name: str, default: float, kind: type = float) -> float:
    raw = os.environ.get(name, "")
    try:
        return kind(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a{'n integer' if kind is int else ' number'}, got {raw!r}") from None


def _staff_webhook() -> Webhook | None:
    url = os.environ.get("STAFF_WEBHOOK_URL", "").strip()
    if not url:
        return None
    timeout = _number("STAFF_WEBHOOK_TIMEOUT", 5.0)
    attempts = int(_number("STAFF_WEBHOOK_ATTEMPTS", 4, int))
    try:
        return parse_webhook(url, os.environ.get("STAFF_WEBHOOK_SECRET", ""), timeout, attempts)
    except ValueError as exc:
        raise ValueError(f"staff webhook (STAFF_WEBHOOK_*): {exc}") from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or "sqlite:///var/rasa.db",
        suggestion_floor=_number("SUGGESTION_FLOOR", 0.05),
        max_suggestions=3,
        staff_webhook=_staff_webhook(),
    )
