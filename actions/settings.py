"""Settings of the action server, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from actions.webhook import Webhook, parse_webhook
from assistant.clinic.profile import ClinicProfile, load_profile


@dataclass(frozen=True)
class Settings:
    # Where conversations live; escalation records go beside them.
    database_url: str
    # Topics below this confidence are noise, not "did you mean" material.
    suggestion_floor: float
    max_suggestions: int
    # The clinic's Slack/Teams/email bridge for staff notifications; None when not configured.
    staff_webhook: Webhook | None
    # The clinic's booking system, which receives booking requests; None: stored for staff only.
    booking_webhook: Webhook | None
    # clinic.yml (or CLINIC_PROFILE): country, time zone, opening hours, contact.
    profile: ClinicProfile


def _number(name: str, default: float, kind: type = float) -> float:
    raw = os.environ.get(name, "")
    try:
        return kind(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a{'n integer' if kind is int else ' number'}, got {raw!r}") from None


def _webhook(prefix: str) -> Webhook | None:
    """<prefix>_URL, _SECRET, _TIMEOUT (seconds per attempt), _ATTEMPTS."""
    url = os.environ.get(f"{prefix}_URL", "").strip()
    if not url:
        return None
    timeout = _number(f"{prefix}_TIMEOUT", 5.0)
    attempts = int(_number(f"{prefix}_ATTEMPTS", 4, int))
    try:
        return parse_webhook(url, os.environ.get(f"{prefix}_SECRET", ""), timeout, attempts)
    except ValueError as exc:
        raise ValueError(f"{prefix.lower().replace('_', ' ')} ({prefix}_*): {exc}") from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or "sqlite:///var/rasa.db",
        suggestion_floor=_number("SUGGESTION_FLOOR", 0.05),
        max_suggestions=3,
        staff_webhook=_webhook("STAFF_WEBHOOK"),
        booking_webhook=_webhook("BOOKING_WEBHOOK"),
        profile=load_profile(),
    )
