"""Choose the safety net's threshold by cross-validation on its own training data.

Each message of assistant/triage/screening_training.yml and of the NLU training
data (as none) is judged by the lexicon, and, where the lexicon found nothing,
by a safety net trained on the other folds: the product's behaviour. The
labelled test sets in tests/triage/ are not used. A crisis example counts as
found when it gets the crisis answer (the lexicon's crisis flag, or the net's
crisis class), as an emergency when it gets any emergency answer.

Usage: python -m tools.tune_safety_net
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from assistant.triage.detector import default_detector
from assistant.triage.safety_net import (
    CRISIS,
    SEVERITIES,
    THRESHOLD,
    judge,
    new_pipeline,
    nlu_examples,
    screening_examples,
    too_short,
    training_set,
)

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def main() -> int:
    screening_count = len(screening_examples()[0])
    texts, labels = training_set(nlu_examples())
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    probabilities = cross_val_predict(new_pipeline(), texts, labels, cv=folds, method="predict_proba")
    classes = sorted(set(labels))
    emergency, urgent, crisis = (
        probabilities[:, classes.index(s)] if s in classes else np.zeros(len(texts)) for s in (*SEVERITIES, CRISIS)
    )
    detector = default_detector()
    lexicon = [detector.detect(text) for text in texts]
    found_nothing = np.array([not triage.findings for triage in lexicon])
    # What the patient is answered: crisis, emergency, urgent or none.
    lexicon_answer = [CRISIS if triage.crisis else triage.severity or "none" for triage in lexicon]
    want = np.array(labels)
    screening = np.arange(len(texts)) < screening_count
    print(f"{len(texts)} messages: {screening_count} screening examples + {len(texts) - screening_count} ordinary")
    print("threshold  emergency found  crisis answer  urgent flagged  FP screening none  FP ordinary")
    for threshold in THRESHOLDS:
        got = []
        for i, answer in enumerate(lexicon_answer):
            if found_nothing[i] and not too_short(texts[i]):
                opinion = judge(emergency[i], urgent[i], crisis[i], threshold)
                if opinion.severity is not None:
                    answer = CRISIS if opinion.crisis else opinion.severity
            got.append(answer)
        marker = " <- chosen" if threshold == THRESHOLD else ""
        print(row(f"{threshold:9.2f}", np.array(got), want, screening) + marker)
    print(row("lexicon  ", np.array(lexicon_answer), want, screening) + " (lexicon only)")
    return 0


def row(name: str, got: np.ndarray, want: np.ndarray, screening: np.ndarray) -> str:
    emergencies = (want == "emergency") | (want == CRISIS)
    crises = want == CRISIS
    urgent = want == "urgent"
    none_screening = (want == "none") & screening
    none_ordinary = ~screening
    as_emergency = (got == "emergency") | (got == CRISIS)
    return (
        f"{name}  {np.sum(as_emergency[emergencies]):7d}/{emergencies.sum():<7d}"
        f"  {np.sum(got[crises] == CRISIS):6d}/{crises.sum():<6d}"
        f"  {np.sum(got[urgent] != 'none'):6d}/{urgent.sum():<7d}"
        f"  {np.sum(got[none_screening] != 'none'):9d}/{none_screening.sum():<7d}"
        f"  {np.sum(got[none_ordinary] != 'none'):5d}/{none_ordinary.sum()}"
    )


if __name__ == "__main__":
    sys.exit(main())
