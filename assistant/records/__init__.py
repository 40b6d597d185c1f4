"""The clinic's own tables beside Rasa's events and what every server does with them: the
connection, migrations, the audit log, erasure and attempt counters."""
