"""The test tiers' guard (tests/conftest.py): a test that starts a server, PostgreSQL or Redis, Chromium
or the model without its marker fails, however it gets there; the way the tools start them is recognised."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MODELS, ROOT, command_needs
from tools import model, servers

# Run by a pytest of its own (the guard of this run would stop it first). None of it starts anything:
# the guard refuses before the process exists or the file is opened.
UNMARKED = """
import contextlib, os, subprocess
import pytest
from tests.conftest import MODELS
from tools import servers

def test_unmarked_starts_the_website(tmp_path):
    stack = servers.loopback_stack(tmp_path / "model.tar.gz", tmp_path)
    try:
        servers.start_website_ready(stack, timeout=5)
    finally:
        servers.stop(stack)

def test_unmarked_swallows_the_error():
    with contextlib.suppress(Exception):
        subprocess.Popen(["redis-server", "--port", "0"])

@pytest.fixture(scope="module")
def model_file():
    with contextlib.suppress(OSError):
        open(os.path.join(MODELS, "absent.tar.gz")).close()

@pytest.mark.model
def test_marked_reads_the_model(model_file):
    pass

def test_unmarked_reuses_a_fixture_that_read_it(model_file):
    pass
"""


def test_an_unmarked_test_that_starts_a_server_or_reads_the_model_fails(tmp_path: Path) -> None:
    (tmp_path / "test_unmarked.py").write_text(UNMARKED)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-rA", "-W", "ignore", "."],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 1, out[-3000:]
    assert "FAILED test_unmarked.py::test_unmarked_starts_the_website - " in out, out[-3000:]
    assert "needs @pytest.mark.e2e (starts the project's servers): subprocess.Popen" in out
    assert "assistant.website" in out
    assert "FAILED test_unmarked.py::test_unmarked_swallows_the_error - " in out
    assert "needs @pytest.mark.services (starts PostgreSQL or Redis)" in out
    assert "PASSED test_unmarked.py::test_marked_reads_the_model" in out
    assert "test_unmarked_reuses_a_fixture_that_read_it - " in out
    assert "needs @pytest.mark.model (reads or trains the model in models/): its fixture 'model_file' does" in out
    assert "1 passed" in out


def spawned(monkeypatch: pytest.MonkeyPatch, start: Any, *args: Any) -> list[str]:
    """The command `start` runs, without running it."""
    commands: list[list[str]] = []

    def popen(command: list[Any], **_: Any) -> Any:
        commands.append([os.fsdecode(word) for word in command])
        raise ChildProcessError  # stands in for the process

    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(subprocess, "run", popen)
    with pytest.raises(ChildProcessError):
        start(*args)
    [command] = commands
    return command


def test_the_tools_commands_are_recognised(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stack = servers.loopback_stack(Path(MODELS) / "clinic-0123.tar.gz", tmp_path)
    try:
        assert command_needs(spawned(monkeypatch, servers.start_actions, stack)) == {"e2e"}
        assert command_needs(spawned(monkeypatch, servers.start_rasa, stack)) == {"e2e", "model"}
        assert command_needs(spawned(monkeypatch, servers.start_website, stack)) == {"e2e"}
        assert command_needs(spawned(monkeypatch, servers.start_staff, stack)) == {"e2e"}
    finally:
        for log in stack.logs:
            log.close()
    train = spawned(monkeypatch, model.ensure_model, ROOT / "config.yml", "clinic", True, tmp_path)
    assert command_needs(train) == {"model"}
    assert command_needs([sys.executable, "-m", "assistant.staff", "users"]) == set()  # the console's CLI
    assert command_needs(["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/initdb", "-D", "x"]) == {
        "services"
    }
    assert command_needs(["/usr/lib/postgresql/15/bin/pg_ctl", "--pgdata", "x", "-w", "start"]) == {"services"}
    assert command_needs(["/usr/lib/postgresql/15/bin/pg_ctl", "--pgdata", "x", "-m", "fast", "stop"]) == set()
    assert command_needs(["/usr/bin/redis-server", "--port", "6390"]) == {"services"}
    assert command_needs(["/venv/playwright/driver/node", "/venv/playwright/driver/package/cli.js", "run-driver"]) == {
        "browser"
    }
