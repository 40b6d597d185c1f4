"""The staff console: a Sanic app built by create_app(), one blueprint per feature."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import yaml
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from assistant.records import erasure
from assistant.records.db import connect, in_thread
from assistant.staff import accounts
from assistant.staff.config import ROOT, StaffConfig, config
from assistant.staff.index import Indexer
from assistant.staff.rasa_client import RasaClient
from assistant.staff.views import admin, analytics, auth, conversations, export, handoff, home
from assistant.staff.web import SESSION_COOKIE, refuse, templates

logger = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
INDEX_EVERY_SECONDS = 5.0
PURGE_EVERY_SECONDS = 24 * 3600
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # pages hold health information: not kept in browser caches
}


def domain_topics(path: Path = ROOT / "domain.yml") -> list[str]:
    """What the topic filter offers: the assistant's intents."""
    try:
        intents = yaml.safe_load(path.read_text()).get("intents", [])
    except (OSError, yaml.YAMLError):
        return []
    names = [next(iter(item)) if isinstance(item, dict) else str(item) for item in intents]
    return sorted(name for name in names if name != "nlu_fallback")


def create_app(
    settings: StaffConfig | None = None,
    engine: Engine | None = None,
    name: str = "clinic_staff",
    background: bool = True,
) -> Sanic:
    """background=False leaves out indexing and retention on a timer (route tests call them directly)."""
    settings = settings or config()
    engine = engine or connect(settings.database_url)
    app = Sanic(name)
    app.config.PROXIES_COUNT = settings.proxies
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.ctx.config = settings
    app.ctx.engine = engine
    app.ctx.templates = templates()
    app.ctx.indexer = Indexer(engine, settings.low_confidence)
    app.ctx.indexer_behind = 0
    app.ctx.rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    app.ctx.topics = domain_topics()
    app.static("/static", str(HERE / "static"))
    for blueprint in (auth.bp, home.bp, conversations.bp, handoff.bp, analytics.bp, export.bp, admin.bp):
        app.blueprint(blueprint)

    @app.on_request
    async def load_session(request: Request) -> None:
        token = "" if request.path.startswith("/static/") else request.cookies.get(SESSION_COOKIE, "")
        request.ctx.session = (
            await in_thread(
                accounts.find_session, engine, token, settings.idle_minutes * 60, settings.session_hours * 3600
            )
            if token
            else None
        )

    @app.on_response
    async def security_headers(request: Request, response: HTTPResponse) -> None:
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)

    @app.exception(SQLAlchemyError)
    async def database_down(request: Request, exc: Exception) -> HTTPResponse:
        logger.error("database error on %s: %s", request.path, exc)
        if not hasattr(request.ctx, "session"):
            request.ctx.session = None
        return refuse(request, 503, "The database cannot be reached right now. Try again in a minute.")

    if background:

        @app.after_server_start
        async def start_background(app: Sanic, _loop: object) -> None:
            app.ctx.tasks = [asyncio.create_task(keep_indexed(app))]
            if settings.retention_days:
                app.ctx.tasks.append(asyncio.create_task(purge_daily(app)))

        @app.before_server_stop
        async def stop_background(app: Sanic, _loop: object) -> None:
            for task in app.ctx.tasks:
                task.cancel()

    return app


async def keep_indexed(app: Sanic) -> None:
    """Summaries follow the conversations within seconds; a backlog is read in steps."""
    indexer: Indexer = app.ctx.indexer
    while True:
        try:
            await in_thread(indexer.refresh, 20)
            app.ctx.indexer_behind = await in_thread(indexer.behind)
        except SQLAlchemyError as exc:
            logger.warning("indexing conversations failed (will retry): %s", exc)
        await asyncio.sleep(INDEX_EVERY_SECONDS)


async def purge_daily(app: Sanic) -> None:
    days = app.ctx.config.retention_days
    while True:
        try:
            started = time.monotonic()
            removed, events = await in_thread(erasure.purge, app.ctx.engine, days)
            logger.info(
                "retention: %d conversations (%d events) older than %d days deleted in %.1f s",
                removed,
                events,
                days,
                time.monotonic() - started,
            )
        except SQLAlchemyError as exc:
            logger.warning("retention purge failed (will retry tomorrow): %s", exc)
        await asyncio.sleep(PURGE_EVERY_SECONDS)
