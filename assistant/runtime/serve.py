"""`rasa run` with the HTTP API token read from RASA_TOKEN.

Rasa takes the token only as `--auth-token` on the command line, where any
local user can read it with `ps`. This wrapper adds it inside the process
instead, so it never appears in the process list. It also installs, through
the registry of everything changed inside Rasa (assistant/runtime/patches.py), the
measured speed-ups (assistant/runtime/deferred_imports.py, assistant/runtime/speedups.py), the
turn gate (assistant/runtime/turn_gate.py), the hand-off rules for paused
conversations (assistant/runtime/handoff.py), the answers for when a service behind
the assistant is down (assistant/runtime/unavailable.py), the checks that turn
malformed requests into clear 4xx answers (assistant/runtime/webhook_guard.py) and the
Messenger handler that tests point at a stub (assistant/channels/connectors.py).

    RASA_TOKEN=... python -m assistant.runtime.serve --model models/x.tar.gz --port 5005 ...
"""

from __future__ import annotations

import sys

from assistant.settings import SettingsError, settings


def rasa_argv(token: str, args: list[str]) -> list[str]:
    # One argument: a token may start with "-", which argparse would read as an option.
    return ["rasa", "run", "--enable-api", f"--auth-token={token}", *args]


def main() -> None:
    try:
        # Every setting checked before Rasa starts; SANIC_WORKERS > 1 needs LOCK_STORE_URL.
        token = settings().secret("rasa_token")
    except SettingsError as exc:
        sys.exit(f"error: {exc}")
    if not token:
        sys.exit("error: RASA_TOKEN is empty; the HTTP API is only enabled with a token")
    from assistant.runtime import deferred_imports, patches

    deferred_imports.install()  # before anything imports Rasa
    from rasa.__main__ import main as rasa_main

    patches.install()  # every other entry of patches.PATCHES
    sys.argv = rasa_argv(token, sys.argv[1:])
    rasa_main()


if __name__ == "__main__":
    main()
