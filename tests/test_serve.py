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


def test_several_workers_need_a_shared_lock_store() -> None:
    from assistant.runtime.serve import workers_problem

    assert workers_problem({}) is None
    assert workers_problem({"SANIC_WORKERS": "1"}) is None
    assert workers_problem({"SANIC_WORKERS": "2", "LOCK_STORE_URL": "redis://127.0.0.1:6379/1"}) is None
    assert "needs LOCK_STORE_URL" in (workers_problem({"SANIC_WORKERS": "2", "LOCK_STORE_URL": " "}) or "")
    assert "whole number" in (workers_problem({"SANIC_WORKERS": "two"}) or "")
    assert "at least 1" in (workers_problem({"SANIC_WORKERS": "0"}) or "")


def test_a_server_that_dies_at_start_names_its_own_log_file(tmp_path: Path) -> None:
    """The staff console's log is staff.log; the error used to point at "staff console.log"."""
    stack = servers.loopback_stack(tmp_path / "model.tar.gz", tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait()
    with pytest.raises(servers.ServerError) as error:
        servers.wait_ready(stack, proc, "http://127.0.0.1:9/login", "staff console", 5, log="staff")
    assert str(error.value).endswith(f"see {stack.log_dir / 'staff.log'}") and "exited with code 3" in str(error.value)
