"""NLU component: screen every message for red flags, after the intent classifier.

Runs last in the pipeline, so it never depends on the classifier (or the
fallback) getting the intent right. When the patient reports a red flag it
puts the intent `red_flag_crisis` (thoughts of suicide or self-harm),
`red_flag_emergency` or `red_flag_urgent` on top (the classifier's ranking is
kept below it), adds one `red_flag` entity per flag, and a `red_flags` section
with every finding (also negated or other-person ones) so `/model/parse` shows
why. With `red_flag_emergency` comes an `emergency_sign` entity: the medical
emergency the answer names (`chest_pain`, `stroke`...), or `back` for
sciatica's red flags; the slot it fills picks the answer's variation
(domain.yml), so the Rasa server answers without the action server. A crisis
that comes with a physical emergency ("I took all my pills and now my chest
hurts") carries the entity too: the crisis answer then names the danger sign
first; a crisis alone carries `none` (the crisis answer's own words). A crisis
the safety net reads (wording the lexicon does not know) is a crisis too.

The detection itself lives in `assistant.triage`. Training fits the learned
safety net on its own examples and on this model's NLU examples (as ordinary
messages) and stores it in the model; the lexicon is read when the model loads.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict
from pathlib import Path
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
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.nlu import artefacts
from assistant.triage.detector import RedFlagDetector, Triage, default_detector
from assistant.triage.safety_net import LABELLED_DIR, TRAINING_PATH, SafetyNet, labelled_sets, training_set

logger = logging.getLogger(__name__)
SAFETY_NET_FILE = "safety_net.joblib"

INTENT_FOR_SEVERITY = {"emergency": "red_flag_emergency", "urgent": "red_flag_urgent"}
CRISIS_INTENT = "red_flag_crisis"
SCREEN_INTENT = "red_flag_screen"  # unsure: the screening question (data/rules/triage.yml)
RED_FLAGS_KEY = "red_flags"
ENTITY_TYPE = "red_flag"
SIGN_ENTITY = "emergency_sign"  # fills the slot of the same name (domain.yml)
BACK_SIGN = "back"
NO_SIGN = "none"  # a crisis without a physical emergency: the crisis answer's own words


def intent_for(triage: Triage) -> str | None:
    """The intent for what the patient reported: a crisis first, whatever else is in the message; when
    unsure, the screening question."""
    if triage.crisis:
        return CRISIS_INTENT
    if triage.borderline:
        return SCREEN_INTENT
    return INTENT_FOR_SEVERITY.get(triage.severity or "")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class RedFlagDetectorComponent(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The safety net's own examples, and the folder of labelled sets it also learns from (its
        # *_messages.yml files); paths relative to the project, or absolute.
        return {"safety_net_examples": str(TRAINING_PATH), "labelled_sets": str(LABELLED_DIR)}

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy", "sklearn", "joblib"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The examples and labelled sets are not part of Rasa's training data: retrain when they change."""
        digest = hashlib.sha256(cls._examples_path(config).read_bytes())
        for path in labelled_sets(cls._labelled_dir(config)):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        detector: RedFlagDetector,
        safety_net: SafetyNet | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.detector = detector
        self.safety_net = safety_net

    @classmethod
    def _examples_path(cls, config: dict[str, Any]) -> Path:
        return Path({**cls.get_default_config(), **config}["safety_net_examples"])

    @classmethod
    def _labelled_dir(cls, config: dict[str, Any]) -> Path:
        return Path({**cls.get_default_config(), **config}["labelled_sets"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagDetectorComponent:
        return cls(config, model_storage, resource, default_detector())

    def train(self, training_data: TrainingData) -> Resource:
        ordinary = [e.get(TEXT) for e in training_data.intent_examples if e.get(TEXT)]
        labelled = labelled_sets(self._labelled_dir(self.config))
        examples = training_set(ordinary, self._examples_path(self.config), labelled)
        self.safety_net = SafetyNet.train(*examples)
        artefacts.save(self._model_storage, self._resource, SAFETY_NET_FILE, self.safety_net)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> RedFlagDetectorComponent:
        safety_net = artefacts.load(model_storage, resource, SAFETY_NET_FILE)
        if safety_net is None:
            # Screening still runs on the lexicon alone; say so loudly, it is a weaker screen.
            logger.error("RedFlagDetectorComponent: the model has no trained safety net; lexicon only")
        return cls(config, model_storage, resource, default_detector(), safety_net)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._screen(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def _screen(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if text.startswith("/"):  # a button payload, not patient text
            return
        triage = self.detector.detect(text, self.safety_net)
        message.set(RED_FLAGS_KEY, [asdict(f) for f in triage.findings], add_to_output=True)
        intent = intent_for(triage)
        if intent is None:
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
        if intent in (INTENT_FOR_SEVERITY["emergency"], CRISIS_INTENT):
            # Every emergency and crisis sets it, so the answer never follows an earlier message's sign
            # (also when the action server, which clears it, is down). A crisis names the physical
            # emergency reported with it, if any; its answer then gives that sign first.
            physical = [f for f in triage.reported if f.severity == "emergency" and f.kind != "crisis"]
            sign = triage.medical_sign or (BACK_SIGN if physical else NO_SIGN)
            named = next((f for f in physical if f.flag == sign or sign == BACK_SIGN), None)
            named = named or next(f for f in triage.reported if f.kind == "crisis")
            entities.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: SIGN_ENTITY,
                    ENTITY_ATTRIBUTE_VALUE: sign,
                    ENTITY_ATTRIBUTE_START: named.start_char,
                    ENTITY_ATTRIBUTE_END: named.end_char,
                    EXTRACTOR: self.__class__.__name__,
                }
            )
        message.set(ENTITIES, entities, add_to_output=True)
        override = {"name": intent, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != override["name"]]
        message.set(INTENT, override, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [override, *ranking], add_to_output=True)
