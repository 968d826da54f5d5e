"""``/plan/lighting``: lighting and camera gaps, and where the next lights and cameras go.

The page shows a Leaflet map (local assets only) with the gaps layer, a per-grid table (lit and
unlit metres, share lit, seen and unseen metres, open hazards), a form for the placement
question (lights or cameras; K sites, a budget in yuan or a priority to cover; grids) and the
preset "12 lights and 4 cameras" scenario. ``static/plan_lighting.js`` fetches the gaps, the
plan and the scenario from :mod:`geo_service.web.api_planning` and builds every piece of text
with ``textContent``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, make_response, render_template

from geo_service.features import store
from geo_service.maps import basemap_config
from geo_service.planning import PlanningError, overview
from geo_service.vocab import LABELS_ZH
from geo_service.web import vendor
from geo_service.web.api_planning import BadRequest, run_limited
from geo_service.web.community import request_scope
from geo_service.web.db import engine
from geo_service.web.i18n import label, page_words, translate

blueprint = Blueprint("plan_lighting", __name__)
NAV = [("/plan/lighting", "nav_plan_lighting")]

DEFAULT_BOUNDS = ((27.514, 106.822), (27.526, 106.838))


def _bounds(conn: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    box = store.community_extent(conn)
    if box is None:
        return DEFAULT_BOUNDS
    west, south, east, north = box
    return (south, west), (north, east)


@blueprint.get("/plan/lighting")
def page() -> Response:
    """The planning page."""
    settings = current_app.config["SETTINGS"]
    with engine().connect() as conn:
        bounds = _bounds(conn)
        grids = store.grid_choices(conn)
        here = request_scope(conn)
    rows, totals, note = [], None, None
    eng = engine()
    try:
        table = run_limited(lambda: overview(eng, metric_crs=here.metric_crs,
                                             community_id=here.community_id))
        rows = table.to_dict("records")
        totals = table.sum(numeric_only=True).to_dict()
        for done, share in (("lit_m", "share_lit"), ("seen_m", "share_seen")):
            totals[share] = totals[done] / totals["length_m"] if totals["length_m"] else None
    except PlanningError:
        note = translate("pl_no_data")
    except BadRequest:  # still computing (a large area): the table comes with a reload
        note = translate("pl_table_later")
    words = page_words("pl_")
    vocab = {value: label(value, g.lang) for value in LABELS_ZH}
    config = {"lang": g.lang, "bounds": bounds, "basemap": basemap_config(settings),
              "words": words, "vocab": vocab,
              "api": {"lights": "/api/plan/lights", "cameras": "/api/plan/cameras",
                      "scenario": "/api/plan/scenario", "gaps": "/api/plan/gaps",
                      "context": "/api/plan/context"}}
    html = render_template("plan_lighting.html", rows=rows, totals=totals, grids=grids, note=note,
                           config=config, static_url=vendor.SOURCES["local"].url)
    return make_response(html)  # security headers: geo_service.web.security
