"""Every setting of the clinic assistant, read once from the environment and checked at start.

Why one module at the top of `assistant/` rather than a parser per room: every
role (the Rasa server, the action server, the website, the staff console, the
launcher and the container entry point) is configured by the same environment
(docker compose gives every container the same one, `make run` every child
process), and several variables are shared by rooms (DATABASE_URL by the
stores, the records, the actions and the console; RASA_TOKEN by the server, the
console and the launcher). So the whole environment is one `Settings`,
validated in full by whichever role starts: a malformed value stops it with a
message naming the variable (never echoing a secret), instead of one room
failing a patient's turn later. The README's "Configuration" table lists the
same variables with the same defaults (tests/test_settings.py holds them to it).

Rooms keep small views of their own, built from `settings()` once and cached
the same way (`read_once`): the action server's webhooks and clinic profile
(actions/settings.py), the staff console's (assistant/staff/config.py).

An empty variable counts as unset (compose's `${NAME:-}` passes empty strings),
and values are stripped of surrounding whitespace.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from functools import update_wrapper
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseSettings, Field, SecretStr, ValidationError, root_validator, validator

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


class SettingsError(ValueError):
    """A variable is malformed; the message names it (and shows the value unless it is a secret)."""


def variable(default: Any, must: str, secret: bool = False, **constraints: Any) -> Any:
    """A field read from the variable of the same name in capitals. `must` completes "<NAME> must
    be ...", the message when the value does not parse or is out of range."""
    return Field(default, must=must, secret=secret, **constraints)


PORT = {"must": "a port number (1-65535)", "ge": 1, "le": 65535}
COUNT = "a whole number, at least 1"
URLS = (
    "rasa_public_url",
    "rasa_url",
    "staff_webhook_url",
    "booking_webhook_url",
    "twilio_api_base",
    "facebook_graph_url",
    "telegram_api_base",
)


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class Settings(BaseSettings):
    # Servers and where they are reached.
    rasa_port: int = variable(5005, **PORT)
    actions_port: int = variable(5055, **PORT)
    web_port: int = variable(8080, **PORT)
    staff_port: int = variable(8081, **PORT)
    rasa_interface: str = variable("127.0.0.1", "an address to bind to")
    rasa_public_url: str | None = variable(None, "an http:// or https:// URL")  # None: http://127.0.0.1:<RASA_PORT>
    rasa_token: SecretStr | None = variable(None, "a token", secret=True)  # None: make run generates one
    rasa_url: str = variable("http://127.0.0.1:5005", "an http:// or https:// URL")
    # Conversations, and the clinic's records beside them.
    database_url: str = variable(f"sqlite:///{ROOT / 'var' / 'rasa.db'}", "a database URL", secret=True)
    database_wait_seconds: float = variable(30.0, "a number of seconds, 0 or more", ge=0, allow_inf_nan=False)
    lock_store_url: str = variable("", "a redis:// URL", secret=True)  # empty: in-memory locks, one process
    # Rasa's own setting; checked here so a second worker never runs without shared locks.
    sanic_workers: int = variable(1, COUNT, ge=1)
    # The assistant.
    clinic_profile: Path = variable(ROOT / "clinic.yml", "a path to the clinic profile")
    suggestion_floor: float = variable(0.05, "a number between 0 and 1", ge=0, le=1)
    handoff_timeout_minutes: float = variable(120.0, "a number of minutes, more than 0", gt=0, allow_inf_nan=False)
    # Outgoing webhooks: the staff's bridge (Slack, Teams, email) and the booking system.
    staff_webhook_url: SecretStr | None = variable(None, "an http:// or https:// URL", secret=True)
    staff_webhook_secret: SecretStr | None = variable(None, "a secret", secret=True)
    staff_webhook_timeout: float = variable(5.0, "a number of seconds, more than 0", gt=0, allow_inf_nan=False)
    staff_webhook_attempts: int = variable(4, COUNT, ge=1)
    booking_webhook_url: SecretStr | None = variable(None, "an http:// or https:// URL", secret=True)
    booking_webhook_secret: SecretStr | None = variable(None, "a secret", secret=True)
    booking_webhook_timeout: float = variable(5.0, "a number of seconds, more than 0", gt=0, allow_inf_nan=False)
    booking_webhook_attempts: int = variable(4, COUNT, ge=1)
    # The staff console.
    staff_host: str = variable("127.0.0.1", "an address to bind to")
    staff_cookie_secure: Literal["auto", "always", "never"] = variable("auto", "one of auto, always, never")
    staff_proxies: int = variable(0, "a whole number, 0 or more", ge=0)
    staff_idle_minutes: int = variable(60, COUNT, ge=1)
    staff_session_hours: int = variable(12, COUNT, ge=1)
    staff_max_failures: int = variable(5, COUNT, ge=1)
    staff_lockout_minutes: int = variable(15, COUNT, ge=1)
    staff_low_confidence: float = variable(0.5, "a number between 0 and 1", ge=0, le=1)
    retention_days: int = variable(365, "a whole number of days, 0 or more", ge=0)
    # The container entry point (assistant/runtime/container.py).
    model: Path | None = variable(None, "a path to a trained model")  # None: the one built into the image
    runtime_dir: Path = variable(Path(tempfile.gettempdir()) / "clinic", "a writable directory")
    # Tests point the messaging connectors at stubs on loopback; unset in production.
    twilio_api_base: str | None = variable(None, "an http:// or https:// URL")
    facebook_graph_url: str | None = variable(None, "an http:// or https:// URL")
    telegram_api_base: str | None = variable(None, "an http:// or https:// URL")

    class Config:
        case_sensitive = False  # field rasa_port <- RASA_PORT
        allow_mutation = False

        @classmethod
        def customise_sources(cls, init_settings: Any, env_settings: Any, file_secret_settings: Any) -> tuple:
            def set_variables(settings: BaseSettings) -> dict[str, Any]:
                return {name: value.strip() for name, value in env_settings(settings).items() if value.strip()}

            return init_settings, set_variables  # no .env file, no secrets directory: the environment only

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(explain(exc, values)) from None

    @validator(*URLS)
    def _http_url(cls, value: str | SecretStr | None) -> str | SecretStr | None:
        # A webhook URL is not repeated in the message: Slack and Teams URLs carry their secret in the path.
        url = value.get_secret_value() if isinstance(value, SecretStr) else value
        if url is not None and not is_http_url(url):
            raise ValueError("must start with http:// or https:// and name a host")
        return value.rstrip("/") if isinstance(value, str) else value

    @validator("staff_cookie_secure", pre=True)
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @root_validator(skip_on_failure=True)
    def _workers_share_locks(cls, values: dict[str, Any]) -> dict[str, Any]:
        # Rasa accepts several workers with any custom lock store, including ours when LOCK_STORE_URL is
        # empty (locks in each worker's memory): two workers could then answer one conversation at once.
        if values["sanic_workers"] > 1 and not values["lock_store_url"]:
            raise ValueError(
                "SANIC_WORKERS > 1 needs LOCK_STORE_URL (redis://...): workers must share conversation locks"
            )
        return values

    @property
    def public_rasa_url(self) -> str:
        """Where visitors' browsers reach the Rasa server (the widget's serverUrl)."""
        return self.rasa_public_url or f"http://127.0.0.1:{self.rasa_port}"

    def secret(self, name: str) -> str:
        """The value of a secret field ("" when unset)."""
        value: SecretStr | None = getattr(self, name)
        return value.get_secret_value() if value is not None else ""


def explain(error: ValidationError, given: Mapping[str, Any]) -> str:
    """ "STAFF_PORT must be a port number (1-65535), got 'x'" for each bad variable."""
    messages = []
    for item in error.errors():
        name = str(item["loc"][0])
        if name == "__root__":
            messages.append(item["msg"])
            continue
        field = Settings.__fields__[name].field_info.extra
        variable_name = name.upper()
        raw = given.get(name, os.environ.get(variable_name, ""))
        shown = "" if field["secret"] else f", got {str(raw).strip()!r}"
        if item["type"] == "value_error":  # a check of ours, in its own words
            messages.append(f"{variable_name} {item['msg']}{shown}")
        else:
            messages.append(f"{variable_name} must be {field['must']}{shown}")
    return "; ".join(messages)


class read_once(Generic[T]):
    """The value `build` makes from the environment, made on first use and kept for the process.

    cache_clear() forgets every such value at once, `settings()` and each room's view alike, so a
    test that changed the environment never gets a view built from the old one."""

    _every: ClassVar[list[read_once[Any]]] = []

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        update_wrapper(self, build)
        read_once._every.append(self)

    def __call__(self) -> T:
        if self._value is None:
            self._value = self._build()
        return self._value

    def cache_clear(self) -> None:
        for each in read_once._every:
            each._value = None


@read_once
def settings() -> Settings:
    """The process's settings: the environment, read and checked on first use."""
    return Settings()
