"""The speed-ups of assistant/runtime/speedups.py behave exactly like Rasa's own code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered

from assistant.runtime import patches, speedups

ROOT = Path(__file__).resolve().parent.parent
INSTALLED = (
    "rasa.shared.core.events:Event.resolve_by_type",
    "rasa.core.actions.action:RemoteAction._validate_action_result",
    "rasa.shared.core.domain:Domain.is_empty",
    "rasa.core.run:load_agent_on_start",
)


@pytest.fixture(scope="module", autouse=True)
def installed() -> Iterator[None]:
    """The speed-ups under test for this module; Rasa's originals back afterwards."""
    with patches.installed(*INSTALLED):
        yield


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


def response_samples() -> list[object]:
    """Action-server responses: every event type valid, then each field of each made wrong."""
    from rasa.shared.core import events as e

    valid = [
        e.UserUttered("hi", {"name": "greet", "confidence": 0.9}, [{"entity": "x", "value": "y", "start": 0}]),
        e.BotUttered("hello", {"buttons": [{"title": "a", "payload": "/a"}]}),
        e.ActionExecuted("utter_greet", policy="RulePolicy", confidence=1.0),
        e.SlotSet("patient_name", "Ana"),
        e.SessionStarted(),
        e.ActiveLoop("booking_form"),
        e.FollowupAction("action_listen"),
        e.Restarted(),
        e.AllSlotsReset(),
        e.ConversationPaused(),
        e.ConversationResumed(),
        e.UserUtteranceReverted(),
        e.ActionReverted(),
        e.LoopInterrupted(True),
        e.ActionExecutionRejected("action_x"),
        e.EntitiesAdded([{"entity": "x", "value": "y"}]),
        e.AgentUttered("hi"),
        e.ReminderCancelled(name="r"),
    ]
    events = [event.as_dict() for event in valid]
    samples: list[object] = [{"events": events, "responses": [{"text": "hi"}]}, {"events": []}, {}]
    for event in events:
        for key in event:
            for wrong in (123, "text", [1], {"a": 1}, None, True):
                samples.append({"events": [{**event, key: wrong}]})
    samples += [
        {"events": [{"event": "no_such_event"}]},
        {"events": [{"name": "x"}]},
        {"events": ["user"]},
        {"events": "not a list"},
        {"events": [events[0]], "responses": "not a list"},
        {"events": [events[0]], "responses": ["not an object"]},
        "not an object",
        [],
    ]
    return samples


def test_the_event_dispatched_schema_check_agrees_with_jsonschema_everywhere() -> None:
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    full = validators.validator_for(schema)(schema).is_valid
    fast = speedups.event_dispatch(schema)
    assert fast is not None
    samples = response_samples()
    verdicts = [(full(sample), fast(sample)) for sample in samples]
    assert all(a == b for a, b in verdicts), [s for s, (a, b) in zip(samples, verdicts, strict=True) if a != b][:5]
    assert sum(a for a, _ in verdicts) > 50 and sum(not a for a, _ in verdicts) > 50  # both kinds covered


def test_the_remembered_empty_domain_check_equals_rasas() -> None:
    from rasa.shared.core.domain import Domain

    rasas = patches.original("rasa.shared.core.domain:Domain.is_empty")
    assert Domain.is_empty is not rasas  # installed by the fixture
    for domain in (Domain.load(str(ROOT / "domain.yml")), Domain.empty(), Domain.from_dict({"intents": ["greet"]})):
        expected = rasas(domain)
        assert domain.is_empty() == expected
        assert domain.is_empty() == expected  # remembered
    assert Domain.empty().is_empty() and not Domain.load(str(ROOT / "domain.yml")).is_empty()


async def test_the_loaded_model_is_frozen_out_of_the_garbage_collectors_reach() -> None:
    import gc

    from rasa.core import run

    assert run.load_agent_on_start.__wrapped__ is patches.original("rasa.core.run:load_agent_on_start")
    model = [{"node": n} for n in range(1000)]  # objects the collector tracks

    async def load(*_: object) -> list[dict[str, int]]:
        return model

    load_agent_on_start = speedups.freeze_after_model_load(load)  # around a stand-in loader
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        assert await load_agent_on_start("model.tar.gz", None, None, None, None) is model
        assert gc.get_freeze_count() >= len(model)
    finally:
        gc.unfreeze()
