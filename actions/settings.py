"""Settings of the action server, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    # Where conversations live; escalation records go beside them.
    database_url: str
    # Topics below this confidence are noise, not "did you mean" material.
    suggestion_floor: float
    max_suggestions: int


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or "sqlite:///var/rasa.db",
        suggestion_floor=_float("SUGGESTION_FLOOR", 0.05),
        max_suggestions=3,
    )
