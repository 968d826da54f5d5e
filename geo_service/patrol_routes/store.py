"""Plans in PostGIS: what a plan is computed from, and the stored plans the map and GPX read.

Tables (migration 0005): ``patrol_plans`` (kind, params, summary, created_at/by),
``patrol_routes`` (one row per team or shift: team, route_order, day, shift, length_m,
minutes, repeated_m, lower bound, method, LineString, ``params`` with the turn-by-turn
directions and the served street ids) and ``patrol_route_stops`` (numbered hazards or broken
lights on a route).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import Point
from sqlalchemy import Connection, text

from geo_service.patrol.hotspots import planned_from_hotspots
from geo_service.patrol.network import load_network
from geo_service.patrol.store import missing_grids
from geo_service.patrol_routes.plan_types import (
    Place,
    Plan,
    PlanError,
    PlanInputs,
    PlanOptions,
    RouteRecord,
    StopRecord,
)

#: Default start, first found in or near the chosen grids: the police post, then the
#: community service centre (buildings of the sample; a real layer names its own).
DEFAULT_STARTS = (("白龙警务室", "police post"), ("白龙社区服务中心", "community service centre"))
#: Hazards reported within this many days make the hotspots (week plans, ``required=hot``).
HOTSPOT_DAYS = 365.0


def _grid_filter(options: PlanOptions, alias: str) -> tuple[str, dict[str, Any]]:
    where, params = "", {}
    if options.community_id is not None:
        where, params = f" AND {alias}.community_id = :c", {"c": options.community_id}
    if not options.grids:
        return where, params
    return where + " AND g.number = ANY(:grids)", {**params,
                                                   "grids": [int(n) for n in options.grids]}


def named_start(conn: Connection) -> dict[str, Any] | None:
    """The first of :data:`DEFAULT_STARTS` found anywhere: ``lon``, ``lat``, ``name``."""
    for name, _ in DEFAULT_STARTS:
        row = conn.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM "
            "buildings WHERE name = :name ORDER BY id LIMIT 1) b"), {"name": name}).first()
        if row is not None:
            return {"lon": row[0], "lat": row[1], "name": name}
    return None


def default_start(conn: Connection, options: PlanOptions) -> tuple[Point, str]:
    """The police post (or community centre) when it lies in or near the chosen grids, else
    the middle of the chosen grids (snapped to the nearest street when planning)."""
    mine = "(CAST(:c AS integer) IS NULL OR community_id = :c)"
    area = (f"(SELECT ST_Union(geom) FROM grids WHERE number = ANY(:grids) AND {mine})"
            if options.grids else f"(SELECT ST_Union(geom) FROM grids WHERE {mine})")
    params: dict[str, Any] = {"grids": [int(n) for n in options.grids],
                              "margin": max(options.margin_m, 100.0), "c": options.community_id}
    for name, what in DEFAULT_STARTS:
        row = conn.execute(text(
            f"SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM buildings "
            f"WHERE name = :name AND {mine} ORDER BY id LIMIT 1) b "
            f"WHERE {area} IS NULL OR ST_DWithin(p::geography, {area}::geography, :margin)"),
            {**params, "name": name}).first()
        if row is not None:
            return Point(float(row[0]), float(row[1])), f"{name} ({what})"
    row = conn.execute(text(f"SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid({area}) AS c) x"),
                       params).first()
    if row is None or row[0] is None:
        row = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect("
                                f"geom)) AS c FROM streets WHERE {mine}) x"), params).first()
    if row is None or row[0] is None:
        raise PlanError("no_streets", "no streets are loaded")
    return Point(float(row[0]), float(row[1])), "centre of the chosen grids (中心路口)"


def read_inputs(conn: Connection, options: PlanOptions) -> PlanInputs:
    """The walkable network of the grids (+margin), start, open hazards, broken lights, street
    names and, for week plans and ``required=hot``, the walks per week from the hotspots."""
    options.check()
    grids = [int(n) for n in options.grids]
    if grids:
        unknown = missing_grids(conn, grids, options.community_id)
        if unknown:
            raise PlanError("unknown_grid", f"no grid numbered {', '.join(map(str, unknown))}",
                            grids=unknown)
    graph = load_network(conn, grids or None, options.margin_m,
                         community_id=options.community_id,
                         **({"crs": options.metric_crs} if options.metric_crs else {}))
    if graph.number_of_edges() == 0:
        raise PlanError("no_streets", "there are no walkable streets in the chosen grids")
    if options.start is not None:
        start, label, default = Point(*options.start), "given start", False
    else:
        (start, label), default = default_start(conn, options), True
    where, params = _grid_filter(options, "h")
    hazards = [
        Place("hazard", int(r["id"]), r["source_id"] or f"#{r['id']}", r["description"],
              shapely.from_wkb(bytes(r["wkb"])))
        for r in conn.execute(text(
            "SELECT h.id, h.source_id, h.category, h.description, "
            "ST_AsBinary(ST_PointOnSurface(h.geom)) AS wkb FROM hazards h "
            f"LEFT JOIN grids g ON g.id = h.grid_id WHERE h.status <> 'closed'{where} "
            "ORDER BY h.id"), params).mappings()]
    where, params = _grid_filter(options, "l")
    lights = [
        Place("light", int(r["id"]), r["source_id"] or f"#{r['id']}", None,
              shapely.from_wkb(bytes(r["wkb"])))
        for r in conn.execute(text(
            "SELECT l.id, l.source_id, ST_AsBinary(l.geom) AS wkb FROM lights l "
            f"LEFT JOIN grids g ON g.id = l.grid_id WHERE l.status = 'broken'{where} "
            "ORDER BY l.id"), params).mappings()]
    ids = sorted({int(k) for _, _, k in graph.edges(keys=True)})
    names = {int(i): (n, s) for i, n, s in conn.execute(text(
        "SELECT id, name, source_id FROM streets WHERE id = ANY(:ids)"), {"ids": ids}).all()}
    frequency = None
    if options.week or options.required == "hot":
        weekly = planned_from_hotspots(conn, graph, days=HOTSPOT_DAYS)
        frequency = {int(k): int(v) for k, v in weekly.items()}
    return PlanInputs(graph, start, label, default, hazards, lights, names, frequency)


# -- storing -------------------------------------------------------------------------------------
def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and value != value) else str(value)


def save_plan(conn: Connection, plan: Plan, created_by: str | None = None) -> int:
    """Store ``plan`` (in the caller's transaction); sets and returns its id."""
    summary = dict(plan.summary)
    if plan.coverage is not None:
        summary["coverage_streets"] = [
            {"id": int(r.id), "name": _text(r.name), "ref": _text(r.ref),
             "required": int(r.required),
             "times": int(r.times), "length_m": float(r.length_m)}
            for r in plan.coverage.itertuples()]
    row = conn.execute(text(
        "INSERT INTO patrol_plans (kind, params, summary, created_by, community_id) "
        "VALUES (:kind, CAST(:params AS jsonb), CAST(:summary AS jsonb), :by, :c) "
        "RETURNING id, created_at"),
        {"kind": plan.kind, "params": json.dumps(plan.options.to_json()),
         "summary": json.dumps(summary, ensure_ascii=False), "by": created_by,
         "c": plan.options.community_id}).one()
    plan.id, plan.created_at = int(row[0]), row[1]
    for route in plan.routes:
        route_id = conn.execute(text(
            "INSERT INTO patrol_routes (plan_id, team, route_order, day, shift, length_m, "
            "minutes, repeated_m, lower_bound_m, method, params, geom) VALUES (:plan, :team, "
            ":order, :day, :shift, :length, :minutes, :repeated, :bound, :method, "
            "CAST(:params AS jsonb), ST_GeomFromText(:wkt, 4326)) RETURNING id"),
            {"plan": plan.id, "team": route.team, "order": route.order, "day": route.day,
             "shift": route.shift, "length": route.length_m, "minutes": route.minutes,
             "repeated": route.repeated_m, "bound": route.lower_bound_m,
             "method": route.method, "params": json.dumps(route.params(), ensure_ascii=False),
             "wkt": route.geometry.wkt if route.geometry is not None else None}).scalar_one()
        if route.stops:
            conn.execute(text(
                "INSERT INTO patrol_route_stops (route_id, plan_id, stop, kind, hazard_id, "
                "light_id, label, detail, after_m, geom) VALUES (:route, :plan, :stop, :kind, "
                ":hazard, :light, :label, :detail, :after, ST_GeomFromText(:wkt, 4326))"),
                [{"route": route_id, "plan": plan.id, "stop": s.stop, "kind": s.kind,
                  "hazard": s.ref_id if s.kind == "hazard" else None,
                  "light": s.ref_id if s.kind == "light" else None, "label": s.label,
                  "detail": s.detail, "after": s.after_m, "wkt": s.geometry.wkt}
                 for s in route.stops])
    return plan.id


def latest_plan_id(conn: Connection) -> int | None:
    """Id of the newest stored plan (``None`` when there is none)."""
    return conn.execute(text("SELECT max(id) FROM patrol_plans")).scalar()


def list_plans(conn: Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The newest plans: id, kind, when, options and headline figures."""
    rows = conn.execute(text(
        "SELECT id, kind, created_at, created_by, params, summary FROM patrol_plans "
        "ORDER BY id DESC LIMIT :limit"), {"limit": limit}).mappings().all()
    return [{"id": r["id"], "kind": r["kind"], "created_at": r["created_at"].isoformat(),
             "created_by": r["created_by"], "params": r["params"],
             "total_m": r["summary"].get("total_m"), "routes": r["summary"].get("routes"),
             "longest_m": r["summary"].get("longest_m")} for r in rows]


def _options(params: dict[str, Any]) -> PlanOptions:
    known = {k: v for k, v in params.items() if k in PlanOptions.__dataclass_fields__}
    known["grids"] = tuple(known.get("grids") or ())
    if known.get("start") is not None:
        known["start"] = tuple(known["start"])
    return PlanOptions(**known)


def load_plan(conn: Connection, plan_id: int) -> Plan | None:
    """A stored plan with its routes and stops (``None`` when there is no such plan); the
    stops' current category and status come from :func:`stop_extras`."""
    head = conn.execute(text(
        "SELECT id, kind, created_at, params, summary FROM patrol_plans WHERE id = :id"),
        {"id": plan_id}).mappings().first()
    if head is None:
        return None
    routes: dict[int, RouteRecord] = {}
    for r in conn.execute(text(
            "SELECT id, team, route_order, day, shift, length_m, minutes, repeated_m, "
            "lower_bound_m, method, params, ST_AsBinary(geom) AS wkb FROM patrol_routes "
            "WHERE plan_id = :id ORDER BY route_order"), {"id": plan_id}).mappings():
        params = r["params"] or {}
        routes[r["id"]] = RouteRecord(
            team=r["team"], order=r["route_order"], length_m=r["length_m"],
            minutes=r["minutes"], repeated_m=r["repeated_m"], lower_bound_m=r["lower_bound_m"],
            method=r["method"] or "",
            geometry=shapely.from_wkb(bytes(r["wkb"])) if r["wkb"] is not None else None,
            day=r["day"], shift=r["shift"], directions=params.get("directions", []),
            streets=params.get("streets", []))
    for s in conn.execute(text(
            "SELECT s.route_id, s.stop, s.kind, coalesce(s.hazard_id, s.light_id) AS ref_id, "
            "s.label, s.detail, s.after_m, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat "
            "FROM patrol_route_stops s WHERE s.plan_id = :id ORDER BY s.route_id, s.stop"),
            {"id": plan_id}).mappings():
        routes[s["route_id"]].stops.append(StopRecord(
            s["stop"], s["kind"], s["ref_id"], s["label"], s["detail"], s["after_m"],
            Point(s["lon"], s["lat"])))
    summary = dict(head["summary"])
    coverage = None
    if "coverage_streets" in summary:
        coverage = pd.DataFrame(summary.pop("coverage_streets"),
                                columns=["id", "name", "ref", "required", "times", "length_m"])
    return Plan(head["kind"], _options(head["params"]), list(routes.values()), summary,
                coverage, id=head["id"], created_at=head["created_at"])


def stop_extras(conn: Connection, plan: Plan) -> dict[tuple[str, int], dict[str, Any]]:
    """Current category and status of the plan's stops, by ``(kind, ref_id)``."""
    hazard_ids = sorted({s.ref_id for r in plan.routes for s in r.stops
                         if s.kind == "hazard" and s.ref_id is not None})
    light_ids = sorted({s.ref_id for r in plan.routes for s in r.stops
                        if s.kind == "light" and s.ref_id is not None})
    out: dict[tuple[str, int], dict[str, Any]] = {}
    if hazard_ids:
        for i, category, status, severity in conn.execute(text(
                "SELECT id, category, status, severity FROM hazards WHERE id = ANY(:ids)"),
                {"ids": hazard_ids}).all():
            out[("hazard", i)] = {"category": category, "status": status, "severity": severity}
    if light_ids:
        for i, status in conn.execute(text("SELECT id, status FROM lights WHERE id = ANY(:ids)"),
                                      {"ids": light_ids}).all():
            out[("light", i)] = {"category": "broken_light", "status": status, "severity": None}
    return out


# -- the map's routes collection -----------------------------------------------------------------
LAYER_COLUMNS = ["id", "kind", "plan", "team", "day", "shift", "length_m", "minutes",
                 "repeated_m", "stop", "stop_label", "label", "detail", "geometry"]


def routes_layer(conn: Connection, bbox: Sequence[float] | None = None,
                 plan_id: int | None = None) -> gpd.GeoDataFrame:
    """Routes (lines) then numbered stops (points) of a plan (default the newest), EPSG:4326."""
    plan_id = plan_id if plan_id is not None else latest_plan_id(conn)
    if plan_id is None:
        return gpd.GeoDataFrame({c: [] for c in LAYER_COLUMNS if c != "geometry"},
                                geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    params: dict[str, Any] = {"plan": plan_id}
    box = ""
    if bbox is not None:
        params.update(dict(zip(("x0", "y0", "x1", "y1"), bbox, strict=True)))
        box = " AND {t}.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
    teams = conn.execute(text("SELECT count(DISTINCT team) FROM patrol_routes WHERE plan_id = "
                              ":plan"), params).scalar_one()
    routes = conn.execute(text(
        "SELECT r.id, r.team, r.day, r.shift, r.length_m, r.minutes, r.repeated_m, "
        "ST_AsBinary(r.geom) AS wkb FROM patrol_routes r WHERE r.plan_id = :plan "
        "AND r.geom IS NOT NULL" + box.format(t="r") + " ORDER BY r.route_order"),
        params).mappings().all()
    stops = conn.execute(text(
        "SELECT s.id, r.team, r.day, r.shift, s.stop, s.label, s.detail, s.after_m, "
        "ST_AsBinary(s.geom) AS wkb FROM patrol_route_stops s JOIN patrol_routes r "
        "ON r.id = s.route_id WHERE s.plan_id = :plan" + box.format(t="s")
        + " ORDER BY r.route_order, s.stop"), params).mappings().all()
    rows = [{"id": f"route-{r['id']}", "kind": "route", "plan": plan_id, "team": r["team"],
             "day": None if r["day"] is None else r["day"] + 1, "shift": r["shift"],
             "length_m": round(r["length_m"], 1), "minutes": round(r["minutes"], 1),
             "repeated_m": round(r["repeated_m"], 1), "stop": None, "stop_label": None,
             "label": None, "detail": None, "geometry": shapely.from_wkb(bytes(r["wkb"]))}
            for r in routes]
    rows += [{"id": f"stop-{s['id']}", "kind": "stop", "plan": plan_id, "team": s["team"],
              "day": None if s["day"] is None else s["day"] + 1, "shift": s["shift"],
              "length_m": None, "minutes": None, "repeated_m": None, "stop": s["stop"],
              "stop_label": f"{s['team']}-{s['stop']}" if teams > 1 else str(s["stop"]),
              "label": s["label"], "detail": s["detail"],
              "geometry": shapely.from_wkb(bytes(s["wkb"]))} for s in stops]
    frame = pd.DataFrame(rows, columns=LAYER_COLUMNS)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def routes_extent(conn: Connection) -> tuple[float, float, float, float] | None:
    """Bounding box of the newest plan's routes."""
    plan_id = latest_plan_id(conn)
    if plan_id is None:
        return None
    row = conn.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                            "(SELECT ST_Extent(geom) AS e FROM patrol_routes WHERE plan_id = "
                            ":plan) x"), {"plan": plan_id}).one()
    return None if row[0] is None else tuple(float(v) for v in row)
