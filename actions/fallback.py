"""Low NLU confidence: "did you mean ...?" with the likeliest topics as buttons."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.settings import settings
from actions.topics import SUGGESTION_LABELS

NLU_FALLBACK = "nlu_fallback"


def previous_user_intent(tracker: Tracker) -> str | None:
    """Intent of the user message before the latest one, in this conversation."""
    seen_latest = False
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            return None
        if event.get("event") == "user":
            if seen_latest:
                return (event.get("parse_data") or {}).get("intent", {}).get("name")
            seen_latest = True
    return None


def suggestions(latest_message: dict[str, Any], floor: float, limit: int) -> list[str]:
    """The top intents the classifier considered, if they are worth offering."""
    ranking = latest_message.get("intent_ranking") or []
    picked = []
    for entry in ranking:
        name = entry.get("name")
        if name in SUGGESTION_LABELS and (entry.get("confidence") or 0.0) >= floor and name not in picked:
            picked.append(name)
        if len(picked) == limit:
            break
    return picked


class ActionSuggestTopics(Action):
    """First miss: offer the 2-3 likeliest topics. Second miss in a row, or
    nothing worth offering: hand over to the staff offer."""

    def name(self) -> str:
        return "action_suggest_topics"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if previous_user_intent(tracker) == NLU_FALLBACK:
            return [FollowupAction("utter_offer_staff")]
        config = settings()
        topics = suggestions(tracker.latest_message, config.suggestion_floor, config.max_suggestions)
        if not topics:
            dispatcher.utter_message(response="utter_default")
            return []
        buttons = [{"title": SUGGESTION_LABELS[name], "payload": f"/{name}"} for name in topics]
        buttons.append({"title": "None of these", "payload": "/deny"})
        dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
        return []
