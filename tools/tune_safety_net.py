"""Choose the safety net's threshold by cross-validation on its own training data.

Each message of assistant/triage/screening_training.yml and of the NLU training
data (as none) is judged by the lexicon, and, where the lexicon found nothing,
by a safety net trained on the other folds: the product's behaviour. The
labelled test sets in tests/triage/ are not used.

Usage: python -m tools.tune_safety_net
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from assistant.triage.detector import default_detector
from assistant.triage.safety_net import (
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
    emergency, urgent = (probabilities[:, classes.index(s)] for s in SEVERITIES)
    detector = default_detector()
    lexicon = [detector.detect(text) for text in texts]
    found_nothing = np.array([not triage.findings for triage in lexicon])
    lexicon_severity = [triage.severity or "none" for triage in lexicon]
    want = np.array(labels)
    screening = np.arange(len(texts)) < screening_count
    print(f"{len(texts)} messages: {screening_count} screening examples + {len(texts) - screening_count} ordinary")
    print("threshold  emergency found  urgent flagged  FP screening none  FP ordinary")
    for threshold in THRESHOLDS:
        got = []
        for i, severity in enumerate(lexicon_severity):
            if found_nothing[i] and not too_short(texts[i]):
                severity = judge(emergency[i], urgent[i], threshold).severity or severity
            got.append(severity)
        got_array = np.array(got)
        e = want == "emergency"
        u = want == "urgent"
        none_screening = (want == "none") & screening
        none_ordinary = ~screening
        marker = " <- chosen" if threshold == THRESHOLD else ""
        print(
            f"{threshold:9.2f}  {np.sum(got_array[e] == 'emergency'):7d}/{e.sum():<7d}"
            f"  {np.sum(got_array[u] != 'none'):6d}/{u.sum():<7d}"
            f"  {np.sum(got_array[none_screening] != 'none'):9d}/{none_screening.sum():<7d}"
            f"  {np.sum(got_array[none_ordinary] != 'none'):5d}/{none_ordinary.sum()}{marker}"
        )
    lexicon_only = np.array(lexicon_severity)
    print(
        f"lexicon only: emergency {np.sum(lexicon_only[want == 'emergency'] == 'emergency')}, "
        f"urgent {np.sum(lexicon_only[want == 'urgent'] != 'none')}, "
        f"FP screening none {np.sum(lexicon_only[(want == 'none') & screening] != 'none')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
