"""The clinic's facts (clinic.yml) and the answers rendered from them. Pure Python: read by the
trainer, the actions, the website and the staff console."""
