"""Custom actions of the clinic assistant, one module per concern.

The action server imports this package (`rasa run actions --actions actions`),
which registers every Action subclass defined in the modules below.
"""

from actions import (  # noqa: F401  (registers the actions)
    booking,
    fallback,
    handoff,
    reschedule,
    session,
    settings,
    triage,
)
from assistant.stores import dburl

# Read at start, so a bad value (or a database server that is not there) stops the server with a
# clear message instead of failing a patient's turn. A SQLite file is made on first use.
if not settings.settings().database_url.startswith("sqlite"):
    dburl.check_reachable(settings.settings().database_url)
