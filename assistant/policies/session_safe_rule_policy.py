"""RulePolicy that still answers when the conversation's session start failed.

`action_session_start` is a custom action (it sends the notice), so it runs on
the action server. If that server is unreachable, Rasa logs the action with no
events: no `action_listen` before the patient's first message, so no rule
matches and the patient would get the default fallback instead of an answer.
This policy predicts on a view of the tracker in which that start completed,
so FAQ answers (and, later, emergency answers) never depend on the action
server being up.

It also remembers which rules can apply to a dialogue state (Rasa re-checks
every rule against the state for each prediction; ~1 ms a turn, the answer
only depends on the state and the rules, which are fixed once the model is
loaded).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted
from rasa.shared.core.generator import State
from rasa.shared.core.trackers import DialogueStateTracker

KEYS_CACHE_SIZE = 4096  # distinct dialogue states remembered per rule table


def failed_session_start_index(tracker: DialogueStateTracker) -> int | None:
    """Index of an `action_session_start` that ran without starting a session.

    Scans back only to the latest `action_listen` or session start, i.e. the
    current turn, so it is cheap on every prediction."""
    events = tracker.events
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, SessionStarted):
            return None
        if isinstance(event, ActionExecuted):
            if event.action_name == ACTION_LISTEN_NAME:
                return None
            if event.action_name == ACTION_SESSION_START_NAME:
                return index
    return None


def as_if_started(tracker: DialogueStateTracker, domain: Domain) -> DialogueStateTracker:
    """The tracker itself, or a copy with the missing `action_listen` after a failed start."""
    index = failed_session_start_index(tracker)
    if index is None:
        return tracker
    events = list(tracker.events)
    return DialogueStateTracker.from_events(
        tracker.sender_id,
        [*events[: index + 1], ActionExecuted(ACTION_LISTEN_NAME), *events[index + 1 :]],
        slots=copy.deepcopy(list(tracker.slots.values())),  # never touch the real tracker's slots
        domain=domain,
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class SessionSafeRulePolicy(RulePolicy):
    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        return super().predict_action_probabilities(as_if_started(tracker, domain), domain, rule_only_data, **kwargs)

    # Only a loaded model's rules are fixed; during training the tables change, so no cache.
    _rule_keys_cache: dict[int, dict[str, frozenset[str]]] | None = None

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SessionSafeRulePolicy:
        policy = super().load(config, model_storage, resource, execution_context, **kwargs)
        policy._rule_keys_cache = {}
        return policy

    def _get_possible_keys(self, lookup: dict[str, str], states: list[State]) -> set[str]:
        if self._rule_keys_cache is None:
            return super()._get_possible_keys(lookup, states)
        # Rule tables are dicts in self.lookup, alive as long as the policy.
        cache = self._rule_keys_cache.setdefault(id(lookup), {})
        key = json.dumps(states, sort_keys=True)
        found = cache.get(key)
        if found is None:
            if len(cache) >= KEYS_CACHE_SIZE:
                cache.clear()
            found = cache[key] = frozenset(super()._get_possible_keys(lookup, states))
        return set(found)  # callers may change the set they get
