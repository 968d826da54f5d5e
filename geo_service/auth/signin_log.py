"""Sign-ins in the audit log: every success and every failure, with account and address.

The row triggers of migration 0004 log changes to tables; a sign-in changes none that tells
the story (a failed one changes nothing at all), so these rows are written here, into the same
append-only ``audit_log``: ``action`` is ``login``, ``login_failed`` or ``logout``,
``table_name`` is ``users``, ``row_id`` the account's id when the name is one, ``after`` holds
the name as typed, the address and the browser, and ``note`` says why a sign-in failed. The
password is never written, nor a code.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, text

#: Why a sign-in failed (``note``).
REASONS = ("wrong_password", "locked_account", "locked_address", "wrong_code", "inactive")


def record(conn: Connection, action: str, username: str, address: str | None,
           user_agent: str | None = None, *, reason: str | None = None) -> None:
    """One audit row for a sign-in attempt (``action``: login, login_failed, logout)."""
    name = (username or "").strip()[:100]
    user_id = conn.execute(text("SELECT id FROM users WHERE username = :u"),
                           {"u": name}).scalar()
    actor = f"user:{name}" if action != "login_failed" and user_id is not None else "public"
    details = {"username": name, "address": address, "user_agent": (user_agent or "")[:300]}
    conn.execute(text("""
        INSERT INTO audit_log (actor, user_id, action, table_name, row_id, after, note)
        VALUES (:actor, :uid, :action, 'users', :row, CAST(:after AS jsonb), :note)"""), {
        "actor": actor[:100], "uid": user_id, "action": action,
        "row": None if user_id is None else str(user_id),
        "after": json.dumps(details, ensure_ascii=False),
        "note": f"{action} {name} from {address or 'unknown'}"
                + (f": {reason}" if reason else "")})
