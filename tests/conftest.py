from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import event
from sqlalchemy.engine import Engine

from actions import settings
from assistant.records import db as records_db
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


@event.listens_for(Engine, "connect")
def no_disk_syncs(connection: Any, _: Any) -> None:
    """Test databases are thrown away: SQLite need not wait for the disk at each commit (as the
    throwaway PostgreSQL of tools/services.py runs without fsync). Most of the staff console
    tests' time went to those waits when other work kept the disk busy."""
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA synchronous = OFF")


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
    records_db.shared_engine.cache_clear()
    yield path
    settings.settings.cache_clear()
    records_db.shared_engine.cache_clear()


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


# The test tiers: pyproject.toml's markers, `make unit` runs the tests with none of them. A test
# that starts one of the project's servers, PostgreSQL or Redis, Chromium, or that reads or trains
# the model must say so with the marker, else it fails here, whichever fixture or helper does it:
# otherwise `make unit` would be slow, or would need what a fresh clone does not have yet.
TIERS = {
    "e2e": "starts the project's servers",
    "services": "starts PostgreSQL or Redis",
    "browser": "drives Chromium",
    "model": "reads or trains the model in models/",
}
MODELS = str(ROOT / "models")
SERVER_MODULES = {"assistant.runtime.serve", "assistant.website", "assistant.staff"}  # python -m <module> ...


def _text(value: object) -> str:
    return os.fsdecode(value) if isinstance(value, str | bytes | os.PathLike) else str(value)


def _in_models(path: object) -> bool:
    if not isinstance(path, str | bytes | os.PathLike):  # e.g. an open file descriptor
        return False
    absolute = os.path.abspath(os.fsdecode(path))
    return absolute == MODELS or absolute.startswith(MODELS + os.sep)


def command_needs(command: list[str]) -> set[str]:
    """The tiers a child process belongs to, from its command line (as tools/servers.py,
    tools/services.py, tools/model.py and Playwright start them)."""
    names = [os.path.basename(word) for word in command]
    module = command[command.index("-m") + 1] if "-m" in command[:-1] else ""
    needs: set[str] = set()
    if ("rasa" in names and "run" in command) or (
        module in SERVER_MODULES and (module != "assistant.staff" or "serve" in command)
    ):
        needs.add("e2e")
    if {"initdb", "redis-server", "install_services.sh"} & set(names) or ("pg_ctl" in names and "start" in command):
        needs.add("services")
    if "run-driver" in command or any(name.startswith("chromium") for name in names):
        needs.add("browser")
    if ("rasa" in names and "train" in command) or any(_in_models(word) for word in command):
        needs.add("model")
    return needs


def event_needs(event: str, args: tuple[Any, ...]) -> set[str]:
    """The tiers an audited event (sys.addaudithook) belongs to."""
    if event == "subprocess.Popen":
        command = args[1]
        words = _text(command).split() if isinstance(command, str | bytes) else [_text(word) for word in command]
        return command_needs(words)
    if event in ("open", "os.listdir", "os.scandir") and args and args[0] is not None and _in_models(args[0]):
        return {"model"}
    return set()


class UnmarkedTestError(Exception):
    """A test did what only a test with that tier's marker may do."""


class Guard:
    """What runs now: the test (during its setup and body) and the fixtures being set up."""

    def __init__(self) -> None:
        self.test: pytest.Item | None = None
        self.marks: set[str] = set()
        self.fixtures: list[Any] = []  # FixtureDefs, innermost last
        self.fixture_needs: dict[Any, set[str]] = {}  # what each fixture was seen doing
        self.violations: list[str] = []

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if self.test is None or event not in ("subprocess.Popen", "open", "os.listdir", "os.scandir"):
            return
        try:
            needs = event_needs(event, args)
        except Exception:  # an event it cannot read: never break the test's own call over it
            return
        if not needs:
            return
        if self.fixtures:  # remembered, so a later test that only reuses the fixture needs the marker too
            self.fixture_needs.setdefault(self.fixtures[-1], set()).update(needs)
        missing = needs - self.marks
        if missing:
            what = f"{event} {args[1] if event == 'subprocess.Popen' else args[0]}"
            self.fail(missing, what[:300])

    def fail(self, missing: set[str], what: str) -> None:
        marks = ", ".join(f"@pytest.mark.{name} ({TIERS[name]})" for name in sorted(missing))
        message = f"{self.test.nodeid if self.test else '?'} needs {marks}: {what}"
        self.violations.append(message)
        raise UnmarkedTestError(message)

    @contextmanager
    def running(self, item: pytest.Item) -> Iterator[None]:
        self.test, self.marks, self.violations = item, {mark.name for mark in item.iter_markers()}, []
        try:
            yield
        finally:
            self.test, violations = None, self.violations
            if violations:  # also when the test caught the error; said once, in place of it
                raise pytest.fail.Exception("\n".join(violations), pytrace=False) from None


GUARD = Guard()
sys.addaudithook(GUARD.audit)  # cannot be removed: it does nothing outside a test's setup and body


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    GUARD.fixtures.append(fixturedef)
    try:
        return (yield)
    finally:
        GUARD.fixtures.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with GUARD.running(item):
        # A module- or session-scoped fixture an earlier test set up does nothing audited for this
        # one: what it was seen doing then counts.
        fixturedefs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
        for name in getattr(item, "fixturenames", ()):
            defs = fixturedefs.get(name)
            missing = (GUARD.fixture_needs.get(defs[-1], set()) if defs else set()) - GUARD.marks
            if missing:
                GUARD.fail(missing, f"its fixture {name!r} does")
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with GUARD.running(item):
        return (yield)
