"""The action server's view of the settings (assistant/settings.py): its webhooks and the clinic
profile, built once."""

from __future__ import annotations

from dataclasses import dataclass

from actions.webhook import Webhook
from assistant import settings as environment
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


def _webhook(env: environment.Settings, prefix: str) -> Webhook | None:
    """<prefix>_URL, _SECRET, _TIMEOUT (seconds per attempt), _ATTEMPTS; None when the URL is unset."""
    url = env.secret(f"{prefix}_url")
    if not url:
        return None
    timeout, attempts = getattr(env, f"{prefix}_timeout"), getattr(env, f"{prefix}_attempts")
    return Webhook(url=url, secret=env.secret(f"{prefix}_secret"), timeout=timeout, attempts=attempts)


@environment.read_once
def settings() -> Settings:
    env = environment.settings()
    return Settings(
        database_url=env.database_url,
        suggestion_floor=env.suggestion_floor,
        max_suggestions=3,
        staff_webhook=_webhook(env, "staff_webhook"),
        booking_webhook=_webhook(env, "booking_webhook"),
        profile=load_profile(),
    )
