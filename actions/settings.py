"""The action server's view of the settings (assistant/settings.py): its webhooks and the clinic
profile, built once."""

from __future__ import annotations

from dataclasses import dataclass

from assistant import settings as environment
from assistant.clinic.profile import ClinicProfile, load_profile
from assistant.notify.webhook import Webhook, configured


@dataclass(frozen=True)
class Settings:
    # Where conversations live; escalation records go beside them.
    database_url: str
    # Topics below this confidence are noise, not "did you mean" material.
    suggestion_floor: float
    max_suggestions: int
    # (The staff webhook is read in assistant/notify/staff.py: both servers notify staff.)
    # The clinic's booking system, which receives booking requests; None: stored for staff only.
    booking_webhook: Webhook | None
    # clinic.yml (or CLINIC_PROFILE): country, time zone, opening hours, contact.
    profile: ClinicProfile


@environment.read_once
def settings() -> Settings:
    env = environment.settings()
    return Settings(
        database_url=env.database_url,
        suggestion_floor=env.suggestion_floor,
        max_suggestions=3,
        booking_webhook=configured(env, "booking_webhook"),
        profile=load_profile(),
    )
