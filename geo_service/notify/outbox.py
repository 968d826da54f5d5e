"""Write a hazard step's notifications in the step's own transaction (the durable outbox).

:func:`record` is the one call a hazard step makes after appending its event: it reads the
event and its hazard, asks :mod:`.recipients` who is told, and inserts one row per person and
channel plus one webhook row per event. Inbox rows are delivered by being written; e-mail and
webhook rows wait for :mod:`.worker`. Recording the same event twice writes nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from geo_service.notify import recipients

FACTS_SQL = """
SELECT e.id AS event_id, e.hazard_id, e.at, e.action, e.from_status, e.to_status,
       e.from_level, e.to_level, e.note, h.category, h.status, h.level, h.assignee,
       h.grid_id, h.building_id, h.reporter_contact, h.reporter_user_id, g.number AS grid
FROM hazard_events e JOIN hazards h ON h.id = e.hazard_id
LEFT JOIN grids g ON g.id = h.grid_id
WHERE e.id = :id
"""
INSERT_SQL = text("""
INSERT INTO notifications (hazard_id, event_id, kind, channel, user_id, address, params,
                           status, sent_at)
VALUES (:hazard_id, :event_id, :kind, :channel, :user_id, :address, :params,
        CAST(:status AS varchar), CASE WHEN CAST(:status AS varchar) = 'sent' THEN now() END)
ON CONFLICT DO NOTHING
""").bindparams(bindparam("params", type_=JSONB))


def event_facts(conn: Connection, event_id: int) -> dict[str, Any] | None:
    """What the rules and the words need about one event and its hazard."""
    row = conn.execute(text(FACTS_SQL), {"id": event_id}).mappings().first()
    return None if row is None else dict(row)


def params_of(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON-ready parameters stored with each notification of the event."""
    at = facts["at"]
    return {"hazard_id": facts["hazard_id"], "event_id": facts["event_id"],
            "action": facts["action"], "category": facts["category"],
            "from_status": facts["from_status"], "to_status": facts["to_status"],
            "from_level": facts["from_level"], "to_level": facts["to_level"],
            "status": facts["status"], "level": facts["level"], "grid": facts["grid"],
            "note": facts["note"], "at": at.isoformat() if at is not None else None}


def record(conn: Connection, event: int | Mapping[str, Any]) -> int:
    """Write the notifications of one hazard event (an id or an event dict with ``id``).

    Runs in the caller's transaction and commits nothing. Returns how many rows were written.
    """
    event_id = int(event if isinstance(event, int) else event["id"])
    facts = event_facts(conn, event_id)
    if facts is None:
        raise LookupError(f"no hazard event {event_id}")
    params = params_of(facts)
    base = {"hazard_id": facts["hazard_id"], "event_id": event_id, "params": params}
    rows = [base | {"kind": r.kind, "channel": r.channel, "user_id": r.user_id,
                    "address": r.address, "status": "sent" if r.channel == "inbox" else "pending"}
            for r in recipients.for_event(conn, facts)]
    rows.append(base | {"kind": facts["action"], "channel": "webhook", "user_id": None,
                        "address": None, "status": "pending"})
    written = 0
    for row in rows:
        written += conn.execute(INSERT_SQL, row).rowcount
    return written
