"""Escalations keyed by the patient's message, and the screening question's answer.

The Rasa server now records a reported red flag itself (so the record never depends on the action
server); the action server records it too when it runs. `message_id` (Rasa's id of the patient's
message) with the conversation makes both writes one row. Rows from before keep NULL there, which
the unique index allows any number of times. `screening_answer` holds "yes"/"no" for a borderline
report after which the screening question was asked.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a constraint-bearing change in place; on PostgreSQL it is plain ALTERs.
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("message_id", sa.String(64)))
        batch.add_column(sa.Column("screening_answer", sa.String(8)))
    op.create_index("ix_escalations_report", "escalations", ["sender_id", "message_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_escalations_report", table_name="escalations")
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("screening_answer")
        batch.drop_column("message_id")
