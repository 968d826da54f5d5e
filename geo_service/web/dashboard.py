"""``/dashboard``: how the loop is doing, per grid.

For every grid (and in all): open and closed hazards, how many are overdue, the median time to
resolve, the share of closed hazards that were revisited, and the number of escalations. The
numbers are :func:`geo_service.hazards.stats.grid_stats`; the page shows them as a table
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

With several communities stored, the rows come community by community (a community column,
each community's grids and its hazards outside them), the total row sums every community:
a subdistrict user, who reads everything, sees all its communities' figures side by side.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request
from sqlalchemy import Connection

from geo_service.hazards.errors import HazardError
from geo_service.hazards.inputs import HazardFilter, parse_filters
from geo_service.hazards.stats import grid_stats
from geo_service.ingest.communities import CommunityInfo, read_communities
from geo_service.vocab import HazardCategory
from geo_service.web.db import engine
from geo_service.web.hazard_pages import render_page, say
from geo_service.web.i18n import translate

blueprint = Blueprint("dashboard", __name__)
NAV = [("/dashboard", "nav_dashboard")]


def per_community_rows(conn: Connection, filters: HazardFilter,
                       communities: list[CommunityInfo]) -> list[dict[str, Any]]:
    """The per-grid rows of each community in turn, each row naming its ``community``."""
    rows: list[dict[str, Any]] = []
    for community in communities:
        for row in grid_stats(conn, filters, community_id=community.id)["rows"]:
            rows.append({**row, "community": community.name})
    return rows


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
        communities = read_communities(conn)
        several = len(communities) > 1
        if several and filters is not None:
            stats["rows"] = per_community_rows(conn, filters, communities)

    def name(grid: int | None) -> str:
        return translate("dash_no_grid") if grid is None else say("dash_grid_n", n=grid)

    rows = stats["rows"]
    chart = {
        "lang": g.lang,
        "labels": [(f"{r['community']} · " if several else "")
                   + (translate("dash_no_grid") if r["grid"] is None else str(r["grid"]))
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
    return render_page("dashboard.html", 422 if error else 200, rows=rows, several=several,
                       total=stats["total"], chart=chart, error=error, name=name,
                       chosen=chosen, categories=[c.value for c in HazardCategory])
