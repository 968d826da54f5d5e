"""A plan out: GeoJSON (routes then numbered stops, with the plan's figures) and GPX for phones.

Both are made from the stored records (EPSG:4326), so ``geo-service route --out``, the API's
``/api/routes/<plan>.geojson|.gpx`` and the map give the same routes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shapely.geometry import mapping

from geo_service.analysis import gpx
from geo_service.i18n import weekday
from geo_service.patrol_routes.plan_types import Plan
from geo_service.vocab import LABELS_ZH

#: Colour of each team's route (the map layer, the planning page and the GeoJSON agree).
TEAM_COLORS = ("#1565c0", "#d84315", "#2e7d32", "#6a1b9a", "#00838f", "#c2185b", "#827717",
               "#4e342e", "#283593", "#ef6c00", "#00695c", "#5d4037")


def team_color(team: int) -> str:
    """The colour of team ``team`` (1-based)."""
    return TEAM_COLORS[(max(team, 1) - 1) % len(TEAM_COLORS)]


def _route_name(plan: Plan, team: int, day: int | None, shift: int | None) -> str:
    if day is not None:
        return (f"{weekday(day, 'zh')} 第{shift}班 第{team}组 "
                f"(day {day + 1}, shift {shift}, team {team})")
    return f"第{team}组 Team {team}"


def plan_geojson(plan: Plan, extras: Mapping[tuple[str, int], Mapping[str, Any]] | None = None
                 ) -> dict[str, Any]:
    """FeatureCollection: one LineString per route, then one Point per stop; ``plan`` (id)
    and ``stats`` (the plan's summary) as foreign members."""
    extras = extras or {}
    features: list[dict[str, Any]] = []
    for route in plan.routes:
        if route.geometry is None:
            continue
        features.append({"type": "Feature", "id": f"route-{route.order}",
                         "geometry": mapping(route.geometry), "properties": {
                             "kind": "route", "team": route.team, "order": route.order,
                             "day": None if route.day is None else route.day + 1,
                             "shift": route.shift, "length_m": route.length_m,
                             "minutes": route.minutes, "repeated_m": route.repeated_m,
                             "lower_bound_m": route.lower_bound_m, "method": route.method,
                             "streets": len(route.streets), "stops": len(route.stops),
                             "color": team_color(route.team)}})
    for route in plan.routes:
        for stop in route.stops:
            extra = dict(extras.get((stop.kind, stop.ref_id or 0), {}))
            features.append({"type": "Feature", "id": f"stop-{route.order}-{stop.stop}",
                             "geometry": mapping(stop.geometry), "properties": {
                                 "kind": "stop", "team": route.team, "order": route.order,
                                 "stop": stop.stop, "stop_kind": stop.kind,
                                 "hazard_id": stop.ref_id if stop.kind == "hazard" else None,
                                 "light_id": stop.ref_id if stop.kind == "light" else None,
                                 "label": stop.label, "detail": stop.detail,
                                 "after_m": stop.after_m, "color": team_color(route.team),
                                 **extra}})
    stats = dict(plan.summary)
    if plan.coverage is not None:
        stats["coverage_streets"] = plan.coverage.to_dict("records")
    return {"type": "FeatureCollection", "plan": plan.id, "kind": plan.kind,
            "created_at": plan.created_at.isoformat() if plan.created_at else None,
            "params": plan.options.to_json(), "stats": stats, "features": features}


def plan_gpx(plan: Plan, extras: Mapping[tuple[str, int], Mapping[str, Any]] | None = None
             ) -> str:
    """GPX 1.1: a track per route (``tracks`` layer in GDAL), a waypoint per stop."""
    extras = extras or {}
    tracks = [gpx.Track(name=_route_name(plan, route.team, route.day, route.shift),
                        points=[] if route.geometry is None else list(route.geometry.coords),
                        description=f"{route.length_m / 1000:.2f} km, {route.minutes:.0f} min; "
                                    f"{route.method}", number=route.order)
              for route in plan.routes]
    points = []
    several = len({r.team for r in plan.routes}) > 1 or any(r.day is not None
                                                             for r in plan.routes)
    for route in plan.routes:
        for stop in route.stops:
            extra = extras.get((stop.kind, stop.ref_id or 0), {})
            category = extra.get("category") or ("broken_light" if stop.kind == "light"
                                                 else None)
            number = f"{route.order}-{stop.stop}" if several else str(stop.stop)
            words = LABELS_ZH.get(category, category) if category else ""
            points.append(gpx.Waypoint(
                stop.geometry.x, stop.geometry.y, name=f"{number}. {stop.label}",
                description="; ".join(x for x in (words, stop.detail) if x) or None,
                symbol="Danger Area" if stop.kind == "hazard" else "Flag"))
    name = f"巡逻路线 patrol plan {plan.id}" if plan.id else "巡逻路线 patrol plan"
    return gpx.gpx_text(tracks, points, creator="geo-service patrol planner", name=name)
