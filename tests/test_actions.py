"""Custom actions, run on real trackers with a CollectingDispatcher."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, BotUttered, FollowupAction, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionSuggestTopics, previous_user_intent
from actions.session import ActionSessionStart


def user(text: str, intent: str, confidence: float = 0.9, ranking: list[dict[str, Any]] | None = None) -> dict:
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
        "entities": [],
    }
    return {"event": "user", "text": text, "parse_data": parse}


def tracker(events: list[dict], slots: dict[str, Any] | None = None) -> Tracker:
    latest = next((e["parse_data"] for e in reversed(events) if e["event"] == "user"), {})
    return Tracker("patient-1", slots or {}, latest, events, False, None, {}, "action_listen")


LOW = [
    {"name": "nlu_fallback", "confidence": 0.3},
    {"name": "acupuncture_safety", "confidence": 0.22},
    {"name": "acupuncture_pain", "confidence": 0.2},
    {"name": "greet", "confidence": 0.1},
    {"name": "sciatica_pregnancy", "confidence": 0.08},
    {"name": "session_duration", "confidence": 0.02},
]


async def test_session_start_sends_the_notice_inside_the_new_session(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, tracker([]), domain)
    notice = domain["responses"]["utter_session_notice"][0]["text"]
    assert events == [
        SessionStarted(),
        BotUttered(text=notice, metadata={"utter_action": "utter_session_notice"}),
        ActionExecuted("action_listen"),
    ]
    assert dispatcher.messages == []
    assert "not a doctor" in notice


async def test_session_start_carries_slots_over(domain: dict[str, Any]) -> None:
    events = await ActionSessionStart().run(
        CollectingDispatcher(), tracker([], {"patient_name": "Ana", "unset": None}), domain
    )
    assert events[:2] == [SessionStarted(), SlotSet("patient_name", "Ana")]
    assert len(events) == 4


async def test_low_confidence_offers_the_top_three_topics_and_a_way_out(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSuggestTopics().run(
        dispatcher, tracker([user("needle thing pregnant?", "nlu_fallback", 0.3, LOW)]), domain
    )
    assert events == []
    assert dispatcher.messages == [
        {
            "text": None,
            "image": None,
            "custom": {},
            "template": "utter_did_you_mean",
            "response": "utter_did_you_mean",
            "attachment": None,
            "elements": [],
            "buttons": [
                {"title": "Safety and side effects", "payload": "/acupuncture_safety"},
                {"title": "Does it hurt?", "payload": "/acupuncture_pain"},
                {"title": "Sciatica in pregnancy", "payload": "/sciatica_pregnancy"},
                {"title": "None of these", "payload": "/deny"},
            ],
        }
    ]


async def test_a_second_miss_in_a_row_goes_to_the_staff_offer(domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    events = [
        user("blah", "nlu_fallback", 0.2, LOW),
        {"event": "action", "name": "action_suggest_topics"},
        user("qwerty", "nlu_fallback", 0.2, LOW),
    ]
    assert await ActionSuggestTopics().run(dispatcher, tracker(events), domain) == [FollowupAction("utter_offer_staff")]
    assert dispatcher.messages == []


async def test_a_miss_after_a_new_session_starts_over_with_suggestions(domain: dict[str, Any]) -> None:
    events = [
        user("blah", "nlu_fallback", 0.2, LOW),
        {"event": "session_started"},
        user("qq", "nlu_fallback", 0.2, LOW),
    ]
    assert previous_user_intent(tracker(events)) is None
    dispatcher = CollectingDispatcher()
    assert await ActionSuggestTopics().run(dispatcher, tracker(events), domain) == []
    assert dispatcher.messages[0]["response"] == "utter_did_you_mean"


async def test_nothing_worth_suggesting_asks_to_rephrase(domain: dict[str, Any]) -> None:
    noise = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "greet", "confidence": 0.2},
        {"name": "clinic_info", "confidence": 0.01},
    ]
    dispatcher = CollectingDispatcher()
    assert await ActionSuggestTopics().run(dispatcher, tracker([user("zzz", "nlu_fallback", 0.3, noise)]), domain) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]


@pytest.mark.parametrize("intent", ["greet", "acupuncture_pain"])
def test_previous_user_intent_reads_the_message_before_the_latest(intent: str) -> None:
    events = [user("a", intent), {"event": "action", "name": "utter_x"}, user("b", "nlu_fallback")]
    assert previous_user_intent(tracker(events)) == intent
