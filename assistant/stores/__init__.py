"""Rasa's conversation (tracker) and lock stores, each configured by one URL, and the one
definition of a stored event row."""
