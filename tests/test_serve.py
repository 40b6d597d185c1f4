"""The launcher of the Rasa server (assistant/runtime/serve.py) and the servers' start-up checks (tools/servers.py)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.runtime.serve import rasa_argv
from tools import servers


def test_a_token_starting_with_a_dash_reaches_rasa_as_the_token() -> None:
    argv = rasa_argv("-Xy_token", ["--port", "5005"])
    parser = argparse.ArgumentParser()
    parser.add_argument("--auth-token")
    parser.add_argument("--enable-api", action="store_true")
    parser.add_argument("--port")
    parsed = parser.parse_args(argv[2:])
    assert (parsed.auth_token, parsed.port) == ("-Xy_token", "5005")


def test_several_workers_need_a_shared_lock_store(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.settings import Settings, SettingsError

    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    assert Settings().sanic_workers == 1
    monkeypatch.setenv("SANIC_WORKERS", "1")
    assert Settings().sanic_workers == 1
    monkeypatch.setenv("SANIC_WORKERS", "2")
    monkeypatch.setenv("LOCK_STORE_URL", "redis://127.0.0.1:6379/1")
    assert Settings().sanic_workers == 2
    for workers, lock_store, expected in [
        ("2", " ", "needs LOCK_STORE_URL"),
        ("two", "", "whole number"),
        ("0", "", "at least 1"),
    ]:
        monkeypatch.setenv("SANIC_WORKERS", workers)
        monkeypatch.setenv("LOCK_STORE_URL", lock_store)
        with pytest.raises(SettingsError, match=expected):
            Settings()


def test_a_server_that_dies_at_start_names_its_own_log_file(tmp_path: Path) -> None:
    """The staff console's log is staff.log; the error used to point at "staff console.log"."""
    stack = servers.loopback_stack(tmp_path / "model.tar.gz", tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait()
    with pytest.raises(servers.ServerError) as error:
        servers.wait_ready(stack, proc, "http://127.0.0.1:9/login", "staff console", 5, log="staff")
    assert str(error.value).endswith(f"see {stack.log_dir / 'staff.log'}") and "exited with code 3" in str(error.value)
