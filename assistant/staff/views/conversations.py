"""The conversation list (filters, search, pages) and one transcript with its tags, note, review
mark, reveal (admins, audited) and erase (admins, audited)."""

from __future__ import annotations

import time

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import update
from sqlalchemy.engine import Engine

from assistant.records import erasure
from assistant.records.db import in_thread
from assistant.records.staff_tables import conversations
from assistant.staff import queries
from assistant.staff.redact import Redactor, no_redaction
from assistant.staff.web import back, client_ip, record, refuse, render, signed_in, zone

bp = Blueprint("conversations")
MAX_TAGS = 10


@bp.get("/conversations")
@signed_in()
async def list_page(request: Request) -> HTTPResponse:
    engine = request.app.ctx.engine
    filters, problems = queries.Filters.parse({key: request.args.get(key, "") for key in request.args})
    page = await in_thread(queries.list_conversations, engine, filters, zone(request))
    known_channels = await in_thread(queries.channels, engine)
    behind = request.app.ctx.indexer_behind
    return render(
        request,
        "conversations.html",
        filters=filters,
        problems=problems,
        result=page,
        channels=known_channels,
        topics=request.app.ctx.topics,
        redact=Redactor(),
        behind=behind,
    )


async def _transcript_page(request: Request, sender_id: str, reveal: bool) -> HTTPResponse:
    found = await in_thread(queries.transcript, request.app.ctx.engine, sender_id)
    if found is None:
        return refuse(request, 404, "No such conversation (it may have been erased).")
    await record(request, "reveal" if reveal else "view_transcript", sender_id)
    return render(
        request,
        "transcript.html",
        t=found,
        redact=no_redaction if reveal else found.redactor(),
        revealed=reveal,
    )


@bp.get("/conversations/<sender_id:str>")
@signed_in()
async def show(request: Request, sender_id: str) -> HTTPResponse:
    return await _transcript_page(request, sender_id, reveal=False)


@bp.post("/conversations/<sender_id:str>/reveal")
@signed_in(admin=True)
async def reveal(request: Request, sender_id: str) -> HTTPResponse:
    """The unredacted transcript, this once (a reload shows it redacted again)."""
    return await _transcript_page(request, sender_id, reveal=True)


def _update(engine: Engine, sender_id: str, values: dict) -> bool:
    with engine.begin() as connection:
        return bool(
            connection.execute(
                update(conversations).where(conversations.c.sender_id == sender_id).values(**values)
            ).rowcount
        )


@bp.post("/conversations/<sender_id:str>/review")
@signed_in()
async def review(request: Request, sender_id: str) -> HTTPResponse:
    reviewed = request.form.get("reviewed", "1") == "1"
    values = (
        {"reviewed_by": request.ctx.session.user.name, "reviewed_at": time.time()}
        if reviewed
        else {
            "reviewed_by": None,
            "reviewed_at": None,
        }
    )
    if not await in_thread(_update, request.app.ctx.engine, sender_id, values):
        return refuse(request, 404, "No such conversation (it may not be indexed yet; try again in a minute).")
    await record(request, "review", sender_id, "reviewed" if reviewed else "review mark removed")
    return back(request, f"/conversations/{sender_id}", "Marked reviewed." if reviewed else "Review mark removed.")


def clean_tags(raw: str) -> str:
    tags = []
    for tag in raw.replace(";", ",").split(","):
        tag = " ".join(tag.split())[:40]
        if tag and tag.lower() not in (existing.lower() for existing in tags):
            tags.append(tag)
    return ", ".join(tags[:MAX_TAGS])


@bp.post("/conversations/<sender_id:str>/note")
@signed_in()
async def note(request: Request, sender_id: str) -> HTTPResponse:
    text = (request.form.get("note") or "").strip()
    if len(text) > 5000:
        return refuse(request, 400, "The note is longer than 5,000 characters.")
    values = {"note": text, "tags": clean_tags(request.form.get("tags") or "")}
    if not await in_thread(_update, request.app.ctx.engine, sender_id, values):
        return refuse(request, 404, "No such conversation (it may not be indexed yet; try again in a minute).")
    await record(request, "note", sender_id, f"tags: {values['tags']}")
    return back(request, f"/conversations/{sender_id}", "Saved.")


@bp.post("/conversations/<sender_id:str>/erase")
@signed_in(admin=True)
async def erase(request: Request, sender_id: str) -> HTTPResponse:
    if request.form.get("confirm") != sender_id:
        return refuse(request, 400, "To erase, type the conversation id exactly as shown.")
    session = request.ctx.session
    deleted = await in_thread(erasure.erase, request.app.ctx.engine, sender_id, session.user.name, client_ip(request))
    return response.redirect("/conversations?notice=" + f"Conversation erased ({deleted} events).", status=303)
