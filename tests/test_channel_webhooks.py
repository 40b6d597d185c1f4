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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.conftest import ROOT
from tools import servers
from tools.model import ensure_model

pytestmark = pytest.mark.e2e
TWILIO_TOKEN = "twilio-auth-token"
FACEBOOK_SECRET = "facebook-app-secret"


class ProviderApi(BaseHTTPRequestHandler):
    """Twilio's Messages endpoint and Facebook's Send API: records what the assistant sends."""

    sent: ClassVar[list[dict[str, list[str]]]] = []  # Twilio: form fields
    graph: ClassVar[list[tuple[str, dict]]] = []  # Facebook: (path, JSON body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length).decode()
        if self.path.startswith("/graph"):
            ProviderApi.graph.append((self.path, json.loads(raw)))
        else:
            ProviderApi.sent.append(parse_qs(raw))
        body = json.dumps({"sid": "SM" + uuid.uuid4().hex, "status": "queued", "message_id": "m1"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Stack]:
    api = ThreadingHTTPServer(("127.0.0.1", 0), ProviderApi)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    stack = servers.loopback_stack(ensure_model(ROOT / "config.yml", "clinic"), tmp_path_factory.mktemp("channels"))
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
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        with servers.running(stack):
            yield stack
    api.shutdown()


def sms(stack: servers.Stack, sender: str, body: str, signature: str | None = None) -> requests.Response:
    url = f"{stack.url}/webhooks/twilio/webhook"
    form = {"From": sender, "To": "+15550100", "Body": body, "MessageSid": "SM" + uuid.uuid4().hex}
    signature = signature or RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    return requests.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)


def sent_to(number: str) -> list[str]:
    return [m["Body"][0] for m in ProviderApi.sent if m.get("To") == [number]]


def events(stack: servers.Stack, sender: str) -> list[dict]:
    tracker = requests.get(
        f"{stack.url}/conversations/{sender}/tracker", params={"token": stack.token}, timeout=10
    ).json()
    return [e for e in tracker["events"] if e["event"] == "user"]


def test_an_sms_question_is_answered_through_twilio(stack: servers.Stack, answers: dict[str, str]) -> None:
    number = "+1555" + str(uuid.uuid4().int)[:7]
    assert sms(stack, number, "what is sciatica exactly?").status_code < 300
    assert answers["utter_sciatica_definition"].split("\n\n")[0] in sent_to(number)


def test_buttons_become_numbered_options_and_a_number_picks_one(stack: servers.Stack, answers: dict[str, str]) -> None:
    number = "+1555" + str(uuid.uuid4().int)[:7]
    sms(stack, number, "hello")
    greeting = sent_to(number)[-1]
    assert "Reply with a number:\n1. What is sciatica?\n2. Can acupuncture help?" in greeting
    sms(stack, number, "1")
    assert sent_to(number)[-1] == answers["utter_sciatica_definition"].split("\n\n")[-1]


def test_an_emergency_by_sms_gets_the_whole_emergency_text(stack: servers.Stack, answers: dict[str, str]) -> None:
    number = "+1555" + str(uuid.uuid4().int)[:7]
    sms(stack, number, "I wet myself this morning and didn't notice")
    assert sent_to(number)[-1] == answers["utter_red_flag_emergency"]


def test_a_forged_sms_is_refused_and_not_stored(stack: servers.Stack) -> None:
    number = "+1555" + str(uuid.uuid4().int)[:7]
    assert sms(stack, number, "what is sciatica?", signature="forged").status_code == 403
    assert events(stack, number) == [] and sent_to(number) == []


def messenger(stack: servers.Stack, sender: str, text: str, secret: str = FACEBOOK_SECRET) -> requests.Response:
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
    url = f"{stack.url}/webhooks/facebook/webhook"
    return requests.post(url, data=body, headers={"X-Hub-Signature": signature}, timeout=30)


def test_a_messenger_question_is_answered_through_the_send_api(stack: servers.Stack, answers: dict[str, str]) -> None:
    sender = "fb-" + uuid.uuid4().hex
    assert messenger(stack, sender, "what is sciatica exactly?").status_code == 200
    to_sender = [body for _, body in ProviderApi.graph if body["recipient"]["id"] == sender]
    texts = [body["message"].get("text") for body in to_sender if "message" in body]
    assert answers["utter_sciatica_definition"].split("\n\n")[0] in texts
    assert all(path.startswith("/graph/me/messages?access_token=page-token") for path, _ in ProviderApi.graph)


def test_a_messenger_message_with_a_bad_signature_is_refused(stack: servers.Stack) -> None:
    sender = "fb-" + uuid.uuid4().hex
    assert messenger(stack, sender, "hi", secret="not-the-secret").status_code == 403
    assert events(stack, sender) == []
    url = f"{stack.url}/webhooks/facebook/webhook"
    assert requests.get(url, params={"hub.verify_token": "verify-me", "hub.challenge": "42"}, timeout=10).text == "42"


@pytest.fixture(scope="module")
def answers(domain: dict) -> dict[str, str]:
    return {name: variants[0]["text"] for name, variants in domain["responses"].items()}
