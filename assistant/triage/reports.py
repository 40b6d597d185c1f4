"""What a patient's message reported, read from the conversation's events.

One reading for both writers of escalation records: the action server
(`action_escalate_red_flag`, from the SDK's tracker) and the Rasa server
(the tracker store, when it saves a turn), so a report is recorded whatever
is down and both agree on what it was. Events are Rasa's JSON form (dicts),
as both sides have them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.triage.severity import INTENT_SEVERITY

# The questions whose "yes" is an emergency report: the borderline screening question, and the
# booking form's safety question (asked while requested_slot is booking_screening).
SCREENING_RESPONSE = "utter_red_flag_screening"
BOOKING_SCREENING_SLOT = "booking_screening"
SCREENING_FLAG = "screening_question"  # the flag id of a yes to either
ANSWERS = {"affirm": "yes", "deny": "no"}


# A reply to the screening question that is not a clear no counts as yes: "a little", "sort of",
# "I think so", "not sure" (the classifier read "I think so" as deny, "maybe" as stop). Unsure about
# a possible emergency sign gets the emergency advice.
HEDGES = re.compile(
    r"\b(a (little|bit|tad)|bit|sort of|sorta|kind of|kinda|maybe|perhaps|possibly|probably|not sure|unsure|"
    r"(i )?think so|guess so|sometimes|slightly|somewhat|dunno|(do not|don't|dont) know|hard to (say|tell)|"
    r"on and off|now and then|a few times|once or twice)\b",
    re.IGNORECASE,
)
CLEAR_NO = 0.8  # the classifier's confidence for a plain "no"


def screening_reply(text: str, intent: str | None, confidence: float) -> str | None:
    """A reply to the screening question as "yes", "no", or None (not an answer: something else)."""
    if intent == "affirm" or HEDGES.search(text or ""):
        return "yes"
    if intent == "deny" and confidence >= CLEAR_NO:
        return "no"
    return None


@dataclass(frozen=True)
class Report:
    severity: str | None  # emergency, urgent, borderline; None for a "no" to the screening question
    flags: tuple[str, ...]
    screening_answer: str | None = None  # "yes" / "no" when the message answered the screening question


def report_of(parse_data: dict[str, Any], answering: str | None) -> Report | None:
    """What one message reported. `answering`: the screening question the message replies to
    ("red_flag" or "booking"), or None."""
    intent = (parse_data.get("intent") or {}).get("name") or ""
    answer = ANSWERS.get(intent) if answering else None
    if answer == "yes":
        return Report("emergency", (SCREENING_FLAG,), "yes" if answering == "red_flag" else None)
    if answer == "no" and answering == "red_flag":
        return Report(None, (), "no")
    severity = INTENT_SEVERITY.get(intent)
    if severity is None:
        return None
    flags = sorted({e["value"] for e in parse_data.get("entities") or [] if e.get("entity") == "red_flag"})
    return Report(severity, tuple(flags))


def may_report(intent: str | None) -> bool:
    """Cheap first look: only these intents can report anything (the rest need no reading)."""
    return intent in INTENT_SEVERITY or intent in ANSWERS


def reports(events: Sequence[dict[str, Any]], start: int = 0) -> Iterator[tuple[dict[str, Any], Report]]:
    """Each patient message among `events[start:]` that reported something, with its report."""
    for index, event, answering in _user_messages(events):
        if index >= start:
            report = report_of(event.get("parse_data") or {}, answering)
            if report is not None:
                yield event, report


def latest_report(events: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], Report] | None:
    """The latest patient message and its report, if it reported anything."""
    latest = None
    for _, event, answering in _user_messages(events):
        latest = (event, answering)
    if latest is None:
        return None
    event, answering = latest
    report = report_of(event.get("parse_data") or {}, answering)
    return (event, report) if report is not None else None


def _user_messages(events: Iterable[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """(index in `events`, user event, the screening question it answers or None), in order."""
    requested_slot = None
    last_response = None  # the bot's latest response since the previous patient message
    for index, event in enumerate(events):
        kind = event.get("event")
        if kind == "user":
            if last_response == SCREENING_RESPONSE:
                answering: str | None = "red_flag"
            elif requested_slot == BOOKING_SCREENING_SLOT:
                answering = "booking"
            else:
                answering = None
            yield index, event, answering
            last_response = None
        elif kind == "slot" and event.get("name") == "requested_slot":
            requested_slot = event.get("value")
        elif kind == "active_loop" and event.get("name") is None:
            requested_slot = None
        elif kind == "bot":
            last_response = (event.get("metadata") or {}).get("utter_action")
        elif kind in ("restart", "session_started"):
            requested_slot = last_response = None
