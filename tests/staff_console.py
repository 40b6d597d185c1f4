"""Shared pieces of the staff console tests: a console on a fresh SQLite database with one staff
and one admin account, a signed-in client that keeps its cookie and CSRF token, and sample
conversations stored the way Rasa stores them."""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sanic import Sanic
from sqlalchemy.engine import Engine

from assistant.records.db import connect
from assistant.records.tables import bookings, escalations, handoff_requests
from assistant.staff import accounts
from assistant.staff.app import create_app
from assistant.staff.config import StaffConfig, config
from assistant.staff.index import Indexer
from tools.conversations import Script

PASSWORD = "a long test password"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
# Noon (UTC) three days ago: long settled for the index, older than a one-day retention, and the
# conversations made from it fall on one day in any clinic time zone within 11 hours of UTC (tests
# count them per day; "now minus three days" split them when the suite ran just after midnight).
OLD = float((int(time.time()) // 86400 - 3) * 86400 + 12 * 3600)


@dataclass
class Console:
    app: Sanic
    engine: Engine
    settings: StaffConfig

    def index(self) -> None:
        Indexer(self.engine, self.settings.low_confidence).refresh()


def make_console(tmp_path: Path, database_url: str = "", **overrides: Any) -> Console:
    """On SQLite in tmp_path, or on the (empty) database at database_url."""
    config.cache_clear()
    tmp_path.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{tmp_path / 'rasa.db'}"
    settings = dataclasses.replace(config(), database_url=database_url, **overrides)
    engine = connect(settings.database_url)
    accounts.add_user(engine, "sam", PASSWORD, "staff")
    accounts.add_user(engine, "ada", PASSWORD, "admin")
    app = create_app(settings, engine, name=f"staff_{tmp_path.name}"[:60], background=False)
    return Console(app, engine, settings)


def fresh_postgres_database(server_url: str) -> str:
    """A new empty database on a running PostgreSQL server; its URL."""
    import uuid

    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    name = "t" + uuid.uuid4().hex[:12]
    connection = psycopg2.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, dbname=url.database
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    connection.close()
    return url.set(database=name).render_as_string(hide_password=False)


class Client:
    """One browser: its cookies, and the CSRF token of the page it last loaded."""

    def __init__(self, app: Sanic) -> None:
        self.app = app
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        kwargs.setdefault("follow_redirects", False)
        self.app.asgi_client.cookies.clear()  # the test client is shared: each Client brings its own cookies
        _, response = await getattr(self.app.asgi_client, method)(path, cookies=self.cookies, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0].strip('"')
            if "Max-Age=0" in header or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        found = CSRF_FIELD.search(response.text or "")
        if found:
            self.csrf = found.group(1)
        return response

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("get", path, **kwargs)

    async def post(self, path: str, data: dict[str, str] | None = None, csrf: bool = True, **kwargs: Any) -> Any:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf", self.csrf)
        return await self.request("post", path, data=form, **kwargs)

    async def login(self, name: str, password: str = PASSWORD) -> Any:
        await self.get("/login")
        response = await self.post("/login", {"name": name, "password": password})
        if response.status == 303:
            await self.get("/")  # a page with the session's CSRF token
        return response


def sample_conversations(engine: Engine) -> dict[str, str]:
    """A handful of conversations covering what the pages show; name -> conversation id."""
    ids = {}
    ids["faq"] = "a1" * 16
    Script(ids["faq"], OLD).say("what causes sciatica?", "sciatica_causes", 0.97).answer(
        "Usually pressure on the nerve."
    ).say("does acupuncture hurt", "acupuncture_pain", 0.42).answer("Most people feel little.").store(engine)

    ids["booking"] = "b2" * 16
    (
        Script(ids["booking"], OLD + 100)
        .say("I'd like to book", "book_appointment")
        .slot("patient_name", "Harriet Quill")
        .say("my number is 555-010-2345, email harriet@example.org", "inform")
        .slot("patient_contact", "+15550102345")
        .answer("Thanks Harriet Quill, we will call +15550102345.")
        .act("action_submit_booking")
        .store(engine)
    )
    ids["flag"] = "c3" * 16
    Script(ids["flag"], OLD + 200, channel="telegram").say(
        "I can't control my bladder <script>alert(1)</script> <b>help</b>", "red_flag"
    ).answer("Call 911 now.", "action_escalate_red_flag").store(engine)
    ids["fallback"] = "d4" * 16
    Script(ids["fallback"], OLD + 300).say("blorp zzz", "nlu_fallback", 0.1).answer(
        "Sorry, I didn't get that.", "action_default_fallback"
    ).store(engine)
    ids["handoff"] = "e5" * 16
    Script(ids["handoff"], OLD + 400).say("can I talk to a person", "human_handoff").answer(
        "I'll ask a colleague.", "action_handoff_to_staff"
    ).pause().store(engine)

    created = datetime.fromtimestamp(OLD + 200, timezone.utc)
    with engine.begin() as connection:
        connection.execute(
            escalations.insert().values(
                sender_id=ids["flag"],
                severity="emergency",
                flags='["cauda_equina"]',
                message="I can't control my bladder <script>alert(1)</script> <b>help</b>",
                created_at=created,
            )
        )
        connection.execute(
            bookings.insert().values(
                sender_id=ids["booking"],
                patient_name="Harriet Quill",
                contact="+15550102345",
                contact_kind="phone",
                preferred="2026-12-01/09:00/12:00",
                preferred_text="Tuesday 1 December, morning",
                patient_type="new",
                reason="",
                red_flag=None,
                status="new",
                created_at=created,
                updated_at=created,
            )
        )
        connection.execute(
            handoff_requests.insert().values(
                sender_id=ids["handoff"], channel="socketio", status="waiting", created_at=created, updated_at=created
            )
        )
    return ids
