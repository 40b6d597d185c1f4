"""Rasa's SQLTrackerStore, configured by one database URL.

`endpoints.yml` gives `url: ${DATABASE_URL}`; e.g. `sqlite:///var/rasa.db`
(the default set by `make run`) or `postgresql://user:pass@host:5432/rasa`.
Rasa hands a custom store the endpoint's `url` as `host`.
"""

from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.exceptions import RasaException
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from assistant.dburl import DatabaseUnreachable, check_reachable, safe_url


class URLSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        url = (host or "").strip()
        if not url:
            raise RasaException("DATABASE_URL is empty: set it to e.g. sqlite:///var/rasa.db")
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise RasaException(f"DATABASE_URL is not a database URL: {safe_url(url)}") from None
        try:
            check_reachable(url)
        except DatabaseUnreachable as exc:
            raise RasaException(str(exc)) from None
        super().__init__(
            domain=domain,
            dialect=parsed.drivername,
            host=parsed.host,
            port=parsed.port,
            db=parsed.database or "",
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            query=dict(parsed.query) or None,
            **kwargs,
        )
