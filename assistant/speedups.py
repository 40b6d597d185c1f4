"""Measured fixes for hot spots inside Rasa 3.6, installed by `assistant.serve`.

Rasa deserialises every event of a conversation on every turn (tracker store
-> tracker), and for each event looks up its class by walking all subclasses
of `Event` (hundreds of `inspect.isabstract` calls per event). The mapping
from type name to class never changes once Rasa is imported, so it is
cached. Unknown names still go to Rasa's own lookup, so behaviour (including
its errors and defaults) is unchanged. See docs/performance.md.
"""

from __future__ import annotations

from rasa.shared.core.events import Event

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    original = Event.resolve_by_type
    cache: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        found = cache.get(type_name)
        if found is not None:
            return found
        resolved = original(type_name, default)
        # Cache only a real match, never the caller's default.
        if resolved is not None and resolved is not default and resolved.type_name == type_name:
            cache[type_name] = resolved
        return resolved

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
    _installed = True
