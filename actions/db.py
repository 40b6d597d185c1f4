"""The action server's own tables, stored beside the conversations (DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine

from actions.settings import settings

metadata = MetaData()


@lru_cache(maxsize=1)
def engine() -> Engine:
    """Created on first use, not at import; tables made if missing."""
    created = create_engine(settings().database_url, future=True)
    metadata.create_all(created)
    return created
