"""The clinic's website chat widget and a demo page, served by a small Sanic app."""
