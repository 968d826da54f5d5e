"""Who is told about a hazard step, by which channel (pure rules over a few lookups).

- a new report: the staff of the hazard's grid (its grid workers; the community admins when
  the report lies in no grid);
- assign: the assignee; escalate: the assignee and the staff of the level it went to;
- every status change after the report: the reporter, by e-mail when the contact given is an
  e-mail address and in the inbox when they reported signed in;
- a comment through the follow link: the assignee, else the staff of the hazard's level.

A person with an account is told in the inbox and, when the account has an e-mail address, by
mail. Each person and channel is told once per event (the first reason wins).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")

# level -> (role of its staff, how they are tied to the hazard: grid, building or all)
LEVEL_STAFF: dict[str, tuple[str, str]] = {
    "building": ("building_leader", "building"),
    "grid": ("grid_worker", "grid"),
    "community": ("community_admin", "all"),
    "subdistrict": ("subdistrict", "all"),
}


@dataclass(frozen=True)
class Recipient:
    """One notification to write: its kind, channel, and the account or address."""

    kind: str
    channel: str  # inbox | email
    user_id: int | None = None
    address: str | None = None


@dataclass(frozen=True)
class Person:
    """Someone to tell: an account (maybe with an e-mail) or only an e-mail address."""

    user_id: int | None
    email: str | None


def email_of(contact: str | None) -> str | None:
    """The contact when it is an e-mail address (a phone number is not)."""
    value = (contact or "").strip()
    return value if EMAIL.match(value) else None


def _people(rows: Any) -> list[Person]:
    return [Person(row.id, email_of(row.email)) for row in rows]


def level_staff(conn: Connection, level: str, facts: dict[str, Any]) -> list[Person]:
    """The active staff who own ``level`` for this hazard."""
    role, tie = LEVEL_STAFF[level]
    sql = "SELECT u.id, u.email FROM users u WHERE u.active AND u.role = :role"
    params: dict[str, Any] = {"role": role}
    if tie == "grid":
        if facts["grid_id"] is None:
            return level_staff(conn, "community", facts)
        sql += " AND u.id IN (SELECT user_id FROM user_grids WHERE grid_id = :grid)"
        params["grid"] = facts["grid_id"]
    elif tie == "building":
        if facts["building_id"] is None:
            return level_staff(conn, "grid", facts)
        sql += " AND u.id IN (SELECT user_id FROM user_buildings WHERE building_id = :b)"
        params["b"] = facts["building_id"]
    return _people(conn.execute(text(sql + " ORDER BY u.id"), params))


def assignee(conn: Connection, name: str | None) -> list[Person]:
    """The account named as assignee (by user name, else display name); none when unknown."""
    if not name:
        return []
    rows = conn.execute(text(
        "SELECT id, email FROM users WHERE active AND (username = :n OR display_name = :n) "
        "ORDER BY (username = :n) DESC, id LIMIT 1"), {"n": name})
    return _people(rows)


def reporter(conn: Connection, facts: dict[str, Any]) -> list[Person]:
    """The reporter: their account (if they reported signed in) and the e-mail they gave."""
    found: list[Person] = []
    if facts["reporter_user_id"] is not None:
        rows = conn.execute(text("SELECT id, email FROM users WHERE id = :id AND active"),
                            {"id": facts["reporter_user_id"]})
        found.extend(_people(rows))
    given = email_of(facts["reporter_contact"])
    if given is not None:
        found.append(Person(None, given))
    return found


def for_event(conn: Connection, facts: dict[str, Any]) -> list[Recipient]:
    """Every notification one event makes, without repeats."""
    wanted: list[tuple[str, list[Person]]] = []
    action = facts["action"]
    if action == "report":
        wanted.append(("new_report", level_staff(conn, "grid", facts)))
    if action == "assign":
        wanted.append(("assigned", assignee(conn, facts["assignee"])))
    if action == "escalate":
        wanted.append(("escalated", assignee(conn, facts["assignee"])))
        wanted.append(("escalated", level_staff(conn, facts["to_level"], facts)))
    if action == "comment":
        wanted.append(("comment", assignee(conn, facts["assignee"])
                       or level_staff(conn, facts["level"], facts)))
    if action != "report" and facts["from_status"] != facts["to_status"]:
        wanted.append(("status", reporter(conn, facts)))
    return deliveries(wanted)


def deliveries(wanted: Iterable[tuple[str, Iterable[Person]]]) -> list[Recipient]:
    """One notification per inbox (an account) and per e-mail address, the first kind that
    names it winning: what each event and each daily reminder writes."""
    out: list[Recipient] = []
    seen: set[tuple[str, int | str | None]] = set()
    for kind, people in wanted:
        for person in people:
            targets: list[tuple[str, int | None, str | None]] = []
            if person.user_id is not None:
                targets.append(("inbox", person.user_id, None))
            if person.email is not None:
                targets.append(("email", person.user_id, person.email.lower()))
            for channel, user_id, address in targets:
                key = (channel, address if channel == "email" else user_id)
                if key not in seen:
                    seen.add(key)
                    out.append(Recipient(kind, channel, user_id, address))
    return out
