"""NLU component: screen every message for red flags, after the intent classifier.

Runs last in the pipeline, so it never depends on the classifier (or the
fallback) getting the intent right. When the patient reports a red flag it
puts the intent `red_flag_emergency` or `red_flag_urgent` on top (the
classifier's ranking is kept below it), adds one `red_flag` entity per flag,
and a `red_flags` section with every finding (also negated or other-person
ones) so `/model/parse` shows why. The detection itself lives in
`assistant.triage`, shared with the escalation action.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from assistant.triage.detector import RedFlagDetector, default_detector

INTENT_FOR_SEVERITY = {"emergency": "red_flag_emergency", "urgent": "red_flag_urgent"}
RED_FLAGS_KEY = "red_flags"
ENTITY_TYPE = "red_flag"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagDetectorComponent(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, detector: RedFlagDetector) -> None:
        self.detector = detector

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagDetectorComponent:
        return cls(default_detector())

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._screen(message)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data

    def _screen(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if text.startswith("/"):  # a button payload, not patient text
            return
        triage = self.detector.detect(text)
        message.set(RED_FLAGS_KEY, [asdict(f) for f in triage.findings], add_to_output=True)
        if triage.severity is None:
            return
        entities = list(message.get(ENTITIES) or [])
        entities += [
            {
                ENTITY_ATTRIBUTE_TYPE: ENTITY_TYPE,
                ENTITY_ATTRIBUTE_VALUE: finding.flag,
                ENTITY_ATTRIBUTE_START: finding.start_char,
                ENTITY_ATTRIBUTE_END: finding.end_char,
                EXTRACTOR: self.__class__.__name__,
                "severity": finding.severity,
            }
            for finding in triage.reported
        ]
        message.set(ENTITIES, entities, add_to_output=True)
        override = {"name": INTENT_FOR_SEVERITY[triage.severity], PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != override["name"]]
        message.set(INTENT, override, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [override, *ranking], add_to_output=True)
