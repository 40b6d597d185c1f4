"""Red-flag figures on the labelled sets: first pass (recorded before any tuning) and now.

    python -m tools.triage_report                      # every set: first pass and now, one line each
    python -m tools.triage_report tests/triage/X.yml   # one set: its misses, categories and timings

A report, not a test (tests/test_triage.py holds the sets to their targets). First-pass figures
are recorded once, in tests/triage/first_pass.yml, when a blind set is first run; they are never
updated. "Now" counts, for each set:
- emergencies found as emergencies; a borderline-labelled one the detector is unsure of gets the
  screening question (a yes is an emergency): counted apart, as "asked";
- crisis messages given the crisis answer;
- urgent messages flagged (urgent or emergency);
- ordinary messages flagged (false alarms), and the unsure ones among them (asked the question).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.triage.detector import Triage, detect  # noqa: E402

SETS = ROOT / "tests" / "triage"
FIRST_PASS = SETS / "first_pass.yml"
NOT_SETS = {"first_pass.yml", "form_answers.yml"}  # the first-pass figures; form answers (all ordinary)
LONG_MESSAGE = ("I have had sciatica in my right leg for six weeks and my GP suggested acupuncture. " * 25)[:2000]
# The detector's worst case: 2,000 characters of reports, each read in its clause (negation, people, time).
PACKED_MESSAGE = (
    "My husband can't control his bladder since Monday and I can't feel my groin when I wipe. "
    "No fever, but my mum had bowel cancer years ago and now has new back pain. "
    "Since the needles in my upper back I'm short of breath and my chest is tight. "
    "Some nights I think about ending it all, and both legs keep giving way on the stairs. "
) * 6
PACKED_MESSAGE = PACKED_MESSAGE[: PACKED_MESSAGE.rindex(". ", 0, 2000) + 1]


def outcome(triage: Triage) -> str:
    """What the patient gets: emergency, urgent, borderline (the screening question) or none."""
    if triage.severity is not None:
        return triage.severity
    return "borderline" if getattr(triage, "borderline", False) else "none"


@dataclass
class Figures:
    emergency: int = 0
    emergency_found: int = 0
    emergency_asked: int = 0  # borderline-labelled, given the screening question
    downgraded: int = 0
    crisis: int = 0
    crisis_answered: int = 0
    urgent: int = 0
    urgent_flagged: int = 0
    ordinary: int = 0
    false_alarms: int = 0
    ordinary_asked: int = 0
    categories: dict[str, list[int]] = field(default_factory=dict)  # category: [right, total]

    def add(self, message: dict[str, Any], triage: Triage) -> bool:
        """Count one message; True when it got what its label asks."""
        want, got = message["severity"], outcome(triage)
        if want == "emergency":
            self.emergency += 1
            right = got == "emergency"
            self.emergency_found += right
            self.downgraded += got == "urgent"
            if got == "borderline" and message.get("borderline"):
                self.emergency_asked += 1
                right = True
        elif want == "urgent":
            self.urgent += 1
            right = got in ("urgent", "emergency")
            self.urgent_flagged += right
        else:
            self.ordinary += 1
            right = got == "none"
            self.false_alarms += got in ("urgent", "emergency")
            self.ordinary_asked += got == "borderline"
        if message.get("category") == "crisis":
            self.crisis += 1
            self.crisis_answered += triage.crisis
            right = right and triage.crisis
        category = message.get("category")
        if category:
            tally = self.categories.setdefault(category, [0, 0])
            tally[0] += right
            tally[1] += 1
        return right

    def line(self) -> str:
        asked = f" (+{self.emergency_asked} asked)" if self.emergency_asked else ""
        crisis = f", crisis answer {self.crisis_answered}/{self.crisis}" if self.crisis else ""
        unsure = f" (+{self.ordinary_asked} asked)" if self.ordinary_asked else ""
        return (
            f"emergency {self.emergency_found}/{self.emergency}{asked}{crisis}, "
            f"urgent {self.urgent_flagged}/{self.urgent}, false alarms {self.false_alarms}/{self.ordinary}{unsure}"
        )


def load(path: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]


def labelled_texts(path: Path) -> list[str]:
    """The texts of one set (make bench times the detector on them)."""
    return [message["text"] for message in load(path)]


def labelled_sets() -> list[Path]:
    return sorted(p for p in SETS.glob("*.yml") if p.name not in NOT_SETS)


def first_pass() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(FIRST_PASS.read_text(encoding="utf-8")) or {}


def recorded_line(entry: dict[str, Any]) -> str:
    parts = [f"emergency {entry['emergency']}"]
    if "crisis" in entry:
        parts[0] += f", crisis answer {entry['crisis']}"
    parts += [f"urgent {entry['urgent']}", f"false alarms {entry['false_alarms']}"]
    return ", ".join(parts) + f" ({entry['date']}{', ' + entry['note'] if entry.get('note') else ''})"


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


def summary() -> int:
    recorded = first_pass()
    detect("warm up")
    for path in labelled_sets():
        figures = Figures()
        for message in load(path):
            figures.add(message, detect(message["text"]))
        print(f"{path.name} ({figures.emergency + figures.urgent + figures.ordinary} messages)")
        if path.name in recorded:
            print(f"  first pass: {recorded_line(recorded[path.name])}")
        else:
            print("  first pass: none recorded (not written blind)")
        print(f"  now:        {figures.line()}")
    return 0


def details(path: Path) -> int:
    messages = load(path)
    detect("warm up")
    figures = Figures()
    times = []
    for message in messages:
        started = time.perf_counter()
        triage = detect(message["text"])
        times.append((time.perf_counter() - started) * 1000)
        if not figures.add(message, triage):
            category = message.get("category", "")
            print(f"{message['severity']:9} -> {outcome(triage):10} {category:18} | {message['text'][:150]}")
    print(f"\n{path.name}: {len(messages)} messages")
    if figures.categories:
        print("by category (emergencies found or, if labelled borderline, asked; urgent flagged; others not flagged):")
        for category, (right, total) in figures.categories.items():
            print(f"  {category}: {right}/{total}")
    print(figures.line(), f"(downgraded to urgent: {figures.downgraded})")
    recorded = first_pass().get(path.name)
    if recorded:
        print(f"first pass: {recorded_line(recorded)}")
    p50, p95 = percentiles(times)
    long50, long95 = detector_times([LONG_MESSAGE, PACKED_MESSAGE], repeat=15)
    print(
        f"detector time p50 {p50:.2f} ms, p95 {p95:.2f} ms; "
        f"2,000 characters p50 {long50:.2f} ms, p95 {long95:.2f} ms"
    )
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        return summary()
    path = Path(argv[0])
    if not path.is_file():
        print(f"no such labelled set: {path}", file=sys.stderr)
        return 2
    return details(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
