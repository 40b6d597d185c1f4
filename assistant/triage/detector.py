"""Red-flag detector: patient text in, red flags out. Pure Python + spaCy.

A blank English spaCy pipeline (sentencizer + lookup lemmatizer from
spacy-lookups-data) turns the text into normalised keys (`Token.norm_`);
spaCy `Matcher`s find the lexicon's phrases; word groups that must occur
together in a sentence are checked on the same keys. Each hit is then read in
its clause: negated or an idiom ("no numbness in my groin", "nearly had a
heart attack at the price"), talked about rather than reported (a question
about the condition, a short denial after it, a fear of what may happen),
someone else's history ("my dad had cancer", unless that person is the
patient now; an acquaintance's past story), or in the past where only a
current report matters ("a fever last winter"). Someone else's current
symptom ("my husband can't control his bladder") counts: it is a red flag for
them.

Flags come in three kinds (the lexicon's `kind`): `back` (sciatica's red
flags), `medical` (emergencies beyond the back: chest pain, stroke...) and
`crisis` (thoughts of suicide or self-harm), each answered in its own words.

Used by the NLU pipeline component and by the escalation action; no Rasa
imports here. When in doubt it reports: a missed emergency is the worst
error this product can make.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
import yaml
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.symbols import ORTH
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from assistant.triage.safety_net import CRISIS_FLAG as SAFETY_NET_CRISIS_FLAG
from assistant.triage.safety_net import FLAG as SAFETY_NET_FLAG
from assistant.triage.safety_net import SURE as SAFETY_NET_SURE
from assistant.triage.safety_net import SafetyNet, default_safety_net
from assistant.triage.severity import BORDERLINE, SEVERITIES

LEXICON_PATH = Path(__file__).with_name("lexicon.yml")
MAX_CHARS = 5000  # longer input is cut: a chat message, not a document
KINDS = ("back", "medical", "crisis")
_INABILITY = {"cannot", "cant", "couldnt", "wont"}
_CAN = {"ca", "can", "could", "wo", "would"}
_NEGATIVE_FORMS = {
    "n't",
    "nt",
    "not",
    "cannot",
    "cant",
    "dont",
    "doesnt",
    "didnt",
    "wont",
    "isnt",
    "arent",
    "wasnt",
    "werent",
    "couldnt",
    "wouldnt",
    "shouldnt",
    "havent",
    "hasnt",
    "hadnt",
    "never",
    "aint",
}


@dataclass(frozen=True)
class Finding:
    """One red flag found in the text."""

    flag: str
    severity: str
    label: str
    text: str  # the matched words, as the patient wrote them
    start_char: int
    end_char: int
    kind: str = "back"  # back, medical or crisis: which answer the patient gets
    negated: bool = False  # "no numbness", an idiom, or only talked about ("look out for numbness")
    other_person: bool = False  # someone else's history ("my dad had cancer"), unless they are the patient now
    caregiver: bool = False  # someone else's current symptom ("my mum wet herself"): counts, for them
    past: bool = False  # "a fever last winter", for flags where only now matters
    explained: bool = False  # "lost 5 kg dieting": the lexicon's `unless` words

    @property
    def reportable(self) -> bool:
        """Counts as the patient's current red flag."""
        return not (self.negated or self.other_person or self.past or self.explained)


@dataclass(frozen=True)
class Triage:
    findings: tuple[Finding, ...]
    # Flag names, most specific first: which medical emergency names the answer when several are reported.
    precedence: tuple[str, ...] = ()

    @property
    def reported(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.reportable)

    @property
    def crisis(self) -> bool:
        """Thoughts of suicide or self-harm reported, by the writer or about someone with them."""
        return any(f.kind == "crisis" for f in self.reported)

    @property
    def medical_sign(self) -> str | None:
        """The reported emergency beyond the back that the answer names (the most specific), if any."""
        signs = {f.flag for f in self.reported if f.kind == "medical"}
        return next((name for name in self.precedence if name in signs), min(signs) if signs else None)

    @property
    def severity(self) -> str | None:
        """`emergency`, `urgent`, or None when nothing reportable was found."""
        levels = {f.severity for f in self.reported}
        return next((s for s in SEVERITIES if s in levels), None)

    @property
    def borderline(self) -> bool:
        """Unsure: nothing reported for certain, but a possible sign the screening question settles."""
        return self.severity is None and any(f.severity == BORDERLINE for f in self.reported)

    @property
    def flags(self) -> list[str]:
        return sorted({f.flag for f in self.reported})


@dataclass(frozen=True)
class _Flag:
    name: str
    severity: str
    label: str
    current_only: bool
    together: tuple[tuple[frozenset[str], ...], ...]
    unless: frozenset[str]
    message_scope: bool = False  # together-groups may span sentences
    windows: tuple[int | None, ...] = ()  # per together-rule: its words at most this many tokens apart
    kind: str = "back"
    with_flags: frozenset[str] = frozenset()  # counts only beside one of these flags, reported
    negation_window: int = 7  # tokens before the hit a negation reaches
    unless_phrases: tuple[tuple[str, ...], ...] = ()  # `unless` entries of several words, matched as phrases
    # `unless` words that explain a hit anywhere in the message, not only in its sentence: "Would unexplained
    # weight loss be a concern? I'm deliberately cutting weight for a race."
    unless_anywhere: frozenset[str] = frozenset()


class Lexicon:
    """The parsed lexicon file, with a clear error for each malformed entry."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.spelling: dict[str, str] = {str(k).lower(): str(v).lower() for k, v in raw.get("spelling", {}).items()}
        self.negation_cues = frozenset(str(w).lower() for w in raw.get("negation_cues", []))
        # What else denies an `unless` word before it: "losing weight without dieting" is unexplained.
        self.explanation_negations = self.negation_cues | frozenset(
            str(w).lower() for w in raw.get("explanation_negations", [])
        )
        self.other_people = frozenset(str(w).lower() for w in raw.get("other_people", []))
        # Named word lists, written <name> in phrases, cues and word groups; <person> is other_people.
        self.word_groups: dict[str, list[str]] = {"person": sorted(self.other_people)}
        for name, words in (raw.get("word_groups") or {}).items():
            if not isinstance(words, list) or not words or any(len(str(w).split()) != 1 for w in words):
                raise ValueError(f"red-flag lexicon: word group {name!r} must be a list of single words")
            self.word_groups[str(name)] = [str(w).lower() for w in words]
        words = self.words
        self.pseudo_negations = [words(p) for p in raw.get("pseudo_negations", [])]
        self.clause_breaks = frozenset(str(w).lower() for w in raw.get("clause_breaks", []))
        self.self_words = frozenset(str(w).lower() for w in raw.get("self_words", []))
        self.proxy_cues = [words(p) for p in raw.get("proxy_cues", [])]
        self.past_cues = [words(p) for p in raw.get("past_cues", [])]
        self.hypothetical_cues = [words(p) for p in raw.get("hypothetical_cues", [])]
        self.trailing_cues = [words(p) for p in raw.get("trailing_hypothetical_cues", [])]
        self.denials = [words(p) for p in raw.get("denials", [])]
        self.feared_cues = [words(p) for p in raw.get("feared_cues", [])]
        self.ongoing_words = frozenset(str(w).lower() for w in raw.get("ongoing_words", []))
        self.acquaintances = frozenset(str(w).lower() for w in raw.get("acquaintances", []))
        self.question_words = frozenset(str(w).lower() for w in raw.get("question_words", []))
        self.past_tense_words = frozenset(str(w).lower() for w in raw.get("past_tense_words", []))
        self.idioms = [words(p) for p in raw.get("idioms", [])]
        self.resolved_cues = [words(p) for p in raw.get("resolved_cues", [])]
        self.treated_words = frozenset(str(w).lower() for w in raw.get("treated_words", []))
        self.family_cues = [words(p) for p in raw.get("family_cues", [])]
        # What a phrase's `not` also matches: "unable to pee", "haven't been able to pee", "barely felt it".
        self.inability_forms = [words(p) for p in raw.get("inability_forms", [])]
        self.pain_words = frozenset(str(w).lower() for w in raw.get("pain_words", []))
        # Said laughing, about an everyday nuisance: "if my boss books one more meeting I'll shoot myself haha".
        self.jest_cues = [words(p) for p in raw.get("jest_cues", [])]
        self.serious_words = frozenset(self._expand_group(str(w).lower() for w in raw.get("serious_words", [])))
        self.now_words = frozenset(str(w).lower() for w in raw.get("now_words", []))
        self.flags: dict[str, _Flag] = {}
        self.phrases: dict[str, list[list[str]]] = {}
        for name, spec in (raw.get("flags") or {}).items():
            severity = spec.get("severity")
            if severity not in (*SEVERITIES, BORDERLINE):
                raise ValueError(f"red-flag lexicon: flag {name!r} needs severity emergency, urgent or borderline")
            rules = [_together_rule(name, rule, spec.get("together_window")) for rule in spec.get("together") or []]
            groups = tuple(tuple(frozenset(self._expand_group(group)) for group in rule) for rule, _ in rules)
            # `unless` entries: single words, or phrases of several ("be fine after": that fall did no harm).
            unless_entries = [str(w).lower() for w in spec.get("unless") or []]
            unless = frozenset(w for w in unless_entries if len(w.split()) == 1)
            unless_phrases = tuple(tuple(words(w)) for w in unless_entries if len(w.split()) > 1)
            kind = spec.get("kind", "back")
            if kind not in KINDS:
                raise ValueError(f"red-flag lexicon: flag {name!r} has kind {kind!r}; use one of {', '.join(KINDS)}")
            self.flags[name] = _Flag(
                name,
                severity,
                spec.get("label", name),
                bool(spec.get("current_only")),
                groups,
                unless,
                spec.get("together_scope") == "message",
                tuple(window for _, window in rules),
                kind,
                frozenset(spec.get("with_flags") or []),
                int(spec.get("negation_window", 7)),
                unless_phrases,
                frozenset(str(w).lower() for w in spec.get("unless_anywhere") or []),
            )
            self.phrases[name] = [words(p) for p in spec.get("phrases") or []]
            if not self.phrases[name] and not groups:
                raise ValueError(f"red-flag lexicon: flag {name!r} has no phrases and no together groups")

    def words(self, pattern: str) -> list[str]:
        """A phrase's words, each <name> replaced by its word group's alternatives ("a|b|c")."""
        return ["|".join(self._expand_group(word.split("|"))) for word in _words(pattern)]

    def _expand_group(self, words: Iterable[str]) -> list[str]:
        expanded = []
        for word in words:
            if word.startswith("<") and word.endswith(">"):
                if word[1:-1] not in self.word_groups:
                    raise ValueError(f"red-flag lexicon: unknown word group {word}")
                expanded += self.word_groups[word[1:-1]]
            else:
                expanded.append(word)
        return expanded


def _together_rule(flag: str, rule: Any, window: int | None) -> tuple[tuple[frozenset[str], ...], int | None]:
    """One `together` entry: a list of word lists (the flag's `together_window`), or a mapping with its own
    `window` and `groups`."""
    if isinstance(rule, dict):
        rule, window = rule.get("groups"), rule.get("window", window)
    if not isinstance(rule, list) or not rule or not all(isinstance(group, list) for group in rule):
        raise ValueError(f"red-flag lexicon: flag {flag!r}: each `together` entry is a list of word lists")
    return tuple(frozenset(str(w).lower() for w in group) for group in rule), window


def _words(pattern: str) -> list[str]:
    return str(pattern).lower().split()


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    return Lexicon(yaml.safe_load(path.read_text(encoding="utf-8")))


class RedFlagDetector:
    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon()
        self.nlp = _pipeline()
        _keep_hyphenated_words(self.nlp, self.lexicon)
        self._sentencizer = self.nlp.get_pipe("sentencizer")
        # The lemmatizer's lookup table is read directly by `key`, which caches every word it has seen.
        lemmas = self.nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        self._lemma = lambda word: lemmas.get(word, word)
        self.key = lru_cache(maxsize=100_000)(self.key)
        # Word groups and `unless` words go through the same normalisation as text.
        self.flags = {
            name: replace(
                flag,
                together=tuple(tuple(frozenset(self.key(w) for w in g) for g in rule) for rule in flag.together),
                unless=frozenset(self.key(w) for w in flag.unless),
                unless_anywhere=frozenset(self.key(w) for w in flag.unless_anywhere),
            )
            for name, flag in self.lexicon.flags.items()
        }
        self.precedence = tuple(self.flags)  # the lexicon's order
        self.pain_words = frozenset(self.key(w) for w in self.lexicon.pain_words)
        self.now_words = frozenset(self.key(w) for w in self.lexicon.now_words)
        self.treated_words = frozenset(self.key(w) for w in self.lexicon.treated_words)
        self.ongoing_words = frozenset(self.key(w) for w in self.lexicon.ongoing_words)
        self.acquaintances = frozenset(self.key(w) for w in self.lexicon.acquaintances)
        self.question_words = frozenset(self.key(w) for w in self.lexicon.question_words)
        # A message naming anyone, or a time of now, is not a general question (see `_general_question`).
        self.personal_words = (
            frozenset(self.key(w) for w in (*self.lexicon.self_words, *self.lexicon.other_people, "my"))
            | self.now_words
        )
        # One matcher for all phrases, on NORM (set to our key): C-speed matching.
        self.matcher = _Matchers(self.nlp.vocab)
        # Phrases with no negative word of their own: a negation among the words they leave open ("the
        # pain does not wake me" for "pain ~ ~ wake") negates them.
        self.open_phrases: set[str] = set()
        negatives = {self.key(w) for w in self.lexicon.negation_cues} | {"not"}
        for name, phrases in self.lexicon.phrases.items():
            for index, words in enumerate(phrases):
                self.matcher.add(f"{name}:{index}", self._patterns(words, self.lexicon.inability_forms))
                if not any(self.key(w) in negatives for word in words for w in word.split("|")):
                    self.open_phrases.add(f"{name}:{index}")
        self.cue_matcher = _Matchers(self.nlp.vocab)
        for label, patterns in (
            ("pseudo", self.lexicon.pseudo_negations),
            ("proxy", self.lexicon.proxy_cues),
            ("past", self.lexicon.past_cues),
            ("hypothetical", self.lexicon.hypothetical_cues),
            ("trailing", self.lexicon.trailing_cues),
            ("idiom", self.lexicon.idioms),
            ("family", self.lexicon.family_cues),
            ("resolved", self.lexicon.resolved_cues),
            ("denial", self.lexicon.denials),
            ("feared", self.lexicon.feared_cues),
            ("jest", self.lexicon.jest_cues),
        ):
            for index, words in enumerate(patterns):
                self.cue_matcher.add(f"{label}:{index}", self._patterns(words))
        for name, flag in self.lexicon.flags.items():
            for index, words in enumerate(flag.unless_phrases):
                self.cue_matcher.add(f"unless-{name}:{index}", self._patterns(words))
        self.serious_words = frozenset(self.key(w) for w in self.lexicon.serious_words) | self.pain_words

    def key(self, text: str) -> str:
        """Normalised key of one token: lower case, spelling fixed, lemma, negation as `not`."""
        word = text.lower().replace("\u2019", "'")
        if word in _NEGATIVE_FORMS:
            return "not"
        word = self.lexicon.spelling.get(word, word)
        return self.lexicon.spelling.get(self._lemma(word), self._lemma(word))

    def _patterns(self, words: Sequence[str], not_forms: Sequence[Sequence[str]] = ()) -> list[list[dict[str, Any]]]:
        """Matcher patterns for one lexicon phrase. Alternatives ("bladder|bladders") become one pattern
        each: plain NORM values are compared in C, where an IN set calls back into Python at every token
        (a 2,000-character message took three times as long). A `not` also matches each of `not_forms`
        (a phrase of its own: "unable to", "not ~ able to")."""
        options: list[list[list[dict[str, Any]]]] = []  # per word: its alternatives, each a token sequence
        for word in words:
            if word == "not" and not_forms:
                options.append([[self._token(w) for w in form] for form in [["not"], *not_forms]])
            else:
                options.append([[token] for token in self._tokens(word)])
        patterns = []
        for choice in itertools.product(*options):
            pattern = [token for sequence in choice for token in sequence]
            if pattern not in patterns:
                patterns.append(pattern)
        return patterns

    def _tokens(self, word: str) -> list[dict[str, Any]]:
        """The token patterns one lexicon word allows (several for "a|b")."""
        if word == "~":
            return [{"OP": "?"}]
        if "~" in word:  # number prefixes: "19~" (a year), "38~|39~" (a temperature)
            prefixes = "|".join(re.escape(option.rstrip("~")) for option in word.split("|"))
            return [{"NORM": {"REGEX": "^(" + prefixes + r")[\d.,]*$"}}]
        return [{"NORM": key} for key in dict.fromkeys(self.key(o) for o in word.split("|"))]

    def _token(self, word: str) -> dict[str, Any]:
        [token] = self._tokens(word)
        return token

    def parse(self, text: str) -> Doc:
        """Tokens with NORM set to their normalised key."""
        return self._message(text).doc

    def _message(self, text: str) -> _Message:
        # Tokenizer and sentencizer only: `key` does the lemma lookup itself.
        doc = self._sentencizer(self.nlp.make_doc(text[:MAX_CHARS]))
        keys, lower, texts = [], [], []
        for token in doc:
            key = self.key(token.text)
            token.norm_ = key  # what the matchers read
            keys.append(key)
            lower.append(token.lower_)
            texts.append(token.text)
        return _Message(doc, keys, lower, texts, doc.sents)

    def detect(self, text: str, safety_net: SafetyNet | None = None) -> Triage:
        """The lexicon's findings, and the safety net's opinion (if given) where the lexicon found nothing to
        report: at its threshold where there was no mention at all, only when sure where every mention
        was read as negated, past, someone else's history, or unsure."""
        if not text or not text.strip():
            return Triage((), self.precedence)
        message = self._message(text)
        hits = list(self._hits(message))
        # Words that mean nothing alone ("acupuncture" without "short of breath") are no mention at all.
        matched = {flag for _, flag, _, _ in hits}
        hits = [hit for hit in hits if self._companions_reported(hit[1], matched)]
        if not hits:  # most messages: the cues need not be looked for
            return Triage(self._second_opinion(text, safety_net), self.precedence)
        cues = self._cues(message)
        clauses = self._clauses(message)
        other_is_patient: bool | None = None  # worked out when someone else's history is first found
        findings: dict[tuple[str, int, int], Finding] = {}
        for span, flag, anchors, open_words in hits:
            spec = self.flags[flag]
            someone_else = self._about_someone_else(message, span, cues["family"])
            if spec.current_only:  # someone else's symptom now: a red flag for them, unless it is over
                history = someone_else and (
                    self._over_for_them(message, span, cues["resolved"])
                    or (spec.kind == "back" and self._anecdote(message, span))
                )
            else:  # someone else's history counts when the writer asks for them, or they have pain now
                if someone_else and other_is_patient is None:
                    other_is_patient = bool(cues["proxy"]) or self._someone_else_in_pain_now(message)
                history = someone_else and not other_is_patient
            negated = (
                self._negated(message, span, anchors, cues, clauses, spec.negation_window, open_words)
                or (spec.kind == "back" and (self._general_question(message, span) or self._unreal(message, span)))
                or (spec.kind == "crisis" and self._jest(message, span, cues["jest"]))
                or (spec.kind != "crisis" and self._asked_in_its_question(message, span, cues["hypothetical"]))
            )
            finding = Finding(
                flag=flag,
                severity=spec.severity,
                label=spec.label,
                text=span.text,
                start_char=span.start_char,
                end_char=span.end_char,
                kind=spec.kind,
                negated=negated,
                other_person=history,
                caregiver=someone_else and not history,
                past=spec.current_only and self._in_past(span, cues["past"], clauses),
                explained=self._explained(message, span, spec.unless, cues.get(f"unless-{flag}", []))
                or self._explained(message, span, spec.unless_anywhere, whole_message=True),
            )
            key = (flag, finding.start_char, finding.end_char)
            if key not in findings or finding.reportable:
                findings[key] = finding
        # The companion must also be reported, not only mentioned ("no chest pain after the needles").
        reported = {f.flag for f in findings.values() if f.reportable}
        kept = [f for f in findings.values() if self._companions_reported(f.flag, reported)]
        if not any(f.reportable for f in kept) or all(f.severity == BORDERLINE for f in kept):
            # Every mention read as negated, past or someone else's history, or only an unsure one: the
            # net reads the whole message and overrules that reading when it is sure ("not suicidal
            # exactly, but ..."; "he's not talking properly").
            kept += self._second_opinion(text, safety_net, sure=True)
        elif {f.severity for f in kept if f.reportable} == {"urgent"}:
            # Only urgent flags read: the emergency may be in words the lexicon does not know ("worse since
            # last week" found, "no feeling down below" not); a sure net raises it, never lowers it.
            kept += [f for f in self._second_opinion(text, safety_net, sure=True) if f.severity == "emergency"]
        return Triage(tuple(sorted(kept, key=lambda f: (f.start_char, f.flag, f.end_char))), self.precedence)

    def _companions_reported(self, flag: str, reported: set[str]) -> bool:
        companions = self.flags[flag].with_flags
        return not companions or bool(companions & reported)

    @staticmethod
    def _second_opinion(text: str, safety_net: SafetyNet | None, sure: bool = False) -> tuple[Finding, ...]:
        """The net's finding, if any; `sure`: where the lexicon was unsure, only a sure net overrules it."""
        if safety_net is None:
            return ()
        opinion = safety_net.opinion(text[:MAX_CHARS], threshold=SAFETY_NET_SURE if sure else None)
        if opinion.severity is None:
            return ()
        end = min(len(text), MAX_CHARS)
        if opinion.crisis:  # the crisis answer, not the generic emergency one
            label = (
                "possible thoughts of suicide or self-harm, in wording the lexicon does not know"
                f" (p={opinion.probability:.2f})"
            )
            return (Finding(SAFETY_NET_CRISIS_FLAG, opinion.severity, label, text[:MAX_CHARS], 0, end, kind="crisis"),)
        label = f"possible red flag in wording the lexicon does not know (p={opinion.probability:.2f})"
        return (Finding(SAFETY_NET_FLAG, opinion.severity, label, text[:MAX_CHARS], 0, end),)

    # -- matching -----------------------------------------------------------------

    def _hits(self, message: _Message) -> Iterable[tuple[Span, str, list[int], bool]]:
        """(span, flag, anchor tokens, open words): a negation before any anchor negates the hit, and one
        inside it too when its words are open (a phrase with no negative word of its own)."""
        doc, keys = message.doc, message.keys
        for match_id, start, end in self.matcher(doc, keys):
            name = self.nlp.vocab.strings[match_id]
            yield doc[start:end], name.split(":")[0], [start], name in self.open_phrases
        sentences = [(start, _Keys(keys[start:end])) for start, end in message.sentences]
        whole = [(0, _Keys(keys))]
        for flag, spec in self.flags.items():
            for rule, window in zip(spec.together, spec.windows, strict=True):
                for offset, sentence_keys in whole if spec.message_scope else sentences:
                    found = sentence_keys.co_occurrence(rule, window)
                    if found is not None:
                        first = [offset + i for i in found]
                        yield doc[min(first) : max(first) + 1], flag, first, False

    def _cues(self, message: _Message) -> dict[str, list[Span]]:
        found: dict[str, list[Span]] = {
            label: []
            for label in (
                "pseudo",
                "proxy",
                "past",
                "hypothetical",
                "trailing",
                "idiom",
                "family",
                "resolved",
                "denial",
                "feared",
                "jest",
            )
        }
        for match_id, start, end in self.cue_matcher(message.doc, message.keys):
            found.setdefault(self.nlp.vocab.strings[match_id].split(":")[0], []).append(message.doc[start:end])
        return found

    # -- reading a hit in its clause -------------------------------------------------

    def _clauses(self, message: _Message) -> _Clauses:
        """Where each token's clause starts and ends, worked out once per message.

        A clause ends at a clause-break word or mark, or a line break (not included). One also starts
        after ", I ..." / "and I ...", though a bare comma in a list does not end one, and at the main
        clause after a condition, without a comma ("if it doesn't settle I'll ...": the condition's
        "not" is not the main clause's)."""
        keys, texts, breaks = message.keys, message.texts, self.lexicon.clause_breaks
        n = len(keys)
        starts = [0] * n
        ends = [0] * (n + 1)
        # A line break ends a clause too: chat messages put one thought per line ("nothing\nconstant").
        breaking = [keys[i] in breaks or texts[i] in breaks or "\n" in texts[i] for i in range(n)]
        # A hyphen joining two words ("twenty-odd years ago", "mother-in-law") is no dash: no clause ends there.
        for i in range(1, n - 1):
            if (
                texts[i] == "-"
                and breaking[i]
                and not message.doc[i - 1].whitespace_
                and not message.doc[i].whitespace_
            ):
                breaking[i] = False
        for sentence_start, sentence_end in message.sentences:
            current = sentence_start
            condition = False
            for i in range(sentence_start, sentence_end):
                following = keys[i + 1] if i + 1 < sentence_end else ""
                if condition and i > current and keys[i] in _SUBJECTS and following in _WILL:
                    current, condition = i, False
                starts[i] = current
                condition = condition or keys[i] in _CONDITIONS
                if breaking[i] or (texts[i] in {",", "and"} and following in self.lexicon.self_words):
                    current = i + 1
            ends[sentence_end] = sentence_end
            for i in range(sentence_end - 1, sentence_start - 1, -1):
                ends[i] = i if breaking[i] else ends[i + 1]
        return _Clauses(starts, ends, message.sentence_end)

    def _negated(
        self,
        message: _Message,
        span: Span,
        anchors: list[int],
        cues: dict[str, list[Span]],
        clauses: _Clauses,
        reach: int = 7,
        open_words: bool = False,
    ) -> bool:
        start, end = clauses.of(span)
        # Talked about, not reported: a cue before the hit ("look out for numbness", "what does numbness
        # mean"), or one that follows it ("..., just curious"). "Is that a sign of ...?" after a report asks
        # about it.
        if any(start <= cue.start < span.start and cue.end <= end for cue in cues["hypothetical"]):
            return True
        if any(span.end <= cue.start and cue.end <= end for cue in cues["trailing"]):
            return True
        # Feared, not happening: the fear's "will" just before the hit or inside it ("scared I'll wet
        # myself", "I know the pain will wake me"), unless it is already happening ("... again").
        if any(
            start <= cue.start < span.start and span.start <= cue.end <= span.end for cue in cues["feared"]
        ) and self.ongoing_words.isdisjoint(message.keys[start:end]):
            return True
        # Inside an idiom ("nearly had a heart attack when I saw the price").
        if any(cue.start < span.end and span.start < cue.end for cue in cues["idiom"]):
            return True
        # Denied by a short sentence that follows ("My GP asked about numbness and leaking. None of that.").
        if cues["denial"] and self._denied(message, span, cues["denial"]):
            return True
        # A form's question echoed and answered no: "Cancer? No, never had it, the receptionist just asked."
        if self._answered_no(message, span, cues["pseudo"]):
            return True
        # A cue shortly before the hit negates it; for word groups, a cue right
        # before any one word does ("peeing fine, no accidents").
        for anchor in anchors:
            # Each word's own clause: "nothing\nconstant" does not negate "constant".
            window_start = max(start, clauses.starts[anchor], anchor - (reach if anchor == span.start else 3))
            # Another word of the same hit ("nothing comes") is not a cue for it.
            if any(
                self._is_negation(message, i, cues["pseudo"]) for i in range(window_start, anchor) if i not in anchors
            ):
                return True
        # A negation among a phrase's open words: "the pain does not wake me" ("pain ~ ~ wake").
        return open_words and any(
            self._is_negation(message, i, cues["pseudo"]) for i in range(span.start + 1, span.end - 1)
        )

    def _general_question(self, message: _Message, span: Span) -> bool:
        """A question about sciatica's red flags in general: its sentence starts with a question word and
        the message names no one (no I, my, she...) and no time of now ("Is foot drop common with
        sciatica?", "can sciatica make your leg feel weak"). "Is numbness in the groin serious? I've
        had it since Monday" names the writer and a time: a report."""
        start = message.sentence_start[span.start]
        first = next((i for i in range(start, span.start) if message.texts[i][:1].isalnum()), None)
        if first is None or message.keys[first] not in self.question_words:
            return False
        return message.words.isdisjoint(self.personal_words)

    def _unreal(self, message: _Message, span: Span) -> bool:
        """An unreal condition about sciatica's red flags: its sentence opens with "if" (or "say", "suppose",
        "imagine": "Say I slipped on the ice and landed on my back, would ...?"), a subject and a past
        tense, and asks "would" after the hit, with no time of now or of a day gone by ("If I got weak in
        the leg while driving, would that be dangerous?", "if I lost weight on a cut would that change
        ..."). "If I lost control of my bladder last night, would that be ...?" tells a time: a report. Not
        for a crisis or a medical emergency, like `_general_question`."""
        start, end = message.sentence_start[span.start], message.sentence_end[span.start]
        words = [i for i in range(start, span.end) if message.texts[i][:1].isalnum()][:3]
        if len(words) < 3 or words[1] >= span.start:  # "if" and its subject come before the hit
            return False
        if message.keys[words[0]] not in _UNREAL_OPENERS or message.keys[words[1]] not in _UNREAL_SUBJECTS:
            return False
        # The condition's verb: the first after its subject, or a later one of the condition ("If I'm pregnant
        # and my sciatica suddenly went into both legs, would ...?").
        return self._supposed(message, words[2], span.end, start, end) and not _WOULD.isdisjoint(
            message.keys[span.end : end]
        )

    def _supposed(self, message: _Message, verbs_from: int, verbs_to: int, start: int, end: int) -> bool:
        """A condition told in the past tense (a past verb among `verbs_from:verbs_to`) in a sentence
        (`start:end`) that tells no time, of now or of a day gone by ("suddenly" tells how, not when)."""
        past = any(
            message.lower[verb] in self.lexicon.past_tense_words
            or (message.lower[verb].endswith("ed") and message.keys[verb] != message.lower[verb])
            for verb in range(verbs_from, verbs_to)
            if message.texts[verb][:1].isalnum()
        )
        sentence = [key for key in message.keys[start:end] if key not in _MANNER_WORDS]
        told_when = not self.now_words.isdisjoint(sentence) or not _TOLD_TIMES.isdisjoint(sentence)
        return past and not told_when

    def _asked_in_its_question(self, message: _Message, span: Span, hypothetical: list[Span]) -> bool:
        """A question that opens with "what" or "how" and a hypothetical cue ("what would you do if", "what
        happens if", "how would I know if") asks about the whole of itself, past an "and" that ends a clause:
        "What would you do if I had a needle in and suddenly felt short of breath?". Not for a crisis, where a
        question can be a veiled report."""
        start, end = message.sentence_start[span.start], message.sentence_end[span.start]
        if message.texts[end - 1] != "?":
            return False
        first = next((i for i in range(start, span.start) if message.texts[i][:1].isalnum()), None)
        if not (
            first is not None
            and message.keys[first] in _ASKING_OPENERS
            and any(cue.start == first and cue.end <= span.start for cue in hypothetical)
        ):
            return False
        # Only an unreal condition ("if I had ... and felt", with "would"), told at no time: "What should I do
        # if my chest pain doesn't stop and I can't breathe?" and "... if my bladder stopped working this
        # morning" report what is happening.
        return self._supposed(message, first, span.end, start, end) and not _WOULD.isdisjoint(message.keys[start:end])

    def _denied(self, message: _Message, span: Span, denials: list[Span], reach: int = 3) -> bool:
        """A short sentence of denial ("None of that, thankfully.", "I don't have it.") among the
        `reach` sentences after the hit's, starting it, with at most three other words."""
        following = [(start, end) for start, end in message.sentences if start >= message.sentence_end[span.start]]
        for start, end in following[:reach]:
            words = sum(1 for text in message.texts[start:end] if text[:1].isalnum())
            for cue in denials:
                if start <= cue.start <= start + 1 and cue.end <= end and words <= len(cue) + 3:
                    return True
        return False

    def _answered_no(self, message: _Message, span: Span, pseudo: list[Span]) -> bool:
        """The hit is a short question of its own (at most four words, "?") and the next sentence opens with
        "no", "nope", "nah", "never" or "none" ("Cancer? No, never had it."; "Fever? Nope."; "Fell off a
        ladder? No."), as a form's question is answered. "Bladder problems? No control at all" opens with a
        pseudo-negation: a report."""
        start, end = message.sentence_start[span.start], message.sentence_end[span.start]
        if end >= len(message.keys) or message.texts[end - 1] != "?":
            return False
        if sum(1 for text in message.texts[start:end] if text[:1].isalnum()) > 4:
            return False
        first = next((i for i in range(end, message.sentence_end[end]) if message.texts[i][:1].isalnum()), None)
        return (
            first is not None
            and message.lower[first] in _ANSWERS_NO
            and not any(p.start <= first < p.end for p in pseudo)
        )

    def _is_negation(self, message: _Message, i: int, pseudo: list[Span]) -> bool:
        key, lower = message.keys[i], message.lower
        if key not in self.lexicon.negation_cues or any(p.start <= i < p.end for p in pseudo):
            return False
        # "can't", "couldn't", "won't" report an inability (a symptom), not an absence.
        after_can = i > 0 and lower[i] in {"n't", "nt", "not"} and lower[i - 1] in _CAN
        if lower[i] in _INABILITY or after_can:
            return False
        # "free" negates only as "free of ...".
        return not (key == "free" and (i + 1 >= len(lower) or message.texts[i + 1] != "of"))

    def _jest(self, message: _Message, span: Span, jests: list[Span]) -> bool:
        """Hyperbole said laughing about an everyday nuisance: in the hit's sentence, an "if" before it, a
        laugh after it, and no word of pain, the body, treatment, life, family or money (`serious_words`:
        "if my boss books one more meeting I'll shoot myself haha"). "lol if the acupuncture doesn't work
        I'll jump off the overpass" is despair about the patient's health, whatever the laugh: a crisis."""
        start, end = message.sentence_start[span.start], message.sentence_end[span.start]
        if "if" not in message.keys[start : span.start]:
            return False
        if not any(span.end <= cue.start and cue.end <= end for cue in jests):
            return False
        return self.serious_words.isdisjoint(message.keys[start : span.start] + message.keys[span.end : end])

    def _explained(
        self,
        message: _Message,
        span: Span,
        unless: frozenset[str],
        phrases: Sequence[Span] = (),
        whole_message: bool = False,
    ) -> bool:
        """An `unless` word in the sentence (or the message: `whole_message`), itself not negated ("not
        dieting", "not on a diet", "without dieting"), or an `unless` phrase ("I was totally fine after")."""
        sentence_start, sentence_end = message.sentence_start[span.start], message.sentence_end[span.start]
        if whole_message:
            sentence_start, sentence_end = 0, len(message.keys)
        if any(message.sentence_start[cue.start] == sentence_start for cue in phrases):
            return True
        if not unless:
            return False
        keys = message.keys
        for i in range(sentence_start, sentence_end):
            if keys[i] in unless and not any(
                keys[j] in self.lexicon.explanation_negations for j in range(max(sentence_start, i - 3), i)
            ):
                return True
        return False

    def _about_someone_else(self, message: _Message, span: Span, family: list[Span]) -> bool:
        """The nearest person mentioned before the hit, in its sentence, is not the writer; or the
        sentence speaks of the family ("cancer runs in my family")."""
        sentence = message.sentence_start[span.start]
        if any(message.sentence_start[cue.start] == sentence for cue in family):
            return True
        return self._owner(message, span.start) == "other"

    def _owner(self, message: _Message, i: int) -> str | None:
        """Whose the word at `i` is: the nearest person mentioned before it in its sentence ("my" alone
        is the writer: "my back"), or None when nobody is."""
        return self._person(message, i)[0]

    def _person(self, message: _Message, i: int) -> tuple[str | None, str]:
        """("self" or "other" or None, the word naming them) for the word at `i` (see `_owner`)."""
        keys = message.keys
        for j in range(i - 1, message.sentence_start[i] - 1, -1):
            key = keys[j]
            if key in self.lexicon.self_words:
                return "self", key
            if key == "my":
                after = keys[j + 1] if j + 1 < len(keys) else ""
                return ("other", after) if after in self.lexicon.other_people else ("self", key)
            if key in self.lexicon.other_people:
                return "other", key
        return None, ""

    def _anecdote(self, message: _Message, span: Span) -> bool:
        """An acquaintance's symptom told in the past tense, with no word of now in its sentence ("my
        friend lost control of her bladder"): a story, not someone the writer is caring for now. Family
        and people in one's care are read as now ("my mum soiled herself and didn't notice")."""
        if self._person(message, span.start)[1] not in self.acquaintances:
            return False
        start, end = message.sentence_start[span.start], message.sentence_end[span.start]
        if not self.now_words.isdisjoint(message.keys[start:end]):
            return False
        return any(
            message.lower[i] in self.lexicon.past_tense_words
            or (message.lower[i].endswith("ed") and message.keys[i] != message.lower[i])
            for i in range(max(start, span.start - 2), span.end)
        )

    def _over_for_them(self, message: _Message, span: Span, resolved: list[Span]) -> bool:
        """Someone else's symptom that is over or was treated, in the hit's sentence."""
        start, end = message.sentence_start[span.start], message.sentence_end[span.start]
        # "she's fine now", not "she was fine at lunch" (when it started), nor "he says he's fine but he
        # hasn't passed water" (the symptom told after the "but" is what is true now), nor a question ("is
        # she ok to come in?").
        if any(
            message.sentence_start[cue.start] == start
            and _PAST_BE.isdisjoint(message.lower[cue.start : cue.end])
            and (cue.start == 0 or message.lower[cue.start - 1] not in _ASKING)
            and _CONTRAST.isdisjoint(message.keys[cue.end : span.start])
            for cue in resolved
        ):
            return True
        keys = set(message.keys[start:end])
        return bool(keys & self.treated_words) and not keys & self.now_words

    def _someone_else_in_pain_now(self, message: _Message) -> bool:
        """Someone else has pain now ("and now she has new back pain"): their history counts."""
        keys = message.keys
        for start, end in message.sentences:
            # "a tumour that started off like sciatica" tells how it began, not that it is now.
            now = [
                i
                for i in range(start, end)
                if keys[i] in self.now_words and not (keys[i] == "start" and i + 1 < end and keys[i + 1] in _OFF)
            ]
            if not now:
                continue
            if any(keys[i] in self.pain_words and self._owner(message, i) == "other" for i in range(start, end)):
                return True
        return False

    def _in_past(self, span: Span, past: list[Span], clauses: _Clauses) -> bool:
        start, end = clauses.of(span)
        return any(start <= cue.start and cue.end <= end for cue in past)


class _Message:
    """One message's tokens as plain lists, read many times per hit: spaCy makes a new Token object at
    every `doc[i]`, which on a long message cost more than the matching."""

    def __init__(self, doc: Doc, keys: list[str], lower: list[str], texts: list[str], sents: Iterable[Span]) -> None:
        self.doc = doc
        self.keys = keys  # the normalised key of each token (its NORM)
        self.lower = lower
        self.texts = texts
        self.words = frozenset(keys)
        self.sentences = [(sentence.start, sentence.end) for sentence in sents]
        self.sentence_start = [0] * len(keys)  # by token
        self.sentence_end = [0] * len(keys)
        for start, end in self.sentences:
            self.sentence_start[start:end] = [start] * (end - start)
            self.sentence_end[start:end] = [end] * (end - start)


@dataclass(frozen=True)
class _Clauses:
    starts: list[int]  # by token: first token of its clause
    ends: list[int]  # by token (and one past the last): one past the end of the clause it is in
    sentence_end: list[int]  # by token

    def of(self, span: Span) -> tuple[int, int]:
        """The clause the span starts in, to the end of the clause it ends in (within its sentence)."""
        sentence_end = self.sentence_end[span.start]
        return self.starts[span.start], self.ends[span.end] if span.end < sentence_end else sentence_end


class _Matchers:
    """spaCy's PhraseMatcher (a hash lookup per token) for phrases of fixed words, its Matcher for
    the rest (optional words, number prefixes). The Matcher tries every pattern at every token and
    makes a Python object of each token it passes, so the rest are filed under one word each pattern
    cannot match without (its rarest: the longest that is not a common word), and run only around
    the places that word occurs, no further than the pattern's length: the same matches, for a
    fraction of the work."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.phrases = PhraseMatcher(vocab, attr="NORM")
        self.by_word: dict[str, Matcher] = {}
        self.reach: dict[str, int] = {}  # by word: the longest of its patterns, in tokens
        self.unfiled = Matcher(vocab)  # patterns with no plain word (none today)

    def add(self, key: str, patterns: list[list[dict[str, Any]]]) -> None:
        fixed = [p for p in patterns if all(isinstance(token.get("NORM"), str) and len(token) == 1 for token in p)]
        if fixed:
            self.phrases.add(key, [self._doc([token["NORM"] for token in p]) for p in fixed])
        for pattern in (p for p in patterns if p not in fixed):
            words = [token["NORM"] for token in pattern if isinstance(token.get("NORM"), str)]
            if not words:
                self.unfiled.add(key, [pattern])
                continue
            word = max(words, key=lambda w: (w not in _COMMON, len(w)))
            self.by_word.setdefault(word, Matcher(self.vocab)).add(key, [pattern])
            self.reach[word] = max(self.reach.get(word, 0), len(pattern))

    def _doc(self, keys: list[str]) -> Doc:
        doc = Doc(self.vocab, words=keys)
        for token, key in zip(doc, keys, strict=True):
            token.norm_ = key
        return doc

    def __call__(self, doc: Doc, keys: list[str] | None = None) -> list[tuple[int, int, int]]:
        """Matches in `doc`; `keys`, its tokens' keys, when the caller has them already."""
        found = self.phrases(doc)
        if len(self.unfiled):
            found += self.unfiled(doc)
        places: dict[str, list[int]] = {}
        for i, key in enumerate(keys if keys is not None else [token.norm_ for token in doc]):
            if key in self.by_word:
                places.setdefault(key, []).append(i)
        for word, positions in places.items():
            matcher, reach = self.by_word[word], self.reach[word]
            # A match holds the word and is at most `reach` long: it lies within reach of it. Windows
            # that overlap are merged, so no match is found twice.
            start, end = max(0, positions[0] - reach + 1), min(len(doc), positions[0] + reach)
            for position in positions[1:] + [len(doc) + reach]:
                if position - reach + 1 <= end:
                    end = min(len(doc), position + reach)
                    continue
                found += [(match, start + s, start + e) for match, s, e in matcher(doc[start:end])]
                start, end = max(0, position - reach + 1), min(len(doc), position + reach)
        return found


_PAST_BE = frozenset({"was", "were"})
# A verb before the person asks rather than tells: "is she ok to come in?".
_ASKING = frozenset({"is", "are", "will", "would", "can", "could", "should", "does", "do"})
_CONTRAST = frozenset({"but", "however", "though", "although", "yet"})
# A condition's main clause: "if it doesn't settle I'll ...", "unless they stop it she'd ...".
_CONDITIONS = frozenset({"if", "unless"})
_SUBJECTS = frozenset({"i", "he", "she", "they", "we"})
_WILL = frozenset({"will", "would", "shall"})
# An unreal condition (`_unreal`): who it is about, what it asks after the hit, and the times that make it a report.
_UNREAL_SUBJECTS = frozenset({"i", "you", "he", "she", "we", "they", "someone", "somebody", "anyone", "anybody"})
# "if", and its words of supposing ("say", "suppose", "supposing", "imagine": keys, so "said" is "say" too; a
# sentence that opens "Said I ..." is rare, and a time told still makes it a report).
_UNREAL_OPENERS = frozenset({"if", "say", "suppose", "imagine"})
_WOULD = frozenset({"would", "could", "might"})
_ANSWERS_NO = frozenset({"no", "nope", "nah", "never", "none"})
_TOLD_TIMES = frozenset({"last", "ago"})
# Now words that say how, not when: "if my sciatica suddenly went into both legs" tells no time.
_MANNER_WORDS = frozenset({"suddenly"})
# A question about itself (`_asked_in_its_question`), and how a story began ("started off like sciatica").
_ASKING_OPENERS = frozenset({"what", "how"})
_OFF = frozenset({"off", "out"})

# Words too common to file a pattern under (most messages contain them).
_COMMON = frozenset(
    "not i my me to the a an be have do and of in on at it he she his her they them up out off down get go "
    "when need feel can will would you your for with so that this".split()
)


class _Keys:
    """The keys of a sentence (or message), indexed once for the word-group checks."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        self.first: dict[str, int] = {}
        for i, key in enumerate(keys):
            self.first.setdefault(key, i)

    def co_occurrence(self, rule: tuple[frozenset[str], ...], window: int | None) -> list[int] | None:
        """Positions of one word from each group, or None. With a window, the
        words must lie within `window` tokens of the first group's word."""
        present = []
        for group in rule:
            found = group.intersection(self.first)
            if not found:
                return None
            present.append(found)
        if window is None:
            return [min(self.first[k] for k in found) for found in present]
        keys = self.keys
        for i, key in enumerate(keys):
            if key not in rule[0]:
                continue
            positions = [i]
            for group in rule[1:]:
                near = next(
                    (j for j in range(max(0, i - window), min(len(keys), i + window + 1)) if keys[j] in group), None
                )
                if near is None:
                    break
                positions.append(near)
            else:
                return positions
        return None


@lru_cache(maxsize=1)
def _pipeline() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def _keep_hyphenated_words(nlp: Language, lexicon: Lexicon) -> None:
    """A hyphenated word of the lexicon's word lists ("co-codamol", "multi-storey", "co-worker") is one token, as the
    lists write it: the tokenizer split it in three ("co", "-", "codamol"), so no phrase ever matched it."""
    words = {w for group in lexicon.word_groups.values() for w in group if "-" in w}
    words |= {w for w in lexicon.acquaintances if "-" in w}
    for word in words:
        for form in {word, word.capitalize(), word.upper()}:
            nlp.tokenizer.add_special_case(form, [{ORTH: form}])


@lru_cache(maxsize=1)
def default_detector() -> RedFlagDetector:
    """One shared detector per process (building it takes about a second)."""
    return RedFlagDetector()


def detect(text: str) -> Triage:
    """The product's screening: the lexicon, and the safety net where the lexicon found nothing."""
    return default_detector().detect(text, default_safety_net())
