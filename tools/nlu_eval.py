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
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.model import ensure_model  # noqa: E402

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

    def failures(self) -> list[str]:
        problems = []
        if self.accuracy < MIN_ACCURACY:
            problems.append(f"accuracy {self.accuracy:.3f} < {MIN_ACCURACY}")
        problems += [f"{intent} F1 {f1:.3f} < {MIN_F1}" for intent, f1 in sorted(self.f1.items()) if f1 < MIN_F1]
        return problems


def evaluate(model: Path, out: Path, name: str) -> Result:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [RASA, "test", "nlu", "--model", str(model), "--nlu", str(HELDOUT), "--out", str(out), "--no-plot"],
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
    pairs = Counter((e["intent"], e["intent_prediction"]["name"]) for e in errors)
    return Result(
        name, report["accuracy"], sum(f1.values()) / len(f1), f1, [(a, b, n) for (a, b), n in pairs.most_common()]
    )


def table(results: list[Result]) -> str:
    lines = ["| config | accuracy | macro-F1 | lowest F1 | train s |", "|---|---|---|---|---|"]
    for r in results:
        worst = min(r.f1.items(), key=lambda kv: kv[1])
        lines.append(
            f"| {r.name} | {r.accuracy:.3f} | {r.macro_f1:.3f} | {worst[0]} {worst[1]:.3f} | "
            f"{r.train_seconds:.0f} |"
        )
    for r in results:
        lines.append(
            f"\n{r.name} confusion pairs (true -> predicted: count): "
            + (", ".join(f"{a} -> {b}: {n}" for a, b, n in r.confusions) or "none")
        )
    return "\n".join(lines)


def train_nlu(config: Path, out: Path) -> tuple[Path, float]:
    name = f"nlu-{config.stem}"
    started = time.monotonic()
    subprocess.run(
        [RASA, "train", "nlu", "--config", str(config), "--nlu", "data", "--out", str(out), "--fixed-model-name", name],
        cwd=ROOT,
        check=True,
    )
    return out / f"{name}.tar.gz", time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate")
    ev.add_argument("--check", action="store_true", help=f"exit 1 below accuracy {MIN_ACCURACY} or F1 {MIN_F1}")
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("configs", nargs="*", type=Path)
    args = parser.parse_args()

    if args.command == "evaluate":
        model = ensure_model(ROOT / "config.yml", "clinic")
        result = evaluate(model, REPORTS / "nlu", "config.yml")
        text = table([result]) + "\n\nper-intent F1: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(result.f1.items()))
        print(text)
        (REPORTS / "nlu.md").write_text(text + "\n")
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
        model, seconds = train_nlu(config.resolve(), ROOT / "var" / "compare")
        result = evaluate(model, REPORTS / "compare" / config.stem, config.stem)
        result.train_seconds = seconds
        results.append(result)
    text = table(results)
    print(text)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "compare.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
