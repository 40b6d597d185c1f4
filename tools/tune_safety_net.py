"""Choose the safety net's threshold, and measure what the labelled sets teach it.

    python -m tools.tune_safety_net            # thresholds, cross-validated on its own examples
    python -m tools.tune_safety_net --by-set   # each blind set left out in turn (a few minutes)

Thresholds: each message of assistant/triage/screening_training.yml and of the
NLU training data (as none) is judged by the lexicon, and, where the lexicon
found nothing, by a safety net trained on the other folds: the product's
behaviour. The labelled sets are not used. A crisis example counts as found when
it gets the crisis answer (the lexicon's crisis flag, or the net's crisis class),
as an emergency when it gets any emergency answer.

By set: for each blind set (those with a first pass recorded), the detector with
a net trained on everything but that set, beside a net trained without any
labelled set: what learning from the sets is worth on wording the net has not
seen. The lexicon was tuned on those sets, so only the net's part is unseen.
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
    SafetyNet,
    judge,
    labelled_sets,
    new_pipeline,
    nlu_examples,
    screening_examples,
    too_short,
    training_set,
)
from tools.triage_report import Figures, first_pass, load

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def main(argv: list[str]) -> int:
    if argv == ["--by-set"]:
        return by_set()
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    return thresholds()


def by_set() -> int:
    detector, ordinary, recorded = default_detector(), nlu_examples(), first_pass()
    every = labelled_sets()
    blind = [path for path in every if path.name in recorded]
    totals = {"without the sets": Figures(), "with the other sets": Figures()}
    without = SafetyNet.train(*training_set(ordinary, labelled=[]))
    for held_out in blind:
        others = [path for path in every if path != held_out]
        with_others = SafetyNet.train(*training_set(ordinary, labelled=others))
        nets = {"without the sets": without, "with the other sets": with_others}
        print(held_out.name)
        for name, net in nets.items():
            figures = Figures()
            for message in load(held_out):
                triage = detector.detect(message["text"], net)
                figures.add(message, triage)
                totals[name].add(message, triage)
            print(f"  {name:20} {figures.line()}")
    print("all blind sets")
    for name, figures in totals.items():
        print(f"  {name:20} {figures.line()}")
    return 0


def thresholds() -> int:
    screening_count = len(screening_examples()[0])
    texts, labels = training_set(nlu_examples(), labelled=[])
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
    sys.exit(main(sys.argv[1:]))
