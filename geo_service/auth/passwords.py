"""Password hashing: scrypt (werkzeug), salted, slow, never the password itself.

``scrypt:32768:8:1`` costs about 32 MiB and tens of milliseconds per check, which makes a
stolen ``users.password_hash`` column expensive to attack. A check against an unknown user
still runs one scrypt (against :data:`DUMMY_HASH`) so the answer time does not tell which
usernames exist.
"""

from __future__ import annotations

from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from geo_service.auth import messages as _messages  # noqa: F401 - registers the words
from geo_service.auth.password_strength import weakness
from geo_service.errors import ServiceError

METHOD = "scrypt:32768:8:1"
SALT_LENGTH = 16
MIN_LENGTH = 10
MAX_LENGTH = 200


class PasswordRefused(ServiceError, ValueError):
    """A new password that does not meet the rules (400; message key + parameters)."""

    code = "password_refused"
    http_status = 400


def check_new_password(password: str, username: str | None = None) -> None:
    """Refuse short, overlong, username-equal and guessable passwords (common ones, repeats,
    sequences, keyboard rows, dates, the username inside: :mod:`.password_strength`)."""
    if len(password) < MIN_LENGTH:
        raise PasswordRefused("auth_pw_short", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise PasswordRefused("auth_pw_long", n=MAX_LENGTH)
    if username and password.strip().lower() == username.strip().lower():
        raise PasswordRefused("auth_pw_username")
    why = weakness(password, username)
    if why is not None:
        raise PasswordRefused(why)


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` (werkzeug's ``method$salt$hash`` form)."""
    return generate_password_hash(password, method=METHOD, salt_length=SALT_LENGTH)


@cache
def dummy_hash() -> str:
    """A hash no password matches, checked when the user does not exist."""
    return hash_password("no user has this password, it only costs the same time")


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (always one full scrypt, even without a user)."""
    if not stored:
        check_password_hash(dummy_hash(), password)
        return False
    try:
        return check_password_hash(stored, password)
    except (ValueError, TypeError):  # a malformed stored hash never matches
        return False
