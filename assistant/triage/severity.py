"""Red-flag severities, most severe first: what the detector reports and an escalation records.

Kept apart from the detector so that readers of escalations (the staff console, the records)
can order them without loading spaCy.
"""

from __future__ import annotations

SEVERITIES = ("emergency", "urgent")


def rank(severity: str | None) -> int:
    """0 for the most severe; unknown or none after every known severity."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)
