"""What every page of the console shares: templates, the signed-in session, CSRF checks,
role checks, the caller's address and audit entries."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.records import audit
from assistant.records.db import in_thread
from assistant.staff.accounts import Session, same_token
from assistant.staff.queries import local_time
from assistant.triage.labels import label
from assistant.triage.severity import BORDERLINE

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "staff_session"
LOGIN_CSRF_COOKIE = "staff_login_csrf"
Handler = Callable[..., Awaitable[HTTPResponse]]


def templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = when
    environment.filters["url"] = lambda value: quote(str(value), safe="")
    environment.filters["flag_labels"] = flag_labels
    environment.filters["reported"] = reported
    return environment


def flag_labels(flags: Any) -> str:
    """An escalation's flags (a JSON list of names) as staff read them: "thoughts of suicide or self-harm"."""
    try:
        names = json.loads(flags) if isinstance(flags, str) else list(flags or [])
    except (TypeError, ValueError):
        return str(flags)
    return "; ".join(label(str(name)) for name in names)


SCREENING_ANSWERS = {"yes": "answered yes", "no": "answered no"}


def reported(escalation: Any) -> str:
    """What an escalation reported, as staff read it; for a borderline one, the safety question's answer."""
    text = flag_labels(escalation.flags)
    if escalation.severity == BORDERLINE:
        text += " · safety question: " + SCREENING_ANSWERS.get(escalation.screening_answer, "not answered")
    return text


def zone(request: Request) -> tzinfo:
    return request.app.ctx.config.profile.zone() or timezone.utc


def when(value: Any, zone: tzinfo = timezone.utc) -> str:
    """A time as staff read it: seconds since 1970 or a datetime, in the clinic's time zone."""
    if value is None or value == "":
        return ""
    if not isinstance(value, int | float | datetime):
        return str(value)
    return local_time(value, zone).strftime("%Y-%m-%d %H:%M")


def client_ip(request: Request) -> str:
    # request.ip is the socket peer; with STAFF_PROXIES > 0 Sanic's remote_addr is the forwarded client.
    return (request.remote_addr or request.ip or "")[:64]


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTTPResponse:
    session: Session | None = request.ctx.session
    page = request.app.ctx.templates.get_template(template).render(
        session=session,
        csrf=session.csrf if session else "",
        clinic=request.app.ctx.config.profile,
        zone=zone(request),
        notice=request.args.get("notice", "")[:200],
        path=request.path,
        **values,
    )
    return response.html(page, status=status)


def wants_json(request: Request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def refuse(request: Request, status: int, message: str) -> HTTPResponse:
    if wants_json(request):
        return response.json({"error": message}, status=status)
    return render(request, "error.html", status=status, message=message)


def signed_in(admin: bool = False) -> Callable[[Handler], Handler]:
    """Pages for signed-in staff (admin=True: admins only); POSTs must carry the session's CSRF token."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            session: Session | None = request.ctx.session
            if session is None:
                if request.method == "GET" and not wants_json(request):
                    return response.redirect(f"/login?next={quote(request.path, safe='/')}")
                return refuse(request, 401, "Please sign in.")
            if request.method not in ("GET", "HEAD"):
                given = request.headers.get("x-csrf-token") or (request.form.get("csrf") if request.form else None)
                if not same_token(session.csrf, given):
                    return refuse(request, 403, "This form has expired. Go back, reload the page and try again.")
            if admin and not session.user.is_admin:
                return refuse(request, 403, "This page is for administrators.")
            return await handler(request, *args, **kwargs)

        return wrapper

    return decorate


async def record(request: Request, action: str, subject: str | None = None, detail: str = "", actor: str = "") -> None:
    """An audit entry by the signed-in user (or the given actor), with the caller's address."""
    session: Session | None = request.ctx.session
    actor = actor or (session.user.name if session else "anonymous")
    await in_thread(audit.record, request.app.ctx.engine, actor, action, subject, detail, client_ip(request))


def back(request: Request, default: str, notice: str = "") -> HTTPResponse:
    """Redirect after a POST to a local page (never to another site)."""
    target = request.form.get("next", "") if request.form else ""
    if not target.startswith("/") or target.startswith("//"):
        target = default
    if notice:
        target += ("&" if "?" in target else "?") + "notice=" + quote(notice)
    return response.redirect(target, status=303)
