"""Rasa's Twilio and Messenger connectors, with what a clinic needs on top.

- Twilio (SMS, WhatsApp): the X-Twilio-Signature is checked (Rasa's connector
  does not), so a forged request is refused with 403 before anything is
  stored; buttons become numbered options in one message, and a reply of just
  that number is read as the button (the options are read back from the
  conversation's last messages in the tracker store, so the reply may reach
  any Rasa process); a failed send is logged, not turned into a 500 for Twilio.
- Messenger: a request without a valid X-Hub-Signature is refused with 403
  (Rasa's connector answers 200 "not validated").
- Telegram: the webhook is registered with a secret token, and a request
  without it (X-Telegram-Bot-Api-Secret-Token) is refused with 403.
All keep their names, so the webhook paths stay /webhooks/<name>/webhook.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.bot.api import TelegramAPIServer
from rasa.core.channels import facebook
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from assistant.settings import settings

logger = logging.getLogger(__name__)


def refuse_unsigned(blueprint: Blueprint, signed: Callable[[Request], bool], channel: str) -> Blueprint:
    """Refuse a message POSTed to the webhook whose signature does not check out, before the connector sees it."""

    @blueprint.middleware("request")
    async def check_signature(request: Request) -> HTTPResponse | None:
        if request.method == "POST" and request.path.endswith("/webhook") and not signed(request):
            logger.warning("%s: refused a request without a valid signature from %s", channel, request.ip)
            return response.text("invalid signature", status=403)
        return None

    return blueprint


def numbered_options(buttons: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(lines to show, payloads by number) for buttons sent as an SMS; a link is shown, not numbered."""
    lines, payloads = [], []
    for button in buttons:
        payload = str(button.get("payload", ""))
        if payload.startswith(("http://", "https://")):
            lines.append(f"{button['title']}: {payload}")
        else:
            payloads.append(payload)
            lines.append(f"{len(payloads)}. {button['title']}")
    return lines, payloads


def last_options(tracker: DialogueStateTracker | None) -> list[str]:
    """The payloads numbered in the assistant's messages since the patient last wrote."""
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            return []
        if isinstance(event, BotUttered) and event.data.get("buttons"):
            return numbered_options(event.data["buttons"])[1]
    return []


class NumberedTwilioOutput(TwilioOutput):
    """SMS has no buttons: one message with the options numbered."""

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        lines, payloads = numbered_options(buttons)
        if payloads:
            lines.insert(0, "Reply with a number:")
        # One newline each: Rasa's Twilio output sends a new SMS at every blank line.
        await self.send_text_message(recipient_id, "\n".join([text.strip(), *lines]))


class SignedTwilioInput(TwilioInput):
    @classmethod
    def name(cls) -> str:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            credentials.get("account_sid"),
            credentials.get("auth_token"),
            credentials.get("twilio_number"),
            webhook_url=credentials.get("webhook_url"),
        )

    def __init__(self, account_sid: str, auth_token: str, twilio_number: str, webhook_url: str | None = None) -> None:
        super().__init__(account_sid, auth_token, twilio_number, debug_mode=False)
        # Twilio signs the URL it was given; behind a proxy that is not the URL this server sees.
        self.webhook_url = webhook_url
        self.validator = RequestValidator(auth_token)
        self.app: Sanic | None = None  # the Rasa server's app, for its tracker store

    def signed(self, request: Request) -> bool:
        params = {key: request.form.get(key) for key in request.form}
        url = self.webhook_url or request.url
        return self.validator.validate(url, params, request.headers.get("X-Twilio-Signature", ""))

    async def choose(self, sender: str | None, text: str | None) -> str | None:
        """A bare number answering the last numbered options becomes that option's payload.

        The options are read from the conversation (the assistant's last messages with
        buttons), not kept in this process: the reply may reach another Rasa process."""
        number = (text or "").strip()
        if not number.isdigit() or self.app is None or not sender:
            return text
        agent = getattr(self.app.ctx, "agent", None)
        try:
            options = last_options(await agent.tracker_store.retrieve(sender)) if agent else []
        except SQLAlchemyError:
            return text  # the database is down: the turn itself tells the patient so
        if 1 <= int(number) <= len(options):
            return options[int(number) - 1]
        return text

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_choices(message: UserMessage) -> Any:
            message.text = await self.choose(message.sender_id, message.text)
            return await on_new_message(message)

        blueprint = refuse_unsigned(super().blueprint(with_choices), self.signed, self.name())

        @blueprint.middleware("request")
        async def remember_app(request: Request) -> None:
            self.app = request.app

        return blueprint

    def get_output_channel(self) -> OutputChannel:
        output = NumberedTwilioOutput(self.account_sid, self.auth_token, self.twilio_number)
        # Tests point the connector at a stub on loopback instead of api.twilio.com.
        if settings().twilio_api_base:
            output.api.base_url = settings().twilio_api_base
        return output


class SignedFacebookInput(FacebookInput):
    @classmethod
    def name(cls) -> str:
        return "facebook"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        def signed(request: Request) -> bool:
            signature = request.headers.get("X-Hub-Signature") or ""
            return self.validate_hub_signature(self.fb_secret, request.body, signature)

        return refuse_unsigned(super().blueprint(on_new_message), signed, self.name())


class GraphUrlMessenger(facebook.Messenger):
    """Rasa's Messenger handler; FACEBOOK_GRAPH_URL (tests: a stub on loopback) replaces graph.facebook.com.

    Rasa's webhook route builds its handler from the module-level name `facebook.Messenger`, which
    the registry (assistant/runtime/patches.py) points here when the server starts."""

    def __init__(self, page_access_token: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        super().__init__(page_access_token, on_new_message)
        if settings().facebook_graph_url:
            self.client.graph_url = settings().facebook_graph_url


class SecretTelegramOutput(TelegramOutput):
    def __init__(self, access_token: str, secret_token: str) -> None:
        super().__init__(access_token)
        self.secret_token = secret_token
        # Tests point the connector at a stub on loopback instead of api.telegram.org.
        if settings().telegram_api_base:
            self.server = TelegramAPIServer.from_base(settings().telegram_api_base)

    async def set_webhook(self, url: str, *args: Any, **kwargs: Any) -> bool:
        """Register the webhook with the secret Telegram sends back in every request."""
        return await self.request("setWebhook", {"url": url, "secret_token": self.secret_token})


class SecretTelegramInput(TelegramInput):
    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            credentials.get("access_token"),
            credentials.get("verify"),
            credentials.get("webhook_url"),
            secret_token=credentials.get("secret_token"),
        )

    def __init__(self, access_token: str, verify: str, webhook_url: str, secret_token: str | None = None) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode=False)
        if not secret_token or not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret_token):
            raise ValueError("TELEGRAM_SECRET_TOKEN must be 16-256 letters, digits, _ or -")
        self.secret_token = secret_token

    def signed(self, request: Request) -> bool:
        sent = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        return hmac.compare_digest(sent.encode(), self.secret_token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return refuse_unsigned(super().blueprint(on_new_message), self.signed, self.name())

    def get_output_channel(self) -> TelegramOutput:
        return SecretTelegramOutput(self.access_token, self.secret_token)
