"""Channels from credentials.yml and the environment: unset messaging apps are left out,
a half-configured one is a clear error, and the written file keeps its secrets private. The
connectors in-process (against real providers' stubs: test_channel_webhooks.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from assistant.channels.credentials import TEMPLATE, ChannelError, render, write_credentials

FACEBOOK = "assistant.channels.connectors.SignedFacebookInput"
TWILIO = "assistant.channels.connectors.SignedTwilioInput"
TELEGRAM_CHANNEL = "assistant.channels.connectors.SecretTelegramInput"
TELEGRAM = {
    "TELEGRAM_ACCESS_TOKEN": "123:abc",
    "TELEGRAM_BOT_NAME": "clinic_bot",
    "TELEGRAM_WEBHOOK_URL": "https://example.org/webhooks/telegram/webhook",
    "TELEGRAM_SECRET_TOKEN": "a-long-random-secret-token",
}


def template() -> dict:
    return yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))


def test_without_variables_only_the_web_channels_run() -> None:
    assert list(render(template(), {})) == ["rest", "socketio"]


def test_a_configured_channel_is_filled_in() -> None:
    channels = render(template(), TELEGRAM)
    assert list(channels) == ["rest", "socketio", TELEGRAM_CHANNEL]
    assert channels[TELEGRAM_CHANNEL] == {
        "access_token": "123:abc",
        "verify": "clinic_bot",
        "webhook_url": "https://example.org/webhooks/telegram/webhook",
        "secret_token": "a-long-random-secret-token",
    }


def test_every_messaging_app_can_be_switched_on() -> None:
    env = {
        **TELEGRAM,
        "FACEBOOK_VERIFY_TOKEN": "v",
        "FACEBOOK_APP_SECRET": "s",
        "FACEBOOK_PAGE_ACCESS_TOKEN": "p",
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN": "t",
        "TWILIO_NUMBER": "whatsapp:+15550100",
        "TWILIO_WEBHOOK_URL": "https://example.org/webhooks/twilio/webhook",
    }
    channels = render(template(), env)
    assert list(channels) == ["rest", "socketio", TELEGRAM_CHANNEL, FACEBOOK, TWILIO]
    assert channels[FACEBOOK]["page-access-token"] == "p"
    assert channels[TWILIO]["twilio_number"] == "whatsapp:+15550100"


def test_a_half_configured_channel_names_what_is_missing() -> None:
    with pytest.raises(ChannelError, match="set TWILIO_AUTH_TOKEN, TWILIO_NUMBER, TWILIO_WEBHOOK_URL"):
        render(template(), {"TWILIO_ACCOUNT_SID": "AC1"})


def test_the_written_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "var" / "credentials.yml"
    assert write_credentials(target, TELEGRAM) == ["rest", "socketio", TELEGRAM_CHANNEL]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert yaml.safe_load(target.read_text())[TELEGRAM_CHANNEL]["access_token"] == "123:abc"


async def test_a_number_goes_through_as_text_when_the_database_is_down() -> None:
    """The turn then answers that the service is unavailable; the webhook must not fail first."""
    from types import SimpleNamespace

    from sqlalchemy.exc import OperationalError

    from assistant.channels.connectors import SignedTwilioInput

    class DownStore:
        async def retrieve(self, sender: str) -> None:
            raise OperationalError("SELECT", {}, Exception("connection refused"))

    channel = SignedTwilioInput("AC" + "0" * 32, "twilio-auth-token", "+15550100")
    channel.app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=DownStore())))
    assert await channel.choose("+15550123", "2") == "2"
