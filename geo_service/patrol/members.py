"""The patrol team roster in the database (``patrol_members``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, select, text
from sqlalchemy.dialects.postgresql import insert

from geo_service.analysis.rota import Member
from geo_service.ingest import IngestError
from geo_service.models import PatrolMember

TABLE = PatrolMember.__table__


class PatrolError(IngestError):
    """A patrol record cannot be stored as asked; the message says why."""


@dataclass(frozen=True)
class RosterSummary:
    """What storing a roster did."""

    inserted: int
    updated: int
    unchanged: int

    def lines(self) -> list[str]:
        """Human-readable report."""
        return [f"patrol members: {self.inserted} new, {self.updated} updated, "
                f"{self.unchanged} unchanged"]


def store_roster(conn: Connection, members: Iterable[Member]) -> RosterSummary:
    """Insert members or update their unit, phone and active flag, by name.

    Members missing from the list are left as they are (mark them inactive to retire them).
    """
    inserted = updated = total = 0
    for member in members:
        total += 1
        statement = insert(TABLE).values(name=member.name, unit=member.unit,
                                         phone=member.phone, active=member.active)
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"unit": excluded.unit, "phone": excluded.phone, "active": excluded.active},
            where=(TABLE.c.unit.is_distinct_from(excluded.unit)
                   | TABLE.c.phone.is_distinct_from(excluded.phone)
                   | TABLE.c.active.is_distinct_from(excluded.active)),
        ).returning(text("(xmax = 0) AS inserted"))
        result = conn.execute(statement).first()
        if result is None:
            continue
        inserted += int(result.inserted)
        updated += int(not result.inserted)
    return RosterSummary(inserted, updated, total - inserted - updated)


def roster(conn: Connection, *, active_only: bool = True) -> list[Member]:
    """The roster, by unit then name (active members only unless asked)."""
    query = select(TABLE.c.name, TABLE.c.unit, TABLE.c.phone, TABLE.c.active)
    if active_only:
        query = query.where(TABLE.c.active)
    rows = conn.execute(query.order_by(TABLE.c.unit, TABLE.c.name)).all()
    return [Member(name, unit, phone, active) for name, unit, phone, active in rows]


def member_id(conn: Connection, member: str | int) -> int:
    """The id of a member given by name or id.

    Raises
    ------
    PatrolError
        When no such member is on the roster.
    """
    column = TABLE.c.id if isinstance(member, int) else TABLE.c.name
    found = conn.execute(select(TABLE.c.id).where(column == member)).scalar()
    if found is None:
        raise PatrolError(f"no patrol member {member!r} on the roster; load it first "
                          "(data/sample/roster.csv shows the columns: name, unit, phone)")
    return int(found)
