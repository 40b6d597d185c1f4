"""Administrators' pages: the audit log and the staff accounts (accounts are added with
`python -m assistant.staff add-user NAME`)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.records import audit
from assistant.records.db import in_thread
from assistant.staff import accounts
from assistant.staff.web import render, signed_in

bp = Blueprint("admin")
PAGE = 50


@bp.get("/admin/audit")
@signed_in(admin=True)
async def audit_log(request: Request) -> HTTPResponse:
    raw_page = request.args.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
    action = request.args.get("action", "")
    action = action if action in audit.ACTIONS else ""
    rows, total = await in_thread(audit.page, request.app.ctx.engine, (page - 1) * PAGE, PAGE, action)
    return render(
        request,
        "audit.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        action=action,
        actions=audit.ACTIONS,
    )


@bp.get("/admin/users")
@signed_in(admin=True)
async def users(request: Request) -> HTTPResponse:
    return render(request, "users.html", users=await in_thread(accounts.list_users, request.app.ctx.engine))
