"""Red-flag triage: the detector (pure Python + spaCy), its lexicon, the learned safety net and the
NLU component that runs them in Rasa's pipeline. Depends on `assistant.nlu` (the linear text
model), never the other way round; `severity` is importable without spaCy."""
