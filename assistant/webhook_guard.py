"""Malformed requests to the Rasa server's channel webhooks get a clear 4xx, never a 500.

Rasa's own channels assume well-formed provider requests: an empty body or a
JSON list on the REST channel, or a Messenger call that is not a page event,
end in an exception and "500 Internal Server Error". Installed by
`assistant.serve`, a request middleware checks what each channel needs before
its handler runs: the size (providers cap messages far below the limit), that
a JSON body is a UTF-8 JSON object, and the fields the channel reads. Signature
checks stay in the channels (assistant/connectors.py), which run afterwards.
"""

from __future__ import annotations

import json
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

MAX_BODY_BYTES = 64 * 1024  # SMS, Messenger and Telegram messages are a few kB at most
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


_installed = False


def install_on_rasa() -> None:
    """Add the check to the Sanic app Rasa builds for `rasa run`."""
    global _installed
    if _installed:
        return
    import rasa.core.run

    original = rasa.core.run.configure_app

    def configure_app(*args: Any, **kwargs: Any) -> Sanic:
        app = original(*args, **kwargs)
        install(app)
        return app

    rasa.core.run.configure_app = configure_app
    _installed = True
