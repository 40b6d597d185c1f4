"""Staff side of a hand-off from a terminal; the staff console's Hand-off page does the same.

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
import asyncio
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.db import engine  # noqa: E402
from assistant.records.tables import handoff_requests  # noqa: E402
from assistant.staff.config import config  # noqa: E402
from assistant.staff.rasa_client import RasaClient, RasaError  # noqa: E402


def client() -> RasaClient:
    settings = config()
    return RasaClient(settings.rasa_url, settings.rasa_token)


def waiting() -> list[Any]:
    with engine().connect() as connection:
        query = select(handoff_requests).where(handoff_requests.c.status == "waiting")
        return list(connection.execute(query.order_by(handoff_requests.c.created_at)))


def reply(conversation: str, text: str) -> None:
    asyncio.run(client().reply(conversation, text))


def resume(conversation: str) -> None:
    asyncio.run(client().resume(engine(), conversation))


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
    try:
        if args.command == "list":
            for row in waiting():
                print(f"{row.created_at:%Y-%m-%d %H:%M}  {row.sender_id}  ({row.channel or 'unknown channel'})")
        elif args.command == "reply":
            reply(args.conversation, args.text)
        else:
            resume(args.conversation)
    except RasaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
