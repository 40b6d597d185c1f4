"""Every patient message is read, stored and answered, whatever it contains.

Rasa parses a message and stores it in one step (`_handle_message_with_tracker`);
an exception anywhere in the NLU pipeline, or a `metadata` that is not an
object, raised out of it: the patient got no answer (or only the welcome),
nothing was stored, and staff never saw the message. Found with a lone
surrogate ("\\ud83d", half an emoji, valid JSON) that spaCy's tokenizer cannot
encode, in a message that also reported an emergency.

Here, before Rasa's step:
- the text is made storable: a lone surrogate or a NUL becomes U+FFFD (the
  rest of the message, an emergency included, is read as usual; surrogate
  pairs sent as two escapes become their character);
- a `metadata` that is not an object is dropped (logged);
- if parsing still fails, the message gets the intent `message_unreadable`
  (answered with the emergency advice and a request to rephrase, in any
  state) and is stored as sent; the error is logged with its type and where
  it happened, never with the patient's words.

A reply to the screening question is read here too, where the conversation is
at hand (NLU components see the message only): anything but a clear no
("a little", "I think so", "not sure") is a yes (`screening_reply`,
assistant/triage/reports.py), so the rules give the emergency answer.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.runtime.handoff import last_response
from assistant.triage.reports import SCREENING_RESPONSE, screening_reply
from assistant.triage.severity import RED_FLAG_INTENTS, UNREADABLE_INTENT

logger = logging.getLogger(__name__)

REPLACEMENT = "\ufffd"
HandleWithTracker = Callable[[MessageProcessor, UserMessage, DialogueStateTracker], Awaitable[None]]


def storable(text: str) -> str:
    """`text` without lone surrogates or NULs, each replaced by U+FFFD; pairs joined."""
    if text.isascii():
        return text.replace("\x00", REPLACEMENT)
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\x00", REPLACEMENT)


def unreadable(message: UserMessage) -> dict[str, Any]:
    """The parse of a message the pipeline could not read."""
    return {
        "text": message.text,
        "intent": {"name": UNREADABLE_INTENT, "confidence": 1.0},
        "entities": [],
        "intent_ranking": [{"name": UNREADABLE_INTENT, "confidence": 1.0}],
    }


def where(error: BaseException) -> str:
    """The chain of exception types and where the innermost raised one was raised: enough to find the
    bug, without any exception's message (which can quote the patient's text)."""
    chain: list[BaseException] = [error]
    while chain[-1].__cause__ is not None and len(chain) < 10:
        chain.append(chain[-1].__cause__)
    place = ""
    for raised in reversed(chain):
        frames = traceback.extract_tb(raised.__traceback__)
        if frames:
            place = f" at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}"
            break
    return " <- ".join(type(e).__name__ for e in chain) + place


def read_screening_reply(parse_data: dict[str, Any], tracker: DialogueStateTracker) -> None:
    """After the screening question, a reply that is not a clear no becomes affirm (a clear no, deny)."""
    if last_response(tracker.events) != SCREENING_RESPONSE:  # the message is not in the tracker yet
        return
    intent = parse_data.get("intent") or {}
    if intent.get("name") in RED_FLAG_INTENTS:
        return  # a red flag in the reply (a crisis, an emergency) gets its own answer
    reply = screening_reply(parse_data.get("text") or "", intent.get("name"), float(intent.get("confidence") or 0.0))
    if reply is None:
        return  # another question or request: answered as usual
    read = {"name": "affirm" if reply == "yes" else "deny", "confidence": 1.0}
    ranking = [r for r in parse_data.get("intent_ranking") or [] if r.get("name") != read["name"]]
    parse_data["intent"], parse_data["intent_ranking"] = read, [read, *ranking]


def reading_every_message(original: HandleWithTracker) -> HandleWithTracker:
    """`MessageProcessor._handle_message_with_tracker`: the message made storable and parsed here, so
    a failure is answered and the message stored; then Rasa's own step with that parse."""

    async def handle(self: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker) -> None:
        if isinstance(message.text, str):
            message.text = storable(message.text)
        if message.metadata is not None and not isinstance(message.metadata, dict):
            logger.warning(
                "conversation %s: a message's metadata was a %s, not an object: ignored",
                message.sender_id,
                type(message.metadata).__name__,
            )
            message.metadata = None
        if not message.parse_data:
            try:
                message.parse_data = await self.parse_message(message, tracker)
            except Exception as error:
                logger.error("could not read a message of conversation %s: %s", message.sender_id, where(error))
                message.parse_data = unreadable(message)
            else:
                read_screening_reply(message.parse_data, tracker)
        await original(self, message, tracker)

    return handle
