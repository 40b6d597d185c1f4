"""Red-flag severities, most severe first: what the detector reports and an escalation records; and
the intents the NLU component sets for them.

Kept apart from the detector so that readers of escalations (the staff console, the records, the
action server, the hand-off pause) can use them without loading spaCy.
"""

from __future__ import annotations

SEVERITIES = ("emergency", "urgent")
# Not a red flag yet: the detector was unsure, so the patient is asked the screening question (a yes
# is an emergency). Recorded for staff with the answer, after every red flag.
BORDERLINE = "borderline"
RECORDED = (*SEVERITIES, BORDERLINE)

# Set by the detector component (assistant/triage/component.py), never learned by the classifier.
# A crisis is an emergency with an answer of its own (the crisis line, an offer of staff).
INTENT_SEVERITY = {
    "red_flag_crisis": "emergency",
    "red_flag_emergency": "emergency",
    "red_flag_urgent": "urgent",
    "red_flag_screen": BORDERLINE,
}
RED_FLAG_INTENTS = frozenset(INTENT_SEVERITY)


def rank(severity: str | None) -> int:
    """0 for the most severe; unknown or none after every recorded severity."""
    return RECORDED.index(severity) if severity in RECORDED else len(RECORDED)


# Set by the Rasa server when the NLU pipeline failed on a message (assistant/runtime/unreadable.py):
# it may have reported a red flag, so it is answered with the emergency advice in any state.
UNREADABLE_INTENT = "message_unreadable"
