"""Report held-out examples that also appear in the training data (exact, case-insensitive).

Prints only the offending held-out lines, never the training data, so people
writing held-out examples can check their work without reading the training set.
"""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def examples(folder: Path) -> dict:
    found = {}
    for path in sorted(folder.rglob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in item.get("examples", "").splitlines():
                if line.strip().startswith("- "):
                    found[line.strip()[2:].strip().lower()] = item["intent"]
    return found


def main() -> int:
    held_out = examples(ROOT / "tests" / "nlu")
    training = examples(ROOT / "data" / "nlu")
    clashes = sorted(text for text in held_out if text in training)
    for text in clashes:
        print(f"{held_out[text]}: {text}")
    print(f"{len(clashes)} held-out example(s) also in training", file=sys.stderr)
    return 1 if clashes else 0


if __name__ == "__main__":
    sys.exit(main())
