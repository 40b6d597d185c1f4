"""The staff console's tables, beside Rasa's `events` and the clinic's records.

`staff_conversations` is a summary per conversation, kept up to date from
Rasa's events by `index.Indexer`: lists, filters, search and analytics read it
instead of scanning millions of events. Times are UNIX seconds, like Rasa's.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

from assistant.records.tables import metadata

users = Table(
    "staff_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),  # staff | admin
    Column("created_at", Float, nullable=False),
    Column("last_login_at", Float),
)

sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the cookie: a stolen table opens nothing
    Column("user_id", Integer, nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
)

# Failed sign-ins per name and per address, whether or not the name exists (no account guessing).
login_failures = Table(
    "staff_login_failures",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_at", Float, nullable=False),
    Column("locked_until", Float),
)

audit = Table(
    "staff_audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Float, nullable=False, index=True),
    Column("actor", String(64), nullable=False),  # staff name, "patient" or "system"
    Column("action", String(32), nullable=False),
    Column("target", String(255)),  # conversation id, request id, user name
    Column("detail", Text),
    Column("ip", String(64)),
)

conversations = Table(
    "staff_conversations",
    metadata,
    Column("id", Integer, primary_key=True),  # rowid of the SQLite full-text index
    Column("sender_id", String(255), nullable=False, unique=True),
    Column("channel", String(64)),
    Column("started_at", Float, nullable=False),
    Column("last_at", Float, nullable=False, index=True),
    Column("n_user", Integer, nullable=False),
    Column("n_fallback", Integer, nullable=False),  # nlu_fallback or the fallback action
    Column("n_low", Integer, nullable=False),  # understood, but below STAFF_LOW_CONFIDENCE
    Column("topics", Text, nullable=False),  # " intent intent " (spaces around each, for LIKE)
    Column("severity", String(16)),  # worst red flag reported: emergency | urgent
    Column("has_booking", Boolean, nullable=False),
    Column("has_handoff", Boolean, nullable=False),
    Column("paused", Boolean, nullable=False),  # handed to staff, bot silent
    Column("preview", Text, nullable=False),  # last patient message
    Column("search_text", Text, nullable=False),  # the patient's messages
    # Staff's own fields: the indexer never writes them.
    Column("tags", Text, nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    Column("reviewed_by", String(64)),
    Column("reviewed_at", Float),
)

index_state = Table(
    "staff_index_state",
    metadata,
    Column("name", String(64), primary_key=True),  # the table whose rows were read
    Column("last_id", Integer, nullable=False),
)

# Rasa's own table (created by its SQLTrackerStore, with a sequence on PostgreSQL): read and
# deleted from here, never created, so it has a MetaData of its own. Written out rather than taken
# from Rasa (assistant/stores/events.py) so the console and the website do not import Rasa;
# tests/test_events_table.py checks it against Rasa's table, column for column.
events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

Index("ix_staff_conversations_started", conversations.c.started_at)
Index("ix_staff_conversations_channel", conversations.c.channel)  # the channel filter's choices, every list page

# Full-text search of patients' messages (FTS5 table `staff_search` kept in step by triggers on
# SQLite, a GIN index on PostgreSQL; see queries.search_clause) and the append-only audit log
# (triggers) are made by the migrations (migrations/versions/0001_baseline.py), not declared here.
