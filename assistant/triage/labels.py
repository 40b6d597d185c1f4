"""What each red flag is called, for people: the lexicon's labels, read without spaCy.

Escalations store flag names ("crisis", "chest_pain"); the staff console and the staff
notification show these labels instead.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LEXICON_PATH = Path(__file__).with_name("lexicon.yml")
# Flags that are not in the lexicon: the safety net's, a yes to a safety (screening) question, an unsure report.
OTHER_LABELS = {
    "possible_red_flag": "possible red flag in wording the lexicon does not know",
    "possible_crisis": "possible thoughts of suicide or self-harm, in wording the lexicon does not know",
    "screening_question": "yes to the safety question (numbness between the legs, bladder or bowel control)",
    "unsure": "unsure: possible cauda equina sign, the safety question was asked",
}


@lru_cache(maxsize=1)
def flag_labels(path: Path = LEXICON_PATH) -> dict[str, str]:
    flags = yaml.safe_load(path.read_text(encoding="utf-8")).get("flags") or {}
    return {**OTHER_LABELS, **{name: str(spec.get("label") or name) for name, spec in flags.items()}}


def label(flag: str) -> str:
    """The flag's label; an unknown name as it is (a flag since renamed, in an old record)."""
    return flag_labels().get(flag, flag)
