"""Red-flag severities, most severe first: what the detector reports and an escalation records; and
the intents the NLU component sets for them.

Kept apart from the detector so that readers of escalations (the staff console, the records, the
action server, the hand-off pause) can use them without loading spaCy.
"""

from __future__ import annotations

SEVERITIES = ("emergency", "urgent")

# Set by the detector component (assistant/triage/component.py), never learned by the classifier.
# A crisis is an emergency with an answer of its own (the crisis line, an offer of staff).
INTENT_SEVERITY = {"red_flag_crisis": "emergency", "red_flag_emergency": "emergency", "red_flag_urgent": "urgent"}
RED_FLAG_INTENTS = frozenset(INTENT_SEVERITY)


def rank(severity: str | None) -> int:
    """0 for the most severe; unknown or none after every known severity."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)
