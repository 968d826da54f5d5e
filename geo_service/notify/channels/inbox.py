"""The in-app inbox: a signed-in user's notifications, newest first, and marking them read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo_service.hazards.records import iso
from geo_service.notify import messages

LIST_SQL = """
SELECT id, created_at, hazard_id, kind, params, read_at FROM notifications
WHERE channel = 'inbox' AND user_id = :user ORDER BY created_at DESC, id DESC LIMIT :limit
"""


def unread_count(conn: Connection, user_id: int) -> int:
    """How many of the user's inbox notifications are unread."""
    return conn.execute(text(
        "SELECT count(*) FROM notifications WHERE channel = 'inbox' AND user_id = :user "
        "AND read_at IS NULL"), {"user": user_id}).scalar_one()


def listing(conn: Connection, user_id: int, *, lang: str = "zh",
            limit: int = 50) -> list[dict[str, Any]]:
    """The user's newest inbox notifications with their words in ``lang``."""
    rows = conn.execute(text(LIST_SQL), {"user": user_id, "limit": limit}).mappings()
    return [{"id": r["id"], "kind": r["kind"], "hazard_id": r["hazard_id"],
             "created_at": iso(r["created_at"]),
             "subject": messages.subject(r["kind"], r["params"], lang),
             "text": messages.text(r["kind"], r["params"], lang),
             "link": f"/hazards/{r['hazard_id']}" if r["hazard_id"] is not None else None,
             "read": r["read_at"] is not None} for r in rows]


def mark_read(conn: Connection, user_id: int, notification_id: int) -> bool:
    """Mark one of the user's notifications read; ``False`` when it is not theirs."""
    found = conn.execute(text(
        "UPDATE notifications SET read_at = coalesce(read_at, now()) "
        "WHERE id = :id AND channel = 'inbox' AND user_id = :user RETURNING id"),
        {"id": notification_id, "user": user_id}).first()
    return found is not None
