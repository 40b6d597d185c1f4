"""Red-flag detector: the labelled messages in tests/triage/messages.yml, written
separately from the lexicon, and the behaviours the clinic relies on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from assistant.triage.detector import MAX_CHARS, Lexicon, default_detector, detect
from assistant.triage.safety_net import FLAG as SAFETY_NET_FLAG
from assistant.triage.safety_net import SafetyNet, screening_examples

# Labelled sets the lexicon has been checked against. blind3..6_messages.yml are kept
# out on purpose: they measure unseen phrasings (tools/triage_report.py).
TRIAGE_SETS = Path(__file__).parent / "triage"
LABELLED_SETS = ("messages.yml", "blind_messages.yml", "beyond_back_messages.yml")
MAX_FALSE_POSITIVE_RATE = 0.05


def load_set(name: str) -> list[dict]:
    return yaml.safe_load((TRIAGE_SETS / name).read_text(encoding="utf-8"))["messages"]


def labelled() -> list[dict]:
    return [m for name in LABELLED_SETS for m in load_set(name)]


def test_the_labelled_set_is_big_and_varied_enough() -> None:
    counts = Counter(m["severity"] for m in labelled())
    assert sum(counts.values()) >= 150
    assert min(counts["emergency"], counts["urgent"], counts["none"]) >= 30


def detected(severity: str) -> list[tuple[str, str | None, list[str]]]:
    """(text, detected severity, flags) for each labelled message of one severity."""
    results = []
    for message in labelled():
        if message["severity"] == severity:
            found = detect(message["text"])
            results.append((message["text"], found.severity, found.flags))
    return results


def test_no_emergency_is_missed_or_downgraded() -> None:
    missed = [(text, got) for text, got, _ in detected("emergency") if got != "emergency"]
    assert missed == []


def test_crisis_and_general_emergencies_get_their_own_answer() -> None:
    """A crisis must get the crisis answer, and a general emergency the answer naming its danger sign."""
    wrong = []
    for message in labelled():
        if "answer" in message:
            found = detect(message["text"])
            answer = "crisis" if found.crisis else found.medical_sign
            if answer != message["answer"]:
                wrong.append((message["text"], answer))
    assert wrong == []


def test_the_flags_a_message_is_labelled_with_are_found() -> None:
    missing = [
        (m["text"], detect(m["text"]).flags)
        for m in load_set("beyond_back_messages.yml")
        if not set(m.get("flags", [])) <= set(detect(m["text"]).flags)
    ]
    assert missing == []


def test_urgent_reports_are_flagged() -> None:
    missed = [text for text, got, _ in detected("urgent") if got is None]
    assert missed == []


def test_false_positives_on_clean_messages_stay_under_five_percent() -> None:
    clean = detected("none")
    flagged = [(text, flags) for text, got, flags in clean if got is not None]
    assert len(flagged) / len(clean) <= MAX_FALSE_POSITIVE_RATE, flagged


@pytest.mark.parametrize(
    ("text", "severity", "flags"),
    [
        ("i wet myself this morning and didn't notice", "emergency", ["bladder"]),
        ("can't feel anything down there when I wipe", "emergency", ["saddle"]),
        ("no bladder or bowel problems, just leg pain", None, []),
        ("no pain but I can't feel my groin", "emergency", ["saddle"]),
        ("my dad had prostate cancer", None, []),
        ("I had breast cancer 3 years ago", "urgent", ["cancer"]),
        ("I had a fever last winter", None, []),
        ("I broke my arm in a fall 10 years ago", None, []),
        ("my legs keep giving way and my foot slaps when I walk", "emergency", ["foot_drop"]),
        ("cant controll my blader since yesterday", "emergency", ["bladder"]),
        ("my mum can't control her bladder, she is the patient, can she come in?", "emergency", ["bladder"]),
        # Someone else's symptom now is a red flag for them; only their history is not.
        ("my husband can't control his bladder", "emergency", ["bladder"]),
        ("my mum soiled herself and didn't notice", "emergency", ["bowel"]),
        ("my wife says she can't feel anything in her saddle area", "emergency", ["saddle"]),
        ("my mum had bowel cancer years ago", None, []),
        ("my mum had bowel cancer a few years ago and has just started getting back pain", "urgent", ["cancer"]),
        ("Surely it wasn't the cancer. I had it in 2019 and my back started hurting last month", "urgent", ["cancer"]),
        ("cancer runs in my family but this is just a pulled muscle", None, []),
        ("my wife had a fever last week but she's fine now, the booking is for me", None, []),
        # Idioms, low mood and ordinary bad sciatica are not emergencies.
        ("this pain is killing me", None, []),
        ("I'm dying to try it", None, []),
        ("my chest is fine", None, []),
        ("I could murder a coffee", None, []),
        ("nearly had a heart attack when I saw the bill", None, []),
        ("I'm so fed up and down about this pain", None, []),
        ("I can barely walk", None, []),
        ("my right leg would go numb pretty easily", None, []),
        ("there's no weakness in my legs, just a tingly feeling", None, []),
        ("does acupuncture on the chest hurt?", None, []),
        # A question about a report is still a report.
        ("I have numbness in my groin, is that a sign of cauda equina?", "emergency", ["saddle"]),
        # Beyond the back.
        ("I just want to die, this pain is unbearable", "emergency", ["crisis"]),
        ("my husband says he is going to take all his pills tonight", "emergency", ["crisis"]),
        ("I'm not suicidal, just worn out", None, []),
        ("crushing pain in my chest and my left arm aches", "emergency", ["chest_pain"]),
        ("short of breath since the needles in my upper back this morning", "emergency", ["pneumothorax"]),
    ],
)
def test_behaviours_the_clinic_relies_on(text: str, severity: str | None, flags: list[str]) -> None:
    result = detect(text)
    assert result.severity == severity
    assert set(flags) <= set(result.flags)


def test_findings_say_why_a_hit_does_not_count() -> None:
    negated = detect("I have no numbness in my groin").findings
    assert negated and all(f.negated and not f.reportable for f in negated)
    other = detect("my dad had prostate cancer").findings
    assert other and all(f.other_person for f in other)
    past = detect("I had a fever last winter").findings
    assert past and all(f.past for f in past)
    [hit] = [f for f in detect("what does it cost? also I peed myself today").findings if f.reportable]
    assert (hit.flag, hit.severity, hit.text) == ("bladder", "emergency", "peed myself")


def test_a_red_flag_buried_in_a_long_message_is_found() -> None:
    text = (
        "Hi, I have had sciatica in my right leg for about six weeks and my GP suggested acupuncture. " * 25
        + "Since Tuesday I can't feel the toilet paper when I wipe. How much is a first session?"
    )
    assert len(text) > 2000
    assert detect(text).severity == "emergency"


def test_empty_and_oversized_input_is_safe() -> None:
    assert detect("").severity is None
    assert detect("   ").severity is None
    assert detect("x " * (MAX_CHARS * 2)).severity is None


def test_a_malformed_lexicon_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="needs severity"):
        Lexicon({"flags": {"x": {"severity": "soon", "phrases": ["a"]}}})
    with pytest.raises(ValueError, match="no phrases"):
        Lexicon({"flags": {"x": {"severity": "urgent"}}})
    with pytest.raises(ValueError, match="kind"):
        Lexicon({"flags": {"x": {"severity": "urgent", "kind": "heart", "phrases": ["a"]}}})
    with pytest.raises(ValueError, match="list of word lists"):  # a phrase written under `together`
        Lexicon({"flags": {"x": {"severity": "urgent", "together": ["bad and bad"]}}})


def test_the_answer_follows_the_kind_of_flag() -> None:
    crisis = detect("I keep thinking about ending it and my chest hurts")
    assert crisis.crisis and crisis.severity == "emergency"
    # Several emergencies beyond the back: the most specific names the answer.
    after_needling = detect("since the needling this morning I can't catch my breath and my chest is tight")
    assert not after_needling.crisis
    assert after_needling.medical_sign == "pneumothorax"
    assert {"breathing", "chest_pain", "pneumothorax"} <= set(after_needling.flags)
    back = detect("I wet myself this morning")
    assert (back.crisis, back.medical_sign, back.severity) == (False, None, "emergency")
    # Needling named without a symptom beside it is no flag.
    assert detect("how deep do the acupuncture needles go in the upper back?").findings == ()


def test_a_caregivers_report_says_it_is_for_someone_else() -> None:
    reported = detect("my husband can't control his bladder").reported
    assert reported and all(f.caregiver and not f.other_person for f in reported)
    [history] = detect("my dad had prostate cancer").findings
    assert history.other_person and not history.reportable


# -- the learned safety net -----------------------------------------------------------


def test_the_safety_net_catches_wording_the_lexicon_does_not_know() -> None:
    text = "Numbness in my perinium since this morning"  # misspelt, not in the lexicon
    assert default_detector().detect(text).findings == ()
    [finding] = detect(text).findings
    assert (finding.flag, finding.severity, finding.text) == (SAFETY_NET_FLAG, "emergency", text)


def test_the_safety_net_is_asked_only_where_the_lexicon_found_nothing() -> None:
    always = SafetyNet.train(["red flag", "ordinary"], ["emergency", "none"], threshold=0.0)  # flags every message
    detector = default_detector()
    assert detector.detect("what does a first visit cost?", always).flags == [SAFETY_NET_FLAG]
    # Mentions the lexicon read as negated, about someone else, or past: its judgement stands.
    for text in ("my dad had prostate cancer", "I have no numbness in my groin", "I had a fever last winter"):
        triage = detector.detect(text, always)
        assert triage.findings and triage.severity is None, text


def test_answers_to_the_booking_form_are_not_red_flags() -> None:
    flagged = [(m["text"], detect(m["text"]).flags) for m in load_set("form_answers.yml") if detect(m["text"]).severity]
    assert flagged == []


def test_the_safety_net_refuses_labels_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="unknown labels"):
        SafetyNet.train(["a", "b"], ["emergency", "soon"])


def test_the_safety_net_training_file_is_separate_from_the_test_sets() -> None:
    training = set(screening_examples()[0])
    tested = {m["text"] for m in labelled()} | {
        m["text"] for name in ("blind3_messages.yml", "blind4_messages.yml", "form_answers.yml") for m in load_set(name)
    }
    assert training.isdisjoint(tested)
