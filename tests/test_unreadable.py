"""Nothing a patient sends is dropped: a broken emoji, metadata that is not an object, or a failure
anywhere in the NLU pipeline still gets an answer, the message is stored, and the log names the
error without the patient's words (assistant/runtime/unreadable.py). With the project's model, in
this process: the same Rasa code path as every channel (Agent.handle_message)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.engine.exceptions import GraphComponentException
from rasa.shared.core.events import UserUttered

from assistant.runtime import patches
from assistant.runtime.unreadable import storable
from assistant.stores.tracker_store import URLSQLTrackerStore
from tools.model import ensure_model

ROOT = Path(__file__).resolve().parent.parent
TARGET = "rasa.core.processor:MessageProcessor._handle_message_with_tracker"
pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    with patches.installed(TARGET):
        loaded = Agent.load(ensure_model(ROOT / "config.yml", "clinic"))
        database = tmp_path_factory.mktemp("unreadable") / "rasa.db"
        loaded.tracker_store = URLSQLTrackerStore(domain=loaded.domain, host=f"sqlite:///{database}")
        loaded.processor.tracker_store = loaded.tracker_store
        yield loaded


def send(agent: Agent, sender: str, text: str, metadata: object = None) -> tuple[list[str], list[UserUttered]]:
    """The texts answered and the patient messages stored for the conversation."""
    out = CollectingOutputChannel()
    asyncio.run(agent.handle_message(UserMessage(text, out, sender_id=sender, metadata=metadata)))
    tracker = asyncio.run(agent.tracker_store.retrieve(sender))
    stored = [e for e in tracker.events if isinstance(e, UserUttered)] if tracker else []
    return [m.get("text") or "" for m in out.messages], stored


def test_storable_text() -> None:
    assert storable("numb legs \ud83d") == "numb legs \ufffd"
    assert storable("smile \ud83d\ude00") == "smile \U0001f600"  # a pair sent as two escapes is one emoji
    assert storable("a\x00b") == "a\ufffdb"
    assert storable("plain ascii") == "plain ascii"
    assert storable("ciática 😀") == "ciática 😀"


def test_an_emergency_with_a_broken_emoji_is_answered_as_an_emergency_and_stored(agent: Agent) -> None:
    answers, stored = send(agent, "broken-emoji", "since this morning I can't feel my groin and I wet myself \ud83d")
    assert any("911" in answer for answer in answers), answers
    assert [e.intent_name for e in stored] == ["red_flag_emergency"]
    assert stored[0].text.endswith("\ufffd")


@pytest.mark.parametrize("metadata", ["a string", ["a", "list"], 7])
def test_metadata_that_is_not_an_object_is_ignored_and_the_message_answered(agent: Agent, metadata: object) -> None:
    answers, stored = send(agent, f"metadata-{type(metadata).__name__}", "I can't feel my groin", metadata)
    assert any("911" in answer for answer in answers), answers
    assert [e.intent_name for e in stored] == ["red_flag_emergency"]


def test_a_message_the_pipeline_cannot_read_is_answered_stored_and_logged_without_words(
    agent: Agent, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(message: UserMessage, *args: object) -> dict:
        raise GraphComponentException("a node failed") from ValueError(
            f"cannot read {message.text}"
        )  # quoting the words

    # The model's graph run (every NLU component) fails, as spaCy's tokenizer did on a lone surrogate.
    monkeypatch.setattr(agent.processor, "_parse_message_with_graph", broken)
    words = "my private words about my leg"
    with caplog.at_level(logging.ERROR, logger="assistant.runtime.unreadable"):
        answers, stored = send(agent, "pipeline-broken", words)
    assert len(answers) == 1 and "couldn't read that message" in answers[0] and "911" in answers[0]
    assert [(e.intent_name, e.text) for e in stored] == [("message_unreadable", words)]
    assert "GraphComponentException <- ValueError at " in caplog.text and "pipeline-broken" in caplog.text
    assert "private" not in caplog.text
    monkeypatch.undo()
    # The conversation goes on as usual.
    answers, _ = send(agent, "pipeline-broken", "what is sciatica?")
    assert answers and "couldn't read" not in answers[0]


def test_without_the_patch_rasa_drops_such_a_message(agent: Agent) -> None:
    """Why the replacement exists: Rasa's own step raises, and nothing is stored."""
    with pytest.raises(TypeError):
        patches.restore(TARGET)
        try:
            send(agent, "unpatched", "hello", "a string")
        finally:
            patches.install(TARGET)
