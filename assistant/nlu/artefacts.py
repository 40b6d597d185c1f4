"""A trained scikit-learn artefact kept in the Rasa model, for the project's NLU components."""

from __future__ import annotations

import logging
from typing import Any

import joblib
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

logger = logging.getLogger(__name__)


def save(model_storage: ModelStorage, resource: Resource, filename: str, artefact: Any) -> None:
    with model_storage.write_to(resource) as path:
        joblib.dump(artefact, path / filename)


def load(model_storage: ModelStorage, resource: Resource, filename: str) -> Any | None:
    """The artefact, or None when the model has none (the component was not trained)."""
    try:
        with model_storage.read_from(resource) as path:
            return joblib.load(path / filename)
    except (ValueError, FileNotFoundError):
        return None
