"""Staff accounts, sign-in with lockout, and server-side sessions with a CSRF token each."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from assistant.records.attempts import count_attempt, locked_for
from assistant.records.staff_tables import login_failures, sessions, users

ROLES = ("staff", "admin")
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD = 12
# Failures per address before it is slowed down too, whatever names it tries.
ADDRESS_FACTOR = 4
_hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
# Verified against when the name is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A name, role or password that cannot be used; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    token_hash: str


def check_name(name: str) -> str:
    name = name.strip().lower()
    if not NAME.fullmatch(name):
        raise AccountError(
            "a user name is 2-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def add_user(engine: Engine, name: str, password: str, role: str = "staff") -> User:
    name = check_name(name)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    try:
        with engine.begin() as connection:
            user_id = connection.execute(
                users.insert().values(
                    name=name, password_hash=_hasher.hash(password), role=role, created_at=time.time()
                )
            ).inserted_primary_key[0]
    except IntegrityError:
        raise AccountError(f"a user named {name!r} already exists") from None
    return User(user_id, name, role)


def set_password(engine: Engine, name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    with engine.begin() as connection:
        found = connection.execute(
            update(users).where(users.c.name == check_name(name)).values(password_hash=_hasher.hash(password))
        ).rowcount
        if not found:
            raise AccountError(f"no user named {name!r}")
        # A new password ends every session of that user.
        user_id = connection.execute(select(users.c.id).where(users.c.name == check_name(name))).scalar_one()
        connection.execute(delete(sessions).where(sessions.c.user_id == user_id))


def list_users(engine: Engine) -> list:
    with engine.connect() as connection:
        return connection.execute(select(users.c.name, users.c.role, users.c.created_at, users.c.last_login_at)).all()


@dataclass(frozen=True)
class SignIn:
    user: User | None  # None: refused
    locked_seconds: int = 0  # > 0: refused because of too many failures


def sign_in(engine: Engine, name: str, password: str, address: str, max_failures: int, lockout_minutes: int) -> SignIn:
    """Check a password; after max_failures bad ones a name (and, more slowly, an address) is locked."""
    key_name, key_address = f"name:{name.strip().lower()[:200]}", f"address:{address[:200]}"
    now = time.time()
    window = lockout_minutes * 60
    with engine.begin() as connection:
        for key in (key_name, key_address):
            if locked := locked_for(connection, key, now):
                return SignIn(None, int(locked) + 1)
        row = connection.execute(select(users).where(users.c.name == name.strip().lower())).first()
        if row is not None and _verify(row.password_hash, password):
            connection.execute(delete(login_failures).where(login_failures.c.key == key_name))
            connection.execute(update(users).where(users.c.id == row.id).values(last_login_at=now))
            if _hasher.check_needs_rehash(row.password_hash):
                connection.execute(
                    update(users).where(users.c.id == row.id).values(password_hash=_hasher.hash(password))
                )
            return SignIn(User(row.id, row.name, row.role))
        if row is None:
            _verify(_DUMMY_HASH, password)
        locked = count_attempt(connection, key_name, max_failures, window, now)
        locked |= count_attempt(connection, key_address, max_failures * ADDRESS_FACTOR, window, now)
    return SignIn(None, int(window) if locked else 0)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(engine: Engine, user: User) -> str:
    """A new session; the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with engine.begin() as connection:
        connection.execute(
            sessions.insert().values(
                token_hash=_digest(token),
                user_id=user.id,
                csrf=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
            )
        )
    return token


def find_session(engine: Engine, token: str, idle_seconds: float, max_seconds: float) -> Session | None:
    """The live session for a cookie, its last use moved to now; None (and the row gone) once expired."""
    if not token:
        return None
    digest = _digest(token)
    now = time.time()
    with engine.begin() as connection:
        row = connection.execute(
            select(sessions, users.c.name, users.c.role)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == digest)
        ).first()
        if row is None:
            return None
        if row.last_seen_at < now - idle_seconds or row.created_at < now - max_seconds:
            connection.execute(delete(sessions).where(sessions.c.token_hash == digest))
            return None
        if now - row.last_seen_at > 30:  # not a write on every request
            connection.execute(update(sessions).where(sessions.c.token_hash == digest).values(last_seen_at=now))
    return Session(User(row.user_id, row.name, row.role), row.csrf, digest)


def close_session(engine: Engine, token_hash: str) -> None:
    with engine.begin() as connection:
        connection.execute(delete(sessions).where(sessions.c.token_hash == token_hash))


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
