"""When a service behind the assistant is down, patients still get an answer.

The conversation store (PostgreSQL/SQLite): Rasa's FailSafeTrackerStore then
treats the patient as new (a mid-booking patient starts over) and keeps the
turn in the process's memory only, lost for staff and for the other Rasa
processes. Here a database error reaches `Agent.handle_message`, which
answers `utter_service_unavailable` (try again in a few minutes, how to reach
the clinic, the emergency advice) and stores nothing half-way; the next
message works as soon as the database is back. The same for the lock store
(Redis).

The action server:
Rasa logs a failed custom action and carries on with its events lost: a
patient who asked to book, to move an appointment or to talk to staff got
no reply at all. Installed by `assistant.runtime.serve` (through the registry,
assistant/runtime/patches.py), this makes those actions
answer from the Rasa server itself with `utter_requests_unavailable` (sorry,
can't take requests right now, the clinic's phone number, the emergency
advice) and end any form in progress, so the next message starts afresh.
After a crisis answer, a yes to staff gets `utter_crisis_staff_unavailable`
instead (the crisis line again, not an apology about "requests").
FAQ answers and red-flag answers never need the action server; the session
start keeps Rasa's behaviour (assistant/policies treats it as started).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, FollowupAction, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from assistant.runtime.handoff import replies_to

logger = logging.getLogger(__name__)
RESPONSE = "utter_requests_unavailable"
CRISIS_RESPONSE = "utter_crisis_staff_unavailable"  # staff accepted after the crisis answer
# Actions that take a request from the patient (forms, their validation, submission, hand-off).
REQUEST_ACTIONS = frozenset(
    {
        "action_start_booking",
        "validate_booking_form",
        "action_ask_booking_confirmed",
        "action_submit_booking",
        "action_start_reschedule",
        "validate_reschedule_form",
        "action_submit_reschedule",
        "action_handoff_to_staff",
        "action_stop_form",
    }
)
# Actions whose failure leaves the patient without any answer: the generic "say it another way".
ANSWERING_ACTIONS = frozenset({"action_suggest_topics"})
DOWN_RESPONSE = "utter_service_unavailable"
ActionRun = Callable[..., Awaitable[list[Event]]]
HandleMessage = Callable[..., Awaitable[Any]]

# Each function below is given Rasa's original and returns what the registry
# (assistant/runtime/patches.py) installs in its place.


def answering_when_actions_are_down(original: ActionRun) -> ActionRun:
    """`RemoteAction.run`: a request action whose server is down answers `utter_requests_unavailable`."""

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Event]:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # the action server answered: a form's normal "not this slot" path
        except (RasaException, asyncio.TimeoutError):
            name = self.name()
            if name == "action_handoff_to_staff" and replies_to(tracker) == "utter_offer_staff_crisis":
                response = CRISIS_RESPONSE
            elif name in REQUEST_ACTIONS:
                response = RESPONSE
            elif name in ANSWERING_ACTIONS:
                response = "utter_default"
            else:
                raise
            logger.error("action server unavailable: %s answered with %s instead", name, response)
            message = await nlg.generate(response, tracker, output_channel.name())
            uttered = BotUttered(
                message.get("text"), {k: v for k, v in message.items() if k != "text"}, {"utter_action": response}
            )
            if name not in REQUEST_ACTIONS:
                return [uttered]
            # End the form and the turn here: the rules would otherwise go on to the form's next
            # step, which needs the action server too, and the patient would read the apology again.
            return [uttered, ActiveLoop(None), SlotSet("requested_slot", None), FollowupAction(ACTION_LISTEN_NAME)]

    return run


def answering_when_stores_are_down(original: HandleMessage) -> HandleMessage:
    """`Agent.handle_message`: a database or Redis error is answered `utter_service_unavailable`."""

    async def handle_message(self: Agent, message: UserMessage) -> list[dict[str, Any]] | None:
        try:
            return await original(self, message)
        except (SQLAlchemyError, LockError, RedisError) as exc:
            logger.error("conversation or lock store unavailable: %s: %s", type(exc).__name__, str(exc)[:200])
            output = message.output_channel
            tracker = DialogueStateTracker(message.sender_id or "unknown", [])
            reply = await self.nlg.generate(DOWN_RESPONSE, tracker, output.name()) if self.nlg else None
            if reply:
                await output.send_response(message.sender_id, reply)
            return None

    return handle_message


# FailSafeTrackerStore.retrieve and .save are Rasa's own, but for SQLAlchemy's errors (the
# registry records Rasa's source: a change there must be copied here).
def retrieve_raising_database_errors(original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def retrieve(self: FailSafeTrackerStore, sender_id: str) -> DialogueStateTracker | None:
        try:
            return await self._tracker_store.retrieve(sender_id)
        except SQLAlchemyError:
            raise  # the database is down: answered by handle_message above, not by starting afresh
        except Exception as exc:  # Rasa's own handling of other store errors
            self.on_tracker_store_retrieve_error(exc)
            return None

    return retrieve


def save_raising_database_errors(original: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    async def save(self: FailSafeTrackerStore, tracker: DialogueStateTracker) -> None:
        try:
            await self._tracker_store.save(tracker)
        except SQLAlchemyError:
            raise  # not into the process's memory, where staff and the other processes never see it
        except Exception as exc:  # Rasa's own handling of other store errors
            self.on_tracker_store_error(exc)
            await self.fallback_tracker_store.save(tracker)

    return save
