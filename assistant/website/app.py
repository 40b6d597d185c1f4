"""The website app: the chat widget's files, the patient's "delete my conversation" endpoint
and a demo clinic page (`make run`, WEB_PORT).

One blueprint per feature: `widget` serves the script, its styles and the
socket.io client from the project's own npm install (no CDN at run time);
`privacy` erases the caller's own widget conversation; `demo` serves a mock
clinic page with the widget embedded by one script tag.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from assistant.clinic.profile import ClinicProfile, load_profile
from assistant.records import attempts, erasure
from assistant.records.db import DatabaseError, connect, in_thread
from assistant.settings import settings

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SOCKET_IO_CLIENT = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


@dataclass(frozen=True)
class WebsiteConfig:
    rasa_url: str  # where browsers reach the Rasa server's socket.io channel
    profile: ClinicProfile
    database_url: str = ""  # the tracker store's, for erasure; empty: DATABASE_URL


def widget_blueprint() -> Blueprint:
    widget = Blueprint("widget")
    widget.static("/widget/widget.js", str(HERE / "static" / "widget.js"), content_type="text/javascript")
    widget.static("/widget/widget.css", str(HERE / "static" / "widget.css"), content_type="text/css")

    @widget.get("/widget/socket.io.min.js")
    async def socket_io_client(request: Request) -> HTTPResponse:
        if not SOCKET_IO_CLIENT.exists():
            return response.text("socket.io client not installed: run `make install`", status=503)
        return await response.file(SOCKET_IO_CLIENT, mime_type="text/javascript")

    return widget


ERASE_LIMIT = 10  # requests per address per minute: ids are unguessable, this only stops floods
CORS = {
    # The widget runs on the clinic's own pages, another origin than this app. No cookies are
    # involved: the conversation id in the body is the proof, as it is for the chat itself.
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}


def limited(engine: Engine, address: str) -> bool:
    """More than ERASE_LIMIT requests from `address` within a minute (then refused for a minute).
    Counted in the database, so every website process counts the same, and nothing grows in memory."""
    key, now = f"erase:{address[:200]}", time.time()
    with engine.begin() as connection:
        return bool(attempts.locked_for(connection, key, now)) or attempts.count_attempt(
            connection, key, ERASE_LIMIT + 1, 60, now
        )


def privacy_blueprint(config: WebsiteConfig) -> Blueprint:
    privacy_bp = Blueprint("privacy")
    engines: list = []

    @privacy_bp.options("/privacy/erase")
    async def preflight(request: Request) -> HTTPResponse:
        return response.empty(headers=CORS)

    @privacy_bp.post("/privacy/erase")
    async def erase(request: Request) -> HTTPResponse:
        """{"session_id": "<the widget's conversation id>"}: deletes that conversation for good."""
        address = request.remote_addr or request.ip or ""
        try:
            if not engines:
                engines.append(await in_thread(connect, config.database_url or settings().database_url))
            if await in_thread(limited, engines[0], address):
                return response.json({"error": "Too many requests; try again in a minute."}, status=429, headers=CORS)
            try:
                body = json.loads(request.body or b"")
                session_id = body.get("session_id", "") if isinstance(body, dict) else ""
            except (UnicodeDecodeError, ValueError):
                session_id = ""
            if not isinstance(session_id, str) or not session_id:
                return response.json({"error": 'Send {"session_id": "..."} as JSON.'}, status=400, headers=CORS)
            deleted = await in_thread(erasure.erase_own, engines[0], session_id, address)
        except erasure.EraseRefused as exc:
            return response.json({"error": str(exc)}, status=403, headers=CORS)
        except (DatabaseError, SQLAlchemyError) as exc:
            logger.error("erasing a conversation failed: %s", exc)
            return response.json(
                {"error": "The clinic's records cannot be reached right now."}, status=503, headers=CORS
            )
        return response.json({"erased": True, "events": deleted}, headers=CORS)

    return privacy_bp


def demo_blueprint(config: WebsiteConfig) -> Blueprint:
    demo = Blueprint("demo")
    templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))

    @demo.get("/")
    async def home(request: Request) -> HTTPResponse:
        return response.html(render_page(templates, "demo.html", config))

    @demo.get("/about")
    async def about(request: Request) -> HTTPResponse:
        return response.html(render_page(templates, "about.html", config))

    return demo


def widget_settings(config: WebsiteConfig) -> dict[str, str]:
    """The config object a clinic page passes to the widget."""
    profile = config.profile
    return {
        "serverUrl": config.rasa_url,
        "title": f"{profile.name} assistant",
        "phone": profile.phone,
        "emergencyNumber": profile.emergency_number,
    }


def render_page(templates: Environment, name: str, config: WebsiteConfig) -> str:
    settings = json.dumps(widget_settings(config)).replace("</", "<\\/")
    return templates.get_template(name).render(clinic=config.profile, widget_settings=settings)


def create_app(config: WebsiteConfig | None = None, name: str = "clinic_website") -> Sanic:
    config = config or WebsiteConfig(rasa_url=settings().public_rasa_url, profile=load_profile())
    app = Sanic(name)
    app.blueprint(widget_blueprint())
    app.blueprint(privacy_blueprint(config))
    app.blueprint(demo_blueprint(config))
    return app
