"""Who is acting: handed to the database at the start of every transaction for its audit triggers.

The triggers of migration 0004 write ``audit_log`` for every change to layers, hazards, patrol
records and accounts; they read the acting party from two transaction-local settings, which
:func:`install` sets from :data:`current_actor` whenever a connection begins a transaction.

Set the actor around work done for someone::

    with acting_as("user:alice", 7):
        ...  # every transaction begun here is logged as user:alice (user id 7)

or, per web request, ``token = current_actor.set(Actor("user:alice", 7))`` in a
``before_request`` and ``current_actor.reset(token)`` in its teardown (waitress reuses
threads, so a value left set would leak into the next request on that thread). Without an
actor the log says ``db:<database role>``: written by something that did not say who.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, event, text

ACTOR_SETTING = "geo_service.actor"
USER_SETTING = "geo_service.user_id"
SET_ACTOR = text(f"SELECT set_config('{ACTOR_SETTING}', :actor, true), "
                 f"set_config('{USER_SETTING}', :user_id, true)")


@dataclass(frozen=True)
class Actor:
    """Who acts: ``user:alice``, ``cli:root``, ``public``; and the user's id when signed in."""

    name: str
    user_id: int | None = None


current_actor: ContextVar[Actor | None] = ContextVar("current_actor", default=None)


@contextmanager
def acting_as(actor: str, user_id: int | None = None) -> Iterator[Actor]:
    """Log every transaction begun inside the block as ``actor`` (and ``user_id``)."""
    who = Actor(actor, user_id)
    token = current_actor.set(who)
    try:
        yield who
    finally:
        current_actor.reset(token)


def cli_actor() -> str:
    """``cli:<OS user>`` for the command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = f"uid{os.getuid()}"
    return f"cli:{user}"


def _set_actor(conn: Connection) -> None:
    """Begin hook: pass the current actor to the transaction (nothing when none is set)."""
    who = current_actor.get()
    if who is None:
        return
    user_id = "" if who.user_id is None else str(int(who.user_id))
    conn.execute(SET_ACTOR, {"actor": who.name, "user_id": user_id})


def install(engine: Engine) -> Engine:
    """Make every transaction on ``engine`` carry :data:`current_actor` (idempotent)."""
    if not event.contains(engine, "begin", _set_actor):
        event.listen(engine, "begin", _set_actor)
    return engine


# -- reading the log -------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One audit row, as read back."""

    id: int
    at: datetime
    actor: str | None
    user_id: int | None
    action: str
    table_name: str
    row_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None

    def changes(self) -> dict[str, tuple[Any, Any]]:
        """Columns an update changed: ``{column: (before, after)}``."""
        before, after = self.before or {}, self.after or {}
        return {key: (before.get(key), after.get(key)) for key in sorted(before.keys()
                | after.keys()) if before.get(key) != after.get(key)}

    def summary(self) -> str:
        """What changed, in one line."""
        if self.action == "update":
            return "; ".join(f"{key}: {short(old)} -> {short(new)}"
                             for key, (old, new) in self.changes().items())
        if self.note:
            return self.note
        row = self.after if self.action == "insert" else self.before
        if not row:
            return ""
        shown = [f"{key}={short(value)}" for key, value in row.items()
                 if key != "id" and value is not None]
        return ", ".join(shown[:6]) + (", ..." if len(shown) > 6 else "")


def short(value: Any, width: int = 40) -> str:
    """A value for a one-line summary; geometry digests become ``POINT#1a2b3c4d``."""
    if isinstance(value, dict) and {"type", "md5"} <= value.keys():
        return f"{value['type']}#{str(value['md5'])[:8]}"
    shown = "null" if value is None else str(value)
    return shown if len(shown) <= width else shown[:width - 3] + "..."


def read_log(conn: Connection, *, table: str | None = None, row: str | None = None,
             since: datetime | None = None, actor: str | None = None,
             limit: int = 50) -> list[Entry]:
    """The newest ``limit`` entries matching the filters, oldest first."""
    parts, params = [], {"limit": limit}
    for column, value in (("table_name", table), ("row_id", row), ("actor", actor)):
        if value is not None:
            parts.append(f"{column} = :{column}")
            params[column] = value
    if since is not None:
        parts.append("at >= :since")
        params["since"] = since
    where = f"WHERE {' AND '.join(parts)}" if parts else ""
    rows = conn.execute(text(
        "SELECT id, at, actor, user_id, action, table_name, row_id, before, after, note "
        f"FROM audit_log {where} ORDER BY at DESC, id DESC LIMIT :limit"), params).all()
    return [Entry(*r) for r in reversed(rows)]
