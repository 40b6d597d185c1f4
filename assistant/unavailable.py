"""When the action server cannot be reached, patients still get an answer.

Rasa logs a failed custom action and carries on with its events lost: a
patient who asked to book, to move an appointment or to talk to staff got
no reply at all. Installed by `assistant.serve`, this makes those actions
answer from the Rasa server itself with `utter_requests_unavailable` (sorry,
can't take requests right now, the clinic's phone number, the emergency
advice) and end any form in progress, so the next message starts afresh.
FAQ answers and red-flag answers never need the action server; the session
start keeps Rasa's behaviour (assistant/policies treats it as started).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, FollowupAction, SlotSet
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)
RESPONSE = "utter_requests_unavailable"
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
_original_run = RemoteAction.run
_installed = False


async def _run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Event]:
    try:
        return await _original_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise  # the action server answered: a form's normal "not this slot" path
    except (RasaException, asyncio.TimeoutError):
        name = self.name()
        if name in REQUEST_ACTIONS:
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


def install() -> None:
    global _installed
    if not _installed:
        RemoteAction.run = _run  # type: ignore[method-assign]
        _installed = True
