"""The launcher of the Rasa server (assistant/serve.py)."""

from __future__ import annotations

import argparse

from assistant.serve import rasa_argv


def test_a_token_starting_with_a_dash_reaches_rasa_as_the_token() -> None:
    argv = rasa_argv("-Xy_token", ["--port", "5005"])
    parser = argparse.ArgumentParser()
    parser.add_argument("--auth-token")
    parser.add_argument("--enable-api", action="store_true")
    parser.add_argument("--port")
    parsed = parser.parse_args(argv[2:])
    assert (parsed.auth_token, parsed.port) == ("-Xy_token", "5005")


def test_several_workers_need_a_shared_lock_store() -> None:
    from assistant.serve import workers_problem

    assert workers_problem({}) is None
    assert workers_problem({"SANIC_WORKERS": "1"}) is None
    assert workers_problem({"SANIC_WORKERS": "2", "LOCK_STORE_URL": "redis://127.0.0.1:6379/1"}) is None
    assert "needs LOCK_STORE_URL" in (workers_problem({"SANIC_WORKERS": "2", "LOCK_STORE_URL": " "}) or "")
    assert "whole number" in (workers_problem({"SANIC_WORKERS": "two"}) or "")
    assert "at least 1" in (workers_problem({"SANIC_WORKERS": "0"}) or "")
