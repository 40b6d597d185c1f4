"""The staff console's view of the settings (assistant/settings.py), built once."""

from __future__ import annotations

from dataclasses import dataclass

from assistant import settings as environment
from assistant.clinic.profile import ClinicProfile, load_profile

ROOT = environment.ROOT


@dataclass(frozen=True)
class StaffConfig:
    database_url: str
    host: str
    port: int
    # Secure cookies: "auto" sets them when the request came over HTTPS (directly or, with
    # STAFF_PROXIES > 0, as the reverse proxy says), "always" behind a TLS proxy that does not say.
    cookie_secure: str
    proxies: int
    idle_minutes: int  # a session ends after this long without a request
    session_hours: int  # and after this long in any case
    max_failures: int  # bad passwords for one name before it is locked
    lockout_minutes: int
    retention_days: int  # 0 = keep conversations until deleted by hand
    low_confidence: float  # a patient message below this counts as "low confidence"
    rasa_url: str  # for hand-off replies and resume, through Rasa's HTTP API
    rasa_token: str
    profile: ClinicProfile


def rasa_token() -> str:
    """RASA_TOKEN, else the one `make run` generated into var/."""
    token = environment.settings().secret("rasa_token")
    path = ROOT / "var" / "rasa_token"
    if not token and path.exists():
        token = path.read_text().strip()
    return token


@environment.read_once
def config() -> StaffConfig:
    env = environment.settings()
    return StaffConfig(
        database_url=env.database_url,
        host=env.staff_host,
        port=env.staff_port,
        cookie_secure=env.staff_cookie_secure,
        proxies=env.staff_proxies,
        idle_minutes=env.staff_idle_minutes,
        session_hours=env.staff_session_hours,
        max_failures=env.staff_max_failures,
        lockout_minutes=env.staff_lockout_minutes,
        retention_days=env.retention_days,
        low_confidence=env.staff_low_confidence,
        rasa_url=env.rasa_url,
        rasa_token=rasa_token(),
        profile=load_profile(),
    )
