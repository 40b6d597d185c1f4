"""Learned safety net: a second opinion where the lexicon found nothing to report.

The lexicon reads negation, other people and the past, but only knows the
wordings it lists; patients find new ones. This small classifier (TF-IDF
word and character n-grams + logistic regression over emergency / urgent /
crisis / none) is trained on `screening_training.yml` (written from the clinical
reference), on the labelled sets already tuned on (tests/triage/*messages.yml:
once a blind set has been measured and tuned on, it is training data; sets held
back for measuring, in tests/triage/next/, never are) and on the assistant's
ordinary questions as `none`.

It is consulted where the lexicon found no mention at all (threshold 0.5), and
where it read every mention as negated, past or someone else's history, or
found only an unsure one: there the net must be sure (SURE, 0.8) to overrule
that reading, since the lexicon's negation words also start phrases that report
("not talking properly", "not suicidal exactly, but ..."). On blind8, before
anything was tuned on it, the two together lifted the detector from 131 to 145
of 145 emergencies (docs/triage.md, "What the net learns from", measured by
`python -m tools.tune_safety_net --by-set`). When in doubt it reports, and an
emergency/urgent tie goes to emergency. A crisis it recognises (thoughts of
suicide or self-harm in words the lexicon does not know) is an emergency that
gets the crisis answer, not the generic one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union

from assistant.nlu.linear_text import compile_pipeline
from assistant.triage.severity import SEVERITIES

TRAINING_PATH = Path(__file__).with_name("screening_training.yml")
ROOT = Path(__file__).resolve().parents[2]
NLU_DATA = ROOT / "data" / "nlu"
# The labelled sets tuned on (not next/, which holds the sets kept back for measuring).
LABELLED_DIR = ROOT / "tests" / "triage"
LABELLED_GLOB = "*messages.yml"
FLAG = "possible_red_flag"  # the flag id a safety-net finding carries
CRISIS_FLAG = "possible_crisis"  # ... when the net reads a crisis
CRISIS = "crisis"  # the net's label for thoughts of suicide or self-harm (an emergency, answered as a crisis)
LABELS = (*SEVERITIES, CRISIS, "none")
# Chosen by cross-validation on the training data only (docs/triage.md); never on the labelled test sets.
THRESHOLD = 0.5
# Where the lexicon itself was unsure (the screening question), the net must be this sure to answer
# with the emergency advice instead of asking: learned from "can't feel when I pee", it reads most
# bladder words as emergencies, and "I nearly didn't make it to the toilet" deserves the question first.
SURE = 0.8
# Fewer words are too little context for a bag of words: "new" (an answer to "first visit?") read
# as urgent. The lexicon still screens them ("cant pee").
MIN_WORDS = 3


@dataclass(frozen=True)
class Opinion:
    severity: str | None  # emergency, urgent, or None
    probability: float  # that the message reports a red flag at all
    crisis: bool = False  # a crisis (severity emergency): the crisis answer


class SafetyNet:
    def __init__(self, model: Pipeline, threshold: float = THRESHOLD) -> None:
        self.model = model
        # The same probabilities as model.predict_proba, ~20x faster per message (assistant/nlu/linear_text.py).
        self._predictor = compile_pipeline(model) or model
        self.threshold = threshold
        self._column = {label: i for i, label in enumerate(model.classes_)}

    # Stored in the model as the trained pipeline and threshold only; what is derived
    # from them is rebuilt on loading, so models stored by earlier versions load too.
    def __getstate__(self) -> dict[str, object]:
        return {"model": self.model, "threshold": self.threshold}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["model"], state["threshold"])

    @classmethod
    def train(cls, texts: list[str], labels: list[str], threshold: float = THRESHOLD) -> SafetyNet:
        unknown = set(labels) - set(LABELS)
        if unknown:
            raise ValueError(f"safety net: unknown labels {sorted(unknown)}")
        model = new_pipeline()
        model.fit(texts, labels)
        return cls(model, threshold)

    def opinion(self, text: str, threshold: float | None = None) -> Opinion:
        """Its reading of the text; `threshold` raises the bar where the lexicon was already unsure."""
        if too_short(text):
            return Opinion(None, 0.0)
        probabilities = self._predictor.predict_proba([text])[0]
        emergency, urgent, crisis = (
            probabilities[self._column[label]] if label in self._column else 0.0 for label in (*SEVERITIES, CRISIS)
        )
        return judge(emergency, urgent, crisis, threshold or self.threshold)


def too_short(text: str) -> bool:
    return len(text.split()) < MIN_WORDS


def judge(emergency: float, urgent: float, crisis: float = 0.0, threshold: float = THRESHOLD) -> Opinion:
    """The net's probabilities as a finding; `tools.tune_safety_net` measures this same rule.

    Flagged when the three red-flag classes together reach the threshold; then the most likely one
    says which, ties going to the more severe answer (crisis, then emergency)."""
    flagged = float(emergency + urgent + crisis)
    if flagged < threshold:
        return Opinion(None, flagged)
    if crisis >= max(emergency, urgent):
        return Opinion("emergency", flagged, crisis=True)
    return Opinion("emergency" if emergency >= urgent else "urgent", flagged)


def new_pipeline() -> Pipeline:
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    # No class weights: "balanced" made every ache look like a red flag (docs/triage.md).
    classifier = LogisticRegression(C=30.0, max_iter=3000, random_state=42)
    return Pipeline([("features", features), ("classifier", classifier)])


def screening_examples(path: Path = TRAINING_PATH) -> tuple[list[str], list[str]]:
    """(texts, labels) of the safety net's own training file."""
    messages = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
    return [m["text"] for m in messages], [m["severity"] for m in messages]


def net_label(message: dict) -> str:
    """A labelled message's class for the net: a crisis is its own class (it gets the crisis answer)."""
    if message["severity"] == "emergency" and message.get("category") == CRISIS:
        return CRISIS
    return message["severity"] if message["severity"] in SEVERITIES else "none"


def labelled_sets(folder: Path = LABELLED_DIR) -> list[Path]:
    return sorted(folder.glob(LABELLED_GLOB))


def set_examples(path: Path) -> tuple[list[str], list[str]]:
    """(texts, net labels) of one labelled set."""
    messages = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
    return [m["text"] for m in messages], [net_label(m) for m in messages]


def training_set(
    ordinary: Iterable[str], path: Path = TRAINING_PATH, labelled: Iterable[Path] | None = None
) -> tuple[list[str], list[str]]:
    """The screening examples and the labelled sets (by default every set tuned on), plus the
    assistant's ordinary questions as `none`."""
    texts, labels = screening_examples(path)
    for labelled_set in labelled_sets() if labelled is None else labelled:
        more, more_labels = set_examples(labelled_set)
        texts, labels = texts + more, labels + more_labels
    known = set(texts)
    ordinary = [text for text in ordinary if text not in known]
    return texts + ordinary, labels + ["none"] * len(ordinary)


def nlu_examples(folder: Path = NLU_DATA) -> list[str]:
    """Example texts of Rasa NLU training files (plain YAML reading; no Rasa import here)."""
    texts = []
    for path in sorted(folder.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in str(item.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    texts.append(line.strip()[2:].strip())
    return texts


@lru_cache(maxsize=1)
def default_safety_net() -> SafetyNet:
    """Trained on first use from the files in the repository (about two seconds); the NLU
    component trains its own copy into the model from the same files."""
    return SafetyNet.train(*training_set(nlu_examples()))
