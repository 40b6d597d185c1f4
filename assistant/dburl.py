"""Database URLs: shown to people only with the password masked."""

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"
