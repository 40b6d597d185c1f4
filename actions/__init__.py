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

# Read at start, so a bad value stops the server with a clear message instead of failing a patient's turn.
settings.settings()
