"""`make run` / `make shell`: (re)train if needed, start both servers, stop them on Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.stores.dburl import safe_url  # noqa: E402
from tools import servers  # noqa: E402
from tools.model import ensure_model  # noqa: E402


def banner(stack: servers.Stack, ready_s: float, staff_users: int) -> str:
    token_note = f"stored in {stack.token_file}" if stack.token_file else "from RASA_TOKEN"
    staff_note = (
        f"({staff_users} staff account{'s' if staff_users != 1 else ''})"
        if staff_users
        else "(no accounts yet: make staff-user NAME=you ADMIN=1)"
    )
    return f"""
  Clinic assistant is running (ready in {ready_s:.1f} s).

  Talk to it:       make shell   (in another terminal), or
                    curl -s -X POST {stack.url}/webhooks/rest/webhook \\
                      -H 'Content-Type: application/json' \\
                      -d '{{"sender": "me", "message": "what is sciatica?"}}'
  Website + widget: {stack.web_url}/   (demo clinic page; the widget talks to {stack.public_rasa_url}/socket.io)
  Staff console:    {stack.staff_url}/   {staff_note}
  Channels:         {", ".join(stack.channels)}   (messaging apps: README, "Channels")
  HTTP API:         {stack.url}/status?token=...   (token {token_note})
  Action server:    {stack.actions_url}/health
  Conversations:    {safe_url(stack.database_url)}
  Logs:             {stack.log_dir}/rasa.log, actions.log, website.log, staff.log

  Press Ctrl-C to stop the servers.
"""


def staff_accounts(stack: servers.Stack) -> int:
    from assistant.records.db import connect
    from assistant.staff.accounts import list_users

    return len(list_users(connect(stack.database_url)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shell", action="store_true", help="talk in this terminal instead of serving")
    args = parser.parse_args()
    try:
        model = ensure_model(ROOT / "config.yml", "clinic")
        stack = servers.default_stack(model)
        servers.ensure_port_free(stack.actions_port, "ACTIONS_PORT")
        if not args.shell:
            servers.ensure_port_free(stack.rasa_port, "RASA_PORT")
            servers.ensure_port_free(stack.web_port, "WEB_PORT")
            servers.ensure_port_free(stack.staff_port, "STAFF_PORT")
    except servers.ServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # SIGINT explicitly too: a launcher started in the background inherits it ignored.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        print("==> starting the action server", file=sys.stderr)
        servers.start_actions_ready(stack)
        if args.shell:
            print("==> starting the chat in this terminal (type /stop to end)", file=sys.stderr)
            return subprocess.call(
                [str(servers.BIN / "rasa"), "shell", "--model", str(model), "--endpoints", "endpoints.yml"],
                cwd=ROOT,
                env=stack.env(),
            )
        print("==> starting the Rasa server (loading the model)", file=sys.stderr)
        started = time.monotonic()
        servers.start_rasa_ready(stack)
        ready = time.monotonic() - started
        servers.start_website_ready(stack)
        servers.start_staff_ready(stack)
        print(banner(stack, ready, staff_accounts(stack)), file=sys.stderr)
        while True:
            for proc in stack.processes:
                if proc.poll() is not None:
                    print(f"error: a server stopped (exit {proc.returncode}); see {stack.log_dir}", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\n==> stopping", file=sys.stderr)
        return 0
    except servers.ServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        servers.stop(stack)


if __name__ == "__main__":
    sys.exit(main())
