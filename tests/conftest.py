from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions import db, settings
from tools import servers
from tools.model import ensure_model

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "artefacts"  # screenshots of the browser tests (git-ignored)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class JsonStub(BaseHTTPRequestHandler):
    """Base of the tests' stand-ins for outside HTTP services (providers' APIs, an action server)."""

    def reply(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def variant_text(variant: dict[str, Any]) -> str:
    """A response variant's words: its text, or the text the website widget's variant carries."""
    return variant.get("text") or variant["custom"]["data"]["text"]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The domain as the action server receives it: domain.yml plus all answers."""
    merged = load_yaml(ROOT / "domain.yml")
    for path in sorted((ROOT / "data" / "responses").glob("*.yml")):
        merged["responses"].update(load_yaml(path)["responses"])
    return merged


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The action server's settings and tables pointed at a fresh SQLite file."""
    path = tmp_path / "rasa.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    settings.settings.cache_clear()
    db.engine.cache_clear()
    yield path
    settings.settings.cache_clear()
    db.engine.cache_clear()


def clinic_stack(tmp_path_factory: pytest.TempPathFactory, name: str) -> servers.Stack:
    """Throwaway servers on loopback for the project's model (trained if needed), in their own folder."""
    return servers.loopback_stack(ensure_model(ROOT / "config.yml", "clinic"), tmp_path_factory.mktemp(name))


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Stack]:
    """The action server, the Rasa server and the website on loopback, for one test module."""
    stack = clinic_stack(tmp_path_factory, request.module.__name__.rsplit(".", 1)[-1])
    with servers.running(stack):
        yield stack


@pytest.fixture(scope="session")
def answers(domain: dict[str, Any]) -> dict[str, str]:
    """Each response's first text, by response name: what the servers are expected to answer."""
    return {name: variants[0]["text"] for name, variants in domain["responses"].items()}


@pytest.fixture(scope="session")
def browser_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Stack]:
    """One set of servers, staff console included, for the browser tests of the widget and the console."""
    stack = clinic_stack(tmp_path_factory, "browser")
    with servers.running(stack, staff=True):
        yield stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (`playwright install` cannot download here).
    Per module: Playwright's sync API runs its own event loop, which must be gone before the
    asyncio tests of later modules run."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Chromium is missing: make test installs it (tools/install_chromium.sh)"
    ARTEFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def widget_page(browser: Any, browser_stack: servers.Stack) -> Iterator[Any]:
    """A fresh browser (own storage) on the demo clinic page, the widget in its corner."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(browser_stack.web_url + "/")
    yield page
    context.close()
