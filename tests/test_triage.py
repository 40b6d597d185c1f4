"""Red-flag detector: every labelled set in tests/triage/ (written separately from the lexicon and
the safety net's examples), and the behaviours the clinic relies on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from assistant.triage.detector import MAX_CHARS, Lexicon, Triage, default_detector, detect
from assistant.triage.safety_net import CRISIS_FLAG as SAFETY_NET_CRISIS_FLAG
from assistant.triage.safety_net import FLAG as SAFETY_NET_FLAG
from assistant.triage.safety_net import SURE as SAFETY_NET_SURE
from assistant.triage.safety_net import (
    TRAINING_PATH,
    Opinion,
    SafetyNet,
    labelled_sets,
    nlu_examples,
    screening_examples,
    training_set,
)

# Every labelled set is a working set now, and training data of the safety net (blind3..8 were held back
# once: their headers say when and what they measured first). A new blind set measures unseen phrasings
# with tools/triage_report.py before it joins this list. form_answers.yml is the booking form's answers:
# never flagged (below).
TRIAGE_SETS = Path(__file__).parent / "triage"
LABELLED_SETS = (
    "messages.yml",
    "blind_messages.yml",
    "beyond_back_messages.yml",
    "blind3_messages.yml",
    "blind4_messages.yml",
    "blind5_messages.yml",
    "blind6_messages.yml",
    "blind7_messages.yml",
    "blind8_messages.yml",
    "blind9_messages.yml",
    "blind10_messages.yml",
    "blind11_messages.yml",
    "blind12_messages.yml",
    "blind13_messages.yml",
)
MIN_URGENT_FLAGGED = 0.95  # per set
# False alarms allowed per set and category (sets without categories: every clean message is "ordinary").
MAX_FALSE_ALARMS = {"ordinary": 0.03, "negation": 0.03, "hypothetical": 0.03, "low_mood": 0.03, "long_story": 0.05}
MAX_IDIOM_FALSE_ALARMS = 1 / 60


def load_set(name: str) -> list[dict]:
    return yaml.safe_load((TRIAGE_SETS / name).read_text(encoding="utf-8"))["messages"]


def labelled() -> list[dict]:
    return [m for name in LABELLED_SETS for m in load_set(name)]


def must_be_emergency(message: dict) -> bool:
    """A labelled emergency the detector must report as one. Messages labelled `borderline` may instead
    get the screening question (a yes is an emergency): test_borderline_emergencies_are_at_least_asked."""
    return message["severity"] == "emergency" and not message.get("borderline", False)


def category(message: dict) -> str:
    return message.get("category") or ("ordinary" if message["severity"] == "none" else message["severity"])


@pytest.fixture(scope="module", params=LABELLED_SETS)
def labelled_set(request: pytest.FixtureRequest) -> list[tuple[dict, Triage]]:
    """(message, its triage) for one labelled set."""
    return [(m, detect(m["text"])) for m in load_set(request.param)]


def test_the_labelled_set_is_big_and_varied_enough() -> None:
    counts = Counter(m["severity"] for m in labelled())
    assert sum(counts.values()) >= 1000
    assert min(counts["emergency"], counts["urgent"], counts["none"]) >= 200
    assert Counter(category(m) for m in labelled())["crisis"] >= 60


def test_no_emergency_is_missed_or_downgraded(labelled_set: list[tuple[dict, Triage]]) -> None:
    missed = [(m["text"], t.severity) for m, t in labelled_set if must_be_emergency(m) and t.severity != "emergency"]
    assert missed == []


def test_borderline_emergencies_are_at_least_asked(labelled_set: list[tuple[dict, Triage]]) -> None:
    """An emergency labelled borderline gets the emergency answer or the screening question, never nothing."""
    missed = [
        (m["text"], t.severity)
        for m, t in labelled_set
        if m["severity"] == "emergency" and m.get("borderline") and t.severity != "emergency" and not t.borderline
    ]
    assert missed == []


def test_the_screening_question_is_rarely_asked_of_ordinary_messages(
    labelled_set: list[tuple[dict, Triage]],
) -> None:
    """One safety question is cheaper than a false alarm, but asked of everyone it would cost trust."""
    ordinary = [(m, t) for m, t in labelled_set if m["severity"] == "none"]
    asked = [m["text"] for m, t in ordinary if t.borderline]
    assert len(asked) <= 0.03 * len(ordinary), asked


@pytest.mark.parametrize(
    ("text", "unsure"),
    [
        ("had a couple of near misses getting to the loo in time this week, not sure if that's anything", True),
        ("is it normal that it feels a bit different when I pee? not painful", True),
        ("her pads have been wet most mornings this week, unusual for her", True),
        ("peeing feels a bit odd since Tuesday", True),
        ("I nearly didn't make it to the toilet twice today", True),
        ("my wee has felt slower and a bit odd since Thursday", True),
        # Not unsure: ordinary questions and denials.
        ("I don't need to pee during the session, do I?", False),
        ("no near misses with the toilet, bladder is fine", False),
        ("is there a toilet at the clinic?", False),
        ("pins and needles in my big toe, worse when I sit in the car", False),
    ],
)
def test_unsure_wordings_get_the_screening_question(text: str, unsure: bool) -> None:
    """The lexicon reads them as unsure; with the net the patient is asked, or, where the net is sure
    (SURE), given the emergency answer: never nothing. The net's probability for such a wording moves a
    little with every working set it learns from ("I nearly didn't make it to the toilet twice today":
    0.775 before blind9, 0.805 after), so the product's side is checked as asked-or-emergency."""
    lexicon = default_detector().detect(text)
    assert (lexicon.borderline, lexicon.severity) == (unsure, None)
    triage = detect(text)
    if unsure:
        assert triage.borderline or triage.severity == "emergency"
    else:
        assert (triage.borderline, triage.severity) == (False, None)


def test_unsure_is_no_answer_when_the_net_is_sure() -> None:
    """With only an unsure mention found, the safety net still reads the message (it may be sure)."""

    class Net:
        def __init__(self, probability: float) -> None:
            self.probability = probability
            self.thresholds: list[float | None] = []

        def opinion(self, text: str, threshold: float | None = None) -> Opinion:
            self.thresholds.append(threshold)
            return Opinion("emergency" if self.probability >= (threshold or 0.5) else None, self.probability)

    sure, unsure = Net(0.9), Net(0.7)
    triage = default_detector().detect("my pad was wet this morning", sure)  # type-compatible stand-in
    assert triage.severity == "emergency" and not triage.borderline
    # Where the lexicon was unsure, a net only fairly sure (0.7) does not skip the question.
    triage = default_detector().detect("my pad was wet this morning", unsure)
    assert (triage.borderline, triage.severity) == (True, None)
    assert sure.thresholds == unsure.thresholds == [SAFETY_NET_SURE]


def test_a_sure_net_overrules_a_negation_and_a_fairly_sure_one_does_not() -> None:
    """A mention read as negated stands unless the net, reading the whole message, is sure: the
    lexicon's negation words also open phrases that report ("not talking properly")."""

    class Net:
        def __init__(self, probability: float) -> None:
            self.probability = probability

        def opinion(self, text: str, threshold: float | None = None) -> Opinion:
            return Opinion("emergency" if self.probability >= (threshold or 0.5) else None, self.probability)

    text = "no chest pain at all, just my usual sciatica in the left leg"
    assert default_detector().detect(text).severity is None
    assert default_detector().detect(text, Net(0.7)).severity is None
    assert default_detector().detect(text, Net(0.9)).severity == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "What should I do if my chest pain doesn't stop and I can't breathe?",
        "What happens if my bladder stopped working this morning and I can't feel down there?",
        "How do I get help if my husband collapsed and isn't answering me?",
    ],
)
def test_a_question_about_what_is_happening_is_no_hypothetical(text: str) -> None:
    """A "what/how ... if" question is hypothetical only as an unreal condition told at no time ("What would you
    do if I had a needle in and felt short of breath?"); one that reports the present stays a report, for the
    lexicon alone too."""
    assert default_detector().detect(text).severity == "emergency"


def test_a_sure_net_raises_an_urgent_reading_to_emergency_and_never_lowers_it() -> None:
    """Where the lexicon read only urgent flags, the net reads the whole message: sure of an emergency, it
    raises it (blind11: "worse since last week" found, "no feeling down below at all" not); fairly sure,
    or sure only of urgent, it changes nothing."""

    class Net:
        def __init__(self, probability: float, severity: str = "emergency") -> None:
            self.probability, self.severity = probability, severity
            self.thresholds: list[float | None] = []

        def opinion(self, text: str, threshold: float | None = None) -> Opinion:
            self.thresholds.append(threshold)
            return Opinion(self.severity if self.probability >= (threshold or 0.5) else None, self.probability)

    text = "I have a fever and my back is really sore"
    assert default_detector().detect(text).severity == "urgent"
    sure = Net(0.9)
    assert default_detector().detect(text, sure).severity == "emergency"
    assert sure.thresholds == [SAFETY_NET_SURE]
    assert default_detector().detect(text, Net(0.7)).severity == "urgent"
    assert default_detector().detect(text, Net(0.95, "urgent")).severity == "urgent"
    # An emergency the lexicon found is not second-guessed.
    unused = Net(0.0)
    assert default_detector().detect("I can't control my bladder since this morning", unused).severity == "emergency"
    assert unused.thresholds == []


def test_crisis_and_general_emergencies_get_their_own_answer(labelled_set: list[tuple[dict, Triage]]) -> None:
    """A crisis must get the crisis answer, and a general emergency the answer naming its danger sign."""
    wrong = []
    for message, triage in labelled_set:
        answer = "crisis" if triage.crisis else triage.medical_sign
        wanted = "crisis" if category(message) == "crisis" else message.get("answer", answer)
        if answer != wanted:
            wrong.append((message["text"], answer))
    assert wrong == []


def test_the_flags_a_message_is_labelled_with_are_found() -> None:
    missing = [
        (m["text"], detect(m["text"]).flags)
        for m in load_set("beyond_back_messages.yml")
        if not set(m.get("flags", [])) <= set(detect(m["text"]).flags)
    ]
    assert missing == []


def test_urgent_reports_are_flagged(labelled_set: list[tuple[dict, Triage]]) -> None:
    urgent = [(m["text"], t.severity) for m, t in labelled_set if m["severity"] == "urgent"]
    missed = [text for text, got in urgent if got is None]
    assert len(urgent) - len(missed) >= MIN_URGENT_FLAGGED * len(urgent), missed


def test_false_alarms_stay_rare_in_each_category(labelled_set: list[tuple[dict, Triage]]) -> None:
    clean: Counter[str] = Counter()
    flagged: dict[str, list[tuple[str, list[str]]]] = {}
    for message, triage in labelled_set:
        if message["severity"] == "none":
            clean[category(message)] += 1
            if triage.severity is not None:
                flagged.setdefault(category(message), []).append((message["text"], triage.flags))
    too_many = {
        name: alarms
        for name, alarms in flagged.items()
        if len(alarms) / clean[name] > MAX_FALSE_ALARMS.get(name, MAX_IDIOM_FALSE_ALARMS if name == "idiom" else 0.03)
    }
    assert too_many == {}


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
        # Inability in other words than "can't": every `not` of a phrase.
        ("I've been unable to pass water since this morning", "emergency", ["bladder"]),
        ("haven't been able to empty my bladder since last night", "emergency", ["bladder"]),
        ("I barely felt it when I peed this morning", "emergency", ["bladder"]),
        ("I can barely walk", None, []),
        # Crisis wordings: slang, the means, a plan, for someone with the writer.
        ("he's gonna kill himself, he told me on the phone", "emergency", ["crisis"]),
        ("i wanna kms", "emergency", ["crisis"]),
        ("I walked 5 kms today and my back is fine", None, []),
        ("my sister swallowed a whole packet of paracetamol an hour ago", "emergency", ["crisis"]),
        ("I looked up the lethal dose of my codeine", "emergency", ["crisis"]),
        ("she texted goodbye to all of us and switched her phone off", "emergency", ["crisis"]),
        ("he's sitting in the garage with the car engine on and the door shut", "emergency", ["crisis"]),
        ("I'd rather not wake up tomorrow", "emergency", ["crisis"]),
        ("how many ibuprofen can I take a day?", None, []),
        ("how many sessions would it take to sort my back?", None, []),
        ("I keep my tablets hidden from the grandkids", None, []),
        # Families of wording beyond the phrases.
        ("the left calf and the right calf are both tingling", "emergency", ["bilateral"]),
        ("problems in the bedroom since my back went", "emergency", ["sexual"]),
        ("my knee buckles every time I put weight on it", "emergency", ["foot_drop"]),
        ("Hx lung ca 2019, new thoracic pain", "urgent", ["cancer"]),
        ("my nan fainted in the kitchen and isn't responding properly", "emergency", ["collapse"]),
        ("I think my husband is having a stroke, his face looks odd", "emergency", ["stroke"]),
        ("my mum had a stroke ten years ago", None, []),
        # Not reports: questions, fears, denials, an acquaintance's story, low mood's "constant".
        ("can sciatica affect both legs?", None, []),
        ("when should I go to A&E?", None, []),
        ("what happens if someone loses bladder control with sciatica?", None, []),
        ("I'm worried I'll wet myself on the bus", None, []),
        ("I'm scared because my leg keeps giving way again", "emergency", ["foot_drop"]),
        ("Numbness in my groin? Bladder problems? None of those, thank god.", None, []),
        ("the physio asked if I had any numbness in my saddle area. I said no.", None, []),
        ("my friend lost control of her bladder", None, []),
        ("my friend can't control her bladder since this morning", "emergency", ["bladder"]),
        ("I'm so fed up with this constant pain", None, []),
        ("constant pain all night, can't lie down at all", "urgent", ["night_pain"]),
        ("I ticked fever on the form by mistake", None, []),
        ("can you get dizzy or feel faint during acupuncture?", None, []),
        # Read in context (written for blind7's families): a negation among a phrase's open words, a
        # condition's "not", a claim overturned by "but", hyperbole said laughing, a fall one was fine after.
        ("my leg pain does not get worse at night", None, []),
        ("if a patient has a fever with sciatica, should they come in?", None, []),
        ("she keeps telling me she's fine, but she hasn't had a wee since last night", "emergency", ["bladder"]),
        ("if the printer jams one more time I'll kill myself lol", None, []),
        ("if this sciatica doesn't settle I'll kill myself haha", "emergency", ["crisis"]),
        ("if my girlfriend dumps me I'll kill myself lol", "emergency", ["crisis"]),
        ("I fell off my bike in May but was fine afterwards; the leg pain started on Sunday", None, []),
        ("I fell off my bike in May and wasn't fine afterwards, my back has hurt since", "emergency", ["trauma"]),
        ("my dad's going to have a heart attack when he sees the bill", None, []),
        ("I nearly fainted when I read the price list", None, []),
        ("I nearly fainted in the shower this morning", "emergency", ["collapse"]),
        ("Left and right leg? No, just the left one", None, []),
        # Euphemisms, caregivers and the means, in new words.
        ("my knee stopped working on the stairs and I went down", "emergency", ["foot_drop"]),
        ("I no longer feel when I need to go", "emergency", ["bladder"]),
        ("she was knocked over by a cyclist this afternoon and now her lower back hurts", "emergency", ["trauma"]),
        ("found new cuts on her forearms this morning", "emergency", ["crisis"]),
        ("I just want it all to be over", "emergency", ["crisis"]),
        ("I just want the pain to stop", None, []),
        ("my lips feel massive after the needles", "emergency", ["anaphylaxis"]),
        ("I've gone down two jean sizes without trying", "urgent", ["weight_loss"]),
    ],
)
def test_behaviours_the_clinic_relies_on(text: str, severity: str | None, flags: list[str]) -> None:
    result = detect(text)
    assert result.severity == severity
    assert set(flags) <= set(result.flags)


@pytest.mark.parametrize(
    ("text", "severity", "flags"),
    [
        # A purpose or an effort is no negation ("not to", "so she doesn't ...").
        ("I'm trying not to wet myself at work, I have to dash the second I feel it", "emergency", ["bladder"]),
        ("she has to rush to the toilet so she doesn't soil herself, it's new this week", "emergency", ["bowel"]),
        ("no numbness down there and I've not wet myself", None, []),
        # A hedged denial is no denial.
        ("not exactly suicidal, but I keep thinking everyone would be better off without me", "emergency", ["crisis"]),
        ("not numb as such, more a dull dead feeling in my groin", "emergency", ["saddle"]),
        # Not being here, in words of ease; taking everything so as not to wake.
        ("it would be so much simpler to not be around anymore", "emergency", ["crisis"]),
        ("honestly it'd be easier not to be alive", "emergency", ["crisis"]),
        ("she's going to take everything in the cupboard so she doesn't wake up", "emergency", ["crisis"]),
        # Speech that is not right is a symptom, and its "not" negates nothing after it.
        ("my mum is not speaking properly since lunch", "emergency", ["stroke"]),
        ("he can't talk clearly and his words keep coming out jumbled", "emergency", ["stroke"]),
        ("I can't talk right now, my back hurts too much to sit at the phone", None, []),
        # An explanation denied is no explanation ("without dieting", "not on a diet").
        ("I've lost a stone without dieting and my back aches", "urgent", ["weight_loss"]),
        ("I'm not on a diet but I've lost 4 kg this month", "urgent", ["weight_loss"]),
        ("lost weight on purpose, on a diet since January", None, []),
        # Figures of speech.
        ("my neck's a train wreck lol", None, []),
        ("my back is a total wreck, figuratively speaking", None, []),
        ("my back has been through a car crash and two falls", "emergency", ["trauma"]),
        ("I'd shoot myself in the foot if I cancelled now", None, []),
        ("he said he'll shoot himself if she leaves", "emergency", ["crisis"]),
        # Hypotheticals: "if ... ever", "if someone fainted".
        ("if the numbness ever spreads to my groin what should I do", None, []),
        ("if a patient collapses on the table do you have first aid?", None, []),
        ("If anyone fainted would the practitioner know what to do?", None, []),
        # A question is not "she's fine now".
        ("my mum fainted this morning, is she ok to come for her session?", "emergency", ["collapse"]),
        # One short course of steroids is not long-term use; courses for years are.
        ("I did a short course of prednisolone last month", None, []),
        ("I had a course of steroids every winter for years for asthma", "urgent", ["immune"]),
        ("it keeps getting worse every week even though I've had four physio sessions", "urgent", ["worsening"]),
    ],
)
def test_readings_added_with_blind8(text: str, severity: str | None, flags: list[str]) -> None:
    result = detect(text)
    assert result.severity == severity
    assert set(flags) <= set(result.flags)
    if "crisis" in flags:
        assert result.crisis


@pytest.mark.parametrize(
    ("text", "severity", "flags"),
    [
        # "All the time" alone is how low mood talks about pain, like "constant"; with the night it is night pain.
        ("I'm in pain all the time and I'm so low about it", None, []),
        ("it hurts all the time and it's much worse when I lie down at night", "urgent", ["night_pain"]),
        # Reassurance about both legs; not weakness in both.
        ("both legs are strong, just an ache in my right calf", None, []),
        ("both legs feel weak since this morning", "emergency", ["bilateral"]),
        # A day that has not come; "suppose someone ..." is "what if"; whether the clinic keeps emergency kit.
        ("if one day I can't hold my pee, what should I do?", None, []),
        ("one day last week I couldn't hold my pee at all", "emergency", ["bladder"]),
        ("Supposing someone has a fever with sciatica, can they still have acupuncture?", None, []),
        ("I suppose I've had a fever since Sunday", "urgent", ["fever"]),
        ("do you keep an EpiPen at the clinic?", None, []),
        ("I had to use my EpiPen, my throat is closing up", "emergency", ["anaphylaxis"]),
        # One's own allergy history is not someone unresponsive.
        ("I don't react to plasters or metal, so the needles should be fine", None, []),
        ("she's not reacting to anything, she just fell off the chair", "emergency", ["collapse"]),
        # How one lifted is not the pain getting worse.
        ("pretty sure it was bad form at the end of a heavy session", None, []),
        ("the pain is worse despite three physio sessions", "urgent", ["worsening"]),
        # An unreal condition ("if I got ..., would ...?") asks about a red flag; with a time it tells one.
        ("If I lost feeling in my groin, would that be an emergency?", None, []),
        ("If I lost feeling in my groin this morning, would that be an emergency?", "emergency", ["saddle"]),
        ("if I took all my pills would it hurt?", "emergency", ["crisis"]),
        # Crisis: better off if I weren't here, or with the insurance; finishing with one's life; death as the
        # way out; pills set aside; a terrace to jump from; thinking of going off the edge; a blade held to
        # the body.
        ("my wife would be better off if I wasn't here anymore", "emergency", ["crisis"]),
        ("the kids would be better off with the life insurance money", "emergency", ["crisis"]),
        ("I've decided to finish with my life on Sunday", "emergency", ["crisis"]),
        ("I've started to see death as the only way out", "emergency", ["crisis"]),
        ("she's been setting aside her sleeping pills for weeks", "emergency", ["crisis"]),
        ("he keeps saying he'll jump from the terrace", "emergency", ["crisis"]),
        ("some days I think about walking off the edge", "emergency", ["crisis"]),
        ("I held a knife against my wrist last night", "emergency", ["crisis"]),
        ("I set aside an hour a day for my back exercises", None, []),
        ("the edge of the bed is where I sit to put my socks on", None, []),
        ("I cut my hand on a knife while cooking", None, []),
        # Collapse, stroke and headache in other words; "not making sense" is a symptom, not a negation.
        ("my dad isn't responding when we call his name, he's slumped in the chair", "emergency", ["collapse"]),
        ("she's on the floor, not waking up", "emergency", ["collapse"]),
        ("his face is dropping on one side", "emergency", ["stroke"]),
        ("my mum isn't making sense and her words are jumbled", "emergency", ["stroke"]),
        ("the bill doesn't make sense to me", None, []),
        ("a sudden splitting pain in my head, like nothing before", "emergency", ["sudden_headache"]),
        ("my head aches a bit, probably the coffee", None, []),
        # Sciatica's flags: legs going from under one; nothing felt sitting on the toilet; erection problems;
        # less sensation of the genitals (not less pain); a fall through a skylight or hatch.
        ("my knees went out from under me on the stairs today", "emergency", ["foot_drop"]),
        ("I can't feel anything when I sit on the loo, it's like the seat isn't there", "emergency", ["saddle"]),
        ("I don't feel pain when I sit on the toilet, only when I stand", None, []),
        ("I've had trouble getting an erection since the back pain started", "emergency", ["sexual"]),
        ("less sensation around my genitals since yesterday", "emergency", ["saddle"]),
        ("I'm feeling less pain in my groin after the last session", None, []),
        ("he fell through the loft hatch this morning and landed on his back", "emergency", ["trauma"]),
        ("my holiday plans fell through so I can come in next week", None, []),
        # Night pain: bad every night.
        ("the pain is bad every night and I can't get comfortable", "urgent", ["night_pain"]),
        ("I take my pain meds every night before bed", None, []),
    ],
)
def test_readings_added_with_blind9(text: str, severity: str | None, flags: list[str]) -> None:
    result = detect(text)
    assert result.severity == severity
    assert set(flags) <= set(result.flags)
    if "crisis" in flags:
        assert result.crisis


@pytest.mark.parametrize(
    ("text", "severity", "flags"),
    [
        # A hyphen joining words is no dash: "forty-odd years ago" still places the fall in the past.
        (
            "I came off my bike forty-odd years ago and hurt my shoulder; this back pain came on from gardening.",
            None,
            [],
        ),
        ("I came off my bike this morning and my back is agony.", "emergency", ["trauma"]),
        # A stated intent explains weight loss anywhere in the message; "diet" said in irony does not.
        ("Does weight loss matter with sciatica? I'm intentionally cutting for a bodybuilding show.", None, []),
        ("I've lost 6 kg in two months and I'm not trying to.", "urgent", ["weight_loss"]),
        # A future that has not come; which of the signs matters.
        ("If in the future I get a temperature after the needles, who do I call?", None, []),
        ("I've had a fever since Tuesday after the needles.", "urgent", ["fever"]),
        ("Is it the weakness or the tingling that means I should go to A&E?", None, []),
        ("Is it the sciatica? I can't feel my groin since this morning.", "emergency", ["saddle"]),
        # Figures of speech: owned in the next sentence ("Not literally."), "breaking my back"; "the next day I
        # woke up with" is when the pain started, not pain at night.
        ("My back has crashed like my old laptop. Not literally. Any slots Friday?", None, []),
        ("I was in a car crash this morning and my back is agony.", "emergency", ["trauma"]),
        ("Work is breaking my back this month, any late appointments?", None, []),
        ("The next day I woke up with pain down my left leg and it has eased since.", None, []),
        ("The pain wakes me every night and nothing helps.", "urgent", ["night_pain"]),
        # Crisis: the means bought, kept, laid out for tonight or taken on purpose; "better if I died"; hoping
        # not to wake; hurting one's own body (dragged across the skin, till it bleeds, "my own leg"); walking
        # into the sea and not coming back; the oven; a rope where one could hang; a hose and tape; affairs
        # sorted; in front of one of the trains.
        ("I've bought loads of paracetamol and I'm ready.", "emergency", ["crisis"]),
        ("I bought some ibuprofen at the chemist, is it ok with acupuncture?", None, []),
        ("My tablets are put by for when I need them.", "emergency", ["crisis"]),
        ("My tablets are counted out and lined up for tonight.", "emergency", ["crisis"]),
        ("I took extra tablets on purpose last night.", "emergency", ["crisis"]),
        ("Honestly it would be better if I died.", "emergency", ["crisis"]),
        ("Would it be better if I booked the morning slot?", None, []),
        ("I've been hoping not to wake up in the mornings.", "emergency", ["crisis"]),
        ("I pray God takes me in my sleep.", "emergency", ["crisis"]),
        ("I keep scraping a razor across my arm at night.", "emergency", ["crisis"]),
        ("I scraped my arm on the fence, does that matter for acupuncture?", None, []),
        ("I scratch my thighs until they bleed when the pain is bad.", "emergency", ["crisis"]),
        ("I've been punching my own thigh when the pain peaks, and it's getting worse.", "emergency", ["crisis"]),
        ("My own leg feels like it belongs to someone else.", None, []),
        ("I keep thinking about swimming out into the sea and not coming back.", "emergency", ["crisis"]),
        ("I walked into the shop and did not come back out with anything.", None, []),
        ("I keep thinking of putting my head in the oven.", "emergency", ["crisis"]),
        ("My husband is standing in the garage with a rope and won't talk to me.", "emergency", ["crisis"]),
        ("He's got a hose and tape in the car.", "emergency", ["crisis"]),
        ("I've been sorting out my affairs and saying sorry to people.", "emergency", ["crisis"]),
        ("My mum is sorting out my grandad's affairs this week so I need a later slot.", None, []),
        ("I keep thinking of stepping out in front of one of the trains.", "emergency", ["crisis"]),
        # Sciatica's flags and urgent ones in other words: a foot that won't lift; not knowing one had gone; a full
        # bladder that will not go; a vehicle into someone, thrown against something; no comfortable way to lie;
        # weight lost without even trying.
        ("my left foot won't lift properly since this morning", "emergency", ["foot_drop"]),
        ("My dad didn't know he had wet the bed until he got up", "emergency", ["bladder"]),
        ("I didn't know I had a slipped disc until the scan", None, []),
        ("Stood at the urinal ten minutes and can't go, my bladder feels really full", "emergency", ["bladder"]),
        ("My bladder feels full after all that tea, can I use your loo before the session?", None, []),
        ("A van backed into him at the yard this morning and his back is agony", "emergency", ["trauma"]),
        ("My car went into the garage for its MOT so I'll get the bus", None, []),
        ("I was thrown against the door when the bus braked hard", "emergency", ["trauma"]),
        ("I can't get comfy whichever way I lie at night, it's constant", "urgent", ["night_pain"]),
        ("I can't get comfy in the new chair at work", None, []),
        ("I'm losing weight and I'm not even trying", "urgent", ["weight_loss"]),
        ("I'm losing weight by trying a new diet", None, []),
        # Collapse and bleeding in other words.
        ("She tripped and fell down in the hall and now she won't wake up.", "emergency", ["collapse"]),
        ("He's bringing up blood after every cough.", "emergency", ["bleeding"]),
        ("I'll bring up my blood test results at the appointment.", None, []),
    ],
)
def test_readings_added_with_blind10(text: str, severity: str | None, flags: list[str]) -> None:
    result = detect(text)
    assert result.severity == severity
    assert set(flags) <= set(result.flags)
    if "crisis" in flags:
        assert result.crisis


def test_the_lexicon_reads_everyday_tablets_rope_and_sleep_as_nothing() -> None:
    """The crisis, collapse and bladder wordings added with blind10 need the means laid out, kept back or
    taken on purpose, someone with the rope, a fall, or not going first. (The net, alone, reads these as
    possible crises or emergencies: docs/triage.md.)"""
    for text in (
        "I count out my tablets into a pill box every Sunday.",
        "I took my tablets as prescribed last night.",
        "We keep a rope in the garage for towing the trailer.",
        "I fell asleep on the sofa and didn't wake up till noon.",
        "My bladder feels full but I can't go until the meeting ends",
    ):
        assert default_detector().detect(text).findings == (), text


@pytest.mark.parametrize(
    ("text", "severity", "flags"),
    [
        # Supposing, not telling: "say I ..., would ...?" is an unreal condition; with a time told it is a report.
        ("Say I went over on the stairs and came down on my back, would a chiropractor still see me?", None, []),
        (
            "Say I went over on the stairs last night and came down on my back, would you still see me?",
            "emergency",
            ["trauma"],
        ),
        # A condition is not night pain; "doesn't settle" with the night still is.
        ("I'll go round the bend if this back pain doesn't settle by the weekend.", None, []),
        ("The pain doesn't settle whatever position I lie in at night.", "urgent", ["night_pain"]),
        # Hearsay about what sciatica "can make you" do; a neighbour's bladder now is a report.
        ("My neighbour reckons a slipped disc can make you lose control of your bladder. Is that true?", None, []),
        ("My neighbour lost control of his bladder this morning and his back is agony.", "emergency", ["bladder"]),
        # "if sciatica goes/spreads into both legs" asks about the condition; spread since yesterday is a report.
        ("Is it serious if sciatica spreads to both legs? Just wondering for the future.", None, []),
        ("My sciatica has spread to both legs since yesterday, is it serious?", "emergency", ["bilateral"]),
        ("If I ever couldn't hold my wee, would that be linked to my back?", None, []),
        # Idioms and low mood.
        ("This heatwave is cooking me alive and my back's no better, any slots Monday?", None, []),
        ("Absolutely dying to get on the couch for my first session!", None, []),
        (
            "Wide awake at 4am again. It's not really the pain, it's my mind racing about work. Feeling a bit flat.",
            None,
            [],
        ),
        # Numbness with the toilet tissue; no sensation down there or down below.
        ("There's an odd numbness when I use the toilet tissue, started at the weekend.", "emergency", ["saddle"]),
        ("She says there's no sensation down there since last night.", "emergency", ["saddle"]),
        ("No numbness down below and the loo roll feels normal when I wipe.", None, []),
        # Weakness over days, down to not standing on the leg; weaker than days ago (not than the other side).
        (
            "Last week a limp, by Friday crutches, and now I can't stand on my left leg at all.",
            "emergency",
            ["progressive_weakness"],
        ),
        ("My right leg is weaker than it was on Sunday.", "emergency", ["progressive_weakness"]),
        ("My left foot is weaker than my right, it always has been.", None, []),
        # The heel-walk test failed, toes that won't go up ("won't" is two words); legs gone to jelly (not after the
        # gym).
        ("I can't heel-walk on the left any more and my toes simply won't go up.", "emergency", ["foot_drop"]),
        ("My toes won't go in my new walking boots, any tips?", None, []),
        ("My legs have gone a bit rubbery since lunchtime.", "emergency", ["foot_drop"]),
        ("My legs are like jelly after the spin class, worth it!", None, []),
        # Too much of a medicine, by mistake or unsure; a habit of too many, or lost track of time, is not.
        ("I've lost track of how many co-codamol I've had today, could be ten or more.", "emergency", ["overdose"]),
        ("We gave Dad too many of his morphine tablets by mistake.", "emergency", ["overdose"]),
        ("I think I accidentally took a double dose of my tramadol.", "emergency", ["overdose"]),
        ("I take too many painkillers, can acupuncture help me cut down?", None, []),
        ("I lost track of time and missed my slot, sorry.", None, []),
        ("I accidentally double-booked on Tuesday, can you cancel one?", None, []),
        # Stroke in formal words: speech that sounds odd, an arm that won't lift with speech gone, slurring.
        ("Her speech sounds odd and thick, and it started an hour ago.", "emergency", ["stroke"]),
        ("He can't lift his left arm and his speech has gone.", "emergency", ["stroke"]),
        ("The right side of his face has gone numb and he's slurring.", "emergency", ["stroke"]),
        # Chest, bleeding and drowsiness in other words.
        ("He clutched at his chest and sat down on the stairs, grey and sweaty.", "emergency", ["chest_pain"]),
        ("My chest is painful, like someone pressing on it.", "emergency", ["chest_pain"]),
        ("Blood is gushing from the cut on his arm.", "emergency", ["bleeding"]),
        ("She took her tablets and now I can't keep her awake.", "emergency", ["collapse"]),
        # Crisis: thoughts of hurting oneself (the noun "thoughts"), planning to take a life, better dead, the means
        # saved up or taken all at once, a height and no more coping, a goodbye passed on, a blade and the wrists,
        # a noose ready, self-injury to feel something, sitting with a gun.
        ("I keep having thoughts of cutting myself.", "emergency", ["crisis"]),
        ("My son told me he's planning to take his life.", "emergency", ["crisis"]),
        ("Honestly it would be better if I was dead.", "emergency", ["crisis"]),
        ("I've got a stash of oxycodone saved up.", "emergency", ["crisis"]),
        ("Some nights I think about swallowing the lot.", "emergency", ["crisis"]),
        ("He's up on the bridge and says he can't cope any longer.", "emergency", ["crisis"]),
        ("I've started giving my stuff away.", "emergency", ["crisis"]),
        ("Please tell the team I said goodbye.", "emergency", ["crisis"]),
        ("Can my sleeping pills kill me if I take the whole packet?", "emergency", ["crisis"]),
        ("Sat with a razor thinking about my wrists again.", "emergency", ["crisis"]),
        ("He's got a noose ready in the shed.", "emergency", ["crisis"]),
        ("She did it deliberately to feel something, the cuts on her arms.", "emergency", ["crisis"]),
        ("Sitting here with the rifle again tonight.", "emergency", ["crisis"]),
        ("I think I hurt myself lifting the box.", None, []),
        ("Tell my wife I said hi when she comes in.", None, []),
        # The waterworks and the urinal; urgency with accidents; a wet night; sensation when passing water.
        ("Trouble with the waterworks this week, can't get going at all.", "emergency", ["bladder"]),
        ("Since Sunday I've had the urge to dash to the loo and twice I didn't make it.", "emergency", ["bladder"]),
        ("Had a little accident overnight, first time ever.", "emergency", ["bladder"]),
        ("I can't feel much when I do my business now.", "emergency", ["bladder"]),
        ("Our puppy had an accident in the night, so I'm running late.", None, []),
        ("No problems with the waterworks at all.", None, []),
        # Nothing working down there; everything working is reassurance.
        ("Since the weekend nothing's working down there, if you catch my drift.", "emergency", ["sexual"]),
        ("Everything down there is working fine, it's just the leg.", None, []),
        # Kicked by an animal, slid down a ramp and whacked the tailbone.
        ("I was kicked by a cow while milking and my lower back is agony.", "emergency", ["trauma"]),
        ("Slid down the ramp on my backside at work and whacked my tailbone.", "emergency", ["trauma"]),
        # Unwell all over ("no energy" denies nothing); a temperature on and off; someone keen to come in is the
        # patient.
        ("I feel awful all over with this back, no energy, hot and cold.", "urgent", ["fever"]),
        ("Mum's had a temp on and off since Saturday and her back is really sore.", "urgent", ["fever"]),
        (
            "My gran has osteoporosis and had a sudden pain in her back on Monday. She is hoping to come in.",
            "urgent",
            ["osteoporosis"],
        ),
    ],
)
def test_readings_added_with_blind11(text: str, severity: str | None, flags: list[str]) -> None:
    result = detect(text)
    assert result.severity == severity
    assert set(flags) <= set(result.flags)
    if "crisis" in flags:
        assert result.crisis
    else:
        assert not result.crisis


@pytest.mark.parametrize(
    ("text", "severity", "flags"),
    [
        # A form's question answered no ("Fever? Nope."); a report after the question is still one.
        ("Steroids? No, never taken them, I only ticked the box by habit. Leg aches as usual.", None, []),
        ("Any numbness in the saddle area? Yes, since Saturday.", "emergency", ["saddle"]),
        # Figures of speech: amazement, money's heart attack, too much of a pastime.
        ("Honestly it blew my mind, my leg felt brand new after the second visit.", None, []),
        ("Mind-blowing how much looser my back is this week.", None, []),
        ("My bank account is going to have a heart attack when the invoice lands haha", None, []),
        ("I OD'd on cake at my nan's birthday, can I still come in tomorrow?", None, []),
        ("I think my husband took an overdose of his sleeping tablets.", "emergency", ["crisis"]),
        # Asking what to do if a sign comes, or what the assistant does when someone says so; a sign now is a
        # report.
        ("What can I do if I notice my lips swelling after cupping? Asking before my first go.", None, []),
        ("What happens if a patient tells your chatbot they feel suicidal?", None, []),
        ("My brother told me tonight he wants to end his life.", "emergency", ["crisis"]),
        ("Which signs of an adverse reaction should I watch for after dry needling?", None, []),
        # Osteoporosis with pain that is not new or sudden; sudden pain with it is urgent.
        ("I have osteoporosis but the ache isn't new, it's my usual stiff back.", None, []),
        ("I have osteopenia and a sudden sharp pain in my back since I lifted the kettle.", "urgent", ["osteoporosis"]),
        # Weight lost unawares in other words; on purpose it is not.
        ("I've lost a good chunk of weight this spring and I'm not sure how.", "urgent", ["weight_loss"]),
        ("Lost a fair bit of weight since I started the running club, on purpose.", None, []),
        # A crisis in the car, the railway, peace made, enough of living, not waking, goodbyes, the cabinet.
        ("On the bypass I keep thinking about letting go of the wheel.", "emergency", ["crisis"]),
        ("My dad says he's going to drive into the quarry tonight.", "emergency", ["crisis"]),
        ("I had to let go of the steering wheel when my hand cramped.", None, []),
        ("She keeps saying she wants to go and lie on the railway line.", "emergency", ["crisis"]),
        ("I've made my peace with dying, so don't book me in again.", "emergency", ["crisis"]),
        ("I've had enough of living with this, honestly.", "emergency", ["crisis"]),
        ("It'd be simpler for everyone if I just didn't wake up tomorrow.", "emergency", ["crisis"]),
        ("Please say goodbye from me to the lovely receptionist.", "emergency", ["crisis"]),
        ("Tonight I'm going to swallow everything in the bathroom cupboard.", "emergency", ["crisis"]),
        ("He's been sleeping with his rifle close by the bed.", "emergency", ["crisis"]),
        ("He was sitting in the garage with a hosepipe, just thinking he said.", "emergency", ["crisis"]),
        ("She has cuts all over her thighs and admits she did them herself.", "emergency", ["crisis"]),
        ("Got my pills hoarded for weeks now.", "emergency", ["crisis"]),
        ("I'm washing the car with the hosepipe later.", None, []),
        # A hyphenated medicine is one word: "co-codamol".
        ("I swallowed all my co-codamol an hour ago.", "emergency", ["crisis"]),
        ("My toddler ate some of the co-codamol from my handbag.", "emergency", ["overdose"]),
        ("Dad had his heart tablets twice by accident this morning.", "emergency", ["overdose"]),
        ("I take my co-codamol twice a day with food.", None, []),
        # Heavy bleeding, someone on the ground, can't be woken.
        ("There's loads of blood from the gash on his leg.", "emergency", ["bleeding"]),
        ("The blood keeps pouring out of her hand.", "emergency", ["bleeding"]),
        ("Blood tests came back fine.", None, []),
        ("She's lying on the ground not responding, she tripped on the kerb.", "emergency", ["collapse"]),
        ("I can't wake her properly, she's breathing oddly.", "emergency", ["collapse"]),
        # Sciatica's flags in other words.
        ("Tumbled down a flight of stairs at the pub and my lower back is agony.", "emergency", ["trauma"]),
        ("Came down hard on the frozen pond, landed on my coccyx.", "emergency", ["trauma"]),
        ("Got kicked in the back by a horse at the stables yesterday.", "emergency", ["trauma"]),
        ("My uncle can't tell when he needs the toilet any more, since his back went.", "emergency", ["bladder"]),
        ("She's had to change her pad three times this morning and didn't feel it.", "emergency", ["bladder"]),
        ("Since my back went, my bladder has packed up completely.", "emergency", ["bladder"]),
        ("I can't sense when my bowels need emptying since Friday.", "emergency", ["bowel"]),
        ("On the loo it's like I'm sitting on nothing, no feeling at all.", "emergency", ["saddle"]),
        ("I can't properly feel anything down below since the flare.", "emergency", ["saddle"]),
        ("Things haven't been working in the bedroom since the disc went.", "emergency", ["sexual"]),
        ("His legs just won't hold him up this afternoon.", "emergency", ["foot_drop"]),
        # Trouble with feeling in the nether regions; denied, it is no report.
        ("She says she's having trouble with sensation in her nether regions today.", "emergency", ["saddle"]),
        ("He wants you to know he's had no problems with feeling in his nether regions, just the leg.", None, []),
        # Urgent in other words.
        ("My daughter has had a temp since Tuesday and her back is really sore.", "urgent", ["fever"]),
        ("I inject, and now my back is killing me.", "urgent", ["immune"]),
        ("At night it's far worse, can't lie still.", "urgent", ["night_pain"]),
        ("Despite the physio the pain gets stronger every week.", "urgent", ["worsening"]),
        # The chest named: "my chest is killing me".
        ("My chest is killing me and I'm sweating buckets.", "emergency", ["chest_pain"]),
    ],
)
def test_readings_added_with_blind12(text: str, severity: str | None, flags: list[str]) -> None:
    result = detect(text)
    assert result.severity == severity
    assert set(flags) <= set(result.flags)
    if "crisis" in flags:
        assert result.crisis
    else:
        assert not result.crisis


@pytest.mark.parametrize(
    ("text", "severity", "flags"),
    [
        # A thing that falls in or an event called off is no collapse; a person still is.
        ("My lemon cake collapsed in the oven, can I still come Thursday?", None, []),
        ("The workshop collapsed owing to poor bookings so I can do Monday.", None, []),
        ("My dad collapsed in the garden and isn't answering me.", "emergency", ["collapse"]),
        # Laughing so hard one nearly wet oneself; wetting oneself unnoticed is still a report.
        ("I almost peed myself laughing at the video you posted.", None, []),
        ("My wife laughed so much she nearly wet herself, anyway is Friday free?", None, []),
        ("I wet myself this morning without noticing and my back is agony.", "emergency", ["bladder"]),
        # A reputation's suicide.
        ("Turning up late again would be career suicide, can we do 7am?", None, []),
        # Jelly legs with pleasure, not with weakness.
        ("My legs went to jelly after the massage, so relaxed.", None, []),
        ("My legs turned to jelly this morning and gave way on the stairs.", "emergency", ["foot_drop"]),
        # Fainting at a price, not at a bus stop.
        ("Honestly I almost fainted at the parking meter, the prices!", None, []),
        ("I almost fainted at the bus stop and my vision went grey.", "emergency", ["collapse"]),
        # A form's questions of four words answered no; a yes is a report.
        ("Head injury? No. Fever? Nope. Just the leg.", None, []),
        ("Fell down the stairs? Yes, on Sunday, and now my back is agony.", "emergency", ["trauma"]),
        # An unreal condition whose past verb comes later ("If I'm ... and my legs suddenly went ..."); a time told
        # is a report.
        ("If I'm diabetic and my legs suddenly went weak, would that be serious?", None, []),
        ("If I'm honest my legs went weak last night, would that matter?", "emergency", ["leg_weakness"]),
        # A "what would happen if ..." question asks about all of itself, past its "and".
        ("What would happen if I had the needles in and suddenly got chest pain?", None, []),
        # Osteoporosis with pain said to be neither new nor sudden.
        (
            "I have osteoporosis but I've not had any new pain, just the usual stiffness. Can I still have cupping?",
            None,
            [],
        ),
        # How someone else's tumour started is their story, not pain now.
        ("My colleague's dad had a tumour that started out like sciatica, how would I tell if mine is?", None, []),
        # A scrum or ruck coming down on a player; legs he can't even move.
        ("The ruck came down on him at training and he can't even move his legs now.", "emergency", ["trauma"]),
        # How much before one doesn't wake, asked as a joke or not.
        ("How many sleeping tablets would it take before someone doesn't wake up? haha", "emergency", ["crisis"]),
        # Injecting in slang; a growth spurt is not.
        ("Been slamming meth most weekends and now my lower back has started hurting.", "urgent", ["immune"]),
        ("My teenage son is shooting up, he's grown three inches since summer.", None, []),
    ],
)
def test_readings_added_with_blind13(text: str, severity: str | None, flags: list[str]) -> None:
    result = detect(text)
    assert result.severity == severity
    assert set(flags) <= set(result.flags)
    if "crisis" in flags:
        assert result.crisis
    else:
        assert not result.crisis


def test_the_lexicon_reports_no_stronger_legs_paddle_or_stored_insulin() -> None:
    """The worsening, crisis and bleeding wordings added with blind12 need the pain (not the legs) stronger every
    week, an intent to walk into the sea, medicines hoarded rather than stored, self-injury on the skin, the toilet
    for sitting on nothing, and a fall (not the rain) for coming down hard. (The net
    alone reads the first as a possible emergency: docs/triage.md.)"""
    for text in (
        "My legs feel stronger every week since the sessions.",
        "We're going to walk into the sea for a paddle at the weekend.",
        "My insulin is stored for months in the fridge.",
        "The cat left scratches all over my arms.",
        "Sat on nothing but a hard bench all day.",
        "The rain came down hard on the way here and my back aches.",
    ):
        assert default_detector().detect(text).severity is None, text


def test_the_lexicon_reports_no_move_rope_life_savings_dental_numbness_or_old_temperature() -> None:
    """The crisis, stroke, trauma, weakness and fever wordings added with blind11 need a goodbye rather than a house
    move, a rope without a job, a life rather than life savings, the means in quantity, a face numb without the
    dentist, an arm with speech, no job at a height, a fall one was not fine after, a leg getting worse, and a
    temperature now. (The net reads the last six as possible emergencies or urgent, alone or overruling the
    lexicon's reading when sure: docs/triage.md.)"""
    for text in (
        "I'm giving my old things away to charity before we move house.",
        "I've got a rope ready for towing the caravan.",
        "I use a rope pulley in the garage",
        "I'm planning to take my life savings and travel when my back is better.",
        "Can gabapentin kill you if you drink?",
        "The left side of my face is numb from the dental injection.",
        "I can't lift my arm above my head since I hurt my shoulder.",
        "My husband works on the roof and can't take the heat anymore.",
        "I slipped down the bank but landed on my feet, no harm done.",
        "Now I can stand on it for longer than yesterday, it's improving.",
        "I had a temperature on and off last winter, nothing since.",
    ):
        assert default_detector().detect(text).severity is None, text


def test_the_lexicon_reads_sleep_on_the_floor_and_a_headache_story_as_nothing() -> None:
    """The collapse and headache wordings added with blind9 need someone unresponsive, or a sudden pain in
    the head. (The net, alone, still reads these two as possible emergencies: docs/triage.md.)"""
    for text in (
        "I slept on the floor and didn't wake up till noon",
        "I've had a pain in my head since I stopped drinking coffee",
    ):
        assert default_detector().detect(text).findings == (), text


def test_worse_and_a_treatment_count_together_only_within_a_sentences_reach() -> None:
    """A story typed without full stops is not one sentence: "worse when I've been driving" and "I've tried a
    heat pad" twenty words on are not worse despite treatment (the lexicon's reading; the net reads it too)."""
    story = (
        "so my leg has been sore for weeks and it's worse when I've been driving to see clients all over the"
        " county which is most days for my job and at the weekend I've tried a heat pad which is nice"
    )
    assert "worsening" not in default_detector().detect(story).flags
    assert default_detector().detect("worse even after the physio sessions").flags == ["worsening"]


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
    with pytest.raises(ValueError, match="unknown word group <pils>"):
        Lexicon({"flags": {"x": {"severity": "urgent", "phrases": ["took all my <pils>"]}}})
    with pytest.raises(ValueError, match="single words"):
        Lexicon({"word_groups": {"pills": ["sleeping pill"]}, "flags": {"x": {"severity": "urgent", "phrases": ["a"]}}})


def test_word_groups_and_inability_forms_expand_phrases() -> None:
    lexicon = Lexicon(
        {
            "word_groups": {"pills": ["pill", "tablet"]},
            "inability_forms": ["unable to"],
            "flags": {"x": {"severity": "urgent", "phrases": ["not swallow ~ <pills>"]}},
        }
    )
    assert lexicon.phrases["x"] == [["not", "swallow", "~", "pill|tablet"]]
    detector = default_detector().__class__(lexicon)
    assert detector.detect("I was unable to swallow my tablet").flags == ["x"]
    assert detector.detect("can't swallow a pill").flags == ["x"]


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


def test_a_crisis_in_words_the_lexicon_does_not_know_gets_the_crisis_answer() -> None:
    text = "I've made my peace with it and I won't be here by the weekend"
    assert default_detector().detect(text).findings == ()
    triage = detect(text)
    assert triage.crisis and triage.severity == "emergency" and triage.flags == [SAFETY_NET_CRISIS_FLAG]
    assert triage.medical_sign is None


def test_a_crisis_with_a_physical_emergency_reports_both() -> None:
    triage = detect("I took all my pills and now my chest hurts and I can't breathe")
    assert triage.crisis and triage.medical_sign == "chest_pain"
    assert {"crisis", "chest_pain", "breathing"} <= set(triage.flags)


def test_a_line_break_ends_a_clause() -> None:
    """Chat messages put one thought per line: a negation on one line does not reach the next."""
    assert detect("nothing helps\nconstant pain all night").severity == "urgent"
    assert detect("I have no numbness down there").severity is None


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
    """Its training file, and the candidates kept for a later model, share no message with a labelled set
    or a held-back one."""
    tested = {m["text"] for m in labelled()} | {m["text"] for m in load_set("form_answers.yml")}
    tested |= {m["text"] for path in (TRIAGE_SETS / "next").glob("*.yml") for m in load_set(f"next/{path.name}")}
    for path in (TRAINING_PATH, TRAINING_PATH.with_name("screening_candidates.yml")):
        assert set(screening_examples(path)[0]).isdisjoint(tested), path.name


def test_the_safety_net_learns_from_the_working_sets_and_never_from_held_back_ones() -> None:
    """Once tuned on, a set is training data; a set kept back for measuring (next/) never is."""
    assert [p.name for p in labelled_sets()] == sorted(LABELLED_SETS)
    texts, labels = training_set(nlu_examples())  # the ordinary questions are its examples too
    assert {m["text"] for m in labelled()} <= set(texts)
    held_back = {m["text"] for path in (TRIAGE_SETS / "next").glob("*.yml") for m in load_set(f"next/{path.name}")}
    assert held_back.isdisjoint(texts)
    crisis = next(m for m in load_set("blind7_messages.yml") if m["category"] == "crisis")
    assert labels[texts.index(crisis["text"])] == "crisis"
