"""How guessable a new password is: zxcvbn's estimate, and a reason a person can act on.

zxcvbn (the Python port of Dropbox's estimator) matches a password against its frequency lists
of common passwords, names and words, keyboard patterns, repeats, sequences and dates, plus the
words given as ``user_inputs`` (here the username), and estimates the guesses an attacker
needs. A password is refused below :data:`MIN_SCORE` (3 of 4: about 10^8 guesses) or when it
contains the username; the reason names the weakest pattern found, so the message says why.
"""

from __future__ import annotations

from typing import Any

from zxcvbn import zxcvbn

MIN_SCORE = 3
#: A username this long or longer must not appear inside the password.
MIN_NAME_IN_PASSWORD = 3
#: zxcvbn pattern -> the reason's message key
PATTERN_REASONS = {
    "dictionary": "auth_pw_common",
    "repeat": "auth_pw_repeated",
    "sequence": "auth_pw_sequence",
    "spatial": "auth_pw_keyboard",
    "date": "auth_pw_date",
}


def contains_username(password: str, username: str | None) -> bool:
    """Whether the username (3 characters or more) appears in the password, any case."""
    name = (username or "").strip().lower()
    return len(name) >= MIN_NAME_IN_PASSWORD and name in password.lower()


def weakness(password: str, username: str | None = None) -> str | None:
    """The message key saying why ``password`` is too guessable, or None when it is not."""
    if contains_username(password, username):
        return "auth_pw_username_inside"
    inputs = [username.strip()] if username and username.strip() else []
    result = zxcvbn(password, user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    return reason(result["sequence"])


def reason(matches: list[dict[str, Any]]) -> str:
    """The reason of the weakest part: a single pattern covering the password names it."""
    if any(m.get("dictionary_name") == "user_inputs" for m in matches):
        return "auth_pw_username_inside"
    patterns = [m["pattern"] for m in matches if m["pattern"] != "bruteforce"]
    if len(set(patterns)) == 1 and patterns[0] in PATTERN_REASONS:
        return PATTERN_REASONS[patterns[0]]
    return "auth_pw_guessable"
