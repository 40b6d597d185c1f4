"""Sign in and out. The sign-in form has its own CSRF token (a cookie and a form field that must
match), since there is no session yet."""

from __future__ import annotations

import secrets

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.records.db import in_thread
from assistant.staff import accounts
from assistant.staff.web import LOGIN_CSRF_COOKIE, SESSION_COOKIE, client_ip, record, render, signed_in

bp = Blueprint("auth")


def set_cookie(request: Request, page: HTTPResponse, name: str, value: str, max_age: int | None) -> None:
    config = request.app.ctx.config
    page.cookies[name] = value
    cookie = page.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    if max_age is not None:
        cookie["max-age"] = max_age
    if config.cookie_secure == "always" or (config.cookie_secure == "auto" and request.scheme == "https"):
        cookie["secure"] = True


def login_page(request: Request, status: int = 200, error: str = "", name: str = "") -> HTTPResponse:
    token = secrets.token_urlsafe(32)
    page = render(request, "login.html", status=status, error=error, name=name, login_csrf=token, next=_next(request))
    set_cookie(request, page, LOGIN_CSRF_COOKIE, token, 3600)
    return page


def _next(request: Request) -> str:
    target = (request.form.get("next") if request.form else None) or request.args.get("next", "") or "/"
    return target if target.startswith("/") and not target.startswith("//") else "/"


@bp.get("/login")
async def show_login(request: Request) -> HTTPResponse:
    if request.ctx.session is not None:
        return response.redirect("/")
    return login_page(request)


@bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    config = request.app.ctx.config
    form = request.form or {}
    if not accounts.same_token(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form.get("csrf")):
        return login_page(request, 403, "The sign-in form expired. Please try again.")
    name, password = (form.get("name") or "").strip()[:64], form.get("password") or ""
    if not name or not password:
        return login_page(request, 400, "Enter your user name and password.", name)
    result = await in_thread(
        accounts.sign_in,
        request.app.ctx.engine,
        name,
        password,
        client_ip(request),
        config.max_failures,
        config.lockout_minutes,
    )
    if result.user is None:
        await record(request, "login_failed", name, "locked" if result.locked_seconds else "bad password")
        if result.locked_seconds:
            minutes = -(-result.locked_seconds // 60)
            message = f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
            return login_page(request, 429, message, name)
        return login_page(request, 401, "Wrong user name or password.", name)
    token = await in_thread(accounts.open_session, request.app.ctx.engine, result.user)
    await record(request, "login", actor=result.user.name)
    page = response.redirect(_next(request), status=303)
    set_cookie(request, page, SESSION_COOKIE, token, None)  # a browser-session cookie; the server expires it too
    del page.cookies[LOGIN_CSRF_COOKIE]
    return page


@bp.post("/logout")
@signed_in()
async def logout(request: Request) -> HTTPResponse:
    await record(request, "logout")
    await in_thread(accounts.close_session, request.app.ctx.engine, request.ctx.session.token_hash)
    page = response.redirect("/login", status=303)
    del page.cookies[SESSION_COOKIE]
    return page
