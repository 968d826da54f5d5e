"""``/plan/patrol``: plan patrol routes on a map; ``/routes/<plan>/sheet``: the printable sheet.

The page (Chinese first, ``?lang=en``) offers the grids, the number of teams, the start point
(click on the map; default the police post), the streets to cover or the points to visit, and
shows the K routes in one colour per team with direction arrows and numbered stops, the figures
per team and links to the GPX, GeoJSON and route sheet. It also links to the hazard report form
(a hazard found on patrol goes into the same loop as every other) and uploads a walked GPX
track, showing the stretches matched. ``static/plan_patrol.js`` talks to
:mod:`geo_service.web.api_patrol_routes`; every text from the server is set with ``textContent``.

Endpoints: ``plan_patrol.page`` (GET ``/plan/patrol``) and ``plan_patrol.route_sheet``
(GET ``/routes/<plan>/sheet``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, g, make_response, render_template

from geo_service.auth import policy
from geo_service.features import store
from geo_service.i18n import local_time, weekday
from geo_service.maps import basemap_config
from geo_service.patrol import store as patrol_store
from geo_service.patrol_routes import TEAM_COLORS, get_plan, team_color
from geo_service.patrol_routes.store import latest_plan_id, named_start
from geo_service.vocab import LABELS_ZH
from geo_service.web import vendor
from geo_service.web.db import engine
from geo_service.web.i18n import label, page_words, translate
from geo_service.web.plan_lighting import _bounds

blueprint = Blueprint("plan_patrol", __name__)
NAV = [("/plan/patrol", "nav_plan_patrol")]

PATROL_GRIDS = (1, 2, 3, 4)

@blueprint.get("/plan/patrol")
def page() -> Response:
    """The planning page."""
    settings = current_app.config["SETTINGS"]
    with engine().connect() as conn:
        bounds = _bounds(conn)
        grids = store.grid_choices(conn)
        members = patrol_store.active_member_names(conn)
        start = named_start(conn)
        latest = latest_plan_id(conn)
    words = page_words("pp_", "rs_", "turn_")
    chosen = [g_["number"] for g_ in grids if g_["number"] in PATROL_GRIDS] or (
        [grids[0]["number"]] if grids else [])
    config = {"lang": g.lang, "bounds": bounds, "basemap": basemap_config(settings),
              "words": words, "start": start, "colors": list(TEAM_COLORS),
              "latest": latest,
              "vocab": {value: label(value, g.lang) for value in LABELS_ZH},
              "api": {"plan": "/api/routes", "track": "/api/patrol/tracks",
                      "grids": "/api/collections/grids/items?limit=1000",
                      "streets": "/api/collections/streets/items?limit=10000",
                      "report": "/hazards/new"}}
    html = render_template("plan_patrol.html", grids=grids, chosen=chosen, members=members,
                           for_others=policy.may_upload_for_others(g.get("user")),
                           config=config, static_url=vendor.SOURCES["local"].url)
    return make_response(html)  # security headers: geo_service.web.security


def street_words(run: dict[str, Any], lang: str) -> str:
    """A street as the sheet names it: its name, else its class and data reference."""
    if run.get("name"):
        return str(run["name"])
    cls = label(run.get("street_class"), lang) if run.get("street_class") else ""
    ref = run.get("ref") or f"#{run.get('street_id')}"
    return f"{cls} {ref}".strip()


@blueprint.get("/routes/<int:plan_id>/sheet")
def route_sheet(plan_id: int) -> Response:
    """The printable route sheet of a stored plan (Chinese, or ``?lang=en``)."""
    plan, extras = get_plan(engine(), plan_id)
    if plan is None:
        abort(404)
    lang = g.lang
    teams = []
    for route in plan.routes:
        steps = [{"n": i, "turn": translate(f"turn_{run.get('turn', 'straight')}"),
                  "street": street_words(run, lang), "length_m": run.get("length_m", 0.0),
                  "repeated": run.get("repeated", False), "stops": run.get("stops", [])}
                 for i, run in enumerate(route.directions, start=1)]
        stops = []
        for stop in route.stops:
            extra = extras.get((stop.kind, stop.ref_id or 0), {})
            category = extra.get("category") or ("broken_light" if stop.kind == "light" else "")
            stops.append({"stop": stop.stop, "kind": label(category, lang) if category else "",
                          "ref": stop.label, "detail": stop.detail or "",
                          "status": label(extra.get("status"), lang) if extra.get("status")
                          else "", "after_m": stop.after_m,
                          "link": f"/hazards/{stop.ref_id}" if stop.kind == "hazard"
                          and stop.ref_id else None})
        title = translate("rs_team").format(team=route.team)
        if route.day is not None:
            title = translate("rs_day").format(day=weekday(route.day, lang),
                                               shift=route.shift) + " · " + title
        teams.append({"title": title, "color": team_color(route.team), "route": route,
                      "steps": steps, "stops": stops})
    s = plan.summary
    html = render_template(
        "route_sheet.html", plan=plan, summary=s, teams=teams,
        when=local_time(plan.created_at),
        grids=", ".join(map(str, s.get("grids") or [])) or "—",
        start=s.get("start", {}).get("label", ""))
    return make_response(html)  # security headers: geo_service.web.security
