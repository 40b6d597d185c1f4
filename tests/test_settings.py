"""The one settings module (assistant/settings.py): the README's Configuration table and the code
agree on names and defaults, a bad value is named (a secret never shown), settings are read once,
and each role stops at start on a bad value."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from actions import settings as action_settings
from assistant.notify import staff as notify_staff
from assistant.settings import ROOT, Settings, SettingsError, settings
from assistant.staff.__main__ import main as staff_cli
from assistant.staff.config import config

# Read by Rasa itself from endpoints.yml (`url: ${ACTION_ENDPOINT_URL}`), not by the project's code.
READ_BY_RASA = {"ACTION_ENDPOINT_URL"}
# How the README writes a default that is not a literal value.
README_DEFAULTS: dict[str, Any] = {"unset": None, "generated": None, "empty": ""}


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Each test reads the environment it sets (and leaves nothing read from it behind)."""
    for name in Settings.__fields__:
        monkeypatch.delenv(name.upper(), raising=False)
    settings.cache_clear()
    yield
    settings.cache_clear()


def readme_rows() -> list[tuple[list[str], str]]:
    """(variables, default) of each row of the README's Configuration table."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Configuration\n")[1].split("\n#")[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        if len(cells) == 3 and cells[0].startswith("`"):
            parts = re.findall(r"`(_?[A-Z_]+)`", cells[0])
            stem = parts[0].rsplit("_", 1)[0]
            rows.append(([stem + part if part.startswith("_") else part for part in parts], cells[1]))
    return rows


def test_every_variable_in_the_readme_is_a_setting_and_every_setting_is_in_the_readme() -> None:
    documented = {name for names, _ in readme_rows() for name in names}
    fields = {name.upper() for name in Settings.__fields__}
    assert documented - fields == READ_BY_RASA
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in sorted(fields - documented) if f"`{name}" not in readme] == []


def test_the_readme_gives_the_defaults_the_code_has() -> None:
    defaults = Settings()
    checked = 0
    for names, cell in readme_rows():
        fields = [Settings.__fields__[name.lower()] for name in names if name not in READ_BY_RASA]
        if not fields:
            continue
        values = [getattr(defaults, field.name) for field in fields]
        if all(isinstance(value, int | float) for value in values):
            assert [float(number) for number in re.findall(r"\d+(?:\.\d+)?", cell)] == values, names
        elif cell in README_DEFAULTS:
            assert all(value == README_DEFAULTS[cell] for value in values), names
        elif names == ["RASA_PUBLIC_URL"]:
            assert values == [None] and defaults.public_rasa_url == "http://127.0.0.1:5005"
        else:
            shown = cell.strip("`").replace("<project>", str(ROOT))
            assert [str(value) for value in values] == [shown] or values == [ROOT / shown], names
        checked += 1
    assert checked == len(readme_rows()) - len(READ_BY_RASA)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("STAFF_PORT", "eighty", "STAFF_PORT must be a port number (1-65535), got 'eighty'"),
        ("WEB_PORT", "70000", "WEB_PORT must be a port number (1-65535), got '70000'"),
        ("STAFF_WEBHOOK_TIMEOUT", "soon", "STAFF_WEBHOOK_TIMEOUT must be a number of seconds, more than 0, got 'soon'"),
        ("BOOKING_WEBHOOK_ATTEMPTS", "0", "BOOKING_WEBHOOK_ATTEMPTS must be a whole number, at least 1, got '0'"),
        ("SUGGESTION_FLOOR", "5%", "SUGGESTION_FLOOR must be a number between 0 and 1, got '5%'"),
        ("STAFF_COOKIE_SECURE", "yes", "STAFF_COOKIE_SECURE must be one of auto, always, never, got 'yes'"),
        ("RETENTION_DAYS", "1.5", "RETENTION_DAYS must be a whole number of days, 0 or more, got '1.5'"),
        ("HANDOFF_TIMEOUT_MINUTES", "nan", "HANDOFF_TIMEOUT_MINUTES must be a number of minutes, more than 0"),
        ("DATABASE_WAIT_SECONDS", "-1", "DATABASE_WAIT_SECONDS must be a number of seconds, 0 or more"),
        ("RASA_URL", "localhost:5005", "RASA_URL must start with http:// or https:// and name a host"),
        ("SANIC_WORKERS", "2", "SANIC_WORKERS > 1 needs LOCK_STORE_URL"),
    ],
)
def test_a_bad_value_is_named(monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        Settings()
    assert str(error.value).startswith(message)


def test_a_secret_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_WEBHOOK_URL", "hooks.slack.com/services/T0/B0/very-secret")
    monkeypatch.setenv("STAFF_PROXIES", "some")
    with pytest.raises(SettingsError) as error:
        Settings()
    assert str(error.value) == (
        "STAFF_WEBHOOK_URL must start with http:// or https:// and name a host; "
        "STAFF_PROXIES must be a whole number, 0 or more, got 'some'"
    )
    monkeypatch.setenv("STAFF_PROXIES", "1")
    monkeypatch.setenv("STAFF_WEBHOOK_URL", "https://hooks.example.org/very-secret")
    monkeypatch.setenv("RASA_TOKEN", "token-very-secret")
    assert "very-secret" not in repr(Settings()) + str(Settings())


def test_empty_means_unset_and_values_are_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    # docker compose passes ${NAME:-} as an empty string.
    for name in ("STAFF_PORT", "RETENTION_DAYS", "STAFF_WEBHOOK_URL", "DATABASE_URL", "RASA_TOKEN"):
        monkeypatch.setenv(name, "  ")
    monkeypatch.setenv("STAFF_COOKIE_SECURE", " Always ")
    monkeypatch.setenv("RASA_URL", "http://balancer:5005/ ")
    read = Settings()
    assert (read.staff_port, read.retention_days, read.staff_webhook_url, read.rasa_token) == (8081, 365, None, None)
    assert read.database_url == f"sqlite:///{ROOT / 'var' / 'rasa.db'}"
    assert (read.staff_cookie_secure, read.rasa_url) == ("always", "http://balancer:5005")


def test_settings_are_read_once_and_every_view_is_read_again_after_a_clear(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STAFF_PROXIES", "1")
    monkeypatch.setenv("SUGGESTION_FLOOR", "0.1")
    assert (settings().staff_proxies, config().proxies, action_settings.settings().suggestion_floor) == (1, 1, 0.1)
    monkeypatch.setenv("STAFF_PROXIES", "2")
    monkeypatch.setenv("SUGGESTION_FLOOR", "0.2")
    assert settings() is settings() and config().proxies == 1  # read once: the change is not seen
    action_settings.settings.cache_clear()  # what the tests do after changing the environment
    assert (settings().staff_proxies, config().proxies, action_settings.settings().suggestion_floor) == (2, 2, 0.2)


def test_the_action_server_view_builds_its_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOKING_WEBHOOK_URL", "https://booking.example.org/requests")
    monkeypatch.setenv("BOOKING_WEBHOOK_SECRET", "s3cret")
    monkeypatch.setenv("BOOKING_WEBHOOK_ATTEMPTS", "2")
    view = action_settings.settings()
    assert notify_staff.settings().staff_webhook is None  # both servers' view of the staff webhook
    assert view.booking_webhook is not None
    hook = view.booking_webhook
    assert (hook.url, hook.secret, hook.timeout, hook.attempts) == (
        "https://booking.example.org/requests",
        "s3cret",
        5,
        2,
    )


def test_the_staff_console_stops_on_a_bad_value(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("STAFF_IDLE_MINUTES", "0")
    assert staff_cli(["users"]) == 2
    assert "error: STAFF_IDLE_MINUTES must be a whole number, at least 1, got '0'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["-c", "import actions"],  # what `rasa run actions --actions actions` does first
        # The servers stop before they listen, but the tiers count any start of one (tests/conftest.py).
        pytest.param(["-m", "assistant.runtime.serve"], marks=pytest.mark.e2e),
        pytest.param(["-m", "assistant.website"], marks=pytest.mark.e2e),
    ],
)
def test_each_server_stops_at_start_naming_the_variable(command: list[str]) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    env |= {"RASA_TOKEN": "t", "STAFF_WEBHOOK_URL": "hooks.slack.com/services/T0/B0/very-secret"}
    done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "STAFF_WEBHOOK_URL must start with http:// or https://" in done.stderr
    assert "very-secret" not in done.stderr
