"""Red-flag detector report on a labelled set: misses, downgrades, false positives, speed.

    python -m tools.triage_report [tests/triage/blind_messages.yml]

The figures tests/test_triage.py checks on every labelled set, with the misses listed. On a new blind
set, run it once before any tuning and record the first pass in the set's header.
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
# The detector's worst case: 2,000 characters of reports, each read in its clause (negation, people, time).
PACKED_MESSAGE = (
    "My husband can't control his bladder since Monday and I can't feel my groin when I wipe. "
    "No fever, but my mum had bowel cancer years ago and now has new back pain. "
    "Since the needles in my upper back I'm short of breath and my chest is tight. "
    "Some nights I think about ending it all, and both legs keep giving way on the stairs. "
) * 6
PACKED_MESSAGE = PACKED_MESSAGE[: PACKED_MESSAGE.rindex(". ", 0, 2000) + 1]


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


def by_category(messages: list[dict], found: list[str]) -> list[str]:
    """Per category (when the set has them): emergencies found as such, others flagged or not as labelled."""
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for message, got in zip(messages, found, strict=True):
        category = message.get("category")
        if category is None:
            continue
        want = message["severity"]
        total[category] += 1
        right[category] += got == want if want != "urgent" else got != "none"
    return [f"  {category}: {right[category]}/{total[category]}" for category in total]


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "triage" / "blind_messages.yml"
    messages = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
    detect("warm up")
    outcome: Counter[str] = Counter()
    times = []
    found = []
    for message in messages:
        started = time.perf_counter()
        got = detect(message["text"]).severity or "none"
        times.append((time.perf_counter() - started) * 1000)
        found.append(got)
        want = message["severity"]
        outcome[f"{want}->{got}"] += 1
        if got != want:
            print(f"{want:9} -> {got:9} | {message['text'][:150]}")
    counts = Counter(m["severity"] for m in messages)
    emergency_hit = outcome["emergency->emergency"]

    print(f"\n{path.name}: {len(messages)} messages")
    categories = by_category(messages, found)
    if categories:
        print("by category (emergency found as one; urgent flagged; others not flagged):", *categories, sep="\n")
    print(
        f"emergency recall {emergency_hit}/{counts['emergency']} (downgraded to urgent: {outcome['emergency->urgent']})"
    )
    crises = [m for m in messages if m.get("category") == "crisis"]
    if crises:
        print(f"crisis answer {sum(detect(m['text']).crisis for m in crises)}/{len(crises)}")
    borderline = [m for m in messages if m.get("borderline") and m["severity"] == "emergency"]
    if borderline:
        borderline_found = sum(detect(m["text"]).severity == "emergency" for m in borderline)
        print(f"borderline emergencies found {borderline_found}/{len(borderline)} (left to the screening question)")
    urgent_flagged = outcome["urgent->urgent"] + outcome["urgent->emergency"]
    print(f"urgent flagged {urgent_flagged}/{counts['urgent']}")
    false_positives = counts["none"] - outcome["none->none"]
    print(f"false positives on clean messages {false_positives}/{counts['none']}")
    p50, p95 = percentiles(times)
    long50, long95 = detector_times([LONG_MESSAGE, PACKED_MESSAGE], repeat=15)
    print(
        f"detector time p50 {p50:.2f} ms, p95 {p95:.2f} ms; "
        f"2,000 characters p50 {long50:.2f} ms, p95 {long95:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
