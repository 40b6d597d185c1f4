"""The NLU component and the escalation action, on real messages and trackers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import settings
from actions.triage import ActionEscalateRedFlag
from assistant.records import db as records_db
from assistant.triage.component import RED_FLAGS_KEY, RedFlagDetectorComponent
from assistant.triage.safety_net import CRISIS_FLAG as SAFETY_NET_CRISIS_FLAG
from assistant.triage.safety_net import FLAG as SAFETY_NET_FLAG


@pytest.fixture(scope="module")
def component(tmp_path_factory: pytest.TempPathFactory) -> RedFlagDetectorComponent:
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    return RedFlagDetectorComponent.create({}, storage, Resource("rf"), ExecutionContext(GraphSchema({}), "t"))


def classified(text: str, intent: str = "acupuncture_pain") -> Message:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": 0.9})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 0.9}])
    return message


def test_a_red_flag_overrides_the_intent_and_keeps_the_ranking(component: RedFlagDetectorComponent) -> None:
    [message] = component.process([classified("does it hurt? I also peed myself today", "acupuncture_pain")])
    assert message.get(INTENT) == {"name": "red_flag_emergency", "confidence": 1.0}
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["red_flag_emergency", "acupuncture_pain"]
    [entity] = [e for e in message.get(ENTITIES) if e["entity"] == "red_flag"]
    assert (entity["entity"], entity["value"], entity["severity"]) == ("red_flag", "bladder", "emergency")
    assert message.get(RED_FLAGS_KEY)[0]["flag"] == "bladder"


def test_a_crisis_gets_its_own_intent_whatever_else_the_message_says(component: RedFlagDetectorComponent) -> None:
    [message] = component.process([classified("can I book for Tuesday? I keep thinking about killing myself")])
    assert message.get(INTENT) == {"name": "red_flag_crisis", "confidence": 1.0}
    assert "crisis" in [e["value"] for e in message.get(ENTITIES) if e["entity"] == "red_flag"]
    # No physical sign to name: the crisis answer's own words, whatever an earlier message named.
    assert [e["value"] for e in message.get(ENTITIES) if e["entity"] == "emergency_sign"] == ["none"]


def test_a_crisis_with_a_physical_emergency_names_its_sign_for_the_crisis_answer(
    component: RedFlagDetectorComponent,
) -> None:
    text = "I took all my pills and now my chest hurts and I can't breathe"
    [message] = component.process([classified(text)])
    assert message.get(INTENT)["name"] == "red_flag_crisis"
    [named] = [e for e in message.get(ENTITIES) if e["entity"] == "emergency_sign"]
    assert named["value"] == "chest_pain" and "chest" in text[named["start"] : named["end"]]
    flags = {e["value"] for e in message.get(ENTITIES) if e["entity"] == "red_flag"}
    assert {"crisis", "chest_pain", "breathing"} <= flags
    # A crisis with a back emergency: the crisis answer's back variation.
    [message] = component.process([classified("I want to die, and I wet myself this morning without noticing")])
    assert message.get(INTENT)["name"] == "red_flag_crisis"
    assert [e["value"] for e in message.get(ENTITIES) if e["entity"] == "emergency_sign"] == ["back"]


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("my husband's face is drooping and his speech is slurred", "stroke"),
        ("crushing pain in my chest", "chest_pain"),
        ("I peed myself and didn't notice", "back"),
    ],
)
def test_an_emergency_names_its_sign_for_the_answer(component: RedFlagDetectorComponent, text: str, sign: str) -> None:
    [message] = component.process([classified(text)])
    assert message.get(INTENT)["name"] == "red_flag_emergency"
    [named] = [e for e in message.get(ENTITIES) if e["entity"] == "emergency_sign"]
    assert named["value"] == sign and text[named["start"] : named["end"]]


def test_clean_and_negated_messages_keep_their_intent(component: RedFlagDetectorComponent) -> None:
    [message] = component.process([classified("no bladder or bowel problems, just leg pain", "sciatica_symptoms")])
    assert message.get(INTENT)["name"] == "sciatica_symptoms"
    assert not message.get(ENTITIES)
    assert message.get(RED_FLAGS_KEY) == []


def test_button_payloads_are_not_screened(component: RedFlagDetectorComponent) -> None:
    [message] = component.process([classified("/acupuncture_pain")])
    assert message.get(INTENT)["name"] == "acupuncture_pain"
    assert message.get(RED_FLAGS_KEY) is None


def test_training_puts_the_safety_net_in_the_model(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "t")
    ordinary = [Message(data={TEXT: "how much is a first session", INTENT: "session_cost"})]
    RedFlagDetectorComponent.create({}, storage, Resource("rf"), context).train(TrainingData(ordinary))
    loaded = RedFlagDetectorComponent.load({}, storage, Resource("rf"), context)
    [message] = loaded.process([classified("Numbness in my perinium since this morning")])  # not in the lexicon
    assert message.get(INTENT)["name"] == "red_flag_emergency"
    assert [e["value"] for e in message.get(ENTITIES) if e["entity"] == "red_flag"] == [SAFETY_NET_FLAG]
    # A crisis in words the lexicon does not know: the crisis intent (its answer), not the emergency one.
    [message] = loaded.process([classified("I've made my peace with it and I won't be here by the weekend")])
    assert message.get(INTENT)["name"] == "red_flag_crisis"
    assert [e["value"] for e in message.get(ENTITIES) if e["entity"] == "red_flag"] == [SAFETY_NET_CRISIS_FLAG]
    assert [e["value"] for e in message.get(ENTITIES) if e["entity"] == "emergency_sign"] == ["none"]


def test_a_changed_examples_file_means_retraining(tmp_path: Path) -> None:
    examples = tmp_path / "examples.yml"
    examples.write_text('messages:\n- text: "cant pee"\n  severity: emergency\n')
    before = RedFlagDetectorComponent.fingerprint_addon({"safety_net_examples": str(examples)})
    examples.write_text('messages:\n- text: "cannot pee"\n  severity: emergency\n')
    assert RedFlagDetectorComponent.fingerprint_addon({"safety_net_examples": str(examples)}) != before


def tracker(intent: str, entities: list[dict], text: str, slots: dict | None = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities}
    events = [{"event": "user", "text": text, "parse_data": latest}]
    return Tracker("patient-7", slots or {}, latest, events, False, None, {}, "action_listen")


async def test_escalation_sets_the_severity_slot_and_is_recorded(database: Path) -> None:
    text = "peed myself and can't feel my groin"
    entities = [{"entity": "red_flag", "value": "saddle"}, {"entity": "red_flag", "value": "bladder"}]
    dispatcher = CollectingDispatcher()
    events = await ActionEscalateRedFlag().run(dispatcher, tracker("red_flag_emergency", entities, text), {})
    assert events == [SlotSet("red_flag_severity", "emergency"), SlotSet("red_flag_flags", ["bladder", "saddle"])]
    assert dispatcher.messages == []  # the Rasa server already answered
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT sender_id, severity, flags, message, acknowledged_at FROM escalations").fetchall()
    assert rows == [("patient-7", "emergency", json.dumps(["bladder", "saddle"]), text, None)]


async def test_a_crisis_is_recorded_as_an_emergency_and_the_answers_sign_is_cleared(database: Path) -> None:
    text = "my partner says he will take all his pills tonight"
    latest = tracker("red_flag_crisis", [{"entity": "red_flag", "value": "crisis"}], text)
    events = await ActionEscalateRedFlag().run(CollectingDispatcher(), latest, {})
    assert events == [SlotSet("red_flag_severity", "emergency"), SlotSet("red_flag_flags", ["crisis"])]
    chest = tracker(
        "red_flag_emergency",
        [{"entity": "red_flag", "value": "chest_pain"}, {"entity": "emergency_sign", "value": "chest_pain"}],
        "crushing chest pain",
        {"emergency_sign": "chest_pain"},
    )
    events = await ActionEscalateRedFlag().run(CollectingDispatcher(), chest, {})
    # A later yes to the booking form's safety question gets the emergency answer, not the chest pain one.
    assert events[-1] == SlotSet("emergency_sign", None)
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT severity, flags FROM escalations ORDER BY id").fetchall()
    assert rows == [("emergency", json.dumps(["crisis"])), ("emergency", json.dumps(["chest_pain"]))]


async def test_an_earlier_emergency_is_not_downgraded_by_a_later_urgent_flag(database: Path) -> None:
    events = await ActionEscalateRedFlag().run(
        CollectingDispatcher(),
        tracker(
            "red_flag_urgent",
            [{"entity": "red_flag", "value": "fever"}],
            "and a fever",
            {"red_flag_severity": "emergency"},
        ),
        {},
    )
    assert events == [SlotSet("red_flag_severity", "emergency"), SlotSet("red_flag_flags", ["fever"])]
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT severity FROM escalations").fetchall() == [("urgent",)]


async def test_nothing_happens_without_a_red_flag(database: Path) -> None:
    assert await ActionEscalateRedFlag().run(CollectingDispatcher(), tracker("greet", [], "hi"), {}) == []


async def test_a_database_failure_still_sets_the_slot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/missing-dir/x.db")
    settings.settings.cache_clear()
    records_db.shared_engine.cache_clear()
    try:
        events = await ActionEscalateRedFlag().run(
            CollectingDispatcher(), tracker("red_flag_urgent", [{"entity": "red_flag", "value": "cancer"}], "x"), {}
        )
    finally:
        settings.settings.cache_clear()
        records_db.shared_engine.cache_clear()
    assert events[0] == SlotSet("red_flag_severity", "urgent")
