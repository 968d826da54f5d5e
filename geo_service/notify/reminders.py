"""Daily reminders of overdue hazards: to the assignee (else the staff of the hazard's level)
and to the staff one level up.

Overdue is the hazard loop's one definition (:func:`geo_service.hazards.store.overdue_sql`:
resolve overdue or revisit overdue). :func:`record_overdue` writes the day's reminders in one
transaction; a reminder carries the community's local date (``params.day``) and a unique
index keeps it to one per hazard, person and channel a day, so running it again (a restarted
worker, ``--remind`` twice) writes nothing new.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from geo_service.hazards.inputs import LOCAL_TZ
from geo_service.hazards.records import iso, utcnow
from geo_service.hazards.store import overdue_sql
from geo_service.notify import recipients

OVERDUE_SQL = f"""
SELECT h.id AS hazard_id, h.category, h.status, h.level, h.assignee, h.grid_id,
       h.building_id, h.due_at, g.number AS grid
FROM hazards h LEFT JOIN grids g ON g.id = h.grid_id
WHERE {overdue_sql('h')} ORDER BY h.due_at, h.id
"""
INSERT_SQL = text("""
INSERT INTO notifications (hazard_id, kind, channel, user_id, address, params, status, sent_at)
VALUES (:hazard_id, 'overdue', :channel, :user_id, :address, :params,
        CAST(:status AS varchar), CASE WHEN CAST(:status AS varchar) = 'sent' THEN now() END)
ON CONFLICT DO NOTHING
""").bindparams(bindparam("params", type_=JSONB))
LEVEL_ORDER = tuple(recipients.LEVEL_STAFF)


def level_above(level: str) -> str:
    """The next level up (the top level is its own)."""
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[min(index + 1, len(LEVEL_ORDER) - 1)]


def people_for(conn: Connection, facts: dict[str, Any]) -> list[recipients.Person]:
    """The assignee (else the level's staff) and the staff one level up."""
    first = (recipients.assignee(conn, facts["assignee"])
             or recipients.level_staff(conn, facts["level"], facts))
    return first + recipients.level_staff(conn, level_above(facts["level"]), facts)


def record_overdue(conn: Connection, now: datetime | None = None) -> int:
    """Write today's reminders of every overdue hazard; how many rows were new."""
    now = now or utcnow()
    day = now.astimezone(LOCAL_TZ).date().isoformat()
    written = 0
    for row in conn.execute(text(OVERDUE_SQL), {"now": now}).mappings().all():
        facts = dict(row) | {"reporter_user_id": None, "reporter_contact": None}
        params = {"hazard_id": row["hazard_id"], "category": row["category"],
                  "status": row["status"], "level": row["level"], "grid": row["grid"],
                  "due_at": iso(row["due_at"]), "day": day}
        for told in recipients.deliveries([("overdue", people_for(conn, facts))]):
            written += conn.execute(INSERT_SQL, {
                "hazard_id": row["hazard_id"], "channel": told.channel,
                "user_id": told.user_id, "address": told.address, "params": params,
                "status": "sent" if told.channel == "inbox" else "pending"}).rowcount
    return written
