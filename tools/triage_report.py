"""Red-flag detector report on a labelled set: misses, downgrades, false positives, speed.

    python -m tools.triage_report [tests/triage/blind_messages.yml]

A report, not a test: use it on sets the lexicon was not tuned on.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.triage.detector import detect  # noqa: E402

LONG_MESSAGE = ("I have had sciatica in my right leg for six weeks and my GP suggested acupuncture. " * 25)[:2000]


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.95)]


def detector_times(texts: list[str], repeat: int = 3) -> tuple[float, float]:
    """p50 and p95 milliseconds of the detector over `texts`."""
    detect("warm up")
    times = []
    for _ in range(repeat):
        for text in texts:
            started = time.perf_counter()
            detect(text)
            times.append((time.perf_counter() - started) * 1000)
    return percentiles(times)


def labelled_texts(path: Path) -> list[str]:
    return [m["text"] for m in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]]


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "triage" / "blind_messages.yml"
    messages = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
    detect("warm up")
    outcome: Counter[str] = Counter()
    times = []
    for message in messages:
        started = time.perf_counter()
        got = detect(message["text"]).severity or "none"
        times.append((time.perf_counter() - started) * 1000)
        want = message["severity"]
        outcome[f"{want}->{got}"] += 1
        if got != want:
            print(f"{want:9} -> {got:9} | {message['text'][:150]}")
    counts = Counter(m["severity"] for m in messages)
    emergency_hit = outcome["emergency->emergency"]
    print(f"\n{path.name}: {len(messages)} messages")
    print(
        f"emergency recall {emergency_hit}/{counts['emergency']} (downgraded to urgent: {outcome['emergency->urgent']})"
    )
    urgent_flagged = outcome["urgent->urgent"] + outcome["urgent->emergency"]
    print(f"urgent flagged {urgent_flagged}/{counts['urgent']}")
    false_positives = counts["none"] - outcome["none->none"]
    print(f"false positives on clean messages {false_positives}/{counts['none']}")
    p50, p95 = percentiles(times)
    print(f"detector time p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
