"""The speed-ups of docs/performance.md give exactly what Rasa's own code gives, on the real model.

- the graph run without dask (assistant/runtime/graph_runner.py), as Rasa's own loader picks it
  once the registry installed it, against Rasa's DaskGraphRunner,
- the compiled TF-IDF + logistic-regression prediction (assistant/nlu/linear_text.py) against scikit-learn,
- the rule policy's remembered rule look-ups against Rasa's,
- the server starting without TensorFlow (assistant/runtime/deferred_imports.py, the training graph read lazily),
- the rule policy's dialogue states extended instead of rebuilt (assistant/runtime/past_states.py) against Rasa's,
- actions that only read the conversation run without Rasa's replayed copy, with the same events.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union

from assistant.nlu.linear_text import compile_pipeline
from assistant.nlu.tfidf_intent_classifier import TfidfIntentClassifier
from assistant.policies.session_safe_rule_policy import SessionSafeRulePolicy
from assistant.runtime import patches
from assistant.runtime.graph_runner import SequentialGraphRunner
from assistant.triage.safety_net import default_safety_net, nlu_examples, screening_examples
from tools.model import ensure_model

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = [
    "hi",
    "what is sciatica?",
    "does acupunture hurt",
    "how much does a session cost",
    "I want to book an appointment",
    "I can't control my bladder and my legs are numb",
    "my leg weakness is getting worse since yesterday",
    "",
    "😀😀",
    "¿Qué es la ciática?",
    "x" * 2000,
]
pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def model() -> Path:
    return ensure_model(ROOT / "config.yml", "clinic")


GRAPH_RUNNER = "rasa.core.processor:DaskGraphRunner"
RUN_ACTION = "rasa.core.processor:MessageProcessor._run_action"
PAST_STATES = "rasa.shared.core.domain:Domain.states_for_tracker_history"


@pytest.fixture(scope="module")
def agents(model: Path) -> tuple[Agent, Agent]:
    """The model loaded by Rasa's own loader (Agent.load, as the server loads it) with the graph
    runner's patch installed, then without: each runner is the one Rasa itself chose."""
    with patches.installed(GRAPH_RUNNER):
        ours = Agent.load(model)
    rasas = Agent.load(model)
    assert type(ours.processor.graph_runner) is SequentialGraphRunner
    assert type(rasas.processor.graph_runner) is DaskGraphRunner
    return ours, rasas


@pytest.fixture(scope="module")
def runners(agents: tuple[Agent, Agent]) -> tuple[Any, Any, Any]:
    ours, rasas = agents
    return ours.processor.model_metadata, rasas.processor.graph_runner, ours.processor.graph_runner


def parse(runner: Any, metadata: Any, text: str) -> dict[str, Any]:
    tracker = DialogueStateTracker("test", metadata.domain.slots)
    results = runner.run(
        inputs={PLACEHOLDER_MESSAGE: [UserMessage(text)], PLACEHOLDER_TRACKER: tracker},
        targets=[metadata.nlu_target],
    )
    return results[metadata.nlu_target][0].as_dict(only_output_properties=True)


def tracker_after(metadata: Any, text: str, parse_data: dict[str, Any]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "test",
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered(text, parse_data.get("intent"), parse_data.get("entities", []), parse_data),
        ],
        slots=metadata.domain.slots,
    )


@pytest.mark.parametrize("text", MESSAGES)
async def test_the_graph_gives_the_same_parse_and_prediction_without_dask(
    agents: tuple[Agent, Agent], text: str
) -> None:
    """Through Rasa's processor, as a turn parses and predicts."""
    ours, rasas = (agent.processor for agent in agents)
    parsed = await ours.parse_message(UserMessage(text, message_id="m"))
    assert parsed == await rasas.parse_message(UserMessage(text, message_id="m"))
    metadata = ours.model_metadata
    mine = ours._predict_next_with_tracker(tracker_after(metadata, text, parsed))
    theirs = rasas._predict_next_with_tracker(tracker_after(metadata, text, parsed))
    assert (mine.policy_name, mine.probabilities, mine.events) == (
        theirs.policy_name,
        theirs.probabilities,
        theirs.events,
    )


def test_an_input_named_like_a_node_is_refused_like_rasa_does(runners: tuple[Any, Any, Any]) -> None:
    metadata, dask_runner, sequential = runners
    for runner in (dask_runner, sequential):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            runner.run(inputs={"x": metadata.nlu_target}, targets=[metadata.nlu_target])


def test_the_graph_runs_each_node_once_after_its_inputs(runners: tuple[Any, Any, Any]) -> None:
    metadata, _, sequential = runners
    plan = sequential._plan((metadata.core_target,))
    names = [name for name, _ in plan]
    assert len(names) == len(set(names))
    for position, (_, needs) in enumerate(plan):
        assert all(need not in names or names.index(need) < position for need in needs)


def pipelines(model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pipeline]:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.resource import Resource

    folder = tmp_path_factory.mktemp("unpacked")
    storage, metadata = LocalModelStorage.from_model_archive(folder, model)
    [name] = [n for n, node in metadata.predict_schema.nodes.items() if node.uses is TfidfIntentClassifier]
    node = metadata.predict_schema.nodes[name]
    context = ExecutionContext(GraphSchema({}), "test")
    intent = TfidfIntentClassifier.load(node.config, storage, Resource(node.resource.name), context)
    return {"intent": intent.model, "safety net": default_safety_net().model}


def test_compiled_classifiers_give_scikit_learns_probabilities(
    model: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    texts = [*nlu_examples(), *screening_examples()[0], *MESSAGES, "   ", "zzzz qqqq"]
    for name, pipeline in pipelines(model, tmp_path_factory).items():
        compiled = compile_pipeline(pipeline)
        assert compiled is not None, name
        expected, got = pipeline.predict_proba(texts), compiled.predict_proba(texts)
        assert np.abs(expected - got).max() < 1e-12, name
        assert (expected.argmax(axis=1) == got.argmax(axis=1)).all(), name
        assert list(compiled.classes_) == list(pipeline.classes_)


def test_pipelines_of_another_shape_are_left_to_scikit_learn() -> None:
    texts, labels = ["back pain", "leg numb", "needle fear", "back numb"], ["x", "y", "z", "x"]
    binary = Pipeline([("features", make_union(TfidfVectorizer())), ("classifier", LogisticRegression())])
    binary.fit(texts, ["x", "y", "y", "x"])
    counts = Pipeline([("features", make_union(CountVectorizer())), ("classifier", LogisticRegression())])
    counts.fit(texts, labels)
    plain = Pipeline([("features", TfidfVectorizer()), ("classifier", LogisticRegression())]).fit(texts, labels)
    assert compile_pipeline(binary) is None  # sigmoid, not softmax
    assert compile_pipeline(counts) is None
    assert compile_pipeline(plain) is None
    assert compile_pipeline(object()) is None


def rule_policy(runner: Any) -> SessionSafeRulePolicy:
    [policy] = [
        node._component
        for node in runner._instantiated_nodes.values()
        if isinstance(getattr(node, "_component", None), SessionSafeRulePolicy)
    ]
    return policy


def test_remembered_rule_lookups_equal_rasas(runners: tuple[Any, Any, Any]) -> None:
    metadata, _, sequential = runners
    policy = rule_policy(sequential)
    assert policy._rule_keys_cache is not None  # a loaded model's policy remembers
    for text in MESSAGES:
        tracker = tracker_after(metadata, text, parse(sequential, metadata, text))
        states = policy._prediction_states(tracker, metadata.domain)
        for lookup in policy.lookup.values():
            if not isinstance(lookup, dict):
                continue
            expected = RulePolicy._get_possible_keys(policy, lookup, states)
            first = policy._get_possible_keys(lookup, states)
            first.add("changed by the caller")
            assert policy._get_possible_keys(lookup, states) == expected


def test_the_server_starts_without_tensorflow(model: Path) -> None:
    """What assistant.runtime.serve does, then the model loaded by Rasa's own loader (as the server's
    start does), in a fresh interpreter: no TensorFlow until used."""
    script = f"""
import asyncio, sys
from assistant.runtime import deferred_imports, patches
deferred_imports.install()
from rasa.__main__ import main
patches.install()
from rasa.core.agent import Agent
from rasa.engine.graph import GraphSchema
agent = Agent.load({str(model)!r})
assert type(agent.processor.graph_runner).__name__ == "SequentialGraphRunner", type(agent.processor.graph_runner)
metadata = agent.processor.model_metadata
parsed = asyncio.run(agent.parse_message("what is sciatica"))
assert parsed["intent"]["name"] == "sciatica_definition", parsed
assert "tensorflow" not in sys.modules, "tensorflow imported"
import json, tarfile
stored = GraphSchema.from_dict(json.loads(
    tarfile.open({str(model)!r}).extractfile("metadata.json").read())["train_schema"])
assert metadata.train_schema.as_dict() == stored.as_dict()
assert "tensorflow" in sys.modules  # reading the training graph imports what it names
import rasa.utils.train_utils as train_utils
assert callable(train_utils.rank_and_mask)  # the deferred module works when used
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")


def story_conversations() -> Iterator[list[Any]]:
    """The test stories' events as conversations, with what the processor adds: a session start,
    and the `user_featurization` event of the prediction after each user message."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import DefinePrevUserUtteredFeaturization
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    domain = Domain.load(str(ROOT / "domain.yml"))
    for path in sorted((ROOT / "tests" / "stories").glob("*.yml")):
        for step in YAMLStoryReader(domain).read_from_file(path):
            events: list[Any] = [
                ActionExecuted("action_session_start"),
                SessionStarted(),
                ActionExecuted("action_listen"),
            ]
            for event in step.events:
                events.append(event)
                if isinstance(event, UserUttered):
                    events.append(DefinePrevUserUtteredFeaturization(False))
            yield events


def edge_conversations() -> list[list[Any]]:
    """Undo, restart, a new session and a loop rewind: the applied events shrink or change."""
    from rasa.shared.core.events import (
        ActionReverted,
        ActiveLoop,
        DefinePrevUserUtteredFeaturization,
        Restarted,
        SlotSet,
        UserUtteranceReverted,
    )

    def said(text: str, intent: str) -> UserUttered:
        return UserUttered(text, {"name": intent, "confidence": 1.0})

    start = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    turn = [said("hi", "greet"), DefinePrevUserUtteredFeaturization(False), ActionExecuted("utter_greet")]
    booking = [
        said("book", "book_appointment"),
        DefinePrevUserUtteredFeaturization(False),
        ActionExecuted("booking_form"),
        ActiveLoop("booking_form"),
        SlotSet("requested_slot", "patient_name"),
        ActionExecuted("action_listen"),
        said("Ana", "inform"),
        ActionExecuted("booking_form"),
        SlotSet("patient_name", "Ana"),
        SlotSet("requested_slot", "patient_contact"),
        ActionExecuted("action_listen"),
        said("what is sciatica", "sciatica_definition"),
        ActionExecuted("booking_form"),
        ActionExecuted("utter_sciatica_definition"),
        ActionExecuted("booking_form"),
    ]
    listen = ActionExecuted("action_listen")
    return [
        [*start, *turn, listen, *turn, UserUtteranceReverted(), listen, *turn],
        [*start, *turn, ActionReverted(), ActionExecuted("utter_greet"), listen],
        [*start, *turn, listen, Restarted(), ActionExecuted("action_session_start"), *turn],
        [*start, *turn, listen, ActionExecuted("action_session_start"), SessionStarted(), listen, *turn],
        [*start, *booking],
        # A featurization event after an action already followed its user message (not what the
        # processor does): it changes that message in remembered states, so Rasa's way is used.
        [*start, said("hi", "greet"), listen, DefinePrevUserUtteredFeaturization(True), ActionExecuted("utter_greet")],
    ]


def test_states_extended_event_by_event_equal_rasas_rebuilt_ones() -> None:
    """The rule policy's dialogue states (assistant/runtime/past_states.py): one tracker grows as in a turn
    and is asked after every event; Rasa rebuilds them from a fresh tracker of the same events."""
    from rasa.shared.core.domain import Domain

    from assistant.runtime import past_states

    domain = Domain.load(str(ROOT / "domain.yml"))
    checked = reused = 0
    for events in [*story_conversations(), *edge_conversations()]:
        for omit_unset_slots in (False, True):
            tracker = DialogueStateTracker("test", domain.slots)
            for event in events:
                tracker.update(event)
                fresh = DialogueStateTracker.from_events("test", list(tracker.events), domain.slots)
                expected = past_states._original(domain, fresh, omit_unset_slots)
                for _ in range(2):  # the policy asks twice after a user message (by text, by intent)
                    mine = past_states.states_for_tracker_history(domain, tracker, omit_unset_slots)
                    assert mine == expected, events
                    for state in mine:  # callers change what they get: the next call must not see it
                        for sub_state in state.values():
                            sub_state.clear()
                reused += isinstance(getattr(tracker, past_states.REPLAY, None), past_states.Replay)
                checked += 1
    assert checked > 1000 and reused > 0.8 * checked


@pytest.fixture
def without_copy() -> Iterator[None]:
    """Rasa's `_run_action` replaced for the test only."""
    with patches.installed(RUN_ACTION):
        yield


def test_rasas_past_states_reach_the_extended_states() -> None:
    """The rule policy asks `tracker.past_states` (Rasa's); with the registry's patch installed,
    that is the extended states, with Rasa's result."""
    from rasa.shared.core.domain import Domain

    from assistant.runtime import past_states

    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events("test", next(story_conversations()), domain.slots)
    expected = tracker.past_states(domain)
    assert getattr(tracker, past_states.REPLAY, None) is None  # Rasa's own
    with patches.installed(PAST_STATES):
        assert tracker.past_states(domain) == expected
        assert isinstance(getattr(tracker, past_states.REPLAY, None), past_states.Replay)


async def test_actions_that_only_read_the_conversation_get_it_without_a_copy(
    model: Path, monkeypatch: pytest.MonkeyPatch, without_copy: None
) -> None:
    """Same events as Rasa's `_run_action` (which copies the tracker before every action); the copy
    is skipped only for a response, listening or a custom action with no prediction events."""
    from rasa.core.actions.action import ActionBotResponse, ActionListen
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.events import SlotSet

    processor = MessageProcessor(
        model, InMemoryTrackerStore(None), InMemoryLockStore(), TemplatedNaturalLanguageGenerator({})
    )
    processor.nlg = TemplatedNaturalLanguageGenerator(processor.domain.responses)
    copies: list[int] = []
    travel = DialogueStateTracker.travel_back_in_time
    monkeypatch.setattr(
        DialogueStateTracker,
        "travel_back_in_time",
        lambda self, target_time: copies.append(1) or travel(self, target_time),
    )

    def conversation() -> DialogueStateTracker:
        return DialogueStateTracker.from_events(
            "copy-test",
            [
                ActionExecuted("action_session_start"),
                SessionStarted(),
                ActionExecuted("action_listen"),
                UserUttered("hi", {"name": "greet", "confidence": 1.0}),
            ],
            slots=processor.domain.slots,
        )

    def shown(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in tracker.events]

    cases = [
        (ActionBotResponse("utter_greet"), [], 0),
        (ActionListen(), [], 0),
        (ActionBotResponse("utter_greet"), [SlotSet("patient_name", "Ana")], 1),  # events: Rasa's copy
    ]
    for action, events, expected_copies in cases:
        fast, rasas = conversation(), conversation()
        copies.clear()
        await processor._run_action(  # keywords: how Rasa runs the session start
            action=action,
            tracker=fast,
            output_channel=CollectingOutputChannel(),
            nlg=processor.nlg,
            prediction=PolicyPrediction([], "p", events=events),
        )
        assert len(copies) == expected_copies and "copy" not in fast.__dict__
        original = patches.original(RUN_ACTION)
        await original(
            processor, action, rasas, CollectingOutputChannel(), processor.nlg, PolicyPrediction([], "p", events=events)
        )
        assert shown(fast) == shown(rasas)
