"""Hazard statistics per grid: open, closed, overdue, time to resolve, revisits, escalations.

One SQL query over ``hazards`` and ``hazard_events`` (the definitions are those of the
dashboard, :mod:`geo_service.web.dashboard`); the list's filters apply.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo_service.hazards.inputs import HazardFilter
from geo_service.hazards.records import utcnow
from geo_service.hazards.store import where_clause
from geo_service.vocab import HazardStatus

RESOLVED_STATUSES = (HazardStatus.RESOLVED.value, HazardStatus.REVISITED.value,
                     HazardStatus.CLOSED.value)

STATS_SQL = """
WITH sel AS (SELECT h.id, h.grid_id, h.status, h.reported_at, h.due_at FROM hazards h{where}),
last_resolve AS (
    SELECT e.hazard_id, max(e.at) AS at FROM hazard_events e
    WHERE e.action = 'resolve' AND e.hazard_id IN (SELECT id FROM sel) GROUP BY e.hazard_id),
revisited AS (
    SELECT DISTINCT e.hazard_id FROM hazard_events e
    WHERE e.action = 'revisit' AND e.hazard_id IN (SELECT id FROM sel)),
escalations AS (
    SELECT e.hazard_id, count(*) AS n FROM hazard_events e
    WHERE e.action = 'escalate' AND e.hazard_id IN (SELECT id FROM sel) GROUP BY e.hazard_id)
SELECT GROUPING(s.grid_id) = 1 AS is_total, s.grid_id,
       count(*) FILTER (WHERE s.status <> 'closed') AS open,
       count(*) FILTER (WHERE s.status = 'closed') AS closed,
       count(*) FILTER (WHERE s.status <> 'closed' AND s.due_at IS NOT NULL
                          AND s.due_at < :now) AS overdue,
       count(*) FILTER (WHERE s.status = 'closed' AND v.hazard_id IS NOT NULL)
           AS closed_revisited,
       count(r.at) FILTER (WHERE s.status = ANY(:resolved)) AS resolved_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.at - s.reported_at))
           FILTER (WHERE s.status = ANY(:resolved) AND r.at IS NOT NULL) AS median_seconds,
       coalesce(sum(x.n), 0) AS escalations
FROM sel s
LEFT JOIN last_resolve r ON r.hazard_id = s.id
LEFT JOIN revisited v ON v.hazard_id = s.id
LEFT JOIN escalations x ON x.hazard_id = s.id
GROUP BY GROUPING SETS ((s.grid_id), ())
"""


def grid_stats(conn: Connection, filters: HazardFilter | None = None,
               now: Any = None, community_id: int | None = None) -> dict[str, Any]:
    """Per-grid numbers (every grid, in number order; hazards outside grids last) and totals,
    of one community when ``community_id`` is given.

    Each row: ``grid`` (number or None), ``open``, ``closed``, ``overdue``, ``resolved_n``,
    ``median_days`` (None when nothing is resolved), ``revisited_share`` (None when nothing
    is closed), ``closed_revisited``, ``escalations``.
    """
    now = now or utcnow()
    where, params = where_clause(filters or HazardFilter(), now)
    mine = "(CAST(:community AS integer) IS NULL OR {t}community_id = :community)"
    where += (" AND " if where else " WHERE ") + mine.format(t="h.")
    params |= {"resolved": list(RESOLVED_STATUSES), "community": community_id}
    found = conn.execute(text(STATS_SQL.format(where=where)), params).mappings().all()
    grids = conn.execute(text(f"SELECT id, number, name FROM grids WHERE {mine.format(t='')} "
                              "ORDER BY number"), params).all()

    def row(data: Any, grid: int | None) -> dict[str, Any]:
        data = data or {}
        closed = int(data.get("closed") or 0)
        seconds = data.get("median_seconds")
        return {
            "grid": grid,
            "open": int(data.get("open") or 0),
            "closed": closed,
            "overdue": int(data.get("overdue") or 0),
            "resolved_n": int(data.get("resolved_n") or 0),
            "median_days": None if seconds is None else float(seconds) / 86400.0,
            "closed_revisited": int(data.get("closed_revisited") or 0),
            "revisited_share": (int(data.get("closed_revisited") or 0) / closed
                                if closed else None),
            "escalations": int(data.get("escalations") or 0),
        }

    by_grid = {r["grid_id"]: r for r in found if not r["is_total"]}
    rows = [row(by_grid.get(gid), number) for gid, number, _name in grids]
    if None in by_grid:
        rows.append(row(by_grid[None], None))
    total = next((r for r in found if r["is_total"]), None)
    return {"rows": rows, "total": row(total, None)}
