"""Private follow links: an unguessable token per report, stored only as its SHA-256.

Whoever holds ``/follow/<token>`` sees the report's status and timeline and may add a comment
(a ``comment`` event in the hazard's history, no person named). The token is shown once, when
it is made; a lost link cannot be recovered, only a new one issued.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Connection, text

TOKEN_BYTES = 32
COMMENT_ACTION = "comment"
MAX_COMMENT = 2000


def digest(token: str) -> str:
    """What is stored of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(conn: Connection, hazard_id: int) -> str:
    """A new token for the hazard (stored hashed); the only time the token itself exists."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    conn.execute(text("INSERT INTO follow_links (hazard_id, token_sha256) VALUES (:h, :t)"),
                 {"h": hazard_id, "t": digest(token)})
    return token


def hazard_for(conn: Connection, token: str) -> int | None:
    """The hazard a token follows, or ``None`` for an unknown or malformed token."""
    if not token or len(token) > 100:
        return None
    return conn.execute(text("SELECT hazard_id FROM follow_links WHERE token_sha256 = :t"),
                        {"t": digest(token)}).scalar()


def add_comment(conn: Connection, hazard_id: int, comment: str) -> int:
    """Append the reporter's comment to the hazard's history (status unchanged)."""
    row = conn.execute(text("SELECT status, level FROM hazards WHERE id = :id FOR UPDATE"),
                       {"id": hazard_id}).one()
    return conn.execute(text(
        "INSERT INTO hazard_events (hazard_id, at, actor, action, from_status, to_status, "
        "from_level, to_level, note) VALUES (:h, now(), NULL, :a, :s, :s, :l, :l, :note) "
        "RETURNING id"),
        {"h": hazard_id, "a": COMMENT_ACTION, "s": row.status, "l": row.level,
         "note": comment[:MAX_COMMENT]}).scalar_one()
