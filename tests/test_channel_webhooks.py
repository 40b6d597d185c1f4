"""Messaging apps end to end: real-format webhook payloads, signed as the provider signs them,
posted to the running Rasa server; the reply must reach the provider's API, here a stub on
loopback. Forged requests are refused and leave nothing behind."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.conftest import JsonStub, clinic_stack
from tools import servers

pytestmark = [pytest.mark.e2e, pytest.mark.model]
TWILIO_TOKEN = "twilio-auth-token"
TELEGRAM_SECRET = "telegram-secret-token-0123"
TELEGRAM_RESULTS = {
    "getMe": {"id": 1, "is_bot": True, "first_name": "Clinic", "username": "clinic_bot"},
    "sendMessage": {"message_id": 2, "date": 1, "chat": {"id": 1, "type": "private"}, "text": "ok"},
}
FACEBOOK_SECRET = "facebook-app-secret"


class ProviderApi(JsonStub):
    """Twilio's Messages endpoint and Facebook's Send API: records what the assistant sends."""

    sent: ClassVar[list[dict[str, list[str]]]] = []  # Twilio: form fields
    graph: ClassVar[list[tuple[str, dict]]] = []  # Facebook: (path, JSON body)
    telegram: ClassVar[list[tuple[str, dict[str, list[str]]]]] = []  # Telegram: (method, form fields)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length).decode()
        if self.path.startswith("/graph"):
            ProviderApi.graph.append((self.path, json.loads(raw)))
            answer: dict = {"message_id": "m1"}
        elif self.path.startswith("/telegram/"):
            method = self.path.rsplit("/", 1)[-1]
            ProviderApi.telegram.append((method, parse_qs(raw)))
            answer = {"ok": True, "result": TELEGRAM_RESULTS.get(method, True)}
        else:
            ProviderApi.sent.append(parse_qs(raw))
            answer = {"sid": "SM" + uuid.uuid4().hex, "status": "queued"}
        self.reply(201, answer)


@pytest.fixture(scope="module")
def channel_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Stack]:
    """The servers with the messaging channels on, their providers' APIs stubbed."""
    api = ThreadingHTTPServer(("127.0.0.1", 0), ProviderApi)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    stack = clinic_stack(tmp_path_factory, "channels")
    env = {
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_NUMBER": "+15550100",
        "TWILIO_WEBHOOK_URL": f"{stack.url}/webhooks/twilio/webhook",
        "TWILIO_API_BASE": f"http://127.0.0.1:{api.server_address[1]}",
        "FACEBOOK_VERIFY_TOKEN": "verify-me",
        "FACEBOOK_APP_SECRET": FACEBOOK_SECRET,
        "FACEBOOK_PAGE_ACCESS_TOKEN": "page-token",
        "FACEBOOK_GRAPH_URL": f"http://127.0.0.1:{api.server_address[1]}/graph",
        "TELEGRAM_ACCESS_TOKEN": "123:abc",
        "TELEGRAM_BOT_NAME": "clinic_bot",
        "TELEGRAM_WEBHOOK_URL": f"{stack.url}/webhooks/telegram/webhook",
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE": f"http://127.0.0.1:{api.server_address[1]}/telegram",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        with servers.running(stack):
            yield stack
    api.shutdown()


def sms(channel_stack: servers.Stack, sender: str, body: str, signature: str | None = None) -> requests.Response:
    url = f"{channel_stack.url}/webhooks/twilio/webhook"
    form = {"From": sender, "To": "+15550100", "Body": body, "MessageSid": "SM" + uuid.uuid4().hex}
    signature = signature or RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    return requests.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)


def sent_to(number: str) -> list[str]:
    return [m["Body"][0] for m in ProviderApi.sent if m.get("To") == [number]]


def events(channel_stack: servers.Stack, sender: str) -> list[dict]:
    tracker = requests.get(
        f"{channel_stack.url}/conversations/{sender}/tracker", params={"token": channel_stack.token}, timeout=10
    ).json()
    return [e for e in tracker["events"] if e["event"] == "user"]


def test_an_sms_question_is_answered_through_twilio(channel_stack: servers.Stack, answers: dict[str, str]) -> None:
    number = "+1555" + str(uuid.uuid4().int)[:7]
    assert sms(channel_stack, number, "what is sciatica exactly?").status_code < 300
    assert answers["utter_sciatica_definition"].split("\n\n")[0] in sent_to(number)


def test_buttons_become_numbered_options_and_a_number_picks_one(
    channel_stack: servers.Stack, answers: dict[str, str]
) -> None:
    number = "+1555" + str(uuid.uuid4().int)[:7]
    sms(channel_stack, number, "hello")
    greeting = sent_to(number)[-1]
    assert "Reply with a number:\n1. What is sciatica?\n2. Can acupuncture help?" in greeting
    sms(channel_stack, number, "1")
    assert sent_to(number)[-1] == answers["utter_sciatica_definition"].split("\n\n")[-1]


def restart_rasa(channel_stack: servers.Stack) -> None:
    """Stop the Rasa server and start a new process: nothing kept in the old one's memory survives."""
    import os
    import signal

    [rasa] = [p for p in channel_stack.processes if "assistant.runtime.serve" in map(str, p.args)]
    os.killpg(rasa.pid, signal.SIGTERM)
    rasa.wait(timeout=30)
    channel_stack.processes.remove(rasa)
    servers.start_rasa_ready(channel_stack)


def test_a_number_picks_an_option_when_another_process_takes_the_reply(
    channel_stack: servers.Stack, answers: dict[str, str]
) -> None:
    """With several Rasa processes the reply to numbered options may reach one that did not send them."""
    number = "+1555" + str(uuid.uuid4().int)[:7]
    sms(channel_stack, number, "hello")
    assert "2. Can acupuncture help?" in sent_to(number)[-1]
    restart_rasa(channel_stack)
    before = len(sent_to(number))
    sms(channel_stack, number, "2")
    replies = sent_to(number)[before:]
    assert any(reply.startswith(answers["utter_acupuncture_benefits"]) for reply in replies), replies


def test_numbers_only_answer_the_options_since_the_patients_last_message() -> None:
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from assistant.channels.connectors import last_options

    buttons = [
        {"title": "Book", "payload": "/book"},
        {"title": "Our website", "payload": "https://clinic.example"},
        {"title": "Staff", "payload": "/human_handoff"},
    ]
    shown = [UserUttered("hi"), BotUttered("Hello", {"buttons": buttons}), BotUttered("Anything else?")]
    assert last_options(DialogueStateTracker.from_events("p", shown)) == ["/book", "/human_handoff"]
    later = [*shown, UserUttered("what is sciatica"), BotUttered("Sciatica is ...")]
    assert last_options(DialogueStateTracker.from_events("p", later)) == []
    assert last_options(None) == []


def test_an_emergency_by_sms_gets_the_whole_emergency_text(
    channel_stack: servers.Stack, answers: dict[str, str]
) -> None:
    number = "+1555" + str(uuid.uuid4().int)[:7]
    sms(channel_stack, number, "I wet myself this morning and didn't notice")
    assert sent_to(number)[-1] == answers["utter_red_flag_emergency"]


def test_a_forged_sms_is_refused_and_not_stored(channel_stack: servers.Stack) -> None:
    number = "+1555" + str(uuid.uuid4().int)[:7]
    assert sms(channel_stack, number, "what is sciatica?", signature="forged").status_code == 403
    assert events(channel_stack, number) == [] and sent_to(number) == []


def messenger(channel_stack: servers.Stack, sender: str, text: str, secret: str = FACEBOOK_SECRET) -> requests.Response:
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "1",
                    "time": 1,
                    "messaging": [
                        {
                            "sender": {"id": sender},
                            "recipient": {"id": "1"},
                            "timestamp": 1,
                            "message": {"mid": "m", "text": text},
                        }
                    ],
                }
            ],
        }
    ).encode()
    signature = "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    url = f"{channel_stack.url}/webhooks/facebook/webhook"
    return requests.post(url, data=body, headers={"X-Hub-Signature": signature}, timeout=30)


def test_a_messenger_question_is_answered_through_the_send_api(
    channel_stack: servers.Stack, answers: dict[str, str]
) -> None:
    sender = "fb-" + uuid.uuid4().hex
    assert messenger(channel_stack, sender, "what is sciatica exactly?").status_code == 200
    to_sender = [body for _, body in ProviderApi.graph if body["recipient"]["id"] == sender]
    texts = [body["message"].get("text") for body in to_sender if "message" in body]
    assert answers["utter_sciatica_definition"].split("\n\n")[0] in texts
    assert all(path.startswith("/graph/me/messages?access_token=page-token") for path, _ in ProviderApi.graph)


def test_a_messenger_message_with_a_bad_signature_is_refused(channel_stack: servers.Stack) -> None:
    sender = "fb-" + uuid.uuid4().hex
    assert messenger(channel_stack, sender, "hi", secret="not-the-secret").status_code == 403
    assert events(channel_stack, sender) == []
    url = f"{channel_stack.url}/webhooks/facebook/webhook"
    assert requests.get(url, params={"hub.verify_token": "verify-me", "hub.challenge": "42"}, timeout=10).text == "42"


def telegram(channel_stack: servers.Stack, chat: int, text: str, secret: str = TELEGRAM_SECRET) -> requests.Response:
    update = {
        "update_id": chat,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": chat, "type": "private"},
            "from": {"id": chat, "is_bot": False, "first_name": "Pat"},
            "text": text,
        },
    }
    return requests.post(
        f"{channel_stack.url}/webhooks/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        timeout=30,
    )


def test_a_telegram_question_is_answered_through_the_bot_api(
    channel_stack: servers.Stack, answers: dict[str, str]
) -> None:
    chat = uuid.uuid4().int % 10**9
    assert telegram(channel_stack, chat, "what is sciatica exactly?").status_code == 200
    sent = [
        form["text"][0]
        for method, form in ProviderApi.telegram
        if method == "sendMessage" and form["chat_id"] == [str(chat)]
    ]
    assert answers["utter_sciatica_definition"].split("\n\n")[0] in sent


def test_telegram_registers_its_webhook_with_the_secret_and_refuses_requests_without_it(
    channel_stack: servers.Stack,
) -> None:
    assert requests.get(f"{channel_stack.url}/webhooks/telegram/set_webhook", timeout=30).status_code == 200
    [(_, form)] = [entry for entry in ProviderApi.telegram if entry[0] == "setWebhook"]
    assert form["secret_token"] == [TELEGRAM_SECRET] and form["url"] == [
        f"{channel_stack.url}/webhooks/telegram/webhook"
    ]
    chat = uuid.uuid4().int % 10**9
    assert telegram(channel_stack, chat, "hi", secret="wrong-secret-0000000").status_code == 403
    assert events(channel_stack, str(chat)) == []


BIG = "sciatica " * 12_000  # about 100 kB
BAD_UTF8 = b"\xff\xfe\xfa not utf-8"


def signed_messenger(body: bytes) -> dict[str, str]:
    return {"X-Hub-Signature": "sha1=" + hmac.new(FACEBOOK_SECRET.encode(), body, hashlib.sha1).hexdigest()}


@pytest.mark.parametrize(
    "case",
    ["empty", "not json", "not utf-8", "json list", "no message", "number message", "100 kB"],
)
def test_bad_input_on_every_channel_gets_a_clear_4xx_never_a_500(channel_stack: servers.Stack, case: str) -> None:
    rest = {
        "empty": b"",
        "not json": b"{",
        "not utf-8": b'{"sender": "x", "message": "' + BAD_UTF8 + b'"}',
        "json list": b"[]",
        "no message": json.dumps({"sender": "bad-" + uuid.uuid4().hex}).encode(),
        "number message": json.dumps({"sender": "bad-" + uuid.uuid4().hex, "message": 123}).encode(),
        "100 kB": json.dumps({"sender": "bad-" + uuid.uuid4().hex, "message": BIG}).encode(),
    }[case]
    posts = [
        (f"{channel_stack.url}/webhooks/rest/webhook", rest, {"Content-Type": "application/json"}),
        (
            f"{channel_stack.url}/webhooks/facebook/webhook",
            rest,
            {"Content-Type": "application/json", **signed_messenger(rest)},
        ),
        (
            f"{channel_stack.url}/webhooks/telegram/webhook",
            rest,
            {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        ),
    ]
    for url, body, headers in posts:
        response = requests.post(url, data=body, headers=headers, timeout=60)
        assert response.status_code < 500, (url, case, response.status_code, response.text[:200])
        if response.status_code >= 400:
            assert response.text.strip(), (url, case)  # says what was wrong
    # Twilio: a signed form with the same kind of trouble.
    url = f"{channel_stack.url}/webhooks/twilio/webhook"
    form = {"From": "+15550199", "To": "+15550100", "Body": BIG if case == "100 kB" else "", "MessageSid": "SM1"}
    if case == "no message":
        del form["Body"]
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    response = requests.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=60)
    assert response.status_code < 500, (url, case, response.status_code, response.text[:200])


@pytest.mark.parametrize(
    "text", ["😀😀😀", "¿Qué es la ciática?", "坐骨神经痛是什么?", "ما هو عرق النسا", "   ", "\u200b"]
)
def test_emoji_and_other_languages_get_a_polite_answer(channel_stack: servers.Stack, text: str) -> None:
    sender = "lang-" + uuid.uuid4().hex
    response = requests.post(
        f"{channel_stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    assert response.status_code < 500, (text, response.status_code)
    if response.status_code == 200 and text.strip("\u200b "):
        replies = [message.get("text", "") for message in response.json()]
        assert replies and all(reply for reply in replies), (text, replies)


SOCKET_CASES = {
    "text instead of an object": ("hello",),
    "a list": (["what is sciatica"],),
    "number message": ({"message": 123},),
    "100 kB": ({"message": BIG},),
    "metadata not JSON": ({"message": "what is sciatica", "metadata": "{"},),
    "metadata a list": ({"message": "what is sciatica", "metadata": [1]},),
    "no data": (),
    "two arguments": ({"message": "hi"}, {"message": "hi"}),
}


@pytest.mark.parametrize("case", list(SOCKET_CASES))
async def test_an_unreadable_widget_message_is_answered_and_the_chat_goes_on(
    channel_stack: servers.Stack, case: str
) -> None:
    """socket.io has no status code: the patient is told in the chat, and the next message is answered."""
    import asyncio

    import socketio

    from assistant.runtime.webhook_guard import TOO_LONG, UNREADABLE

    session = "socket-" + uuid.uuid4().hex
    received: list[dict] = []
    confirmed = asyncio.Event()
    client = socketio.AsyncClient()
    client.on("session_confirm", lambda *_: confirmed.set())
    client.on("bot_uttered", received.append)

    async def replies_after(count: int) -> list[dict]:
        for _ in range(100):
            await asyncio.sleep(0.1)
            if len(received) > count:
                break
        await asyncio.sleep(0.3)
        return received[count:]

    await client.connect(channel_stack.url, socketio_path="/socket.io", transports=["websocket"])
    try:
        await client.emit("session_request", {"session_id": session})
        await asyncio.wait_for(confirmed.wait(), 10)
        await client.emit("user_uttered", SOCKET_CASES[case][0] if len(SOCKET_CASES[case]) == 1 else SOCKET_CASES[case])
        told = await replies_after(0)
        assert [r.get("text") for r in told] == [TOO_LONG if case == "100 kB" else UNREADABLE]
        await client.emit("user_uttered", {"message": "what is sciatica?", "session_id": session})
        assert [r for r in await replies_after(len(received)) if r.get("text")], "no answer after the bad message"
    finally:
        await client.disconnect()
    assert not any(BIG[:100] in str(e) for e in events(channel_stack, session)), "the oversized message was stored"


async def test_a_session_request_without_an_object_still_gets_a_session(channel_stack: servers.Stack) -> None:
    import asyncio

    import socketio

    confirmed: list[str] = []
    client = socketio.AsyncClient()
    client.on("session_confirm", confirmed.append)
    await client.connect(channel_stack.url, socketio_path="/socket.io", transports=["websocket"])
    try:
        await client.emit("session_request", "not an object")
        await client.emit("session_request", {"session_id": 42})
        for _ in range(50):
            await asyncio.sleep(0.1)
            if len(confirmed) == 2:
                break
    finally:
        await client.disconnect()
    assert len(confirmed) == 2 and all(isinstance(s, str) and len(s) == 32 for s in confirmed), confirmed
