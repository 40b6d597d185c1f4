"""What the console's pages read: conversation lists with filters and search, one transcript,
the home page's queues, and the analytics figures."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import and_, func, literal_column, or_, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from assistant.records.staff_tables import conversations, events
from assistant.records.tables import bookings, change_requests, escalations, handoff_requests
from assistant.staff.redact import CONTACT_SLOTS, NAME_SLOTS, Redactor
from assistant.triage.severity import rank

PAGE_SIZE = 25
WORD = re.compile(r"[^\W_]+")
MAX_QUERY_WORDS = 8


@dataclass(frozen=True)
class Filters:
    """What the conversation list and the export are narrowed by; every field optional."""

    since: date | None = None
    until: date | None = None
    channel: str = ""
    escalation: bool = False
    booking: bool = False
    fallback: bool = False
    topic: str = ""
    query: str = ""
    page: int = 1

    @classmethod
    def parse(cls, args: dict[str, str]) -> tuple[Filters, list[str]]:
        """From query-string values; problems are returned as messages, never raised."""
        problems = []

        def day(name: str) -> date | None:
            raw = args.get(name, "").strip()
            if not raw:
                return None
            try:
                return date.fromisoformat(raw)
            except ValueError:
                problems.append(f"'{raw}' is not a date (YYYY-MM-DD); that filter was left out.")
                return None

        raw_page = args.get("page", "1").strip()
        page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 1_000_000 else 1
        return (
            cls(
                since=day("since"),
                until=day("until"),
                channel=args.get("channel", "").strip()[:64],
                escalation=args.get("escalation") == "1",
                booking=args.get("booking") == "1",
                fallback=args.get("fallback") == "1",
                topic=args.get("topic", "").strip()[:255],
                query=args.get("q", "").strip()[:200],
                page=page,
            ),
            problems,
        )

    def query_string(self, **changes: Any) -> str:
        values = {
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "channel": self.channel,
            "escalation": "1" if self.escalation else "",
            "booking": "1" if self.booking else "",
            "fallback": "1" if self.fallback else "",
            "topic": self.topic,
            "q": self.query,
            "page": str(self.page),
        }
        values.update({key: str(value) for key, value in changes.items()})
        return urlencode({key: value for key, value in values.items() if value and value != "0"})


def local_time(moment: float | datetime, zone: tzinfo) -> datetime:
    """Seconds since 1970 (the console's tables) or a datetime (the clinic's records; naive ones
    are UTC, as SQLite returns them) in the clinic's time zone."""
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(zone)
    return datetime.fromtimestamp(moment, zone)


def _start_of(day: date, zone: tzinfo) -> float:
    return datetime.combine(day, datetime.min.time(), zone).timestamp()


def search_clause(connection: Connection, query: str) -> ColumnElement[bool]:
    """Conversations whose patient messages contain every word of the query (a word may be the
    start of a longer one). Words are passed as bound values, so quotes, %, _ and the full-text
    engines' own operators are just text."""
    # Each space-separated part is a phrase of its words ("it's" -> it s), the last a word start;
    # all parts must match. Words are letters and digits only, so no operator of either engine.
    phrases = [words for part in query.lower().split() if (words := WORD.findall(part))][:MAX_QUERY_WORDS]
    if not phrases:  # only punctuation: a plain substring search
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return conversations.c.search_text.ilike(f"%{escaped}%", escape="\\")
    dialect = connection.dialect.name
    if dialect == "sqlite":
        match = " ".join('"' + " ".join(words) + '"*' for words in phrases)
        matching = text("SELECT rowid FROM staff_search WHERE staff_search MATCH :match").bindparams(match=match)
        return conversations.c.id.in_(matching.columns(literal_column("rowid")))
    if dialect == "postgresql":
        tsquery = " & ".join("(" + " <-> ".join(words) + ":*)" for words in phrases)
        return func.to_tsvector(literal_column("'simple'"), conversations.c.search_text).op("@@")(
            func.to_tsquery(literal_column("'simple'"), tsquery)
        )
    words = [word for words in phrases for word in words]
    return and_(*(conversations.c.search_text.ilike(f"%{word}%") for word in words))


def conditions(connection: Connection, filters: Filters, zone: tzinfo) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.since:
        where.append(conversations.c.last_at >= _start_of(filters.since, zone))
    if filters.until:
        where.append(conversations.c.last_at < _start_of(filters.until + timedelta(days=1), zone))
    if filters.channel:
        where.append(conversations.c.channel == filters.channel)
    if filters.escalation:
        where.append(conversations.c.severity.is_not(None))
    if filters.booking:
        where.append(conversations.c.has_booking.is_(True))
    if filters.fallback:
        where.append(or_(conversations.c.n_fallback > 0, conversations.c.n_low > 0))
    if filters.topic:
        where.append(conversations.c.topics.contains(f" {filters.topic} ", autoescape=True))
    if filters.query:
        where.append(search_clause(connection, filters.query))
    return where


@dataclass
class ConversationPage:
    rows: list[Any]
    total: int
    page: int
    pages: int


def list_conversations(engine: Engine, filters: Filters, zone: tzinfo, page_size: int = PAGE_SIZE) -> ConversationPage:
    with engine.connect() as connection:
        where = conditions(connection, filters, zone)
        total = connection.execute(select(func.count()).select_from(conversations).where(*where)).scalar_one()
        pages = max(1, -(-total // page_size))
        page = min(filters.page, pages)
        rows = connection.execute(
            select(conversations)
            .where(*where)
            .order_by(conversations.c.last_at.desc(), conversations.c.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
    return ConversationPage(rows, total, page, pages)


def matching_senders(engine: Engine, filters: Filters, zone: tzinfo, limit: int) -> list[str]:
    """The conversations a filtered export covers, newest first; at most limit + 1 (to tell "too many")."""
    with engine.connect() as connection:
        where = conditions(connection, filters, zone)
        query = select(conversations.c.sender_id).where(*where).order_by(conversations.c.last_at.desc())
        return list(connection.execute(query.limit(limit + 1)).scalars())


def channels(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        query = select(conversations.c.channel).where(conversations.c.channel.is_not(None)).distinct()
        return sorted(connection.execute(query).scalars())


# --- one conversation -------------------------------------------------------------------------


@dataclass
class Turn:
    kind: str  # patient | bot | staff | action | slot | session | pause | resume
    at: float
    text: str = ""
    channel: str = ""
    intent: str = ""
    confidence: float | None = None
    detail: str = ""
    buttons: list[str] = field(default_factory=list)


@dataclass
class Transcript:
    sender_id: str
    turns: list[Turn]
    slots: dict[str, Any]
    summary: Any  # the staff_conversations row, or None while not indexed yet
    escalations: list[Any]
    bookings: list[Any]
    change_requests: list[Any]
    handoffs: list[Any]
    names: list[str]
    contacts: list[str]

    def redactor(self) -> Redactor:
        return Redactor(self.names, self.contacts)


SHOWN_ACTIONS_SKIP = frozenset({"action_listen", "action_session_start"})


def load_events(connection: Connection, sender_id: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(events.c.data).where(events.c.sender_id == sender_id).order_by(events.c.id)
    ).scalars()
    return [json.loads(data) for data in rows if data]


def transcript(engine: Engine, sender_id: str) -> Transcript | None:
    with engine.connect() as connection:
        raw = load_events(connection, sender_id)
        summary = connection.execute(select(conversations).where(conversations.c.sender_id == sender_id)).first()
        records = {
            table.name: connection.execute(
                select(table).where(table.c.sender_id == sender_id).order_by(table.c.id)
            ).all()
            for table in (escalations, bookings, change_requests, handoff_requests)
        }
    if not raw and summary is None:
        return None
    turns: list[Turn] = []
    slots: dict[str, Any] = {}
    names: set[str] = set()
    contacts: set[str] = set()
    for event in raw:
        kind, at = event.get("event"), event.get("timestamp") or 0.0
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            turns.append(
                Turn(
                    "patient",
                    at,
                    event.get("text") or "",
                    event.get("input_channel") or "",
                    intent.get("name") or "",
                    intent.get("confidence"),
                )
            )
        elif kind == "bot":
            metadata = event.get("metadata") or {}
            data = event.get("data") or {}
            buttons = [button.get("title", "") for button in data.get("buttons") or []]
            # The website widget's variants carry their text in a custom payload (with a severity).
            custom = data.get("custom") or {}
            said = event.get("text") or (custom.get("data") or {}).get("text") or custom.get("text") or ""
            turns.append(Turn("staff" if metadata.get("from_staff") else "bot", at, said, buttons=buttons))
        elif kind == "action" and event.get("name") not in SHOWN_ACTIONS_SKIP:
            turns.append(Turn("action", at, detail=event.get("name") or ""))
        elif kind == "slot":
            name, value = event.get("name"), event.get("value")
            slots[name] = value
            if value and name in NAME_SLOTS:
                names.add(str(value))
            if value and name in CONTACT_SLOTS:
                contacts.add(str(value))
            if name not in ("requested_slot",) and value is not None:
                turns.append(Turn("slot", at, detail=f"{name} = {value}"))
        elif kind == "session_started":
            turns.append(Turn("session", at))
        elif kind in ("pause", "resume"):
            turns.append(Turn(kind, at))
    for row in records["booking_requests"] + records["change_requests"]:
        names.add(row.patient_name)
        contacts.add(row.contact)
    return Transcript(
        sender_id,
        turns,
        slots,
        summary,
        records["escalations"],
        records["booking_requests"],
        records["change_requests"],
        records["handoff_requests"],
        sorted(names),
        sorted(contacts),
    )


# --- home ---------------------------------------------------------------------------------------


def open_escalations(engine: Engine, limit: int = 50) -> list[Any]:
    """Unacknowledged red flags: emergencies first, then urgent, then borderline; each group newest first."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(escalations)
            .where(escalations.c.acknowledged_at.is_(None))
            .order_by(escalations.c.created_at.desc())
            .limit(limit)
        ).all()
    return sorted(rows, key=lambda row: rank(row.severity))


def open_requests(engine: Engine, limit: int = 50) -> dict[str, list[Any]]:
    with engine.connect() as connection:
        return {
            "bookings": connection.execute(
                select(bookings)
                .where(bookings.c.status != "handled")
                .order_by(bookings.c.created_at.desc())
                .limit(limit)
            ).all(),
            "changes": connection.execute(
                select(change_requests)
                .where(change_requests.c.status != "handled")
                .order_by(change_requests.c.created_at.desc())
                .limit(limit)
            ).all(),
            # With whether the bot is still paused: a pause also ends by itself (HANDOFF_TIMEOUT_MINUTES).
            "handoffs": connection.execute(
                select(handoff_requests, conversations.c.paused, conversations.c.preview)
                .outerjoin(conversations, conversations.c.sender_id == handoff_requests.c.sender_id)
                .where(handoff_requests.c.status == "waiting")
                .order_by(handoff_requests.c.created_at)
                .limit(limit)
            ).all(),
        }


# --- analytics ----------------------------------------------------------------------------------


@dataclass
class Period:
    label: str  # 2026-11-25, or the Monday of a week
    conversations: int = 0
    patient_messages: int = 0
    fallbacks: int = 0
    escalations: Counter = field(default_factory=Counter)
    bookings: int = 0
    handoffs: int = 0

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.patient_messages if self.patient_messages else 0.0


@dataclass
class Analytics:
    periods: list[Period]
    topics: list[tuple[str, int]]


def analytics(engine: Engine, since: date, until: date, weekly: bool, zone: tzinfo) -> Analytics:
    start, end = _start_of(since, zone), _start_of(until + timedelta(days=1), zone)

    def label(moment: float | datetime) -> str:
        day = local_time(moment, zone).date()
        return (day - timedelta(days=day.weekday())).isoformat() if weekly else day.isoformat()

    periods: dict[str, Period] = {}
    day = since
    while day <= until:
        key = label(_start_of(day, zone))
        periods.setdefault(key, Period(key))
        day += timedelta(days=1)
    topics: Counter = Counter()
    begin_dt, end_dt = datetime.fromtimestamp(start, timezone.utc), datetime.fromtimestamp(end, timezone.utc)
    with engine.connect() as connection:
        for row in connection.execute(
            select(
                conversations.c.started_at, conversations.c.n_user, conversations.c.n_fallback, conversations.c.topics
            ).where(conversations.c.started_at >= start, conversations.c.started_at < end)
        ):
            period = periods[label(row.started_at)]
            period.conversations += 1
            period.patient_messages += row.n_user
            period.fallbacks += row.n_fallback
            topics.update(row.topics.split())
        for table, attribute in ((escalations, "escalations"), (bookings, "bookings"), (handoff_requests, "handoffs")):
            columns = [table.c.created_at] + ([table.c.severity] if table is escalations else [])
            for row in connection.execute(
                select(*columns).where(table.c.created_at >= begin_dt, table.c.created_at < end_dt)
            ):
                period = periods.get(label(row.created_at))
                if period is None:
                    continue
                if table is escalations:
                    period.escalations[row.severity] += 1
                else:
                    setattr(period, attribute, getattr(period, attribute) + 1)
    ignored = {"greet", "goodbye", "affirm", "deny", "thank", "stop", "bot_challenge"}
    ranked = [(topic, count) for topic, count in topics.most_common() if topic not in ignored][:10]
    return Analytics(list(periods.values()), ranked)
