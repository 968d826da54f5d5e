"""Server-side sessions: one ``user_sessions`` row per sign-in (no Flask here).

The browser's signed cookie carries only a random session id; the row holds who, when it was
opened and last seen, from which address and browser, and when it was revoked. Only the id's
SHA-256 is stored, so a copy of the table signs nobody in. A session counts while its row is
not revoked and is younger than :data:`MAX_AGE_HOURS`; logging out, changing the password,
switching the account off and an admin's "end all sessions" revoke rows at once, so a copied
cookie stops working on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

MAX_AGE_HOURS = 12
#: ``last_seen_at`` is written at most this often per session (seconds).
TOUCH_EVERY = 60
MAX_ADDRESS = 64
MAX_USER_AGENT = 300


@dataclass(frozen=True)
class Live:
    """A live session row: its id and its user."""

    id: int
    user_id: int


def digest(session_id: str) -> str:
    """SHA-256 hex of a session id: what the table stores."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def open_session(conn: Connection, user_id: int, address: str | None,
                 user_agent: str | None) -> str:
    """A new session for ``user_id``; returns the random id for the cookie (never stored)."""
    session_id = secrets.token_urlsafe(32)
    conn.execute(text("""
        INSERT INTO user_sessions (user_id, token_sha256, address, user_agent)
        VALUES (:u, :h, :a, :ua)"""), {
        "u": user_id, "h": digest(session_id), "a": (address or "")[:MAX_ADDRESS] or None,
        "ua": (user_agent or "")[:MAX_USER_AGENT] or None})
    return session_id


def find(conn: Connection, session_id: str, max_age_hours: float = MAX_AGE_HOURS) -> Live | None:
    """The live session with this id (its ``last_seen_at`` noted), or None."""
    if not isinstance(session_id, str) or not 0 < len(session_id) <= 100:
        return None
    row = conn.execute(text("""
        SELECT s.id, s.user_id, s.last_seen_at < now() - make_interval(secs => :touch) AS stale
        FROM user_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_sha256 = :h AND s.revoked_at IS NULL AND u.active
          AND s.created_at > now() - make_interval(hours => :hours)"""),
        {"h": digest(session_id), "hours": int(max_age_hours), "touch": TOUCH_EVERY}).first()
    if row is None:
        return None
    if row.stale:
        conn.execute(text("UPDATE user_sessions SET last_seen_at = now() WHERE id = :id"),
                     {"id": row.id})
    return Live(row.id, row.user_id)


def revoke(conn: Connection, session_id: str) -> bool:
    """End the session with this id (logout); False when it was not live."""
    return bool(conn.execute(text(
        "UPDATE user_sessions SET revoked_at = now() "
        "WHERE token_sha256 = :h AND revoked_at IS NULL"), {"h": digest(session_id)}).rowcount)


def revoke_one(conn: Connection, user_id: int, row_id: int) -> bool:
    """End one of ``user_id``'s sessions by its row id; False when there is no such live one."""
    return bool(conn.execute(text(
        "UPDATE user_sessions SET revoked_at = now() "
        "WHERE id = :id AND user_id = :u AND revoked_at IS NULL"),
        {"id": row_id, "u": user_id}).rowcount)


def revoke_all(conn: Connection, user_id: int, keep: int | None = None) -> int:
    """End every live session of ``user_id`` (but the row ``keep``); how many ended."""
    return conn.execute(text(
        "UPDATE user_sessions SET revoked_at = now() WHERE user_id = :u "
        "AND revoked_at IS NULL AND (CAST(:keep AS integer) IS NULL OR id <> :keep)"),
        {"u": user_id, "keep": keep}).rowcount


def list_live(conn: Connection, user_id: int,
              max_age_hours: float = MAX_AGE_HOURS) -> list[dict[str, Any]]:
    """The live sessions of ``user_id``, last seen first: id, created, last seen, address,
    user agent."""
    return [dict(r) for r in conn.execute(text("""
        SELECT id, created_at, last_seen_at, address, user_agent FROM user_sessions
        WHERE user_id = :u AND revoked_at IS NULL
          AND created_at > now() - make_interval(hours => :hours)
        ORDER BY last_seen_at DESC, id DESC"""),
        {"u": user_id, "hours": int(max_age_hours)}).mappings()]
