"""The intent classifier component: trains, persists, loads and ranks."""

from __future__ import annotations

from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.nlu.tfidf_intent_classifier import TfidfIntentClassifier

EXAMPLES = {
    "acupuncture_pain": ["does acupuncture hurt", "is it painful", "will the needles hurt", "does it sting"],
    "session_duration": ["how long is a session", "how many minutes does it take", "length of a visit"],
    "greet": ["hi", "hello there", "good morning"],
}


def training_data() -> TrainingData:
    return TrainingData(
        [Message(data={TEXT: text, INTENT: intent}) for intent, texts in EXAMPLES.items() for text in texts]
    )


def test_trains_persists_loads_and_ranks(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("tfidf")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**TfidfIntentClassifier.get_default_config(), "ranking_length": 2}
    TfidfIntentClassifier.create(config, storage, resource, context).train(training_data())

    loaded = TfidfIntentClassifier.load(config, storage, resource, context)
    [message] = loaded.process([Message(data={TEXT: "does acupunture hurt a lot?"})])
    assert message.get(INTENT)["name"] == "acupuncture_pain"
    ranking = message.get(INTENT_RANKING_KEY)
    assert ranking[0]["name"] == "acupuncture_pain"
    assert len(ranking) == 2
    assert ranking[0]["confidence"] >= ranking[1]["confidence"]


def test_an_untrained_model_leaves_messages_alone(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = TfidfIntentClassifier.load({}, storage, Resource("missing"), context)
    [message] = loaded.process([Message(data={TEXT: "hello"})])
    assert message.get(INTENT) is None
