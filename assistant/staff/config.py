"""Settings of the staff console, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.clinic.profile import ClinicProfile, load_profile

ROOT = Path(__file__).resolve().parent.parent.parent

COOKIE_MODES = ("auto", "always", "never")


class ConfigError(ValueError):
    """A setting is malformed; the message names the variable."""


def _int(name: str, default: int, low: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.lstrip("-").isdigit() or int(raw) < low:
        raise ConfigError(f"{name} must be a whole number >= {low}, got {raw!r}")
    return int(raw)


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
    token = os.environ.get("RASA_TOKEN", "").strip()
    path = ROOT / "var" / "rasa_token"
    if not token and path.exists():
        token = path.read_text().strip()
    return token


@lru_cache(maxsize=1)
def config() -> StaffConfig:
    cookie_secure = os.environ.get("STAFF_COOKIE_SECURE", "auto").strip().lower() or "auto"
    if cookie_secure not in COOKIE_MODES:
        raise ConfigError(f"STAFF_COOKIE_SECURE must be one of {', '.join(COOKIE_MODES)}, got {cookie_secure!r}")
    raw_low = os.environ.get("STAFF_LOW_CONFIDENCE", "").strip() or "0.5"
    try:
        low_confidence = float(raw_low)
    except ValueError:
        raise ConfigError(f"STAFF_LOW_CONFIDENCE must be a number between 0 and 1, got {raw_low!r}") from None
    if not 0 <= low_confidence <= 1:
        raise ConfigError(f"STAFF_LOW_CONFIDENCE must be between 0 and 1, got {raw_low!r}")
    return StaffConfig(
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'rasa.db'}",
        host=os.environ.get("STAFF_HOST", "").strip() or "127.0.0.1",
        port=_int("STAFF_PORT", 8081, 1),
        cookie_secure=cookie_secure,
        proxies=_int("STAFF_PROXIES", 0),
        idle_minutes=_int("STAFF_IDLE_MINUTES", 60, 1),
        session_hours=_int("STAFF_SESSION_HOURS", 12, 1),
        max_failures=_int("STAFF_MAX_FAILURES", 5, 1),
        lockout_minutes=_int("STAFF_LOCKOUT_MINUTES", 15, 1),
        retention_days=_int("RETENTION_DAYS", 365),
        low_confidence=low_confidence,
        rasa_url=(os.environ.get("RASA_URL", "").strip() or "http://127.0.0.1:5005").rstrip("/"),
        rasa_token=rasa_token(),
        profile=load_profile(),
    )
