"""Home: unacknowledged red flags first, then booking, change and hand-off requests, each with
what staff can do about it."""

from __future__ import annotations

from datetime import datetime, timezone

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from assistant.records.db import in_thread
from assistant.records.tables import BOOKING_STATUSES, CHANGE_STATUSES, bookings, change_requests, escalations
from assistant.staff import queries
from assistant.staff.redact import Redactor
from assistant.staff.web import back, record, refuse, render, signed_in

bp = Blueprint("home")
REQUEST_TABLES = {"booking": (bookings, BOOKING_STATUSES), "change": (change_requests, CHANGE_STATUSES)}


@bp.get("/")
@signed_in()
async def home(request: Request) -> HTTPResponse:
    engine = request.app.ctx.engine
    flagged = await in_thread(queries.open_escalations, engine)
    requests = await in_thread(queries.open_requests, engine)
    # Lists are redacted: the patient's words may hold a name or a number.
    return render(request, "home.html", escalations=flagged, requests=requests, redact=Redactor())


def _acknowledge(engine: Engine, escalation_id: int, name: str) -> str | None:
    with engine.begin() as connection:
        row = connection.execute(select(escalations).where(escalations.c.id == escalation_id)).first()
        if row is None:
            return None
        if row.acknowledged_at is None:
            connection.execute(
                update(escalations)
                .where(escalations.c.id == escalation_id, escalations.c.acknowledged_at.is_(None))
                .values(acknowledged_at=datetime.now(timezone.utc), acknowledged_by=name)
            )
        return row.sender_id


@bp.post("/escalations/<escalation_id:int>/acknowledge")
@signed_in()
async def acknowledge(request: Request, escalation_id: int) -> HTTPResponse:
    sender_id = await in_thread(_acknowledge, request.app.ctx.engine, escalation_id, request.ctx.session.user.name)
    if sender_id is None:
        return refuse(request, 404, "No such red flag.")
    await record(request, "acknowledge", sender_id, f"escalation {escalation_id}")
    return back(request, "/", "Red flag acknowledged.")


def _set_status(engine: Engine, kind: str, request_id: int, status: str) -> str | None:
    table, _ = REQUEST_TABLES[kind]
    with engine.begin() as connection:
        sender_id = connection.execute(select(table.c.sender_id).where(table.c.id == request_id)).scalar()
        if sender_id is not None:
            connection.execute(
                update(table)
                .where(table.c.id == request_id)
                .values(status=status, updated_at=datetime.now(timezone.utc))
            )
        return sender_id


@bp.post("/requests/<kind:str>/<request_id:int>/status")
@signed_in()
async def set_status(request: Request, kind: str, request_id: int) -> HTTPResponse:
    status = (request.form.get("status") or "").strip()
    if kind not in REQUEST_TABLES or status not in REQUEST_TABLES[kind][1]:
        return refuse(request, 400, "Unknown request or status.")
    sender_id = await in_thread(_set_status, request.app.ctx.engine, kind, request_id, status)
    if sender_id is None:
        return refuse(request, 404, "No such request.")
    await record(request, "request_status", sender_id, f"{kind} {request_id} -> {status}")
    return back(request, "/", f"Request marked {status}.")


def _request(engine: Engine, kind: str, request_id: int) -> object | None:
    table, _ = REQUEST_TABLES[kind]
    with engine.connect() as connection:
        return connection.execute(select(table).where(table.c.id == request_id)).first()


@bp.get("/requests/<kind:str>/<request_id:int>")
@signed_in()
async def show_request(request: Request, kind: str, request_id: int) -> HTTPResponse:
    """A booking or change request in full, contact included: staff need it to call the patient
    back (audited)."""
    if kind not in REQUEST_TABLES:
        return refuse(request, 404, "No such request.")
    row = await in_thread(_request, request.app.ctx.engine, kind, request_id)
    if row is None:
        return refuse(request, 404, "No such request.")
    await record(request, "view_request", row.sender_id, f"{kind} {request_id}")
    return render(request, "request.html", kind=kind, item=row, statuses=REQUEST_TABLES[kind][1])
