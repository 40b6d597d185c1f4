"""The staff console's routes through Sanic's test client (sanic-testing), on a fresh SQLite
database: sign-in and its limits, CSRF, roles, escaping, search, filters, transcripts,
redaction, audit, export, analytics, erasure and retention."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from assistant.records import erasure
from assistant.records.db import DatabaseError as ConsoleDatabaseError
from assistant.records.db import connect
from assistant.records.staff_tables import audit, conversations, events, sessions
from assistant.records.tables import bookings, escalations
from assistant.staff import accounts
from assistant.staff.__main__ import main as staff_cli
from tests.staff_console import (
    OLD,
    PASSWORD,
    Client,
    Console,
    fresh_postgres_database,
    make_console,
    sample_conversations,
)
from tools import services
from tools.conversations import Script

PUBLIC = {"/login", "/static"}


@pytest.fixture(scope="module", autouse=True)
def quick_password_hashes() -> Iterator[None]:
    """argon2id at its lowest cost: these tests check who may sign in, not how costly a guess is,
    and the library's defaults (about 0.2 s a hash here) made hashing most of their time."""
    from argon2 import PasswordHasher

    quick = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", quick)
        patch.setattr(accounts, "_DUMMY_HASH", quick.hash("unknown user"))
        yield


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    with services.postgres() as server:
        yield server.url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def console(request: pytest.FixtureRequest, tmp_path: Path) -> Console:
    """The console on SQLite, and again on PostgreSQL (its own full-text index and triggers)."""
    url = fresh_postgres_database(request.getfixturevalue("postgres_server")) if request.param == "postgresql" else ""
    console = make_console(tmp_path, url)
    console.ids = sample_conversations(console.engine)
    console.index()
    return console


def routes(console: Console, method: str) -> list[str]:
    """Every route of the app for a method, with sample values in its parameters."""
    found = []
    for route in console.app.router.routes:
        if method not in route.methods:
            continue
        path = "/" + route.path
        if any(path.startswith(public) for public in PUBLIC):
            continue
        samples = (("sender_id", console.ids["flag"]), ("escalation_id", "1"), ("request_id", "1"), ("handoff_id", "1"))
        for name, sample in samples:
            path = path.replace(f"<{name}:str>", sample).replace(f"<{name}:int>", sample)
        found.append(path.replace("<kind:str>", "booking").replace("<fmt:str>", "csv"))
    return sorted(found)


def audit_actions(console: Console) -> list[tuple[str, str, str | None]]:
    with console.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(audit.c.actor, audit.c.action, audit.c.target))]


# --- who may do what ------------------------------------------------------------------------


async def test_every_page_and_api_refuses_strangers(console: Console) -> None:
    client = Client(console.app)
    gets, posts = routes(console, "GET"), routes(console, "POST")
    assert "/conversations" in gets and "/api/conversations/" + console.ids["flag"] + "/turns" in gets
    assert len(gets) >= 10 and len(posts) >= 9
    for path in gets:
        response = await client.get(path)
        if path.startswith("/api/"):
            assert response.status == 401, path
        else:
            assert response.status == 302 and response.headers["location"].startswith("/login?next="), path
    for path in posts:
        response = await client.post(path, {"text": "hi", "status": "handled"}, csrf=False)
        assert response.status == 401, path
    assert not [row for row in audit_actions(console) if row[1] != "login_failed"]


async def test_every_post_needs_the_sessions_csrf_token(console: Console) -> None:
    client = Client(console.app)
    await client.login("ada")
    for path in routes(console, "POST"):
        if path == "/login":
            continue
        missing = await client.post(path, {"status": "handled", "text": "hi"}, csrf=False)
        wrong = await client.post(path, {"status": "handled", "text": "hi", "csrf": "x" * 43})
        assert missing.status == 403 and wrong.status == 403, path
    with console.engine.connect() as connection:
        assert connection.execute(select(escalations.c.acknowledged_at)).scalar() is None
        assert connection.execute(select(bookings.c.status)).scalar() == "new"
    # Another session's token is not this session's.
    other = Client(console.app)
    await other.login("sam")
    response = await client.post("/escalations/1/acknowledge", {"csrf": other.csrf})
    assert response.status == 403


async def test_sign_in_form_needs_its_own_csrf_token(console: Console) -> None:
    client = Client(console.app)
    response = await client.post("/login", {"name": "sam", "password": PASSWORD}, csrf=False)
    assert response.status == 403 and "staff_session" not in client.cookies


async def test_staff_cannot_open_admin_pages(console: Console) -> None:
    client = Client(console.app)
    await client.login("sam")
    flag = console.ids["flag"]
    for path in ("/admin/audit", "/admin/users", f"/export/conversations/{flag}/csv?reveal=1"):
        assert (await client.get(path)).status == 403, path
    assert (await client.post(f"/conversations/{flag}/reveal")).status == 403
    assert (await client.post(f"/conversations/{flag}/erase", {"confirm": flag})).status == 403
    with console.engine.connect() as connection:
        assert connection.execute(select(events.c.id).where(events.c.sender_id == flag)).first() is not None
    admin = Client(console.app)
    await admin.login("ada")
    assert (await admin.get("/admin/audit")).status == 200
    assert (await admin.get("/admin/users")).status == 200


async def test_cookie_flags_and_logout(console: Console) -> None:
    client = Client(console.app)
    await client.get("/login")
    response = await client.post("/login", {"name": "sam", "password": PASSWORD})
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("staff_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # plain http
    assert response.headers["location"] == "/"
    assert (await client.get("/")).status == 200
    token = client.cookies["staff_session"]
    await client.post("/logout")
    assert "staff_session" not in client.cookies
    stranger = Client(console.app)
    stranger.cookies["staff_session"] = token
    assert (await stranger.get("/")).status == 302  # the old cookie opens nothing


async def test_secure_cookie_behind_https(tmp_path: Path) -> None:
    always = make_console(tmp_path / "a", cookie_secure="always")
    client = Client(always.app)
    form = await client.get("/login")
    assert "Secure" in next(h for h in form.headers.get_list("set-cookie") if h.startswith("staff_login_csrf="))
    response = await client.post("/login", {"name": "sam", "password": PASSWORD})
    assert "Secure" in next(h for h in response.headers.get_list("set-cookie") if h.startswith("staff_session="))
    proxied = make_console(tmp_path / "b", proxies=1)
    client = Client(proxied.app)
    await client.get("/login", headers={"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9"})
    response = await client.post(
        "/login",
        {"name": "sam", "password": PASSWORD},
        headers={"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9"},
    )
    session_cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("staff_session="))
    assert "Secure" in session_cookie
    with proxied.engine.connect() as connection:
        assert connection.execute(select(audit.c.ip).where(audit.c.action == "login")).scalar() == "203.0.113.9"


async def test_bad_passwords_lock_the_name(console: Console) -> None:
    client = Client(console.app)
    for _ in range(console.settings.max_failures - 1):
        assert (await client.login("sam", "wrong password!!")).status == 401
    locked = await client.login("sam", "wrong password!!")  # the last allowed failure says so at once
    assert locked.status == 429 and "Too many failed sign-ins. Try again in 15 minutes." in locked.text
    # Even the right password waits until the lockout ends.
    assert (await client.login("sam", PASSWORD)).status == 429
    # A name that does not exist behaves the same (no guessing which names exist).
    for _ in range(console.settings.max_failures):
        response = await client.login("nobody", "wrong password!!")
    assert response.status == 429
    # Other names from the same address still sign in, until the address limit.
    assert (await Client(console.app).login("ada")).status == 303
    with console.engine.begin() as connection:
        connection.execute(text("UPDATE staff_login_failures SET locked_until = :t"), {"t": time.time() - 1})
    assert (await Client(console.app).login("sam")).status == 303
    assert ("sam", "login_failed", None) not in audit_actions(console)
    assert sum(1 for row in audit_actions(console) if row[1] == "login_failed") >= 11


async def test_sessions_expire_when_idle(console: Console) -> None:
    client = Client(console.app)
    await client.login("sam")
    with console.engine.begin() as connection:
        connection.execute(update(sessions).values(last_seen_at=time.time() - console.settings.idle_minutes * 60 - 5))
    assert (await client.get("/")).status == 302
    with console.engine.connect() as connection:
        assert connection.execute(select(sessions)).first() is None


def test_accounts_refuse_bad_input(console: Console) -> None:
    with pytest.raises(accounts.AccountError, match="at least 12"):
        accounts.add_user(console.engine, "bob", "short")
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.add_user(console.engine, "SAM", PASSWORD)
    with pytest.raises(accounts.AccountError, match="user name"):
        accounts.add_user(console.engine, "bad name!", PASSWORD)
    with pytest.raises(accounts.AccountError, match="role"):
        accounts.add_user(console.engine, "bob", PASSWORD, "owner")
    with console.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM staff_users WHERE name='sam'")).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


# --- what staff see -----------------------------------------------------------------------------


async def test_patient_html_is_shown_escaped(console: Console) -> None:
    client = Client(console.app)
    await client.login("sam")
    flag = console.ids["flag"]
    for path in ("/", "/conversations", f"/conversations/{flag}"):
        page = (await client.get(path)).text
        assert "<script>alert(1)</script>" not in page and "<b>help</b>" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
    assert "script-src" not in (await client.get("/")).headers["content-security-policy"]  # default-src 'self' only


async def test_home_shows_what_was_reported_in_words_with_emergencies_first(console: Console) -> None:
    created = datetime.fromtimestamp(time.time(), timezone.utc)
    with console.engine.begin() as connection:
        for severity, flags in (("urgent", '["fever"]'), ("emergency", '["crisis"]'), ("emergency", '["chest_pain"]')):
            connection.execute(
                escalations.insert().values(
                    sender_id=console.ids["flag"], severity=severity, flags=flags, message="...", created_at=created
                )
            )
    client = Client(console.app)
    await client.login("sam")
    page = (await client.get("/")).text
    crisis, chest, fever = (page.index(text) for text in ("thoughts of suicide or self-harm", "chest pain", "fever,"))
    assert max(crisis, chest) < fever
    transcript = (await client.get(f"/conversations/{console.ids['flag']}")).text
    assert "thoughts of suicide or self-harm" in transcript


async def test_home_lists_open_flags_then_requests_and_acknowledge_records_who(console: Console) -> None:
    client = Client(console.app)
    await client.login("sam")
    page = (await client.get("/")).text
    assert page.index("Red flags not yet acknowledged (1)") < page.index("Booking requests (1)")
    assert "Tuesday 1 December, morning" in page and "Waiting for staff (1)" in page
    assert "Harriet" not in page and "+15550102345" not in page  # contact only on the audited details page
    response = await client.post("/escalations/1/acknowledge", {"next": "/"})
    assert response.status == 303
    with console.engine.connect() as connection:
        row = connection.execute(select(escalations)).first()
    assert row.acknowledged_by == "sam" and row.acknowledged_at is not None
    assert "Red flags not yet acknowledged (0)" in (await client.get("/")).text
    assert ("sam", "acknowledge", console.ids["flag"]) in audit_actions(console)
    details = await client.get("/requests/booking/1")
    assert "Harriet Quill" in details.text and "+15550102345" in details.text
    assert ("sam", "view_request", console.ids["booking"]) in audit_actions(console)
    assert (await client.post("/requests/booking/1/status", {"status": "handled"})).status == 303
    assert (await client.post("/requests/booking/1/status", {"status": "deleted"})).status == 400
    assert (await client.get("/requests/booking/99")).status == 404
    assert "Booking requests (0)" in (await client.get("/")).text


async def test_transcript_shows_turns_nlu_actions_and_slots_redacted(console: Console) -> None:
    client = Client(console.app)
    await client.login("ada")
    booking = console.ids["booking"]
    page = (await client.get(f"/conversations/{booking}")).text
    assert "book_appointment 0.95" in page and "action_submit_booking" in page
    assert "Harriet" not in page and "Quill" not in page and "555-010-2345" not in page
    assert "harriet@example.org" not in page and "+15550102345" not in page
    assert "[name]" in page and "[phone]" in page and "[email]" in page and "[contact]" in page
    assert ("ada", "view_transcript", booking) in audit_actions(console)
    revealed = await client.post(f"/conversations/{booking}/reveal")
    assert "Harriet Quill" in revealed.text and "harriet@example.org" in revealed.text
    assert ("ada", "reveal", booking) in audit_actions(console)
    assert "Harriet" not in (await client.get(f"/conversations/{booking}")).text  # once only
    assert (await client.get("/conversations/nonexistent")).status == 404


async def test_tags_note_and_review(console: Console) -> None:
    client = Client(console.app)
    await client.login("sam")
    faq = console.ids["faq"]
    await client.post(f"/conversations/{faq}/note", {"tags": "follow up, Follow Up,  pricing ", "note": "Call back"})
    await client.post(f"/conversations/{faq}/review", {"reviewed": "1"})
    with console.engine.connect() as connection:
        row = connection.execute(select(conversations).where(conversations.c.sender_id == faq)).first()
    assert (row.tags, row.note, row.reviewed_by) == ("follow up, pricing", "Call back", "sam")
    console.index()  # the indexer never overwrites staff's fields
    Script(faq, time.time() - 7200).say("one more question", "greet").store(console.engine)
    console.index()
    with console.engine.connect() as connection:
        row = connection.execute(select(conversations).where(conversations.c.sender_id == faq)).first()
    assert (row.tags, row.note, row.reviewed_by, row.n_user) == ("follow up, pricing", "Call back", "sam", 3)
    assert "✓ sam" in (await client.get("/conversations")).text


async def test_list_filters_and_pages_newest_first(console: Console) -> None:
    client = Client(console.app)
    await client.login("sam")
    ids = console.ids

    async def listed(query: str) -> list[str]:
        page = (await client.get("/conversations?" + query)).text
        return [key for key, sender in ids.items() if f"/conversations/{sender}" in page]

    page = (await client.get("/conversations")).text
    order = [page.index(f"/conversations/{ids[key]}") for key in ("handoff", "fallback", "flag", "booking", "faq")]
    assert order == sorted(order)
    assert await listed("escalation=1") == ["flag"]
    assert await listed("booking=1") == ["booking"]
    assert sorted(await listed("fallback=1")) == ["fallback", "faq"]  # low confidence 0.42, and nlu_fallback
    assert await listed("channel=telegram") == ["flag"]
    assert await listed("topic=acupuncture_pain") == ["faq"]
    day = time.strftime("%Y-%m-%d", time.gmtime(OLD))
    assert len(await listed(f"since={day}&until={day}")) in (0, 5)  # all on one day, unless it crosses midnight
    assert await listed("since=2001-01-01&until=2001-01-02") == []
    assert "is not a date" in (await client.get("/conversations?since=yesterday")).text
    for n in range(30):
        Script(f"{n:032x}", OLD + 1000 + n).say("hello", "greet").store(console.engine)
    console.index()
    first = (await client.get("/conversations")).text
    assert "page 1 of 2" in first and f"/conversations/{29:032x}" in first and ids["faq"] not in first
    second = (await client.get("/conversations?page=2")).text
    assert ids["faq"] in second and (await client.get("/conversations?page=abc")).status == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("100%", ["percent"]),
        ("%", ["percent"]),
        ("_", ["underscore"]),
        ("it's", ["quote"]),
        ("'; DROP TABLE events; --", ["drop"]),
        ('"quoted" OR 1=1', []),
        ("NEAR(a b)", []),
        ("sciat", ["faq_word"]),
        ("bladder", ["flag"]),
        ("control bladder", ["flag"]),
        ("\\", ["backslash"]),
        ("zébra", []),
        ("it's my", ["quote"]),
        ("*", []),
    ],
)
async def test_search_treats_sql_and_search_syntax_as_text(console: Console, query: str, expected: list[str]) -> None:
    texts = {
        "percent": "am I 100% sure it is sciatica",
        "underscore": "my file is back_pain.pdf",
        "quote": "it's my left leg",
        "drop": "'; DROP TABLE events; -- is what my son typed",
        "faq_word": "what is sciatica",
        "backslash": "C:\\temp hurts",
    }
    ids = dict(console.ids)
    for n, (key, message) in enumerate(texts.items()):
        ids[key] = f"f{n}" * 16
        Script(ids[key], OLD + 2000 + n).say(message, "other").store(console.engine)
    console.index()
    client = Client(console.app)
    await client.login("sam")
    response = await client.get("/conversations", params={"q": query})
    assert response.status == 200
    found = sorted(key for key, sender in ids.items() if f"/conversations/{sender}" in response.text)
    if query == "sciat":  # "what causes sciatica?" matches too
        expected = ["faq", "faq_word", "percent"]
    assert found == sorted(expected), query
    with console.engine.connect() as connection:
        assert connection.execute(select(events.c.id)).first() is not None


# --- export, analytics, audit -----------------------------------------------------------------


async def test_export_one_and_filtered_redacted_and_audited(console: Console) -> None:
    client = Client(console.app)
    await client.login("sam")
    booking = console.ids["booking"]
    response = await client.get(f"/export/conversations/{booking}/csv")
    assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["speaker"] for row in rows if row["speaker"] in ("patient", "bot")] == ["patient", "patient", "bot"]
    assert "Harriet" not in response.text and "555-010-2345" not in response.text
    assert rows[0]["intent"] == "book_appointment" and rows[0]["conversation"] == booking
    data = json.loads((await client.get(f"/export/conversations/{booking}/json")).text)
    assert data[0]["conversation"] == booking and "Harriet" not in json.dumps(data)
    everything = await client.get("/export", params={"format": "json", "escalation": "1"})
    assert [item["conversation"] for item in json.loads(everything.text)] == [console.ids["flag"]]
    assert (await client.get("/export", params={"format": "xml"})).status == 400
    assert (await client.get(f"/export/conversations/{booking}/pdf")).status == 404
    exports = [row for row in audit_actions(console) if row[1] == "export"]
    assert ("sam", "export", booking) in exports and len(exports) == 3
    admin = Client(console.app)
    await admin.login("ada")
    assert "Harriet" in (await admin.get(f"/export/conversations/{booking}/csv?reveal=1")).text


async def test_csv_export_defuses_spreadsheet_formulas(console: Console) -> None:
    sender = "9" * 32
    Script(sender, OLD).say('=HYPERLINK("http://evil")', "other").store(console.engine)
    client = Client(console.app)
    await client.login("sam")
    rows = list(csv.DictReader(io.StringIO((await client.get(f"/export/conversations/{sender}/csv")).text)))
    assert rows[0]["text"].startswith("'=HYPERLINK")


async def test_analytics_counts_per_day(console: Console) -> None:
    client = Client(console.app)
    await client.login("sam")
    day = time.strftime("%Y-%m-%d", time.gmtime(OLD + 200))
    page = (await client.get("/analytics", params={"since": day, "until": day})).text
    assert "<svg" in page and "<rect" in page
    # 5 conversations, 7 patient messages, 1 not understood (nlu_fallback, then the fallback action: once).
    assert (
        f"<tr><td>{day}</td><td>5</td><td>7</td><td>14.3%</td><td>1</td><td>0</td><td>1</td><td>1</td>"
        in page.replace("\n", "").replace("  ", "")
    )
    assert "acupuncture_pain" in page
    weekly = await client.get("/analytics", params={"since": day, "until": day, "period": "week"})
    assert weekly.status == 200 and "Week of" in weekly.text
    assert "is not a date" in (await client.get("/analytics?since=31/12/2026")).text


def test_audit_log_is_append_only(console: Console) -> None:
    from assistant.records import audit as audit_log

    audit_log.record(console.engine, "sam", "login")
    with pytest.raises((IntegrityError, OperationalError, DatabaseError)), console.engine.begin() as connection:
        connection.execute(update(audit).values(actor="someone else"))
    with pytest.raises((IntegrityError, OperationalError, DatabaseError)), console.engine.begin() as connection:
        connection.execute(audit.delete())
    assert ("sam", "login", None) in audit_actions(console)


# --- erasure and retention --------------------------------------------------------------------


async def test_admin_erases_a_conversation_with_its_records(console: Console) -> None:
    client = Client(console.app)
    await client.login("ada")
    flag = console.ids["flag"]
    assert (await client.post(f"/conversations/{flag}/erase", {"confirm": "wrong"})).status == 400
    response = await client.post(f"/conversations/{flag}/erase", {"confirm": flag})
    assert response.status == 303
    with console.engine.connect() as connection:
        for table in (events, conversations, escalations):
            assert connection.execute(select(table).where(table.c.sender_id == flag)).first() is None
    assert (await client.get(f"/conversations/{flag}")).status == 404
    assert ("ada", "erase", flag) in audit_actions(console)


def test_patient_erase_is_scoped_to_website_sessions(console: Console) -> None:
    with pytest.raises(erasure.EraseRefused):
        erasure.erase_own(console.engine, console.ids["flag"])  # a Telegram conversation
    with pytest.raises(erasure.EraseRefused):
        erasure.erase_own(console.engine, "+15550102345")
    assert erasure.erase_own(console.engine, console.ids["faq"]) > 0
    with console.engine.connect() as connection:
        assert connection.execute(select(events).where(events.c.sender_id == console.ids["faq"])).first() is None
    assert ("patient", "erase", console.ids["faq"]) in audit_actions(console)


def test_retention_purge_deletes_only_old_conversations(console: Console) -> None:
    recent = "7" * 32
    Script(recent, time.time() - 3600).say("hello", "greet").store(console.engine)
    console.index()
    removed, deleted = erasure.purge(console.engine, 1)
    assert removed == 5 and deleted > 20
    with console.engine.connect() as connection:
        left = set(connection.execute(select(events.c.sender_id).distinct()).scalars())
        assert left == {recent}
        assert connection.execute(select(conversations.c.sender_id)).scalars().all() == [recent]
        for table in (escalations, bookings):
            assert connection.execute(select(table)).first() is None
    assert ("system", "purge", None) in audit_actions(console)
    with pytest.raises(ValueError):
        erasure.purge(console.engine, 0)


def test_cli_purge_and_users(console: Console, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from assistant.staff.config import config

    monkeypatch.setenv("DATABASE_URL", console.settings.database_url)
    config.cache_clear()
    monkeypatch.setenv("STAFF_PASSWORD", "another long password")
    assert staff_cli(["add-user", "Nora", "--admin"]) == 0
    assert staff_cli(["users"]) == 0
    assert "nora" in capsys.readouterr().out
    assert staff_cli(["retention", "purge", "--older-than", "1"]) == 0
    assert "deleted 5 conversations" in capsys.readouterr().out
    assert staff_cli(["retention", "purge", "--older-than", "0"]) == 2
    config.cache_clear()


def test_unreachable_database_is_named_without_its_password() -> None:
    with pytest.raises(ConsoleDatabaseError) as error:
        connect("postgresql://clinic:s3cret-pw@127.0.0.1:1/clinic")
    assert "127.0.0.1:1/clinic" in str(error.value) and "s3cret-pw" not in str(error.value)
    with pytest.raises(ConsoleDatabaseError, match="not a usable database URL"):
        connect("not a url")


async def test_widget_erase_endpoint(console: Console) -> None:
    from assistant.website.app import WebsiteConfig, create_app

    website = create_app(
        WebsiteConfig("http://127.0.0.1:5005", console.settings.profile, console.settings.database_url),
        name="website_erase_test",
    )
    client = website.asgi_client
    _, preflight = await client.options("/privacy/erase", headers={"Origin": "https://clinic.example"})
    assert preflight.status == 204 and preflight.headers["access-control-allow-methods"] == "POST, OPTIONS"
    _, response = await client.post("/privacy/erase", content=json.dumps({"session_id": console.ids["faq"]}))
    assert response.status == 200 and response.json["erased"] is True and response.json["events"] > 0
    assert response.headers["access-control-allow-origin"] == "*"
    with console.engine.connect() as connection:
        assert connection.execute(select(events).where(events.c.sender_id == console.ids["faq"])).first() is None
    _, response = await client.post("/privacy/erase", content=json.dumps({"session_id": console.ids["flag"]}))
    assert response.status == 403 and "website chat" in response.json["error"]
    for body in (b"not json", b"\xff\xfe", b"[]", json.dumps({"session_id": 5}).encode(), b""):
        _, response = await client.post("/privacy/erase", content=body)
        assert response.status == 400, body
    statuses = []
    for _ in range(12):
        _, response = await client.post("/privacy/erase", content=json.dumps({"session_id": "ab" * 16}))
        statuses.append(response.status)
    assert statuses[-1] == 429 and 200 in statuses


async def test_widget_erase_limit_is_shared_by_every_website_process(console: Console) -> None:
    """Requests spread over two website apps (two processes behind a load balancer) are counted
    together: the 11th within a minute is refused, whichever app gets it (each app counted its own)."""
    from assistant.website.app import ERASE_LIMIT, WebsiteConfig, create_app

    config = WebsiteConfig("http://127.0.0.1:5005", console.settings.profile, console.settings.database_url)
    apps = [create_app(config, name=f"website_limit_{n}").asgi_client for n in range(2)]
    with console.engine.begin() as connection:  # earlier tests' requests from the same test address
        connection.execute(text("DELETE FROM staff_login_failures WHERE key LIKE 'erase:%'"))
    statuses = []
    for number in range(ERASE_LIMIT + 2):
        _, response = await apps[number % 2].post("/privacy/erase", content=b"{}")
        statuses.append(response.status)
    assert statuses == [400] * ERASE_LIMIT + [429, 429]


async def test_widget_variants_of_answers_show_their_text(console: Console) -> None:
    from rasa.shared.core.events import BotUttered

    sender = "6" * 32
    script = Script(sender, OLD).say("I wet myself and didn't notice", "red_flag_emergency")
    script._add(BotUttered(None, {"custom": {"data": {"text": "Call 911 now.", "severity": "emergency"}}}))
    script.store(console.engine)
    client = Client(console.app)
    await client.login("sam")
    page = (await client.get(f"/conversations/{sender}")).text
    assert "<p>Call 911 now.</p>" in page


# --- hand-off through the Rasa API, and the index ------------------------------------------------


@pytest.fixture
async def rasa_stub() -> Iterator[dict]:
    """A stand-in for the Rasa server's HTTP API on loopback that records what it is sent."""
    from aiohttp import web

    received: dict = {"calls": [], "status": 200}

    async def append(request: web.Request) -> web.Response:
        received["calls"].append((request.match_info["conversation"], dict(request.query), await request.json()))
        return web.json_response({}, status=received["status"])

    app = web.Application()
    app.router.add_post("/conversations/{conversation}/tracker/events", append)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    received["url"] = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    yield received
    await runner.cleanup()


async def test_reply_and_resume_go_through_the_rasa_api(console: Console, rasa_stub: dict) -> None:
    from assistant.records.tables import handoff_requests
    from assistant.staff.rasa_client import RasaClient

    console.app.ctx.rasa = RasaClient(rasa_stub["url"], "the-token")
    client = Client(console.app)
    await client.login("sam")
    handoff = console.ids["handoff"]
    page = (await client.get(f"/conversations/{handoff}")).text
    assert "Reply to the patient" in page and 'data-live="1"' in page
    assert (await client.post(f"/conversations/{handoff}/reply", {"text": "   "})).status == 400
    response = await client.post(f"/conversations/{handoff}/reply", {"text": "Hi, Anna here."})
    assert response.status == 303
    conversation, query, body = rasa_stub["calls"][-1]
    assert conversation == handoff and query == {
        "token": "the-token",
        "output_channel": "latest",
        "execute_side_effects": "true",
    }
    assert body == [{"event": "bot", "text": "Hi, Anna here.", "metadata": {"from_staff": True}}]
    assert (await client.post(f"/conversations/{handoff}/resume")).status == 303
    assert rasa_stub["calls"][-1] == (handoff, {"token": "the-token"}, [{"event": "resume"}])
    with console.engine.connect() as connection:
        assert connection.execute(select(handoff_requests.c.status)).scalar() == "resumed"
    assert [row[1] for row in audit_actions(console) if row[2] == handoff][-2:] == ["reply", "resume"]
    rasa_stub["status"] = 500
    failed = await client.post(f"/conversations/{handoff}/reply", {"text": "Still there?"})
    assert failed.status == 502 and "Not sent" in failed.text
    console.app.ctx.rasa = RasaClient("http://127.0.0.1:1", "the-token")
    down = await client.post(f"/conversations/{handoff}/reply", {"text": "Still there?"})
    assert down.status == 502 and "cannot reach the assistant" in down.text
    assert (await client.get(f"/api/conversations/{handoff}/turns")).json["paused"] is True


def test_index_follows_new_events_records_and_erasure(console: Console) -> None:
    from assistant.staff.index import SETTLE_SECONDS, Indexer

    indexer = Indexer(console.engine)

    def summary(sender: str):
        with console.engine.connect() as connection:
            return connection.execute(select(conversations).where(conversations.c.sender_id == sender)).first()

    flag = summary(console.ids["flag"])
    assert (flag.channel, flag.severity, flag.n_user, flag.topics) == ("telegram", "emergency", 1, " red_flag ")
    assert summary(console.ids["handoff"]).paused and summary(console.ids["handoff"]).has_handoff
    assert summary(console.ids["booking"]).has_booking and summary(console.ids["faq"]).n_low == 1
    assert indexer.refresh() == 0 and indexer.behind() == 0
    # New events are indexed at once, and read again until they have settled.
    live = "5" * 32
    Script(live, time.time() - 5).say("what is sciatica", "sciatica_definition").store(console.engine)
    assert indexer.refresh() > 0 and summary(live).n_user == 1
    assert indexer.behind() > 0  # not settled yet: read again next time
    Script(live, time.time() - 3).say("thanks", "thank").store(console.engine)
    indexer.refresh()
    assert summary(live).n_user == 2 and summary(live).preview == "thanks"
    # An escalation stored after the conversation's events still marks it.
    with console.engine.begin() as connection:
        connection.execute(
            escalations.insert().values(
                sender_id=live, severity="urgent", flags="[]", message="x", created_at=datetime.now(timezone.utc)
            )
        )
    indexer.refresh()
    assert summary(live).severity == "urgent"
    # Events gone (erased elsewhere): the summary goes too.
    with console.engine.begin() as connection:
        connection.execute(events.delete().where(events.c.sender_id == live))
    indexer.reindex([live])
    assert summary(live) is None
    assert SETTLE_SECONDS >= 10


@pytest.mark.services
async def test_database_lost_mid_run_is_a_clear_503_and_service_resumes(tmp_path: Path) -> None:
    with services.postgres() as server:
        console = make_console(tmp_path, server.url)
        client = Client(console.app)
        await client.login("sam")
        assert (await client.get("/conversations")).status == 200
        server.stop()
        down = await client.get("/conversations")
        assert down.status == 503 and "database cannot be reached" in down.text
        server.start()
        assert (await client.get("/conversations")).status == 200  # same session, nothing lost


async def test_a_timed_out_hand_off_can_be_taken_off_the_list(console: Console) -> None:
    from assistant.records.tables import handoff_requests

    Script(console.ids["handoff"], OLD + 500).resume().store(console.engine)  # the pause ended by itself
    console.index()
    client = Client(console.app)
    await client.login("sam")
    page = (await client.get("/handoff")).text
    assert "bot answering again (timed out)" in page and "Take off the list" in page
    assert (await client.post("/handoff/1/close", {"next": "/handoff"})).status == 303
    assert "Nobody is waiting." in (await client.get("/handoff")).text
    with console.engine.connect() as connection:
        assert connection.execute(select(handoff_requests.c.status)).scalar() == "resumed"
    assert (await client.post("/handoff/99/close")).status == 404


def test_a_borderline_report_shows_the_safety_questions_answer() -> None:
    from types import SimpleNamespace

    from assistant.staff.web import reported

    def row(severity: str, answer: str | None) -> SimpleNamespace:
        return SimpleNamespace(severity=severity, flags='["unsure"]', screening_answer=answer)

    assert reported(row("borderline", "no")).endswith(" · safety question: answered no")
    assert reported(row("borderline", None)).endswith(" · safety question: not answered")
    assert reported(row("emergency", None)) == "unsure: possible cauda equina sign, the safety question was asked"
