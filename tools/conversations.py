"""Conversations written the way Rasa's SQLTrackerStore writes them, for the staff console's
tests and benchmark: `event_rows` turns Rasa events into rows of its `events` table exactly as
SQLTrackerStore.save does; `Script` builds one conversation turn by turn."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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

from assistant.staff.schema import events as events_table


def event_rows(sender_id: str, events: list[Event]) -> list[dict[str, Any]]:
    """What SQLTrackerStore.save stores for each event (rasa/core/tracker_store.py)."""
    rows = []
    for event in events:
        data = event.as_dict()
        rows.append(
            {
                "sender_id": sender_id,
                "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                "action_name": data.get("name"),
                "data": json.dumps(data),
            }
        )
    return rows


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
            connection.execute(events_table.insert(), event_rows(self.sender_id, self.events))
        self.events = []
        return self
