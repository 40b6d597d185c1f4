"""The integrity check of `make load`, run once the Rasa servers have stopped (nothing in flight):
every conversation's user events in PostgreSQL against what its client sent (lost, duplicated,
out of order), and the booking_requests rows against the bookings the clients saw completed."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tools.load.driver import LoadRun


@dataclass
class Integrity:
    conversations: int = 0
    sent: int = 0
    stored: int = 0
    lost: int = 0  # sent, not stored
    lost_after_client_error: int = 0  # of those: conversations in which the client saw an error
    duplicated: int = 0  # stored more often than sent
    never_sent: int = 0  # stored, but this conversation's client never sent it
    out_of_order: int = 0  # conversations with the right messages in another order
    unknown_conversations: int = 0  # in the store under this run's prefix, never started by a client
    bookings_completed: int = 0
    booking_rows: int = 0
    bookings_not_stored_once: int = 0  # completed bookings without exactly one row under the right name
    booking_rows_unexpected: int = 0  # rows of conversations whose booking the client did not see completed
    examples: list[str] = field(default_factory=list)


def compare(
    sent: dict[str, list[str]],
    stored: dict[str, list[str]],
    client_errors: frozenset[str] = frozenset(),
    result: Integrity | None = None,
) -> Integrity:
    """Each conversation's stored user messages against the ones its client sent, in order.
    The client never retries, so any extra copy is the server's."""
    result = result or Integrity()
    result.conversations = len(sent)
    for sender, messages in sent.items():
        kept = stored.get(sender, [])
        result.sent += len(messages)
        result.stored += len(kept)
        lost = Counter(messages) - Counter(kept)
        extra = Counter(kept) - Counter(messages)
        duplicated = sum(n for text, n in extra.items() if text in messages)
        never_sent = sum(extra.values()) - duplicated
        result.lost += sum(lost.values())
        if sender in client_errors:
            result.lost_after_client_error += sum(lost.values())
        result.duplicated += duplicated
        result.never_sent += never_sent
        if lost or extra:
            result.examples.append(f"{sender}: lost {sorted(lost.elements())}, extra {sorted(extra.elements())}")
        elif kept != messages:
            result.out_of_order += 1
            result.examples.append(f"{sender}: out of order {kept}")
    unknown = sorted(set(stored) - set(sent))
    result.unknown_conversations = len(unknown)
    result.examples += [f"{sender}: in the store, never started by a client" for sender in unknown[:5]]
    return result


def compare_bookings(completed: dict[str, str], attempted: set[str], rows: Sequence[tuple[str, str]]) -> Integrity:
    """`completed`: sender -> name of each booking the client saw confirmed; `attempted`: all booking
    conversations; `rows`: (sender, patient_name) in booking_requests."""
    result = Integrity(bookings_completed=len(completed))
    by_sender: dict[str, list[str]] = {}
    for sender, name in rows:
        if sender in attempted:
            by_sender.setdefault(sender, []).append(name)
            result.booking_rows += 1
    for sender, name in completed.items():
        if by_sender.get(sender) != [name]:
            result.bookings_not_stored_once += 1
            result.examples.append(f"{sender}: booking rows {by_sender.get(sender, [])}, expected [{name!r}]")
    unexpected = [sender for sender in by_sender if sender not in completed]
    result.booking_rows_unexpected = sum(len(by_sender[sender]) for sender in unexpected)
    result.examples += [f"{sender}: booking row of an unfinished booking" for sender in unexpected[:5]]
    return result


def read_store(database_url: str, prefix: str) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """This run's user messages per conversation in stored order, and its booking_requests rows."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    stored: dict[str, list[str]] = {}
    try:
        with engine.connect() as connection:
            events = connection.execute(
                text("SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id LIKE :p ORDER BY id"),
                {"p": prefix + "%"},
            )
            for sender, data in events:
                stored.setdefault(sender, []).append(json.loads(data).get("text"))
            rows = connection.execute(
                text("SELECT sender_id, patient_name FROM booking_requests WHERE sender_id LIKE :p"),
                {"p": prefix + "%"},
            )
            bookings = [(sender, name) for sender, name in rows]
    finally:
        engine.dispose()
    return stored, bookings


def check_integrity(run: LoadRun, database_url: str, prefix: str) -> Integrity:
    stored, rows = read_store(database_url, prefix)
    bookings = [c for c in run.conversations if c.script.kind == "booking"]
    completed = {c.script.sender: c.script.name or "" for c in bookings if c.outcome == "completed"}
    result = compare_bookings(completed, {c.script.sender for c in bookings}, rows)
    sent = {c.script.sender: c.sent for c in run.conversations}
    errors = frozenset(c.script.sender for c in run.conversations if c.failed_turns)
    return compare(sent, stored, errors, result)
