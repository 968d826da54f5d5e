"""``/dashboard``: how the loop is doing, per grid.

For every grid (and in all): open and closed hazards, how many are overdue, the median time to
resolve, the share of closed hazards that were revisited, and the number of escalations. The
numbers are one SQL query over ``hazards`` and ``hazard_events``; the page shows them as a table
(readable without JavaScript) and as charts drawn by the locally served Chart.js
(``static/dashboard.js``).

Definitions
-----------
open / closed
    By current status: closed is ``closed``; every other status is open.
time to resolve
    From ``reported_at`` to the hazard's last ``resolve`` event, for hazards whose resolution
    stands (status resolved, revisited or closed); a reopened hazard counts again once it is
    resolved again. The median is over those hazards.
share revisited
    Closed hazards with at least one ``revisit`` event / closed hazards (none closed: no share).
escalations
    ``escalate`` events of the grid's hazards (a hazard raised twice counts twice).

A hazard counts in the grid it lies in now (``hazards.grid_id``); hazards outside every grid get
their own row. The dashboard takes the list's filters (category, reported dates, ...).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request
from sqlalchemy import text

from geo_service.hazards.errors import HazardError
from geo_service.hazards.inputs import parse_filters
from geo_service.hazards.service import utcnow, where_clause
from geo_service.vocab import HazardCategory, HazardStatus
from geo_service.web.db import engine
from geo_service.web.hazard_pages import render_page, say
from geo_service.web.i18n import register_messages, translate

blueprint = Blueprint("dashboard", __name__)
NAV = [("/dashboard", "nav_dashboard")]

RESOLVED_STATUSES = (HazardStatus.RESOLVED.value, HazardStatus.REVISITED.value,
                     HazardStatus.CLOSED.value)

MESSAGES: dict[str, tuple[str, str]] = {
    "dash_title": ("隐患处置统计", "How hazards are handled"),
    "dash_intro": ("按网格统计：未办结与已办结数量、超期数、办结用时中位数、已办结中回访的比例、"
                   "上报上级次数。",
                   "Per grid: open and closed hazards, overdue ones, the median time to "
                   "resolve, the share of closed hazards that were revisited, and "
                   "escalations."),
    "dash_grid": ("网格", "Grid"),
    "dash_grid_n": ("网格 {n}", "Grid {n}"),
    "dash_no_grid": ("网格外", "Outside grids"),
    "dash_total": ("合计", "All"),
    "dash_open": ("未办结", "Open"),
    "dash_closed": ("已办结", "Closed"),
    "dash_overdue": ("超期", "Overdue"),
    "dash_median": ("办结用时中位数（天）", "Median time to resolve (days)"),
    "dash_resolved_n": ("已解决件数", "Resolved"),
    "dash_revisited": ("已办结中回访比例", "Closed and revisited"),
    "dash_escalations": ("上报上级次数", "Escalations"),
    "dash_chart_counts": ("未办结与已办结", "Open and closed"),
    "dash_chart_median": ("办结用时中位数（天）", "Median days to resolve"),
    "dash_chart_revisited": ("已办结中回访比例（%）", "Closed hazards revisited (%)"),
    "dash_chart_escalations": ("上报上级次数", "Escalations"),
    "dash_definitions": ("办结用时：从上报到最后一次“解决”，只计当前为已解决、已回访或已办结的"
                         "隐患。回访比例：已办结隐患中有回访记录的比例。上报上级：每次上报都计入。",
                         "Time to resolve: from the report to the last “resolve”, for hazards "
                         "now resolved, revisited or closed. Revisited: closed hazards with a "
                         "follow-up visit on record. Escalations: every escalation counts."),
    "dash_filter": ("筛选", "Filter"),
    "dash_all_categories": ("全部类别", "All categories"),
    "dash_from": ("上报日期从", "Reported from"),
    "dash_to": ("到", "to"),
    "dash_table": ("统计表", "Table"),
    "dash_none": ("–", "–"),
}
register_messages(MESSAGES)

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


def grid_stats(conn: Any, filters: Any = None, now: Any = None) -> dict[str, Any]:
    """Per-grid numbers (every grid, in number order; hazards outside grids last) and totals.

    Each row: ``grid`` (number or None), ``open``, ``closed``, ``overdue``, ``resolved_n``,
    ``median_days`` (None when nothing is resolved), ``revisited_share`` (None when nothing
    is closed), ``closed_revisited``, ``escalations``.
    """
    from geo_service.hazards.inputs import HazardFilter

    now = now or utcnow()
    where, params = where_clause(filters or HazardFilter(), now)
    params |= {"resolved": list(RESOLVED_STATUSES)}
    found = conn.execute(text(STATS_SQL.format(where=where)), params).mappings().all()
    grids = conn.execute(text("SELECT id, number, name FROM grids ORDER BY number")).all()

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


@blueprint.get("/dashboard")
def page() -> Response:
    """The dashboard: a table and four charts."""
    error: HazardError | None = None
    try:
        filters = parse_filters(request.args)
    except HazardError as problem:
        error, filters = problem, None
    with engine().connect() as conn:
        stats = grid_stats(conn, filters) if filters is not None else {"rows": [], "total": None}

    def name(grid: int | None) -> str:
        return translate("dash_no_grid") if grid is None else say("dash_grid_n", n=grid)

    rows = stats["rows"]
    chart = {
        "lang": g.lang,
        "labels": [translate("dash_no_grid") if r["grid"] is None else str(r["grid"])
                   for r in rows],
        "axis": translate("dash_grid"),
        "open": [r["open"] for r in rows],
        "closed": [r["closed"] for r in rows],
        "median": [None if r["median_days"] is None else round(r["median_days"], 2)
                   for r in rows],
        "revisited": [None if r["revisited_share"] is None
                      else round(100 * r["revisited_share"], 1) for r in rows],
        "escalations": [r["escalations"] for r in rows],
        "words": {k: translate(k) for k in ("dash_open", "dash_closed", "dash_chart_counts",
                                            "dash_chart_median", "dash_chart_revisited",
                                            "dash_chart_escalations")},
    }
    chosen = {k: request.args.get(k, "") for k in ("category", "date_from", "date_to")}
    return render_page("dashboard.html", 422 if error else 200, rows=rows,
                       total=stats["total"], chart=chart, error=error, name=name,
                       chosen=chosen, categories=[c.value for c in HazardCategory])
