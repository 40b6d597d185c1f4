"""Dialogue policies of the model (config.yml)."""
