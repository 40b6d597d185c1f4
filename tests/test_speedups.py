"""The cached event-class lookup behaves exactly like Rasa's own."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered

from assistant import speedups


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    speedups.install()
    speedups.install()  # idempotent


@pytest.mark.parametrize(
    ("name", "cls"), [("user", UserUttered), ("bot", BotUttered), ("action", ActionExecuted), ("slot", SlotSet)]
)
def test_known_names_resolve_to_rasa_classes(name: str, cls: type) -> None:
    assert Event.resolve_by_type(name) is cls
    assert Event.resolve_by_type(name) is cls  # from the cache


def test_unknown_names_keep_rasa_behaviour() -> None:
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    # A default is never cached in place of a real lookup.
    assert Event.resolve_by_type("user", default=SlotSet) is UserUttered


def test_events_round_trip_through_the_cached_lookup() -> None:
    event = UserUttered("hi", {"name": "greet", "confidence": 1.0})
    assert Event.from_parameters(event.as_dict()) == event


def test_valid_action_responses_pass_and_invalid_ones_raise_rasas_error() -> None:
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "a", "value": 1}], "responses": []})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})
