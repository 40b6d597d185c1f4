"""The clinic's staff console: conversations, red flags, requests, hand-offs, privacy."""
