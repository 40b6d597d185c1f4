"""Red-flag triage: the detector (pure Python + spaCy) and its lexicon."""

from assistant.triage.detector import Finding, RedFlagDetector, Triage, detect

__all__ = ["Finding", "RedFlagDetector", "Triage", "detect"]
