"""Pick the FallbackClassifier threshold from data, not by default.

5-fold cross-validated predictions on the training data (never the held-out
split) with the classifier configured in config.yml. For each threshold:
how many correct answers would be turned into "did you mean" (cost: one
extra tap) and how many wrong answers would be caught (benefit: no wrong
answer). A wrong FAQ answer is worse than a question back, so the rule is:
catch as many wrong answers as possible while losing at most 5% of right ones.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import yaml
from sklearn.model_selection import StratifiedKFold, cross_val_predict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.nlu.tfidf_intent_classifier import TfidfIntentClassifier  # noqa: E402

MAX_LOST = 0.05


def training_examples() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in item["examples"].splitlines():
                if line.strip().startswith("- "):
                    texts.append(line.strip()[2:].strip())
                    labels.append(item["intent"])
    return texts, labels


def main() -> int:
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    settings = next(c for c in config["pipeline"] if c["name"].endswith("TfidfIntentClassifier"))
    component = TfidfIntentClassifier({k: v for k, v in settings.items() if k != "name"}, None, None)
    texts, labels = training_examples()
    folds = StratifiedKFold(5, shuffle=True, random_state=42)
    probs = cross_val_predict(component._new_pipeline(), texts, labels, cv=folds, method="predict_proba")
    classes = np.array(sorted(set(labels)))
    top = probs.max(axis=1)
    correct = classes[probs.argmax(axis=1)] == np.array(labels)
    print(f"cross-validated accuracy {correct.mean():.3f} on {len(texts)} training examples")
    print("| threshold | right answers lost | wrong answers caught |")
    print("|---|---|---|")
    best = 0.0
    for threshold in np.arange(0.1, 0.75, 0.05):
        lost = (top[correct] < threshold).mean()
        caught = (top[~correct] < threshold).mean()
        print(f"| {threshold:.2f} | {lost:.1%} | {caught:.1%} |")
        if lost <= MAX_LOST:
            best = float(threshold)
    print(f"highest threshold losing <= {MAX_LOST:.0%} of right answers: {best:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
