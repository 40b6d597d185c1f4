"""Staff side of a hand-off, on Rasa's token-authenticated HTTP API (the staff
console will put a screen on the same calls).

    python -m tools.handoff list                       # conversations waiting for staff
    python -m tools.handoff reply <conversation> TEXT  # send TEXT to the patient as staff
    python -m tools.handoff resume <conversation>      # the bot answers again

RASA_URL (default http://127.0.0.1:5005) and RASA_TOKEN (or var/rasa_token)
say which server; DATABASE_URL where the hand-off requests are. A reply goes
to the channel the patient last wrote from when that channel can push
(socket.io widget, Telegram, Messenger, Twilio); over REST it is stored in
the conversation for the patient's next request.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.db import engine  # noqa: E402
from assistant.records import handoff_requests  # noqa: E402


def rasa_url() -> str:
    return os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/")


def rasa_token() -> str:
    token = os.environ.get("RASA_TOKEN", "").strip()
    if not token and (ROOT / "var" / "rasa_token").exists():
        token = (ROOT / "var" / "rasa_token").read_text().strip()
    if not token:
        raise SystemExit("error: set RASA_TOKEN (or start the assistant once with `make run` to create var/rasa_token)")
    return token


def append_events(conversation: str, events: list[dict[str, Any]], push: bool = False) -> None:
    params = {"token": rasa_token()}
    if push:  # send bot messages to the patient's latest channel, not only into the tracker
        params |= {"output_channel": "latest", "execute_side_effects": "true"}
    response = requests.post(
        f"{rasa_url()}/conversations/{conversation}/tracker/events", params=params, json=events, timeout=30
    )
    if response.status_code != 200:
        raise SystemExit(f"error: Rasa answered {response.status_code}: {response.text[:300]}")


def waiting() -> list[Any]:
    with engine().connect() as connection:
        query = select(handoff_requests).where(handoff_requests.c.status == "waiting")
        return list(connection.execute(query.order_by(handoff_requests.c.created_at)))


def reply(conversation: str, text: str) -> None:
    if not text.strip():
        raise SystemExit("error: the reply is empty")
    append_events(conversation, [{"event": "bot", "text": text, "metadata": {"from_staff": True}}], push=True)


def resume(conversation: str) -> None:
    append_events(conversation, [{"event": "resume"}])
    with engine().begin() as connection:
        connection.execute(
            update(handoff_requests)
            .where(handoff_requests.c.sender_id == conversation, handoff_requests.c.status == "waiting")
            .values(status="resumed", updated_at=datetime.now(timezone.utc))
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="conversations waiting for staff")
    reply_parser = commands.add_parser("reply", help="send a message to the patient as staff")
    reply_parser.add_argument("conversation")
    reply_parser.add_argument("text")
    resume_parser = commands.add_parser("resume", help="let the bot answer again")
    resume_parser.add_argument("conversation")
    args = parser.parse_args(argv)
    if args.command == "list":
        for row in waiting():
            print(f"{row.created_at:%Y-%m-%d %H:%M}  {row.sender_id}  ({row.channel or 'unknown channel'})")
    elif args.command == "reply":
        reply(args.conversation, args.text)
    else:
        resume(args.conversation)
    return 0


if __name__ == "__main__":
    sys.exit(main())
