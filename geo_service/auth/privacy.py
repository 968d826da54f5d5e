"""What of a hazard a reader may see.

Three views of the same hazard dict (as :func:`geo_service.hazards.service.get_hazard` /
``list_hazards`` give it with ``private=True``):

full
    the reporter's name and contact too: community admins, the subdistrict, grid workers and
    building leaders for the hazards in their grids / buildings, residents for their own
    reports (:func:`geo_service.auth.policy.may_see_private`).
staff
    every other signed-in staff member: who is assigned and who did what, but not the
    reporter (nor an event whose actor is the reporter).
public
    nobody signed in, or a resident reading somebody else's report: no person at all - no
    reporter, no assignee, no event actors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from geo_service.auth.policy import RESIDENT, may_see_private

PERSONAL_FIELDS = frozenset({
    "reporter_name", "reporter_contact", "photo", "channel",  # who reported, and how
    "assignee", "staff",  # staff members' names
    "leader_name", "leader_phone",  # building leaders
    "idempotency_key",  # a client's retry key
})
"""The one list of personal fields: never public (no map collection or tile carries them)."""

STAFF_FIELDS = frozenset({"assignee", "staff"})
"""Personal fields every signed-in staff member may read (who is assigned, who did what)."""


def reporters(conn: Connection, ids: Iterable[int]) -> dict[int, int | None]:
    """``hazards.reporter_user_id`` for each id (not part of the service's hazard dicts)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(conn.execute(text("SELECT id, reporter_user_id FROM hazards "
                                  "WHERE id = ANY(:ids)"), {"ids": wanted}).all())


def view(item: dict[str, Any], user: Any, reporter_user_id: int | None = None) -> dict[str, Any]:
    """``item`` (a private hazard dict) cut down to what ``user`` (None: public) may see."""
    scope = {"grid_id": item.get("grid_id"), "building_id": item.get("building_id"),
             "level": item.get("level"), "reporter_user_id": reporter_user_id}
    if may_see_private(user, scope):
        return item
    staff = user is not None and user.role != RESIDENT
    return scrub(item, staff=staff)


def scrub(item: dict[str, Any], *, staff: bool) -> dict[str, Any]:
    """Without the reporter; for the public also without assignee and event actors."""
    reporter = item.get("reporter_name")
    out = {k: v for k, v in item.items() if k not in PERSONAL_FIELDS - STAFF_FIELDS}
    if not staff:
        out = {k: v for k, v in out.items() if k not in STAFF_FIELDS - {"assignee"}}
        out["assignee"] = None
    if "events" in out:
        events = []
        for event in out["events"]:
            event = dict(event)
            if not staff or (reporter and event.get("actor") == reporter):
                event["actor"] = None
            if not staff and event.get("extra") and "assignee" in event["extra"]:
                event["extra"] = {k: v for k, v in event["extra"].items() if k != "assignee"}
            events.append(event)
        out["events"] = events
    return out


def view_all(conn: Connection, items: list[dict[str, Any]], user: Any) -> list[dict[str, Any]]:
    """:func:`view` over a list (one query for who reported what)."""
    owners = reporters(conn, (i["id"] for i in items)) if user is not None else {}
    return [view(i, user, owners.get(i["id"])) for i in items]


def view_one(conn: Connection, item: dict[str, Any], user: Any) -> dict[str, Any]:
    """:func:`view` of one hazard."""
    return view_all(conn, [item], user)[0]
