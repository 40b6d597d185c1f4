"""The website app and the widget's conversation over the Rasa server's socket.io channel
(real servers on loopback; tests in a real browser are still to come)."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
import requests
import socketio

from tools import servers

pytestmark = [pytest.mark.e2e, pytest.mark.model]


def test_one_script_tag_embeds_the_widget_and_nothing_comes_from_a_cdn(stack: servers.Stack) -> None:
    for page in ("/", "/about"):
        html = requests.get(stack.web_url + page, timeout=10).text
        assert re.findall(r'<script src="([^"]+)"', html) == ["/widget/widget.js"]
        assert f'"serverUrl": "{stack.url}"' in html
        assert not re.search(r'(src|href)="https?://', html)
    widget = requests.get(stack.web_url + "/widget/widget.js", timeout=10).text
    assert "socket.io.min.js" in widget and "cdn" not in widget.lower()
    client = requests.get(stack.web_url + "/widget/socket.io.min.js", timeout=10)
    assert client.status_code == 200 and "io" in client.text


async def converse(stack: servers.Stack, session_id: str, messages: list[str]) -> list[dict[str, Any]]:
    """What the widget does: ask for the session, send messages, collect the bot's."""
    received: list[dict[str, Any]] = []
    confirmed = asyncio.Event()
    client = socketio.AsyncClient()
    client.on("session_confirm", lambda *_: confirmed.set())
    client.on("bot_uttered", received.append)
    await client.connect(stack.url, socketio_path="/socket.io", transports=["websocket"])
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 10)
        for message in messages:
            before = len(received)
            await client.emit("user_uttered", {"message": message, "session_id": session_id})
            for _ in range(100):  # up to 10 s for the first reply of this turn
                await asyncio.sleep(0.1)
                if len(received) > before:
                    await asyncio.sleep(0.5)  # the rest of this turn's messages
                    break
    finally:
        await client.disconnect()
    return received


async def test_the_widget_gets_answers_buttons_and_an_unmistakable_emergency(
    stack: servers.Stack, domain: dict[str, Any]
) -> None:
    session = uuid.uuid4().hex
    replies = await converse(stack, session, ["hello", "I wet myself this morning and didn't notice"])
    greeting = next(r for r in replies if r.get("quick_replies"))
    assert greeting["quick_replies"][0]["payload"] == "/sciatica_definition"
    emergency = replies[-1]
    assert emergency["severity"] == "emergency"
    assert emergency["text"] == domain["responses"]["utter_red_flag_emergency"][0]["text"]


async def test_the_conversation_continues_under_the_same_session_id(stack: servers.Stack) -> None:
    session = uuid.uuid4().hex
    await converse(stack, session, ["what is sciatica exactly?"])
    await converse(stack, session, ["does acupuncture hurt?"])  # a reload: a new socket, the same id
    tracker = requests.get(
        f"{stack.url}/conversations/{session}/tracker", params={"token": stack.token}, timeout=10
    ).json()
    texts = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert texts == ["what is sciatica exactly?", "does acupuncture hurt?"]
