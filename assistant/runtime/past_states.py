"""A conversation's dialogue states, extended as the turn goes on instead of rebuilt per prediction.

Rasa's rule policy asks, for every prediction, for the state before each action of the whole
conversation (`Domain.states_for_tracker_history`): Rasa replays all of its events into a fresh
tracker to get them, three times in a typical turn. Within a turn the conversation only grows,
so the states of its beginning do not change. Each tracker keeps the replay of its last call; a
call whose applied events begin with the ones replayed then (the same event objects) replays
only the new ones. Anything else (an undo, a restart, a new session, another domain, the
ML policies' variant that hides rule-only turns) is computed the way Rasa does it. So is a
`user_featurization` event for a user message that a remembered state already shows: it changes
that message in place, and Rasa's replay reads the changed message (the processor adds it right
after the message, before any action, so this does not happen in a turn).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, DefinePrevUserUtteredFeaturization, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

REPLAY = "_assistant_past_states"  # the attribute each tracker keeps its replay in


@dataclass
class Replay:
    domain: Domain
    omit_unset_slots: bool
    applied: list[Event]  # the applied events replayed so far
    tracker: DialogueStateTracker  # a fresh tracker after those events
    states: list[State]  # the state before each ActionExecuted among them
    since_user: int = 0  # of those states, how many come after the latest user message
    events: list[Event] = field(default_factory=list)  # all of the tracker's events then

    def __deepcopy__(self, memo: dict[int, Any]) -> None:
        return None  # a copied tracker starts its own replay (never a copy of the domain)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(None), ())


def states_for_tracker_history(
    domain: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    if ignore_rule_only_turns:
        return _original(domain, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    replay = getattr(tracker, REPLAY, None)
    events = list(tracker.events)
    if isinstance(replay, Replay) and _same(replay.events, events):
        applied = replay.applied  # asked again with no new event (e.g. by text, then by intent)
    else:
        applied = tracker.applied_events()
    if not (
        isinstance(replay, Replay)
        and replay.domain is domain
        and replay.omit_unset_slots == omit_unset_slots
        and _same(replay.applied, applied[: len(replay.applied)])
    ):
        replay = Replay(domain, omit_unset_slots, [], tracker.init_copy(), [])
    # What Rasa's loop does for each prior tracker (generate_all_prior_trackers), for the new events.
    for event in applied[len(replay.applied) :]:
        if isinstance(event, ActionExecuted):
            replay.states.append(_state(domain, replay.tracker, omit_unset_slots))
            replay.since_user += 1
        elif isinstance(event, UserUttered):
            replay.since_user = 0
        elif isinstance(event, DefinePrevUserUtteredFeaturization) and replay.since_user:
            setattr(tracker, REPLAY, None)
            return _original(domain, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        replay.tracker.update(event)
    replay.applied, replay.events = applied, events
    setattr(tracker, REPLAY, replay)
    # Callers change the states they get (e.g. drop the last user intent or text): copies.
    return [_copy(state) for state in replay.states] + [_state(domain, replay.tracker, omit_unset_slots)]


def _state(domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool) -> State:
    # A copy: parts of a state are the tracker's own (its latest action), which goes on.
    return _copy(domain._clean_state(domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)))


def _same(old: list[Event], new: list[Event]) -> bool:
    return len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True))


def _copy(state: State) -> State:
    return {key: dict(sub) if isinstance(sub, dict) else sub for key, sub in state.items()}


_original = Domain.states_for_tracker_history  # Rasa's (imported by the registry before it replaces it)


def extended_states(original: Callable[..., list[State]]) -> Callable[..., list[State]]:
    """What the registry (assistant/runtime/patches.py) installs as `Domain.states_for_tracker_history`."""
    return states_for_tracker_history
