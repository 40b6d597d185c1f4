"""The staff console and its administration commands.

    python -m assistant.staff serve                         # the console on STAFF_HOST:STAFF_PORT
    python -m assistant.staff add-user NAME [--admin]       # password asked twice, never echoed
    python -m assistant.staff set-password NAME
    python -m assistant.staff users
    python -m assistant.staff retention purge --older-than DAYS
    python -m assistant.staff index                         # bring the conversation summaries up to date

DATABASE_URL says which database (the tracker store's).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from assistant.records import erasure
from assistant.records.db import DatabaseError, connect
from assistant.settings import SettingsError
from assistant.staff import accounts
from assistant.staff.config import config
from assistant.staff.index import Indexer


def ask_password() -> str:
    password = os.environ.get("STAFF_PASSWORD")  # for provisioning scripts; never on the command line
    if password is not None:
        return password
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (12 characters or more): ")
    if first != getpass.getpass("Same password again: "):
        raise accounts.AccountError("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.staff", description="The clinic's staff console.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the console (STAFF_HOST, STAFF_PORT)")
    add = commands.add_parser("add-user", help="create a staff account; the password is asked for")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="may reveal, erase and read the audit log")
    password = commands.add_parser("set-password", help="give an account a new password (ends its sessions)")
    password.add_argument("name")
    commands.add_parser("users", help="list the accounts")
    retention = commands.add_parser("retention", help="delete old conversations")
    retention_commands = retention.add_subparsers(dest="retention_command", required=True)
    purge = retention_commands.add_parser("purge", help="delete conversations older than DAYS, with their records")
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    commands.add_parser("index", help="bring the conversation summaries up to date now")
    args = parser.parse_args(argv)
    try:
        settings = config()
        engine = connect(settings.database_url)
        if args.command == "serve":
            from assistant.staff.app import create_app

            create_app(settings, engine).run(host=settings.host, port=settings.port, access_log=False)
        elif args.command == "add-user":
            user = accounts.add_user(engine, args.name, ask_password(), "admin" if args.admin else "staff")
            print(f"added {user.name} ({user.role})")
        elif args.command == "set-password":
            accounts.set_password(engine, args.name, ask_password())
            print(f"password changed for {args.name}; their sessions were ended")
        elif args.command == "users":
            for row in accounts.list_users(engine):
                print(f"{row.name:<24} {row.role}")
        elif args.command == "retention":
            if args.older_than < 1:
                raise accounts.AccountError("--older-than needs a number of days, 1 or more")
            conversations, events = erasure.purge(engine, args.older_than, "cli")
            print(f"deleted {conversations} conversations ({events} events) older than {args.older_than} days")
        elif args.command == "index":
            read = Indexer(engine, settings.low_confidence).refresh()
            print(f"read {read} events")
    except (SettingsError, DatabaseError, accounts.AccountError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
