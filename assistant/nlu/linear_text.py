"""Per-message prediction of a TF-IDF + logistic-regression pipeline without sparse matrices.

Both of this project's text classifiers (intent, red-flag safety net) are a
scikit-learn `Pipeline` of a `FeatureUnion` of `TfidfVectorizer`s and a
`LogisticRegression`. For one message, `predict_proba` builds, checks,
transposes and multiplies several scipy sparse matrices, which cost far more
than the arithmetic: about 1.5 ms of a turn for the two classifiers. The same
sums done directly on the few features a message has take a fraction of that.

`CompiledTextClassifier` is built from the trained pipeline when the model
loads (training and the stored model are unchanged) and gives the same
probabilities up to float rounding; tests/test_fast_paths.py
(test_compiled_classifiers_give_scikit_learns_probabilities) checks it
against `predict_proba` on every training message. A pipeline of another
shape is used as it is (`compile_pipeline` returns None).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline


@dataclass(frozen=True)
class _Part:
    analyse: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: np.ndarray | None
    sublinear_tf: bool
    norm: str | None
    offset: int  # where this vectorizer's columns start in the union's output


class CompiledTextClassifier:
    def __init__(self, parts: list[_Part], weights: np.ndarray, intercept: np.ndarray, classes: np.ndarray) -> None:
        self.parts = parts
        self.weights = weights  # (features, classes), one row per feature
        self.intercept = intercept
        self.classes_ = classes

    def scores(self, text: str) -> np.ndarray:
        total = self.intercept.copy()
        for part in self.parts:
            counts: dict[int, int] = {}
            vocabulary = part.vocabulary
            for term in part.analyse(text):
                index = vocabulary.get(term)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if part.sublinear_tf:
                values = np.log(values) + 1.0
            if part.idf is not None:
                values = values * part.idf[columns]
            if part.norm == "l2":
                values = values / np.sqrt(np.dot(values, values))
            elif part.norm == "l1":
                values = values / np.abs(values).sum()
            total += values @ self.weights[columns + part.offset]
        return total

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Multinomial (softmax) probabilities, one row per text, columns in `classes_` order."""
        rows = np.array([self.scores(text) for text in texts], dtype=np.float64).reshape(len(texts), -1)
        rows -= rows.max(axis=1, keepdims=True)
        np.exp(rows, out=rows)
        rows /= rows.sum(axis=1, keepdims=True)
        return rows


def _multinomial(classifier: LogisticRegression) -> bool:
    """Whether sklearn's predict_proba is a softmax (what `CompiledTextClassifier` computes)."""
    if len(classifier.classes_) <= 2:
        return False
    if classifier.multi_class == "multinomial":
        return True
    return classifier.multi_class == "auto" and classifier.solver != "liblinear"


def compile_pipeline(pipeline: object) -> CompiledTextClassifier | None:
    """The fast equivalent of a fitted union-of-TF-IDF + multinomial logistic regression, else None."""
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        return None
    union, classifier = pipeline.steps[0][1], pipeline.steps[1][1]
    if not isinstance(union, FeatureUnion) or not isinstance(classifier, LogisticRegression):
        return None
    if union.transformer_weights or not _multinomial(classifier):
        return None
    parts, offset = [], 0
    for _, vectorizer in union.transformer_list:
        if type(vectorizer) is not TfidfVectorizer or vectorizer.binary or vectorizer.dtype != np.float64:
            return None
        parts.append(
            _Part(
                analyse=vectorizer.build_analyzer(),
                vocabulary=vectorizer.vocabulary_,
                idf=np.asarray(vectorizer.idf_, dtype=np.float64) if vectorizer.use_idf else None,
                sublinear_tf=vectorizer.sublinear_tf,
                norm=vectorizer.norm,
                offset=offset,
            )
        )
        offset += len(vectorizer.vocabulary_)
    if offset != classifier.coef_.shape[1]:
        return None
    weights = np.ascontiguousarray(classifier.coef_.T, dtype=np.float64)
    return CompiledTextClassifier(
        parts, weights, np.asarray(classifier.intercept_, dtype=np.float64), classifier.classes_
    )
