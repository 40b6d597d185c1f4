"""The channels the Rasa server listens on, from `credentials.yml` and the environment.

Rasa expands ${NAME} in credentials itself, but stops the server when a name
is unset, so every messaging channel would have to be configured to start at
all. Here a channel whose variables are all unset is left out, a half
configured one is a clear error, and the result is written where only the
server's user can read it (it holds the channels' secrets).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "credentials.yml"
VARIABLE = re.compile(r"\$\{(\w+)\}")


class ChannelError(ValueError):
    """A messaging channel is only partly configured."""


def _names(settings: Any) -> list[str]:
    if not isinstance(settings, Mapping):
        return []
    return [name for value in settings.values() if isinstance(value, str) for name in VARIABLE.findall(value)]


def render(template: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """The channels to enable, with their variables filled in."""
    channels: dict[str, Any] = {}
    for channel, settings in template.items():
        names = _names(settings)
        missing = [name for name in names if not env.get(name, "").strip()]
        if names and len(missing) == len(names):
            continue  # not configured: left out
        if missing:
            raise ChannelError(f"channel {channel}: set {', '.join(missing)} as well, or unset the others")
        channels[channel] = (
            {
                key: VARIABLE.sub(lambda m: env[m.group(1)].strip(), value) if isinstance(value, str) else value
                for key, value in settings.items()
            }
            if names
            else settings
        )
    return channels


def write_credentials(target: Path, env: Mapping[str, str] | None = None, template: Path = TEMPLATE) -> list[str]:
    """Write Rasa's credentials file for this environment; the names of the enabled channels."""
    channels = render(yaml.safe_load(template.read_text(encoding="utf-8")) or {}, os.environ if env is None else env)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        yaml.safe_dump(channels, handle, sort_keys=False)
    target.chmod(0o600)
    return list(channels)
