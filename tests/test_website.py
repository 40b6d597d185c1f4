"""The website app and the widget's conversation over the Rasa server's socket.io channel
(real servers on loopback; the widget in a real browser: tests/test_widget_browser.py)."""

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


DEADLINE = 30.0  # seconds for a turn; only a server that stopped answering gets near it


async def turn_ended(stack: servers.Stack, session_id: str, message: str) -> None:
    """Until the stored conversation listens again after `message`: the turn's answers were all sent
    (the server sends them before it stores the turn)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    url, token = f"{stack.url}/conversations/{session_id}/tracker", {"token": stack.token}
    while True:
        response = await asyncio.to_thread(requests.get, url, params=token, timeout=10)
        events = response.json().get("events", []) if response.ok else []
        said = [i for i, e in enumerate(events) if e["event"] == "user" and e.get("text") == message]
        if said and any(e["event"] == "action" and e["name"] == "action_listen" for e in events[said[-1] :]):
            return
        assert loop.time() < deadline, f"the turn of {message!r} did not end"
        await asyncio.sleep(0.05)


async def converse(stack: servers.Stack, session_id: str, messages: list[str]) -> list[dict[str, Any]]:
    """What the widget does: ask for the session, send messages, collect the bot's, each turn's whole."""
    received: list[dict[str, Any]] = []
    confirmed = asyncio.Event()
    client = socketio.AsyncClient()
    client.on("session_confirm", lambda *_: confirmed.set())
    client.on("bot_uttered", received.append)
    await client.connect(stack.url, socketio_path="/socket.io", transports=["websocket"])
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), DEADLINE)
        for message in messages:
            await client.emit("user_uttered", {"message": message, "session_id": session_id})
            await turn_ended(stack, session_id, message)
            # The server sends this confirmation on the same socket after the turn's answers, so
            # once it is here, they are too.
            confirmed.clear()
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.wait_for(confirmed.wait(), DEADLINE)
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
    emergency = replies[-1]  # the turn's last message: nothing comes after it
    assert emergency.get("severity") == "emergency", replies
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
