"""Settings of the action server, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.profile import ClinicProfile, load_profile, profile_path


@dataclass(frozen=True)
class Settings:
    profile_path: Path
    # Suggestions below this confidence are noise, not "did you mean" material.
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
        profile_path=profile_path(),
        suggestion_floor=_float("SUGGESTION_FLOOR", 0.05),
        max_suggestions=3,
    )


@lru_cache(maxsize=1)
def clinic() -> ClinicProfile:
    """The clinic profile, loaded on first use (not at import) and kept."""
    return load_profile(settings().profile_path)
