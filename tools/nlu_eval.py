"""NLU quality on the held-out split (tests/nlu/), and pipeline comparisons.

evaluate: rasa test nlu on a trained model; a table of accuracy, macro-F1,
          per-intent F1 and the confusion pairs; --check fails below targets.
compare:  trains each candidate config (NLU only) on data/ and evaluates
          each on the same held-out split.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.model import ensure_model, publish_report, train_seconds  # noqa: E402

HELDOUT = ROOT / "tests" / "nlu"
REPORTS = ROOT / "var" / "reports"
MIN_ACCURACY = 0.95
MIN_F1 = 0.85
RASA = str(Path(sys.executable).parent / "rasa")


@dataclass
class Result:
    name: str
    accuracy: float
    macro_f1: float
    f1: dict[str, float]
    confusions: list[tuple[str, str, int]]
    train_seconds: float = 0.0
    below_threshold: float = 0.0  # share of held-out messages that would get "did you mean"

    def failures(self) -> list[str]:
        problems = []
        if self.accuracy < MIN_ACCURACY:
            problems.append(f"accuracy {self.accuracy:.3f} < {MIN_ACCURACY}")
        problems += [f"{intent} F1 {f1:.3f} < {MIN_F1}" for intent, f1 in sorted(self.f1.items()) if f1 < MIN_F1]
        return problems


def fallback_threshold(config: Path) -> float:
    pipeline = yaml.safe_load(config.read_text()).get("pipeline") or []
    return next((float(c.get("threshold", 0.3)) for c in pipeline if c["name"] == "FallbackClassifier"), 0.0)


def evaluate(model: Path, out: Path, name: str, threshold: float) -> Result:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            RASA,
            "test",
            "nlu",
            "--model",
            str(model),
            "--nlu",
            str(HELDOUT),
            "--out",
            str(out),
            "--no-plot",
            "--successes",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    report = json.loads((out / "intent_report.json").read_text())
    f1 = {
        k: v["f1-score"]
        for k, v in report.items()
        if isinstance(v, dict) and "f1-score" in v and k not in ("macro avg", "weighted avg", "micro avg")
    }
    # Rasa lists a predicted-only label (e.g. nlu_fallback) with support 0; it is not a topic.
    f1 = {k: v for k, v in f1.items() if report[k].get("support", 0) > 0}
    errors_file = out / "intent_errors.json"
    errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    successes = json.loads((out / "intent_successes.json").read_text())
    pairs = Counter((e["intent"], e["intent_prediction"]["name"]) for e in errors)
    # Rasa's evaluation undoes fallback predictions; count them from the confidences.
    low = sum(1 for e in errors + successes if (e["intent_prediction"]["confidence"] or 0) < threshold)
    return Result(
        name,
        report["accuracy"],
        sum(f1.values()) / len(f1),
        f1,
        [(a, b, n) for (a, b), n in pairs.most_common()],
        below_threshold=low / max(1, len(errors) + len(successes)),
    )


def table(results: list[Result]) -> str:
    lines = [
        "| config | accuracy | macro-F1 | lowest F1 | below fallback threshold | train s |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        worst = min(r.f1.items(), key=lambda kv: kv[1])
        lines.append(
            f"| {r.name} | {r.accuracy:.3f} | {r.macro_f1:.3f} | {worst[0]} {worst[1]:.3f} | "
            f"{r.below_threshold:.1%} | {r.train_seconds:.0f} |"
        )
    for r in results:
        lines.append(
            f"\n{r.name} confusion pairs (true -> predicted: count): "
            + (", ".join(f"{a} -> {b}: {n}" for a, b, n in r.confusions) or "none")
        )
    return "\n".join(lines)


def model_for(config: Path) -> tuple[Path, float]:
    """The full model for a config (trained once, cached in models/ like `make train`),
    so `make bench` measures the very models compared here."""
    prefix = "clinic" if config.name == "config.yml" else config.stem
    model = ensure_model(config, prefix)
    return model, train_seconds(model)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate")
    ev.add_argument("--check", action="store_true", help=f"exit 1 below accuracy {MIN_ACCURACY} or F1 {MIN_F1}")
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("configs", nargs="*", type=Path)
    args = parser.parse_args()

    if args.command == "evaluate":
        model, seconds = model_for(ROOT / "config.yml")
        result = evaluate(model, REPORTS / "nlu", "config.yml", fallback_threshold(ROOT / "config.yml"))
        result.train_seconds = seconds
        text = table([result]) + "\n\nper-intent F1: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(result.f1.items()))
        publish_report("nlu.md", text)
        failures = result.failures()
        if args.check and failures:
            print("NLU below target on the held-out split: " + "; ".join(failures), file=sys.stderr)
            return 1
        return 0

    configs = args.configs or [
        ROOT / "bench" / "configs" / "rasa-default.yml",
        ROOT / "config.yml",
        *sorted((ROOT / "bench" / "configs").glob("candidate-*.yml")),
    ]
    results = []
    for config in configs:
        model, seconds = model_for(config.resolve())
        result = evaluate(model, REPORTS / "compare" / config.stem, config.stem, fallback_threshold(config))
        result.train_seconds = seconds
        results.append(result)
    publish_report("compare.md", table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
