"""Malformed requests to the Rasa server's channel webhooks get a clear 4xx, never a 500.

Rasa's own channels assume well-formed provider requests: an empty body or a
JSON list on the REST channel, or a Messenger call that is not a page event,
end in an exception and "500 Internal Server Error". Installed by
`assistant.runtime.serve` (through the registry, assistant/runtime/patches.py),
a request middleware checks what each channel needs before its handler runs:
the size (providers cap messages far below the limit), that a JSON body is a
UTF-8 JSON object, and the fields the channel reads. Signature checks stay in
the channels (assistant/channels/connectors.py), which run afterwards.

The website widget's socket.io channel has no HTTP answer to give: a message
event Rasa cannot read raised in its handler (logged, the patient saw
nothing), and one of any size was read. Its events are checked the same way
and a patient whose message cannot be read is told so in the chat.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

MAX_BODY_BYTES = 64 * 1024  # SMS, Messenger and Telegram messages are a few kB at most
# Said in the widget's chat when a socket.io message event cannot be read.
UNREADABLE = "Sorry, I couldn't read that message. Please type your question again."
TOO_LONG = "That message is too long for me to read. Please send a shorter one, a few sentences at most."
JSON_CHANNELS = ("/webhooks/rest/webhook", "/webhooks/facebook/webhook", "/webhooks/telegram/webhook")


def problem(path: str, body: bytes) -> tuple[int, str] | None:
    """(status, what is wrong) for a webhook request, or None when its channel can read it."""
    if len(body) > MAX_BODY_BYTES:
        return 413, f"the request is over {MAX_BODY_BYTES // 1024} kB; a message is a few thousand characters at most"
    found = _shape(path, body)
    return (400, found) if found else None


def _shape(path: str, body: bytes) -> str | None:
    if path not in JSON_CHANNELS:
        return None
    try:
        payload: Any = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return "the body is not UTF-8 text"
    except ValueError:
        return "the body is not JSON"
    if not isinstance(payload, dict):
        return "the body must be a JSON object"
    if path == "/webhooks/rest/webhook":
        if not isinstance(payload.get("message"), str) or not isinstance(payload.get("sender", ""), str):
            return 'send {"sender": "<conversation id>", "message": "<text>"}, both strings'
    elif path == "/webhooks/facebook/webhook":
        if payload.get("object") != "page" or not isinstance(payload.get("entry"), list):
            return "not a Messenger page event"
    elif path == "/webhooks/telegram/webhook" and not isinstance(payload.get("update_id"), int):
        return "not a Telegram update"
    return None


def install(app: Sanic) -> None:
    @app.on_request
    async def check_webhook(request: Request) -> HTTPResponse | None:
        if request.method != "POST" or not request.path.startswith("/webhooks/"):
            return None
        found = problem(request.path.rstrip("/"), request.body or b"")
        if found is None:
            return None
        status, message = found
        return response.json({"error": message}, status=status)


def socket_message_problem(data: Any, metadata_key: str = "metadata") -> str | None:
    """What to tell the patient about a socket.io message event Rasa's channel cannot read, or None."""
    if not isinstance(data, dict):
        return UNREADABLE
    message = data.get("message", "")
    if not isinstance(message, str) or not isinstance(data.get("session_id", ""), str | None):
        return UNREADABLE
    if len(message.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        return TOO_LONG
    metadata = data.get(metadata_key)
    if isinstance(metadata, str):  # Rasa parses a string as JSON
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return UNREADABLE
    if metadata is not None and not isinstance(metadata, dict):
        return UNREADABLE
    return None


Handler = Callable[..., Awaitable[Any]]


def guard_socketio(channel: Any) -> None:
    """Wrap the message and session handlers Rasa's SocketIOInput registered on its server."""
    sio = getattr(channel, "sio", None)
    handlers = sio.handlers.get(channel.namespace or "/", {}) if sio is not None else {}
    message_handler: Handler | None = handlers.get(channel.user_message_evt)
    session_handler: Handler | None = handlers.get("session_request")
    if message_handler is not None:

        async def user_message(sid: str, *args: Any) -> None:
            # A client may emit the event with no data or several arguments.
            found = socket_message_problem(args[0] if len(args) == 1 else None, channel.metadata_key)
            if found is None:
                await message_handler(sid, args[0])
                return
            await sio.emit(channel.bot_message_evt, {"text": found}, room=sid, namespace=channel.namespace)

        handlers[channel.user_message_evt] = user_message
    if session_handler is not None:

        async def session_request(sid: str, *args: Any) -> None:
            data = args[0] if len(args) == 1 and isinstance(args[0], dict) else None
            if data is not None and not isinstance(data.get("session_id"), str | None):
                data = None  # Rasa then makes a new session id
            await session_handler(sid, data)

        handlers["session_request"] = session_request


# Each function below is given Rasa's original and returns what the registry installs in its place.
def checking_webhooks(original: Callable[..., Sanic]) -> Callable[..., Sanic]:
    """`rasa.core.run.configure_app`, with the webhook check on the Sanic app it builds for `rasa run`."""

    def configure_app(*args: Any, **kwargs: Any) -> Sanic:
        app = original(*args, **kwargs)
        install(app)
        return app

    return configure_app


def guarded_socketio(original: Callable[..., Blueprint]) -> Callable[..., Blueprint]:
    """`SocketIOInput.blueprint`, with its message and session handlers checked (`guard_socketio`)."""

    def blueprint(self: Any, on_new_message: Callable[..., Awaitable[Any]]) -> Blueprint:
        routes = original(self, on_new_message)
        guard_socketio(self)  # the handlers were registered on self.sio just now
        return routes

    return blueprint
