"""Baseline: the clinic's and the staff console's tables as the code made them before migrations.

The schema is frozen here (not imported from tables.py / staff_tables.py, which move on with later
revisions). Every object is created only if it is missing, so the same step serves a new database
and one made by the code before migrations: there, the action server may have made only the
clinic's tables (the console's came with the console), and this completes them before the
database is stamped at this revision.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assistant.records.migrate import MigrationError

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

baseline = sa.MetaData()

sa.Table(
    "escalations",
    baseline,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("flags", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
    sa.Column("acknowledged_by", sa.String(255)),
)
sa.Table(
    "notifications",
    baseline,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("ref_id", sa.Integer),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("target", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
)
sa.Table(
    "booking_requests",
    baseline,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("patient_name", sa.String(255), nullable=False),
    sa.Column("contact", sa.String(255), nullable=False),
    sa.Column("contact_kind", sa.String(16), nullable=False),
    sa.Column("preferred", sa.String(64), nullable=False),
    sa.Column("preferred_text", sa.Text, nullable=False),
    sa.Column("patient_type", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("red_flag", sa.String(16)),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "change_requests",
    baseline,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("patient_name", sa.String(255), nullable=False),
    sa.Column("contact", sa.String(255), nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "handoff_requests",
    baseline,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "staff_users",
    baseline,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_login_at", sa.Float),
)
sa.Table(
    "staff_sessions",
    baseline,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen_at", sa.Float, nullable=False),
)
sa.Table(
    "staff_login_failures",
    baseline,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("first_at", sa.Float, nullable=False),
    sa.Column("locked_until", sa.Float),
)
sa.Table(
    "staff_audit",
    baseline,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(255)),
    sa.Column("detail", sa.Text),
    sa.Column("ip", sa.String(64)),
)
conversations = sa.Table(
    "staff_conversations",
    baseline,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, unique=True),
    sa.Column("channel", sa.String(64)),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("last_at", sa.Float, nullable=False, index=True),
    sa.Column("n_user", sa.Integer, nullable=False),
    sa.Column("n_fallback", sa.Integer, nullable=False),
    sa.Column("n_low", sa.Integer, nullable=False),
    sa.Column("topics", sa.Text, nullable=False),
    sa.Column("severity", sa.String(16)),
    sa.Column("has_booking", sa.Boolean, nullable=False),
    sa.Column("has_handoff", sa.Boolean, nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("preview", sa.Text, nullable=False),
    sa.Column("search_text", sa.Text, nullable=False),
    sa.Column("tags", sa.Text, nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("reviewed_by", sa.String(64)),
    sa.Column("reviewed_at", sa.Float),
)
sa.Index("ix_staff_conversations_started", conversations.c.started_at)
sa.Index("ix_staff_conversations_channel", conversations.c.channel)
sa.Table(
    "staff_index_state",
    baseline,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("last_id", sa.Integer, nullable=False),
)

# Full-text search of the patients' messages (FTS5 kept in step by triggers on SQLite, a GIN index on
# PostgreSQL), and the append-only audit log. All of it "if not exists", as the tables.
SEARCH_AND_AUDIT = {
    "sqlite": [
        "CREATE VIRTUAL TABLE IF NOT EXISTS staff_search USING fts5("
        "search_text, content='staff_conversations', content_rowid='id')",
        "CREATE TRIGGER IF NOT EXISTS staff_search_ai AFTER INSERT ON staff_conversations BEGIN "
        "INSERT INTO staff_search(rowid, search_text) VALUES (new.id, new.search_text); END",
        "CREATE TRIGGER IF NOT EXISTS staff_search_ad AFTER DELETE ON staff_conversations BEGIN "
        "INSERT INTO staff_search(staff_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
        "CREATE TRIGGER IF NOT EXISTS staff_search_au AFTER UPDATE OF search_text ON staff_conversations BEGIN "
        "INSERT INTO staff_search(staff_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO staff_search(rowid, search_text) VALUES (new.id, new.search_text); END",
        "CREATE TRIGGER IF NOT EXISTS staff_audit_no_update BEFORE UPDATE ON staff_audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS staff_audit_no_delete BEFORE DELETE ON staff_audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ],
    "postgresql": [
        "CREATE INDEX IF NOT EXISTS ix_staff_search ON staff_conversations "
        "USING gin (to_tsvector('simple', search_text))",
        "CREATE OR REPLACE FUNCTION staff_audit_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$ LANGUAGE plpgsql",
        # PostgreSQL has no CREATE TRIGGER IF NOT EXISTS.
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'staff_audit_append_only' "
        "AND tgrelid = 'staff_audit'::regclass) THEN "
        "CREATE TRIGGER staff_audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON staff_audit "
        "FOR EACH STATEMENT EXECUTE FUNCTION staff_audit_append_only(); END IF; END $$",
    ],
}
DROP = {
    "sqlite": ["DROP TABLE IF EXISTS staff_search"],  # its triggers go with their tables
    "postgresql": ["DROP FUNCTION IF EXISTS staff_audit_append_only() CASCADE"],
}


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    present = set(inspector.get_table_names())
    # A table made by an older version of the code lacks columns the code reads: say which, rather
    # than stamp a schema that fails later on a patient's turn or a staff page.
    for table in baseline.sorted_tables:
        if table.name in present:
            have = {column["name"] for column in inspector.get_columns(table.name)}
            missing = [column.name for column in table.columns if column.name not in have]
            if missing:
                raise MigrationError(
                    f"table {table.name} lacks the columns {', '.join(missing)}: it was made by an older "
                    "version of the assistant than the one migrations start from; add them by hand, then retry"
                )
    baseline.create_all(bind, checkfirst=True)
    for statement in SEARCH_AND_AUDIT.get(bind.dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in DROP.get(bind.dialect.name, []):
        op.execute(statement)
    baseline.drop_all(bind, checkfirst=True)
