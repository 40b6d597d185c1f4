"""The audit log: who did what to which conversation, and when. Append-only (database triggers)."""

from __future__ import annotations

import time

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from assistant.records.staff_tables import audit

ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "view_transcript",
    "reveal",
    "view_request",
    "export",
    "acknowledge",
    "request_status",
    "review",
    "note",
    "reply",
    "resume",
    "erase",
    "purge",
)


def record(
    target: Engine | Connection, actor: str, action: str, subject: str | None = None, detail: str = "", ip: str = ""
) -> None:
    """Add one entry; inside the caller's transaction when given a connection, so both land or neither."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    values = {"at": time.time(), "actor": actor, "action": action, "target": subject, "detail": detail, "ip": ip}
    if isinstance(target, Connection):
        target.execute(audit.insert().values(values))
        return
    with target.begin() as connection:
        connection.execute(audit.insert().values(values))


def page(engine: Engine, offset: int, limit: int, action: str = "") -> tuple[list, int]:
    with engine.connect() as connection:
        query = select(audit)
        count = select(func.count()).select_from(audit)
        if action:
            query, count = query.where(audit.c.action == action), count.where(audit.c.action == action)
        rows = connection.execute(query.order_by(audit.c.id.desc()).offset(offset).limit(limit)).all()
        return rows, connection.execute(count).scalar_one()
