"""Conversations written the way Rasa's SQLTrackerStore writes them, for the staff console's
tests and benchmark: `Script` builds one conversation turn by turn and stores its events' rows
(assistant/stores/events.py `event_row`); `generate` makes the benchmark's 100,000 realistic
conversations (tools/bench_staff.py) without Event objects."""

from __future__ import annotations

import bisect
import itertools
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from sqlalchemy.engine import Engine

from assistant.records.staff_tables import events as events_table
from assistant.stores.events import event_row

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Script:
    """One conversation: say(), answer(), act(), slot(), pause(), resume(); then store(engine)."""

    sender_id: str
    start: float
    channel: str = "socketio"
    events: list[Event] = field(default_factory=list)
    clock: float = 0.0

    def __post_init__(self) -> None:
        self.clock = self.start
        self._add(ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"))

    def _tick(self) -> float:
        self.clock += 1.5
        return self.clock

    def _add(self, *events: Event) -> Script:
        for event in events:
            event.timestamp = self._tick()
            self.events.append(event)
        return self

    def say(self, text: str, intent: str, confidence: float = 0.95) -> Script:
        parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text}
        return self._add(UserUttered(text, parse["intent"], [], parse, input_channel=self.channel))

    def answer(
        self, text: str, action: str = "utter_answer", staff: bool = False, buttons: list | None = None
    ) -> Script:
        metadata = {"from_staff": True} if staff else {"utter_action": action}
        data = {"buttons": buttons} if buttons else {}
        bot = BotUttered(text, data, metadata)
        return self._add(bot) if staff else self._add(ActionExecuted(action), bot, ActionExecuted("action_listen"))

    def act(self, action: str) -> Script:
        return self._add(ActionExecuted(action))

    def slot(self, name: str, value: Any) -> Script:
        return self._add(SlotSet(name, value))

    def pause(self) -> Script:
        return self._add(ConversationPaused())

    def resume(self) -> Script:
        return self._add(ConversationResumed())

    def store(self, engine: Engine) -> Script:
        events_table.create(engine, checkfirst=True)
        with engine.begin() as connection:
            connection.execute(events_table.insert(), [event_row(self.sender_id, event) for event in self.events])
        self.events = []
        return self


# --- a generated database for the staff console's benchmark -----------------------------------------
#
# `generate()` writes conversations shaped like the clinic assistant's real ones (session start with the
# notice, FAQ turns with NLU parse data, "did you mean" fallbacks, the booking form, red flags, hand-offs
# with pauses and staff replies), straight as JSON text: building Rasa Event objects for two million
# events would take minutes. tests/test_bench_staff.py checks the rows against event_row().

GENERATOR_VERSION = 2  # change when the generated data changes: cached databases are keyed by it
ASSISTANT_ID = "natural_care_sciatica_assistant"
CHANNELS = {"socketio": 45, "telegram": 20, "facebook": 15, "twilio": 10, "rest": 10}
ESCALATION_SHARE, BOOKING_SHARE, HANDOFF_SHARE = 0.03, 0.05, 0.02
FALLBACK_SHARE = 0.09  # of FAQ turns: nlu_fallback (about 8% of all patient messages, forms included)
LOW_SHARE = 0.07  # of FAQ-turn messages: understood below STAFF_LOW_CONFIDENCE
MIN_EVENTS = 6  # session start (4) + one patient message and its featurization

VOCABULARY = ROOT / "bench" / "conversations.yml"
# A rule's answer as Rasa stores it: the `data` of a BotUttered built from a response.
RESPONSE_DATA = (
    '{"elements": null, "quick_replies": null, "buttons": null, "attachment": null, "image": null, "custom": null}'
)


def _responses(root: Path) -> dict[str, str]:
    """Each response's first text, from domain.yml and data/responses/ (what the bot says)."""
    found: dict[str, str] = {}
    for path in [root / "domain.yml", *sorted((root / "data" / "responses").glob("*.yml"))]:
        for name, variants in ((yaml.safe_load(path.read_text()) or {}).get("responses") or {}).items():
            found[name] = next((variant["text"] for variant in variants or [] if variant.get("text")), name)
    return found


def intents(root: Path = ROOT) -> list[str]:
    """The intents of domain.yml."""
    listed = (yaml.safe_load((root / "domain.yml").read_text()) or {}).get("intents") or []
    return [next(iter(item)) if isinstance(item, dict) else str(item) for item in listed]


def _ranked(items: list[Any]) -> list[float]:
    """Weights 1/rank: the first item most often, the last rarely."""
    return [1.0 / rank for rank in range(1, len(items) + 1)]


def _utc(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, timezone.utc)


@dataclass
class Batch:
    """Rows for the `events` table (tuples of assistant.stores.events.COLUMNS, ids in time order) and for
    the clinic's records."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    handoffs: list[dict[str, Any]] = field(default_factory=list)
    conversations: int = 0


class _Writer:
    """One conversation's rows: the JSON that SQLTrackerStore stores for each event (Event.as_dict,
    same keys in the same order), written directly."""

    def __init__(self, g: _Generator, sender_id: str, channel: str, start: float) -> None:
        self.g = g
        self.sender_id = sender_id
        self.channel = channel
        self.clock = start
        self.rows: list[tuple[float, str, str | None, str | None, str]] = []
        # A new model every two weeks; the project's own rule policy in the later half of the year.
        epoch = min(int((start - g.begin) // (14 * 86400)), len(g.models) - 1)
        self.model = g.models[epoch]
        self.meta = json.dumps({"model_id": self.model, "assistant_id": ASSISTANT_ID})
        self.rule_policy = "RulePolicy" if epoch < len(g.models) // 2 else "SessionSafeRulePolicy"

    def _tick(self, low: float = 0.0002, high: float = 0.02) -> float:
        self.clock += self.g.rng.uniform(low, high)
        return self.clock

    def _add(self, kind: str, intent: str | None, name: str | None, body: str, at: float | None = None) -> None:
        at = self._tick() if at is None else at
        self.rows.append((at, kind, intent, name, f'{{"event": "{kind}", "timestamp": {at!r}{body}}}'))

    def action(self, name: str, policy: str | None = None, confidence: float | None = 1.0, hide: bool = True) -> None:
        key = (self.model, name, policy, confidence, hide)
        body = self.g.cache.get(key)
        if body is None:
            body = (
                f', "metadata": {self.meta}, "name": "{name}", "policy": {json.dumps(policy)}, '
                f'"confidence": {json.dumps(confidence)}, "action_text": null, "hide_rule_turn": {json.dumps(hide)}'
            )
            self.g.cache[key] = body
        self._add("action", None, name, body)

    def rule(self, name: str) -> None:
        self.action(name, self.rule_policy)

    def listen(self) -> None:
        self.rule("action_listen")

    def bot(self, response: str, data: str = RESPONSE_DATA) -> None:
        key = (self.model, "bot", response, data)
        body = self.g.cache.get(key)
        if body is None:
            metadata = json.dumps({"utter_action": response, "model_id": self.model, "assistant_id": ASSISTANT_ID})
            text = json.dumps(self.g.responses.get(response, response))
            body = f', "metadata": {metadata}, "text": {text}, "data": {data}'
            self.g.cache[key] = body
        self._add("bot", None, None, body)

    def bot_text(self, text: str) -> None:
        """A message an action composed itself (dispatcher text, no response name)."""
        self._add("bot", None, None, f', "metadata": {self.meta}, "text": {json.dumps(text)}, "data": {RESPONSE_DATA}')

    def staff_reply(self, text: str) -> None:
        """Sent by staff through Rasa's HTTP API (assistant/staff/rasa_client.py), minutes later."""
        body = f', "metadata": {{"from_staff": true}}, "text": {json.dumps(text)}, "data": {{}}'
        self._add("bot", None, None, body, self._tick(40, 400))

    def answer(self, response: str) -> None:
        """A FAQ rule's answer, with its second message where the topic has one."""
        self.rule(response)
        self.bot(response)
        if response + "_detail" in self.g.responses:
            self.rule(response + "_detail")
            self.bot(response + "_detail")

    def session_start(self) -> None:
        """actions/session.py: session start, the notice, listening."""
        self.action("action_session_start", None, 1.0, False)
        self._add("session_started", None, None, f', "metadata": {self.meta}')
        self.bot("utter_session_notice", "{}")
        self.action("action_listen", None, None, False)

    def user(self, text: str, intent: str, kind: str = "high", paused: bool = False) -> None:
        """A patient message with its parse data (kind: high or low confidence, or certain for a red
        flag) and, unless the bot is paused, its featurization."""
        g = self.g
        top, ranking = g.ranking(intent, kind)
        message_id = f"{g.rng.getrandbits(128):032x}"
        quoted = json.dumps(text)
        body = (
            f', "metadata": {self.meta}, "text": {quoted}, "parse_data": {{"intent": {{"name": "{intent}", '
            f'"confidence": {top!r}}}, "entities": [], "text": {quoted}, "message_id": "{message_id}", '
            f'"metadata": {{}}, "intent_ranking": {ranking}}}, "input_channel": "{self.channel}", '
            f'"message_id": "{message_id}"'
        )
        self._add("user", intent, None, body, self._tick(3.0, 90.0))
        if not paused:
            body = f', "metadata": {self.meta}, "use_text_for_featurization": false'
            self._add("user_featurization", None, None, body)

    def slot(self, name: str, value: Any) -> None:
        self._add("slot", None, name, f', "metadata": {self.meta}, "name": "{name}", "value": {json.dumps(value)}')

    def loop(self, name: str | None) -> None:
        self._add("active_loop", None, name, f', "metadata": {self.meta}, "name": {json.dumps(name)}')

    def pause(self) -> None:
        self._add("pause", None, None, f', "metadata": {self.meta}')

    def resume(self) -> None:
        """By staff, through Rasa's HTTP API: no model metadata."""
        self._add("resume", None, None, "", self._tick(60, 1800))


class _Generator:
    def __init__(self, root: Path, seed: int, begin: float, end: float) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
        self.begin, self.end = begin, end
        self.words = yaml.safe_load(VOCABULARY.read_text())
        self.responses = _responses(root)
        self.red_flags = self.words["red_flags"]
        self.intents = [name for name in intents(root) if name not in self.red_flags]
        self.models = [f"{self.rng.getrandbits(128):032x}" for _ in range(int((end - begin) // (14 * 86400)) + 1)]
        self.cache: dict[tuple[Any, ...], str] = {}
        self.pools: dict[tuple[str, str], list[tuple[float, str]]] = {}
        self.topics = list(self.words["topic_weights"])
        self.faq_topics = [topic for topic in self.topics if topic.split("_")[0] in ("sciatica", "acupuncture")]
        self.cum_topics = list(itertools.accumulate(self.words["topic_weights"].values()))
        self.channels = list(CHANNELS)
        self.cum_channels = list(itertools.accumulate(CHANNELS.values()))
        self.senders: set[str] = set()
        self.weights = {key: _ranked(self.words[key]) for key in ("not_understood", "booking_asks", "handoff_asks")}
        self.message_weights = {intent: _ranked(texts) for intent, texts in self.words["messages"].items()}
        self.filler_weights = {name: _ranked(words) for name, words in self.words["fillers"].items()}

    # -- words ---------------------------------------------------------------------------------------

    def pick(self, key: str) -> str:
        return self.fill(self.rng.choices(self.words[key], self.weights[key])[0])

    def fill(self, template: str) -> str:
        """A template with its {fillers} drawn; names uniformly (each one rare)."""
        if "{" not in template:
            return template
        rng = self.rng
        values = {
            name: rng.choices(words, self.filler_weights[name])[0] for name, words in self.words["fillers"].items()
        }
        values["first"], values["last"] = rng.choice(self.words["first_names"]), rng.choice(self.words["last_names"])
        return template.format(**values)

    def message(self, intent: str) -> str:
        return self.fill(self.rng.choices(self.words["messages"][intent], self.message_weights[intent])[0])

    def topic(self) -> str:
        return self.topics[bisect.bisect(self.cum_topics, self.rng.random() * self.cum_topics[-1])]

    def ranking(self, intent: str, kind: str) -> tuple[float, str]:
        """The top confidence and the intent_ranking JSON, drawn from 64 coherent variants per intent and kind."""
        pool = self.pools.get((intent, kind))
        if pool is None:
            pool = self.pools[(intent, kind)] = [self._ranking(intent, kind) for _ in range(64)]
        return self.rng.choice(pool)

    def _ranking(self, intent: str, kind: str) -> tuple[float, str]:
        rng = self.rng
        if intent == "nlu_fallback":
            # FallbackClassifier: nlu_fallback at its threshold, ahead of the classifier's own ranking.
            top = first = 0.3
            first = rng.uniform(0.1, 0.29)
            others = rng.sample(self.intents, 10)
        else:
            top = first = {"certain": 1.0, "low": rng.uniform(0.3, 0.49)}.get(kind, 1.0 - 0.1 * rng.random() ** 3)
            family = intent.split("_")[0]
            related = [name for name in self.intents if name != intent and name.startswith(family)]
            rest = [name for name in self.intents if name != intent and name not in related]
            others = [intent, *rng.sample(related, min(3, len(related))), *rng.sample(rest, 9)][:10]
        shares = sorted((rng.random() ** 2 for _ in others[1:]), reverse=True)
        scale = (1.0 - first) / (sum(shares) or 1.0)
        ranking = [{"name": others[0], "confidence": first}]
        ranking += [{"name": name, "confidence": share * scale} for name, share in zip(others[1:], shares, strict=True)]
        if intent == "nlu_fallback":
            ranking = [{"name": "nlu_fallback", "confidence": top}, *ranking][:10]
        return top, json.dumps(ranking)

    def sender_id(self, channel: str) -> str:
        """Ids as each channel makes them: a socket.io session, a Telegram chat, a Messenger PSID, a number."""
        rng = self.rng
        while True:
            if channel == "telegram":
                sender = str(rng.randrange(100_000_000, 7_000_000_000))
            elif channel == "facebook":
                sender = str(rng.randrange(10**15, 10**16))
            elif channel == "twilio":
                sender = f"whatsapp:+1{rng.randrange(2_000_000_000, 9_999_999_999)}"
            else:
                sender = f"{rng.getrandbits(128):032x}"
            if sender not in self.senders:
                self.senders.add(sender)
                return sender

    # -- turns and flows -----------------------------------------------------------------------------

    def faq_turn(self, w: _Writer) -> None:
        """A question and its answer; sometimes not understood ("did you mean" buttons) or understood
        with low confidence."""
        rng = self.rng
        roll = rng.random()
        if roll < FALLBACK_SHARE:
            w.user(self.pick("not_understood"), "nlu_fallback")
            w.rule("action_suggest_topics")
            buttons = [{"title": t.replace("_", " "), "payload": f"/{t}"} for t in rng.sample(self.faq_topics, 3)]
            buttons.append({"title": "None of these", "payload": "/deny"})
            w.bot("utter_did_you_mean", RESPONSE_DATA.replace('"buttons": null', f'"buttons": {json.dumps(buttons)}'))
            w.listen()
            return
        intent = self.topic()
        w.user(self.message(intent), intent, "low" if roll < FALLBACK_SHARE + LOW_SHARE else "high")
        w.answer(self.words["answers"].get(intent, f"utter_{intent}"))
        w.listen()

    def red_flag(self, w: _Writer, batch: Batch) -> None:
        """data/rules/triage.yml: the answer, then action_escalate_red_flag records it."""
        rng = self.rng
        intent = "red_flag_emergency" if rng.random() < 0.4 else "red_flag_urgent"
        flag = self.red_flags[intent]
        text = rng.choice(flag["messages"])
        w.user(text, intent, "certain")
        w.rule(f"utter_{intent}")
        w.bot(f"utter_{intent}")
        w.rule("action_escalate_red_flag")
        severity = intent.rsplit("_", 1)[1]
        w.slot("red_flag_severity", severity)
        w.slot("red_flag_flags", flag["flags"])
        created = w.clock
        w.listen()
        acknowledged = created < self.end - 2 * 86400 and rng.random() < 0.97
        batch.escalations.append(
            {
                "sender_id": w.sender_id,
                "severity": severity,
                "flags": json.dumps(flag["flags"]),
                "message": text,
                "created_at": _utc(created),
                "acknowledged_at": _utc(created + rng.uniform(120, 7200)) if acknowledged else None,
                "acknowledged_by": rng.choice(["sam", "ada", "lee"]) if acknowledged else None,
            }
        )

    def booking(self, w: _Writer, batch: Batch) -> None:
        """data/rules/booking.yml: the booking form's questions, then action_submit_booking."""
        rng = self.rng
        first, last = rng.choice(self.words["first_names"]), rng.choice(self.words["last_names"])
        name = f"{first} {last}"
        phone = f"{rng.randrange(200, 999)}-{rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}"
        by_email = rng.random() < 0.3
        contact = f"{first.lower()}.{last.lower()}@example.org" if by_email else "+1" + phone.replace("-", "")
        said_contact = (
            f"you can email me at {contact}" if by_email else rng.choice(["my number is ", "", "call me on "])
        )
        day = _utc(w.clock + rng.randrange(1, 14) * 86400)
        part = rng.choice(["morning", "afternoon", "evening"])
        hours = {"morning": "09:00/12:00", "afternoon": "12:00/17:00", "evening": "17:00/19:00"}[part]
        patient_type = rng.choice(["new", "returning"])
        steps = [
            ("patient_name", name, rng.choice(["my name is ", "", "it's ", "I'm "]) + name),
            ("patient_contact", contact, said_contact if by_email else said_contact + phone),
            ("booking_time", f"{day:%Y-%m-%d}/{hours}", f"{day:%A} {part}"),
            ("booking_patient_type", patient_type, "I'm new" if patient_type == "new" else "I've been before"),
            ("contact_consent", True, rng.choice(["yes", "yes that's fine", "ok"])),
        ]
        w.user(self.pick("booking_asks"), "book_appointment")
        w.rule("action_start_booking")
        w.rule("booking_form")
        w.loop("booking_form")
        for slot, value, text in steps:
            w.slot("requested_slot", slot)
            w.bot(f"utter_ask_{slot}")
            w.listen()
            w.user(text, "affirm" if slot == "contact_consent" else "inform")
            w.rule("booking_form")
            w.slot(slot, value)
        w.loop(None)
        w.slot("requested_slot", None)
        w.rule("action_submit_booking")
        created = w.clock
        w.bot("utter_booking_requested")
        w.listen()
        status = "handled" if self.end - created > 7 * 86400 else rng.choice(["new", "sent", "handled"])
        batch.bookings.append(
            {
                "sender_id": w.sender_id,
                "patient_name": name,
                "contact": contact,
                "contact_kind": "email" if by_email else "phone",
                "preferred": f"{day:%Y-%m-%d}/{hours}",
                "preferred_text": f"{day:%A} {day.day} {day:%B}, {part}",
                "patient_type": patient_type,
                "reason": "",
                "red_flag": None,
                "status": status,
                "created_at": _utc(created),
                "updated_at": _utc(created + (rng.uniform(600, 86400) if status == "handled" else 0)),
            }
        )

    def handoff(self, w: _Writer, batch: Batch, resumed: bool) -> None:
        """actions/handoff.py: staff asked, the bot paused; messages and staff replies; resumed or not."""
        rng = self.rng
        w.user(self.pick("handoff_asks"), "human_handoff")
        w.rule("action_handoff_to_staff")
        created = w.clock
        w.bot_text("I've asked our staff to join this chat. They'll reply here as soon as they can.")
        w.bot("utter_handoff_waiting")
        w.pause()
        w.action("action_listen", None, None, False)
        for _ in range(rng.randrange(0, 3)):
            topic = self.rng.choice(self.faq_topics)
            w.user(self.message(topic), topic, paused=True)  # parsed and stored; the bot stays quiet
            w.staff_reply(rng.choice(self.words["staff_replies"]))
        if resumed:
            w.resume()
        batch.handoffs.append(
            {
                "sender_id": w.sender_id,
                "channel": w.channel,
                "status": "resumed" if resumed else "waiting",
                "created_at": _utc(created),
                "updated_at": _utc(w.clock),
            }
        )

    def conversation(self, batch: Batch, start: float, target: int, plain: bool) -> int:
        """One conversation of `target` events (more if its flow needs them); returns its length."""
        rng = self.rng
        channel = self.channels[bisect.bisect(self.cum_channels, rng.random() * self.cum_channels[-1])]
        w = _Writer(self, self.sender_id(channel), channel, start)
        w.session_start()
        flow = rng.random()
        if plain or flow >= ESCALATION_SHARE + BOOKING_SHARE + HANDOFF_SHARE:
            while len(w.rows) < target:
                self.faq_turn(w)
            del w.rows[target:]  # the last turn may be cut short, like one being written as the copy was taken
        elif flow < ESCALATION_SHARE:
            for _ in range(rng.randrange(0, 3)):
                self.faq_turn(w)
            self.red_flag(w, batch)
            while len(w.rows) < target:
                self.faq_turn(w)
        elif flow < ESCALATION_SHARE + BOOKING_SHARE:
            while len(w.rows) < target - 45 and rng.random() < 0.8:
                self.faq_turn(w)
            self.booking(w, batch)
        else:
            resumed = rng.random() < 0.7
            while len(w.rows) < target - (30 if resumed else 12):
                self.faq_turn(w)
            self.handoff(w, batch, resumed)
            while resumed and len(w.rows) < target:
                self.faq_turn(w)
        batch.events.extend((at, w.sender_id, kind, intent, name, data) for at, kind, intent, name, data in w.rows)
        return len(w.rows)


def generate(
    conversations: int,
    events: int,
    seed: int = 1,
    end: float | None = None,
    days: float = 365.0,
    chunk: int = 2000,
    root: Path = ROOT,
) -> Iterator[Batch]:
    """`conversations` conversations with `events` events in all, started over the `days` before `end`
    (default: an hour ago), in batches of `chunk` conversations. Ids follow time within a batch
    (conversations overlap, as they do); the same arguments give the same data."""
    if events < conversations * MIN_EVENTS:
        raise ValueError(f"{events} events are too few for {conversations} conversations ({MIN_EVENTS} each at least)")
    end = time.time() - 3600 if end is None else end
    begin = end - days * 86400
    g = _Generator(root, seed, begin, end)
    starts = sorted(g.rng.uniform(begin, end - 1800) for _ in range(conversations))
    left_events, next_id = events, 1
    for first in range(0, conversations, chunk):
        batch = Batch()
        for index in range(first, min(first + chunk, conversations)):
            left = conversations - index  # this one and those after it
            room = left_events - MIN_EVENTS * (left - 1)  # the most this one may have
            if left == 1:
                target = left_events
            else:
                mean = left_events / left
                target = MIN_EVENTS + round(g.rng.gammavariate(1.6, max(mean - MIN_EVENTS, 0.1) / 1.6))
                target = max(MIN_EVENTS, min(target, room, 400))
            # A flow (booking, red flag, hand-off) may take more than the target: only where there is room.
            plain = room - target < 80
            left_events -= g.conversation(batch, starts[index], target, plain)
            batch.conversations += 1
        batch.events.sort(key=lambda row: row[0])
        batch.events = [
            (next_id + offset, sender, kind, at, intent, name, data)
            for offset, (at, sender, kind, intent, name, data) in enumerate(batch.events)
        ]
        next_id += len(batch.events)
        yield batch
