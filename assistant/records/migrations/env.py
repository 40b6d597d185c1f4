"""Alembic's environment for the clinic's tables: always run by assistant.records.migrate on a
connection it opened, locked and began (never from alembic.ini or on its own)."""

from __future__ import annotations

from alembic import context

from assistant.records.migrate import compare_server_default, include_object, target_metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run migrations with `python -m assistant.records migrate` (a connection is needed)")
context.configure(
    connection=connection,
    target_metadata=target_metadata(),
    include_object=include_object,
    compare_type=True,
    compare_server_default=compare_server_default,
    render_as_batch=True,  # SQLite alters a table by copying it: new revisions are written that way
)
with context.begin_transaction():
    context.run_migrations()
