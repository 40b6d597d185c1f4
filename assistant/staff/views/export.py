"""Export one conversation, or every conversation a list filter matches, as CSV or JSON —
redacted like the screens (an admin may export one conversation unredacted). Audited."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from assistant.records.db import in_thread
from assistant.staff import queries
from assistant.staff.redact import no_redaction
from assistant.staff.web import record, refuse, signed_in, zone

bp = Blueprint("export")
FORMATS = ("csv", "json")
MAX_CONVERSATIONS = 5000  # per export; narrow the filter (dates) for more
CSV_COLUMNS = ("conversation", "time_utc", "channel", "speaker", "text", "intent", "confidence", "detail")
# Cells starting with these run as formulas in spreadsheet programs: prefixed with a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _rows(found: queries.Transcript, reveal: bool) -> list[dict[str, Any]]:
    redact = no_redaction if reveal else found.redactor()
    return [
        {
            "conversation": found.sender_id,
            "time_utc": datetime.fromtimestamp(turn.at, timezone.utc).isoformat(timespec="seconds"),
            "channel": turn.channel,
            "speaker": turn.kind,
            "text": redact(turn.text),
            "intent": turn.intent,
            "confidence": round(turn.confidence, 4) if turn.confidence is not None else None,
            "detail": redact(turn.detail),
        }
        for turn in found.turns
        if turn.kind in ("patient", "bot", "staff", "action", "slot", "pause", "resume")
    ]


def _collect(engine: Engine, sender_ids: list[str], reveal: bool) -> list[tuple[str, list[dict[str, Any]]]]:
    collected = []
    for sender_id in sender_ids:
        found = queries.transcript(engine, sender_id)
        if found is not None:
            collected.append((sender_id, _rows(found, reveal)))
    return collected


def _safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _download(collected: list[tuple[str, list[dict[str, Any]]]], fmt: str, name: str) -> HTTPResponse:
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "json":
        body = json.dumps([{"conversation": sender, "turns": rows} for sender, rows in collected], ensure_ascii=False)
        return response.text(body, headers=headers, content_type="application/json; charset=utf-8")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for _, rows in collected:
        writer.writerows({key: _safe_cell(value) for key, value in row.items()} for row in rows)
    return response.text(buffer.getvalue(), headers=headers, content_type="text/csv; charset=utf-8")


@bp.get("/export/conversations/<sender_id:str>/<fmt:str>")
@signed_in()
async def one(request: Request, sender_id: str, fmt: str) -> HTTPResponse:
    if fmt not in FORMATS:
        return refuse(request, 404, "Export as .csv or .json.")
    reveal = request.args.get("reveal") == "1"
    if reveal and not request.ctx.session.user.is_admin:
        return refuse(request, 403, "Only administrators can export without redaction.")
    collected = await in_thread(_collect, request.app.ctx.engine, [sender_id], reveal)
    if not collected:
        return refuse(request, 404, "No such conversation.")
    await record(request, "export", sender_id, f"{fmt}{', unredacted' if reveal else ''}")
    return _download(collected, fmt, f"conversation-{sender_id[:40]}")


@bp.get("/export")
@signed_in()
async def filtered(request: Request) -> HTTPResponse:
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        return refuse(request, 400, "Export as csv or json.")
    filters, problems = queries.Filters.parse({key: request.args.get(key, "") for key in request.args})
    if problems:
        return refuse(request, 400, " ".join(problems))
    engine = request.app.ctx.engine
    sender_ids = await in_thread(queries.matching_senders, engine, filters, zone(request), MAX_CONVERSATIONS)
    if len(sender_ids) > MAX_CONVERSATIONS:
        return refuse(
            request, 400, f"More than {MAX_CONVERSATIONS:,} conversations match; narrow the dates and export in parts."
        )
    collected = await in_thread(_collect, engine, sender_ids, False)
    await record(request, "export", None, f"{fmt}, {len(collected)} conversations, filter: {filters.query_string()}")
    return _download(collected, fmt, "conversations")
