"""Live hand-off: conversations waiting for staff, a reply box that reaches the patient's channel
(the website widget shows it at once) and a button that lets the bot answer again."""

from __future__ import annotations

from datetime import datetime, timezone

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from assistant.records.db import in_thread
from assistant.records.tables import handoff_requests
from assistant.staff import queries
from assistant.staff.rasa_client import RasaError
from assistant.staff.redact import Redactor
from assistant.staff.web import back, record, refuse, render, signed_in

bp = Blueprint("handoff")


@bp.get("/handoff")
@signed_in()
async def waiting(request: Request) -> HTTPResponse:
    requests = await in_thread(queries.open_requests, request.app.ctx.engine)
    return render(request, "handoff.html", handoffs=requests["handoffs"], redact=Redactor())


@bp.post("/conversations/<sender_id:str>/reply")
@signed_in()
async def reply(request: Request, sender_id: str) -> HTTPResponse:
    text = request.form.get("text") or ""
    try:
        await request.app.ctx.rasa.reply(sender_id, text)
    except RasaError as exc:
        return refuse(request, 502 if "reach" in str(exc) or "refused" in str(exc) else 400, f"Not sent: {exc}.")
    await record(request, "reply", sender_id, f"{len(text.strip())} characters")
    return back(request, f"/conversations/{sender_id}", "Reply sent.")


@bp.post("/conversations/<sender_id:str>/resume")
@signed_in()
async def resume(request: Request, sender_id: str) -> HTTPResponse:
    try:
        await request.app.ctx.rasa.resume(request.app.ctx.engine, sender_id)
    except RasaError as exc:
        return refuse(request, 502, f"Not resumed: {exc}.")
    await in_thread(request.app.ctx.indexer.reindex, [sender_id])
    await record(request, "resume", sender_id)
    return back(request, f"/conversations/{sender_id}", "The assistant answers this patient again.")


def _close(engine: Engine, handoff_id: int) -> str | None:
    with engine.begin() as connection:
        sender_id = connection.execute(
            select(handoff_requests.c.sender_id).where(handoff_requests.c.id == handoff_id)
        ).scalar()
        if sender_id is not None:
            connection.execute(
                update(handoff_requests)
                .where(handoff_requests.c.id == handoff_id)
                .values(status="resumed", updated_at=datetime.now(timezone.utc))
            )
        return sender_id


@bp.post("/handoff/<handoff_id:int>/close")
@signed_in()
async def close(request: Request, handoff_id: int) -> HTTPResponse:
    """Take a request off the list when the pause already ended by itself (HANDOFF_TIMEOUT_MINUTES)."""
    sender_id = await in_thread(_close, request.app.ctx.engine, handoff_id)
    if sender_id is None:
        return refuse(request, 404, "No such hand-off request.")
    await record(request, "request_status", sender_id, f"handoff {handoff_id} -> resumed")
    return back(request, "/handoff", "Taken off the list.")


@bp.get("/api/conversations/<sender_id:str>/turns")
@signed_in()
async def turns(request: Request, sender_id: str) -> HTTPResponse:
    """How many turns a conversation has: the transcript page reloads itself when it grows."""
    found = await in_thread(queries.transcript, request.app.ctx.engine, sender_id)
    if found is None:
        return response.json({"error": "no such conversation"}, status=404)
    paused = bool(found.summary.paused) if found.summary is not None else False
    return response.json({"turns": len(found.turns), "paused": paused})
