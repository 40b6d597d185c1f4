"""The website app: the chat widget's files and a demo clinic page (`make run`, WEB_PORT).

One blueprint per feature: `widget` serves the script, its styles and the
socket.io client from the project's own npm install (no CDN at run time);
`demo` serves a mock clinic page with the widget embedded by one script tag.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.profile import ClinicProfile, load_profile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SOCKET_IO_CLIENT = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


@dataclass(frozen=True)
class WebsiteConfig:
    rasa_url: str  # where browsers reach the Rasa server's socket.io channel
    profile: ClinicProfile


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
    config = config or WebsiteConfig(rasa_url="http://127.0.0.1:5005", profile=load_profile())
    app = Sanic(name)
    app.blueprint(widget_blueprint())
    app.blueprint(demo_blueprint(config))
    return app
