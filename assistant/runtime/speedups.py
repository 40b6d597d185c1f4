"""Measured fixes for hot spots inside Rasa 3.6, installed through `assistant.runtime.patches`.

Each replaces repeated work with work done once, and falls back to Rasa's own
code whenever the fast path does not apply, so behaviour (results, errors,
messages) is unchanged. Figures: docs/performance.md.

1. Rasa deserialises every event of a conversation on every turn, and for each
   event finds its class by walking all subclasses of `Event` (hundreds of
   `inspect.isabstract` calls per event). The name -> class mapping never
   changes once Rasa is imported, so it is cached.
2. Every custom-action response is checked with `jsonschema.validate`, which
   first re-validates Rasa's schema itself against the JSON Schema metaschema:
   about 50 ms per action call. The validator is built once, and checks each
   event against its own event type's part of the schema only (`event_dispatch`);
   a response that fails goes through Rasa's original check, which raises its
   usual error.
3. The model's graph runs without dask (assistant/runtime/graph_runner.py).
4. Loading a model, Rasa rebuilds its training graph from the model's JSON,
   which imports every training component's module, DIET's and TED's
   included, and with them TensorFlow (6 s and ~250 MB). Serving never uses
   the training graph, so it is rebuilt only if something reads it.
5. The rule policy's dialogue states are extended within a turn instead of
   rebuilt for every prediction (assistant/runtime/past_states.py).
6. Every message, Rasa checks whether the model's domain is empty by building
   an empty domain and comparing both as dicts; a domain does not change once
   loaded, so each one's answer is kept.
7. Before running each action, Rasa copies the conversation by replaying all
   of its events, so that the prediction's own events can be dropped if the
   action rejects them. A prediction without events and an action that only
   reads the conversation (a response, listening, a custom action, which is
   sent a serialised copy) get the conversation itself instead.
8. Python's garbage collector walks every tracked object in its oldest
   generation on a full collection, the loaded model's hundreds of thousands
   included, and a turn allocates enough to trigger one every few turns (long
   conversations: p95 240 ms against p50 57). Once the model is loaded its
   objects are moved out of the collector's reach (`gc.freeze`), so a full
   collection walks only what turns create. (A model swapped in later through
   the HTTP API is not frozen; the one it replaces stays in memory.)
Not here because it must happen before Rasa is imported: TensorFlow is only
imported when used (assistant/runtime/deferred_imports.py, called by assistant.runtime.serve).

Each function below is given Rasa's original and returns what replaces it; the registry
(assistant/runtime/patches.py) installs them, records the originals' source and puts them back.
"""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rasa.core.actions.action import Action, ActionBotResponse, ActionListen, RemoteAction
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.engine.storage.storage import ModelMetadata
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

if TYPE_CHECKING:
    from rasa.core.channels.channel import OutputChannel
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.processor import MessageProcessor

_EMPTY = "_assistant_is_empty"  # where a domain keeps whether it is empty
# Actions that only read the tracker they are given (RemoteAction serialises it for the server).
READ_ONLY_ACTIONS = (ActionBotResponse, ActionListen, RemoteAction)


def cached_resolve_by_type(original: Callable[..., type[Event] | None]) -> Callable[..., type[Event] | None]:
    """`Event.resolve_by_type`, remembering each name's class."""
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

    return resolve_by_type


def event_dispatch(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """An exact, faster check of Rasa's action-response schema, or None if it does not apply.

    Each event must match exactly one of ~23 `oneOf` branches, one per event name (a `const`
    on "event"), so jsonschema tries every branch for every event. The names differ, so at
    most the branch of the event's own name can match: "exactly one" is "that one matches".
    The rest of the schema is checked as it is."""
    from jsonschema import validators

    items = schema.get("properties", {}).get("events", {}).get("items", {})
    branches = items.get("oneOf") or []
    names = [branch.get("properties", {}).get("event", {}).get("const") for branch in branches]
    if not branches or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return None
    if "$ref" in json.dumps(schema):
        return None  # a branch checked on its own must not refer to the rest of the schema
    validator_class = validators.validator_for(schema)
    shell = copy.deepcopy(schema)
    del shell["properties"]["events"]["items"]["oneOf"]
    check_shell = validator_class(shell).is_valid
    check_event = {name: validator_class(branch).is_valid for name, branch in zip(names, branches, strict=True)}

    def is_valid(result: Any) -> bool:
        if not check_shell(result):
            return False
        # The shell guarantees a list of objects, each with a string "event".
        for event in result.get("events") or []:
            check = check_event.get(event["event"])
            if check is None or not check(event):
                return False
        return True

    return is_valid


def compiled_action_result_check(original: Callable[[RemoteAction, dict[str, Any]], bool]) -> Callable[..., bool]:
    """`RemoteAction._validate_action_result` with the validator built once; a response that fails
    goes through Rasa's own check, which raises its usual error."""
    from jsonschema import validators

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    fast = event_dispatch(schema) or validator_class(schema).is_valid

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if fast(result):
            return True
        return original(self, result)

    return _validate_action_result


class TrainingSchema(GraphSchema):
    """A model's training graph kept as the JSON it was stored as until first read."""

    def __init__(self, serialized: dict[str, Any]) -> None:
        self._serialized = serialized
        self._nodes: dict[str, SchemaNode] | None = None

    @property
    def nodes(self) -> dict[str, SchemaNode]:
        if self._nodes is None:
            self._nodes = GraphSchema.from_dict(self._serialized).nodes
        return self._nodes


def lazy_training_schema(original: Callable[..., ModelMetadata]) -> Callable[..., ModelMetadata]:
    """`ModelMetadata.from_dict` keeping the training graph as JSON until it is read."""

    def from_dict(cls: type[ModelMetadata], serialized: dict[str, Any]) -> ModelMetadata:
        metadata = original(cls, {**serialized, "train_schema": {"nodes": {}}})
        metadata.train_schema = TrainingSchema(serialized["train_schema"])
        return metadata

    return from_dict


def remembered_is_empty(original: Callable[[Domain], bool]) -> Callable[[Domain], bool]:
    """`Domain.is_empty`, answered once per domain (a loaded domain does not change)."""

    def is_empty(self: Domain) -> bool:
        known = self.__dict__.get(_EMPTY)
        if known is None:
            known = self.__dict__[_EMPTY] = original(self)
        return known

    return is_empty


def run_action_without_copy(original: Callable[..., Awaitable[bool]]) -> Callable[..., Awaitable[bool]]:
    """`MessageProcessor._run_action` without its replayed copy for actions that only read."""

    async def _run_action(
        self: MessageProcessor,
        action: Action,
        tracker: DialogueStateTracker,
        output_channel: OutputChannel,
        nlg: NaturalLanguageGenerator,
        prediction: PolicyPrediction,
    ) -> bool:
        if prediction.events or type(action) not in READ_ONLY_ACTIONS:
            return await original(self, action, tracker, output_channel, nlg, prediction)
        # Rasa's first step, `temporary_tracker = tracker.copy()`, gets the tracker itself.
        tracker.copy = lambda: tracker
        try:
            return await original(self, action, tracker, output_channel, nlg, prediction)
        finally:
            del tracker.copy

    _run_action.__wrapped__ = original
    return _run_action


def freeze_after_model_load(original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """`rasa.core.run.load_agent_on_start`, then the loaded model moved out of the collector's reach."""

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
        agent = await original(*args, **kwargs)
        gc.collect()  # what is garbage now is not kept for ever
        gc.freeze()
        return agent

    load_agent_on_start.__wrapped__ = original
    return load_agent_on_start
