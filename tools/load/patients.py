"""The simulated patients of `make load`: each conversation's script, the same for the same seed.

Three kinds: FAQ questions taken from the training data (70%), the full booking conversation
(`booking_turns`, which the end-to-end and scale-out tests follow too) under a unique name (20%),
and an FAQ, an emergency, another question (10%); a seeded random think time before each turn.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
THINK_SECONDS = (0.2, 1.0)
MIX = (("faq", 0.7), ("booking", 0.2), ("red_flag", 0.1))
# Emergency messages of the end-to-end tests; each must get utter_red_flag_emergency.
EMERGENCIES = (
    "I wet myself this morning and didn't notice",
    "also since this morning I can't feel anything down there when I wipe",
)
SUMMARY_PREFIX = "Here's your request:"  # the booking summary, written by the action server
FIRST_NAMES = (
    "Maria", "Ana", "James", "Priya", "Olga", "David", "Fatima", "Kenji", "Laura", "Tomasz",
    "Amara", "Lucas", "Sofia", "Daniel", "Mei", "Omar", "Elena", "Samuel", "Ingrid", "Rafael",
)  # fmt: skip
LAST_NAMES = (
    "Lopez", "Smith", "Nguyen", "Patel", "Kowalski", "Okafor", "Garcia", "Johansson", "Rossi", "Tanaka",
    "Haddad", "Murphy", "Fischer", "Silva", "Kim", "Novak", "Brennan", "Castillo", "Larsen", "Mendes",
)  # fmt: skip
MIDDLE_NAMES = ("", "Jean", "Lee", "Marie", "Ray", "Ann", "Noor", "Kai", "Rose", "Ivan")


@dataclass(frozen=True)
class Turn:
    message: str
    think: float  # seconds the patient waits before sending
    expect: str | None = None  # some reply must start with this; None: any reply at all


@dataclass(frozen=True)
class Script:
    index: int
    sender: str
    kind: str
    turns: tuple[Turn, ...]
    name: str | None = None  # the booking's patient name


def faq_questions(nlu_dir: Path = ROOT / "data" / "nlu") -> list[str]:
    """Real patients' wording: every example of the FAQ intents (data/nlu/faq_*.yml)."""
    questions = []
    for path in sorted(nlu_dir.glob("faq_*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" in block:
                questions += [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
    return questions


def domain_answers() -> dict[str, str]:
    """First text of every response: domain.yml plus data/responses/*.yml (as tests/conftest.py merges them)."""
    merged = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    for path in sorted((ROOT / "data" / "responses").glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8"))["responses"])
    return {name: variants[0].get("text", "") for name, variants in merged.items()}


def patient_name(index: int) -> str:
    """Unique per conversation index (for 4,000 conversations, far more than a run starts)."""
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    middle = MIDDLE_NAMES[(index // (len(FIRST_NAMES) * len(LAST_NAMES))) % len(MIDDLE_NAMES)]
    return " ".join(part for part in (first, middle, last) if part)


def booking_turns(name: str, phone: str, answers: dict[str, str]) -> list[tuple[str, str]]:
    """A whole booking request, with a question in between, and the reply expected after each message
    (also the end-to-end and scale-out tests' booking)."""
    return [
        ("can I come in next Tuesday afternoon?", answers["utter_ask_patient_name"]),
        (name, answers["utter_ask_patient_contact"]),
        (phone, answers["utter_ask_booking_patient_type"]),
        ("does acupuncture hurt?", answers["utter_acupuncture_pain"]),
        ("I'm a new patient", answers["utter_ask_booking_reason"]),
        ("sciatica down my left leg", answers["utter_ask_contact_consent"]),
        ("yes", answers["utter_ask_booking_screening"]),
        ("no", SUMMARY_PREFIX),
        ("yes", answers["utter_booking_requested"]),
    ]


def make_script(seed: int, index: int, run_id: str, questions: Sequence[str], answers: dict[str, str]) -> Script:
    """Conversation `index` of a run: the same for the same seed, whenever and whichever patient runs it."""
    rng = random.Random(f"{seed}:{index}")  # noqa: S311 (a test script, not a secret)
    kind = rng.choices([kind for kind, _ in MIX], weights=[share for _, share in MIX])[0]
    name = None
    if kind == "faq":
        steps: list[tuple[str, str | None]] = [(q, None) for q in rng.sample(questions, rng.randint(3, 5))]
    elif kind == "booking":
        name = patient_name(index)
        steps = list(booking_turns(name, f"(212) 555-01{index % 100:02d}", answers))
    else:
        first, last = rng.sample(questions, 2)
        steps = [(first, None), (rng.choice(EMERGENCIES), answers["utter_red_flag_emergency"]), (last, None)]
    turns = tuple(Turn(message, round(rng.uniform(*THINK_SECONDS), 3), expect) for message, expect in steps)
    return Script(index, f"load-{run_id}-{index:05d}-{kind}", kind, turns, name)
