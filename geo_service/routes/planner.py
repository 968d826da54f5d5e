"""Patrol route plans on a street graph: cover streets, visit points, K teams, a week's routes.

Pure computation, no database: :func:`compute_plan` takes :class:`PlanInputs` (the walkable
graph of the chosen grids plus a margin, the start point, the open hazards and broken lights,
the weekly frequency of each street) and :class:`PlanOptions`, and returns a :class:`Plan` whose
routes and stops are in EPSG:4326, ready to store (:mod:`geo_service.routes.store`) and to
export (:mod:`geo_service.routes.export`).

Modes
-----
cover (default)
    One team: the shortest closed walk from the start over every required street; the exact
    Chinese postman when every street of the graph is required, else the rural postman (exact
    when the required streets and the start are connected: required length + a minimum T-join
    over the whole graph, margin streets included). K teams: :func:`~geo_service.analysis.tours.
    balanced_routes`, the longest route against max(one-team bound / K, longest round trip).
points
    A closed walk through the open hazards (or broken lights) in the best order: exact
    (Held-Karp) up to 12 stops, else nearest neighbour + 2-opt + Or-opt with a 1-tree bound.
    K teams: the one-team tour cut into K pieces minimising the longest (dynamic programming
    over the cut points), each piece re-ordered on its own.
week
    Streets in hotter places are required more often per week (``frequency``, from the
    hotspots). The required streets are split into 7 balanced day pieces; a street of piece p
    walked f times a week is required on days ``p + floor(i * 7 / f)`` (mod 7), i < f, so its
    walks are spread over the week. Each day's required streets are then split into
    ``shifts x teams`` balanced routes. :attr:`Plan.coverage` tells how often each street is
    walked by the week's routes against how often it is required.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import LineString, Point

from geo_service.analysis.network import DEFAULT_MARGIN_M, graph_arrays
from geo_service.analysis.postman import chinese_postman, rural_postman
from geo_service.analysis.route_output import coverage_counts, step_coords, walk_line
from geo_service.analysis.routing import (
    DEFAULT_SPEED_KMH,
    Edge,
    Route,
    edge_id,
    split_at_points,
    total_length,
)
from geo_service.analysis.tours import balanced_routes, split_order, visit_points

REQUIRED_MODES = ("all", "alleys", "hazards", "hot")
POINT_MODES = ("hazards", "broken-lights")
#: Street classes that ``--required alleys`` asks for: back alleys and stairways.
ALLEY_CLASSES = frozenset({"alley", "steps"})
#: Points farther than this from every walkable street are left out (with a note).
MAX_SNAP_M = 80.0
MAX_TEAMS = 12
DAYS = 7
#: Euler tours of the one-team walk split for K teams, and how many are re-solved route by route.
TOURS, TRIED = 64, 8
WGS84 = "EPSG:4326"


class PlanError(ValueError):
    """A plan that cannot be made as asked; ``code`` names the problem for the API."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code, self.details = code, details


@dataclass(frozen=True)
class PlanOptions:
    """What to plan (the CLI's options and the API's body).

    Attributes
    ----------
    grids
        Grid numbers (empty: every street, all in the area).
    teams
        K routes (teams, or shifts) sharing the work.
    start
        ``(lon, lat)`` of the start; ``None``: the default start (the police post).
    required
        Streets to cover: ``all`` of the grids, ``alleys`` (back alleys and stairways),
        ``hazards`` (streets with an open hazard), ``hot`` (streets in a hotspot).
    points
        Visit points instead of covering streets: ``hazards`` (open) or ``broken-lights``.
    week
        The week's routes by hotspot frequency (7 days x ``shifts`` x ``teams``).
    shifts
        Shifts per day of a week plan.
    speed_kmh, margin_m
        Walking speed; margin around the grids whose streets a route may use.
    """

    grids: tuple[int, ...] = (1, 2, 3, 4)
    teams: int = 1
    start: tuple[float, float] | None = None
    required: str = "all"
    points: str | None = None
    week: bool = False
    shifts: int = 2
    speed_kmh: float = DEFAULT_SPEED_KMH
    margin_m: float = DEFAULT_MARGIN_M

    def check(self) -> None:
        """Raise :class:`PlanError` for options that do not make sense."""
        if not 1 <= self.teams <= MAX_TEAMS:
            raise PlanError("bad_teams", f"teams must be from 1 to {MAX_TEAMS}")
        if self.required not in REQUIRED_MODES:
            raise PlanError("bad_required", f"required must be one of {', '.join(REQUIRED_MODES)}")
        if self.points is not None and self.points not in POINT_MODES:
            raise PlanError("bad_points", f"points must be one of {', '.join(POINT_MODES)}")
        if self.points and self.week:
            raise PlanError("bad_combination", "a week plan covers streets; it takes no points")
        if not 1 <= self.shifts <= 4:
            raise PlanError("bad_shifts", "shifts must be from 1 to 4")
        if self.week and self.shifts * self.teams > MAX_TEAMS:
            raise PlanError("bad_teams", f"shifts x teams must be at most {MAX_TEAMS}")
        if not 1.0 <= self.speed_kmh <= 10.0:
            raise PlanError("bad_speed", "walking speed must be from 1 to 10 km/h")
        if not 0.0 <= self.margin_m <= 1000.0:
            raise PlanError("bad_margin", "margin must be from 0 to 1000 m")
        if self.start is not None:
            lon, lat = self.start
            if not (-180 <= lon <= 180 and -90 <= lat <= 90) or not all(
                    map(math.isfinite, self.start)):
                raise PlanError("bad_start", "start must be longitude,latitude in WGS 84")

    @property
    def kind(self) -> str:
        """``cover``, ``points`` or ``week``."""
        return "points" if self.points else "week" if self.week else "cover"

    def to_json(self) -> dict[str, Any]:
        """The options as stored with a plan."""
        out = asdict(self)
        out["grids"] = list(self.grids)
        out["start"] = list(self.start) if self.start else None
        return out


@dataclass(frozen=True)
class Place:
    """A point a route visits or passes: an open hazard or a broken light (EPSG:4326)."""

    kind: str
    ref_id: int
    label: str
    detail: str | None
    geometry: Point


@dataclass
class PlanInputs:
    """Everything a plan is computed from (read from PostGIS by :mod:`.store`).

    Attributes
    ----------
    graph
        Walkable graph with ``in_area`` flags (:func:`geo_service.patrol.load_network`).
    start, start_label, start_default
        The start point (EPSG:4326), what it is, and whether it is the default.
    hazards, lights
        Open hazards and broken lights in the chosen grids.
    names
        Street id -> ``(name or None, source id)`` for the turn-by-turn directions.
    frequency
        Street id -> required walks per week (week plans and ``required=hot``).
    """

    graph: nx.MultiGraph
    start: Point
    start_label: str
    start_default: bool = True
    hazards: list[Place] = field(default_factory=list)
    lights: list[Place] = field(default_factory=list)
    names: Mapping[int, tuple[str | None, str | None]] = field(default_factory=dict)
    frequency: Mapping[int, int] | None = None


@dataclass
class StopRecord:
    """A numbered stop of a route (EPSG:4326)."""

    stop: int
    kind: str
    ref_id: int | None
    label: str
    detail: str | None
    after_m: float
    geometry: Point


@dataclass
class RouteRecord:
    """One stored route: a team's (or a shift's) closed walk, in EPSG:4326.

    ``directions`` is the turn-by-turn list: per run of steps along one street ``name``,
    ``ref`` (source id), ``street_class``, ``length_m``, ``turn`` (start, straight,
    slight_left, left, slight_right, right, back), ``repeated`` (walked before) and ``stops``
    (stop numbers reached on it).
    """

    team: int
    order: int
    length_m: float
    minutes: float
    repeated_m: float
    lower_bound_m: float | None
    method: str
    geometry: LineString | None
    day: int | None = None
    shift: int | None = None
    directions: list[dict[str, Any]] = field(default_factory=list)
    streets: list[int] = field(default_factory=list)
    stops: list[StopRecord] = field(default_factory=list)

    def params(self) -> dict[str, Any]:
        """What is stored in the route's JSON column."""
        return {"directions": self.directions, "streets": self.streets}


@dataclass
class Plan:
    """A computed (and maybe stored) patrol plan."""

    kind: str
    options: PlanOptions
    routes: list[RouteRecord]
    summary: dict[str, Any]
    coverage: pd.DataFrame | None = None
    id: int | None = None
    created_at: Any = None

    def lines(self) -> list[str]:
        """The summary as the command line prints it (stderr)."""
        s = self.summary
        head = f"plan {self.id}: " if self.id is not None else ""
        out = [f"{head}{s['kind']} plan, grids {s['grids'] or 'all'}, start {s['start']['label']} "
               f"({s['start']['lon']:.6f},{s['start']['lat']:.6f})"
               + (" [default start; give --start LON,LAT to change]"
                  if s["start"]["default"] else "")]
        if s.get("required_m") is not None:
            out.append(f"required: {s['required']} - {s['required_streets']} streets, "
                       f"{s['required_m'] / 1000:.2f} km")
        if s.get("stops") is not None:
            out.append(f"stops: {s['stops']} {s['points']}")
        out.append(f"total {s['total_m'] / 1000:.2f} km, repeated {s['repeated_m'] / 1000:.2f} km, "
                   f"{s['minutes']:.0f} min walking at {s['speed_kmh']:g} km/h")
        if s.get("one_team_m") is not None:
            gap = s["one_team_m"] - s["one_team_bound_m"]
            out.append(f"one team: {s['one_team_m']:,.1f} m, lower bound "
                       f"{s['one_team_bound_m']:,.1f} m (gap {gap:,.1f} m) - "
                       f"{s['one_team_method']}")
        if s.get("teams", 1) > 1 and s.get("bound_m") is not None and self.kind != "week":
            out.append(f"{s['teams']} teams: longest {s['longest_m']:,.1f} m vs bound "
                       f"{s['bound_m']:,.1f} m = max(one-team bound / {s['teams']} = "
                       f"{s['one_team_bound_m'] / s['teams']:,.1f} m, round trip "
                       f"{s['round_trip_m']:,.1f} m); ratio {s['ratio']:.3f}")
            out.append(f"  method: {s['method']}")
        for r in self.routes:
            when = (f"day {r.day + 1} shift {r.shift} " if r.day is not None else "")
            out.append(f"  {when}team {r.team}: {r.length_m:,.1f} m, {r.minutes:.0f} min, "
                       f"repeated {r.repeated_m:,.1f} m, {len(r.streets)} streets, "
                       f"{len(r.stops)} stops")
        if self.coverage is not None:
            cov = self.coverage
            below = int((cov["times"] < cov["required"]).sum())
            out.append(f"week coverage: {len(cov)} streets, {below} walked less often than "
                       "required")
            for f, grp in cov.groupby("required"):
                out.append(f"  required {f}x/week: {len(grp)} streets, walked "
                           f"{grp['times'].min()}-{grp['times'].max()}x "
                           f"(mean {grp['times'].mean():.1f})")
        out.extend(f"note: {n}" for n in s.get("notes", []))
        return out


# --------------------------------------------------------------------------- helpers


def main_component(graph: nx.MultiGraph) -> tuple[nx.MultiGraph, int]:
    """The connected part with the most in-area street length, and how many in-area streets
    the other parts hold (they cannot be reached on foot from it)."""
    best, best_m, lost = None, -1.0, 0
    parts = list(nx.connected_components(graph))
    lengths = []
    for part in parts:
        sub = graph.subgraph(part)
        lengths.append((sum(d["length_m"] for _, _, d in sub.edges(data=True) if d["in_area"]),
                        sum(1 for _, _, d in sub.edges(data=True) if d["in_area"])))
    for part, (metres, _) in zip(parts, lengths, strict=True):
        if metres > best_m:
            best, best_m = part, metres
    if best is None:
        raise PlanError("no_streets", "there are no walkable streets in the chosen grids")
    lost = sum(n for part, (_, n) in zip(parts, lengths, strict=True) if part is not best)
    return graph.subgraph(best).copy(), lost


def _snap(graph: nx.MultiGraph, start: Point, places: Sequence[Place]
          ) -> tuple[nx.MultiGraph, int, list[int | None], float]:
    """Split the graph at the start and the places; their nodes (``None``: too far away)."""
    from geopandas import GeoSeries

    points = GeoSeries([start, *(p.geometry for p in places)], crs=WGS84)
    split, nodes, dists = split_at_points(graph, points)
    place_nodes = [n if d <= MAX_SNAP_M else None
                   for n, d in zip(nodes[1:], dists[1:], strict=True)]
    return split, nodes[0], place_nodes, float(dists[0])


def _lonlat(graph: nx.MultiGraph) -> Transformer:
    return Transformer.from_crs(graph.graph["crs"], WGS84, always_xy=True)


def _node_point(graph: nx.MultiGraph, node: int, to_wgs: Transformer) -> Point:
    x, y = to_wgs.transform(graph.nodes[node]["x"], graph.nodes[node]["y"])
    return Point(round(x, 7), round(y, 7))


def _line(graph: nx.MultiGraph, route: Route, to_wgs: Transformer) -> LineString | None:
    line = walk_line(graph, route.edges)
    if line is None:
        return None
    xs, ys = zip(*line.coords, strict=True)
    lon, lat = to_wgs.transform(xs, ys)
    return LineString([(round(a, 7), round(b, 7)) for a, b in zip(lon, lat, strict=True)])


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.atan2(b[1] - a[1], b[0] - a[0])


TURNS = ((25.0, "straight"), (60.0, "slight"), (150.0, ""))


def turn_word(angle_deg: float) -> str:
    """Turn name for a change of heading (degrees, left positive)."""
    size = abs(angle_deg)
    if size <= 25.0:
        return "straight"
    if size > 150.0:
        return "back"
    side = "left" if angle_deg > 0 else "right"
    return f"slight_{side}" if size <= 60.0 else side


def directions(graph: nx.MultiGraph, route: Route,
               names: Mapping[int, tuple[str | None, str | None]],
               stops: Sequence[tuple[int, int]] = ()) -> list[dict[str, Any]]:
    """Turn-by-turn runs: consecutive steps along one named street (or one unnamed street).

    ``stops`` are ``(position in route.nodes, stop number)``; a stop is listed on the run
    whose last step reaches it.
    """
    runs: list[dict[str, Any]] = []
    for i, (u, v, k) in enumerate(route.edges):
        data = graph.edges[u, v, k]
        sid = int(data["id"])
        name, ref = names.get(sid, (None, None))
        key = name or f"#{sid}"
        if not runs or runs[-1]["_key"] != key:
            runs.append({"_key": key, "_first": i, "_last": i, "name": name, "ref": ref,
                         "street_id": sid, "street_class": data.get("street_class"),
                         "length_m": 0.0, "repeated": True, "turn": "start", "stops": []})
        run = runs[-1]
        run["_last"] = i
        run["length_m"] += float(data["length_m"])
        run["repeated"] = run["repeated"] and not route.serve[i]
    for prev, run in zip(runs[:-1], runs[1:], strict=True):
        a = step_coords(graph, *route.edges[prev["_last"]])
        b = step_coords(graph, *route.edges[run["_first"]])
        if len(a) >= 2 and len(b) >= 2:
            change = math.degrees(_bearing(b[0], b[1]) - _bearing(a[-2], a[-1]))
            change = (change + 180.0) % 360.0 - 180.0
            run["turn"] = turn_word(change)
        else:
            run["turn"] = "straight"
    for pos, number in stops:
        step = max(pos - 1, 0)
        for run in runs:
            if run["_first"] <= step <= run["_last"]:
                run["stops"].append(number)
                break
    for run in runs:
        run["length_m"] = round(run["length_m"], 1)
        for key in ("_key", "_first", "_last"):
            del run[key]
    return runs


def _attach_places(routes: Sequence[Route], nodes: Sequence[int | None]) -> None:
    """Number the places each covering route passes as its stops (in walking order).

    A place goes to the route whose serving step reaches it first, else to the first route
    passing it at all; places no route passes are not stops.
    """
    where: dict[int, list[int]] = {}
    for i, node in enumerate(nodes):
        if node is not None:
            where.setdefault(node, []).append(i)
    chosen: dict[int, tuple[int, int]] = {}  # place -> (route, position in its nodes)
    for r, route in enumerate(routes):
        for pos, ((u, v, _), served) in enumerate(zip(route.edges, route.serve, strict=True)):
            if served:
                for node, position in ((u, pos), (v, pos + 1)):
                    for i in where.get(node, ()):
                        chosen.setdefault(i, (r, position))
    for r, route in enumerate(routes):
        for position, node in enumerate(route.nodes):
            for i in where.get(node, ()):
                chosen.setdefault(i, (r, position))
    for r, route in enumerate(routes):
        route.stops = sorted((pos, i) for i, (rr, pos) in chosen.items() if rr == r)


def _records(graph: nx.MultiGraph, routes: Sequence[Route], places: Sequence[Place],
             names: Mapping[int, tuple[str | None, str | None]], *,
             days: Sequence[int | None] | None = None,
             shifts: Sequence[int | None] | None = None) -> list[RouteRecord]:
    """Routes (graph CRS, nodes) -> records in EPSG:4326 with directions and stops."""
    to_wgs = _lonlat(graph)
    records = []
    for order, route in enumerate(routes, start=1):
        lengths = np.concatenate([[0.0], np.cumsum([graph.edges[e]["length_m"]
                                                    for e in route.edges])])
        nodes = route.nodes
        stops = []
        for number, (pos, i) in enumerate(route.stops, start=1):
            place = places[i]
            stops.append(StopRecord(number, place.kind, place.ref_id, place.label, place.detail,
                                    round(float(lengths[pos]), 1),
                                    _node_point(graph, nodes[pos], to_wgs)))
        served = sorted({int(graph.edges[e]["id"]) for e, s in
                         zip(route.edges, route.serve, strict=True) if s})
        records.append(RouteRecord(
            team=route.team or order, order=order, length_m=round(route.length_m, 2),
            minutes=round(route.minutes, 1), repeated_m=round(route.deadhead_m, 2),
            lower_bound_m=None if route.lower_bound_m is None else round(route.lower_bound_m, 2),
            method=route.method, geometry=_line(graph, route, to_wgs),
            day=None if days is None else days[order - 1],
            shift=None if shifts is None else shifts[order - 1],
            directions=directions(graph, route, names,
                                  [(pos, n) for n, (pos, _) in enumerate(route.stops, 1)]),
            streets=served, stops=stops))
    return records


def required_edges(graph: nx.MultiGraph, mode: str, *, hazard_streets: Collection[int] = (),
                   hot: Collection[int] = ()) -> set[Edge]:
    """In-area edges to cover for a ``required`` mode."""
    wanted: set[int] | None
    if mode == "all":
        wanted = None
    elif mode == "hazards":
        wanted = set(hazard_streets)
    elif mode == "hot":
        wanted = set(hot)
    elif mode == "alleys":
        wanted = {int(d["id"]) for _, _, d in graph.edges(data=True)
                  if d.get("street_class") in ALLEY_CLASSES}
    else:
        raise PlanError("bad_required", f"unknown required set {mode!r}")
    return {edge_id(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True)
            if d["in_area"] and u != v and (wanted is None or int(d["id"]) in wanted)}


def _streets_of(graph: nx.MultiGraph, places: Sequence[Place],
                nodes: Sequence[int | None]) -> set[int]:
    """Ids of the streets the snapped places lie on (at a junction: the nearest street)."""
    to_metric = Transformer.from_crs(WGS84, graph.graph["crs"], always_xy=True)
    found = set()
    for place, node in zip(places, nodes, strict=True):
        if node is None:
            continue
        at = Point(*to_metric.transform(place.geometry.x, place.geometry.y))
        near = min(graph.edges(node, data=True), key=lambda e: e[2]["geometry"].distance(at),
                   default=None)
        if near is not None:
            found.add(int(near[2]["id"]))
    return found


def _postman(graph: nx.MultiGraph, req: set[Edge], start: int, speed: float) -> Route:
    everything = {edge_id(u, v, k) for u, v, k in graph.edges(keys=True) if u != v}
    if req == everything:
        return chinese_postman(graph, start, speed)
    return rural_postman(graph, req, start, speed_kmh=speed)


# --------------------------------------------------------------------------- the plans


def compute_plan(inputs: PlanInputs, options: PlanOptions) -> Plan:
    """Compute the plan ``options`` asks for on ``inputs`` (see the module docstring)."""
    options.check()
    graph, lost = main_component(inputs.graph)
    notes: list[str] = []
    if lost:
        notes.append(f"{lost} streets of the grids are not connected on foot to the rest and "
                     "are left out")
    places = list(inputs.lights if options.points == "broken-lights" else inputs.hazards)
    graph, start, place_nodes, start_m = _snap(graph, inputs.start, places)
    if start_m > 50:
        notes.append(f"the start is {start_m:.0f} m from the nearest walkable street; routes "
                     "begin and end there")
    far = sum(1 for n in place_nodes if n is None)
    if far:
        notes.append(f"{far} {options.points or 'hazards'} more than {MAX_SNAP_M:.0f} m from "
                     "every walkable street are left out")
    speed = options.speed_kmh
    summary: dict[str, Any] = {
        "kind": options.kind, "grids": list(options.grids), "teams": options.teams,
        "speed_kmh": speed, "required": options.required, "points": options.points,
        "start": {"lon": inputs.start.x, "lat": inputs.start.y, "label": inputs.start_label,
                  "default": inputs.start_default},
        "network_m": round(total_length(graph, [(u, v, k) for u, v, k, d in
                                                graph.edges(keys=True, data=True)
                                                if d["in_area"]]), 1),
    }
    coverage = None
    if options.points:
        routes, info = _plan_points(graph, start, places, place_nodes, options)
    elif options.week:
        routes, info, coverage = _plan_week(graph, start, places, place_nodes, inputs, options)
    else:
        routes, info = _plan_cover(graph, start, places, place_nodes, inputs, options)
    notes.extend(info.pop("notes", []))
    days, shifts = info.pop("_days", None), info.pop("_shifts", None)
    summary.update(info)
    records = _records(graph, routes, places, inputs.names, days=days, shifts=shifts)
    if coverage is not None:
        coverage["name"] = [inputs.names.get(int(i), (None, None))[0] for i in coverage["id"]]
        coverage["ref"] = [inputs.names.get(int(i), (None, None))[1] for i in coverage["id"]]
    summary.update({
        "total_m": round(sum(r.length_m for r in records), 1),
        "repeated_m": round(sum(r.repeated_m for r in records), 1),
        "minutes": round(sum(r.minutes for r in records), 1),
        "longest_m": round(max((r.length_m for r in records), default=0.0), 1),
        "routes": len(records),
        "notes": notes,
    })
    if coverage is not None:
        summary["coverage"] = {
            "streets": len(coverage),
            "below": int((coverage["times"] < coverage["required"]).sum()),
            "by_frequency": {str(f): {"streets": len(g), "min": int(g["times"].min()),
                                      "max": int(g["times"].max()),
                                      "mean": round(float(g["times"].mean()), 2)}
                             for f, g in coverage.groupby("required")}}
    return Plan(options.kind, options, records, summary, coverage)


def _team_info(plan_routes: Sequence[Route], one: Route, bound: float, round_trip: float,
               method: str) -> dict[str, Any]:
    longest = max(r.length_m for r in plan_routes)
    one_bound = one.lower_bound_m if one.lower_bound_m is not None else one.length_m
    return {"one_team_m": round(one.length_m, 2), "one_team_bound_m": round(one_bound, 2),
            "one_team_method": one.method, "bound_m": round(bound, 2),
            "round_trip_m": round(round_trip, 2),
            "ratio": round(longest / bound, 4) if bound > 0 else 1.0, "method": method}


def _plan_cover(graph: nx.MultiGraph, start: int, places: list[Place],
                place_nodes: list[int | None], inputs: PlanInputs, options: PlanOptions
                ) -> tuple[list[Route], dict[str, Any]]:
    hazard_streets = _streets_of(graph, places, place_nodes)
    hot = {sid for sid, f in (inputs.frequency or {}).items() if f > 1}
    req = required_edges(graph, options.required, hazard_streets=hazard_streets, hot=hot)
    if not req:
        raise PlanError("nothing_required", f"no street of the chosen grids is in the required "
                                            f"set {options.required!r}")
    one = _postman(graph, req, start, options.speed_kmh)
    info: dict[str, Any] = {"required_m": round(total_length(graph, req), 1),
                            "required_streets": len({graph.edges[e]["id"] for e in req})}
    if options.teams == 1:
        one.team = 1
        routes = [one]
        bound = one.lower_bound_m if one.lower_bound_m is not None else one.length_m
        info.update(_team_info(routes, one, bound, 0.0, one.method))
        info["round_trip_m"] = None
    else:
        team_plan = balanced_routes(graph, options.teams, start, required=req, giant=one,
                                    speed_kmh=options.speed_kmh, tours=TOURS, tried=TRIED)
        routes = team_plan.routes
        info.update(_team_info(routes, one, team_plan.lower_bound_m, team_plan.round_trip_m,
                               team_plan.method))
    _attach_places(routes, place_nodes)
    return routes, info


def _plan_points(graph: nx.MultiGraph, start: int, places: list[Place],
                 place_nodes: list[int | None], options: PlanOptions
                 ) -> tuple[list[Route], dict[str, Any]]:
    chosen = [i for i, n in enumerate(place_nodes) if n is not None]
    if not chosen:
        raise PlanError("no_points", f"there are no {options.points} to visit in the chosen "
                                     "grids")
    nodes = [place_nodes[i] for i in chosen]
    speed = options.speed_kmh
    one = visit_points(graph, nodes, start=start, closed=True, speed_kmh=speed)
    one.stops = [(pos, chosen[i]) for pos, i in one.stops]
    info: dict[str, Any] = {"stops": len(chosen), "required_m": None}
    if options.teams == 1 or len(chosen) == 1:
        one.team = 1
        routes = [one]
        bound = one.lower_bound_m if one.lower_bound_m is not None else one.length_m
        info.update(_team_info(routes, one, bound, 0.0, one.method))
        return routes, info
    net = graph_arrays(graph)
    sites = [start, *nodes]
    dist = net.dijkstra([net.index[s] for s in sites])[:, [net.index[s] for s in sites]]
    position = {place: j + 1 for j, place in enumerate(chosen)}
    order = [position[i] for _, i in one.stops]
    routes = []
    for team, group in enumerate(split_order(dist, order, options.teams), start=1):
        idx = [chosen[j - 1] for j in group]
        route = visit_points(graph, [place_nodes[i] for i in idx], start=start, closed=True,
                             speed_kmh=speed)
        route.stops = [(pos, idx[i]) for pos, i in route.stops]
        route.team = team
        routes.append(route)
    round_trip = float(max(dist[0, 1:] + dist[1:, 0]))
    one_bound = one.lower_bound_m if one.lower_bound_m is not None else one.length_m
    bound = max(one_bound / options.teams, round_trip)
    method = (f"{one.method}, cut into {len(routes)} round trips minimising the longest "
              "(exact over the cut points), each re-ordered")
    info.update(_team_info(routes, one, bound, round_trip, method))
    if len(routes) < options.teams:
        info["notes"] = [f"only {len(routes)} routes: fewer stops than teams"]
    return routes, info


def _plan_week(graph: nx.MultiGraph, start: int, places: list[Place],
               place_nodes: list[int | None], inputs: PlanInputs, options: PlanOptions
               ) -> tuple[list[Route], dict[str, Any], pd.DataFrame]:
    hazard_streets = _streets_of(graph, places, place_nodes)
    freq = dict(inputs.frequency or {})
    hot = {sid for sid, f in freq.items() if f > 1}
    req = required_edges(graph, options.required, hazard_streets=hazard_streets, hot=hot)
    if not req:
        raise PlanError("nothing_required", f"no street of the chosen grids is in the required "
                                            f"set {options.required!r}")
    speed = options.speed_kmh
    one = _postman(graph, req, start, speed)
    pieces = balanced_routes(graph, DAYS, start, required=req, giant=one, speed_kmh=speed,
                             tours=8, tried=1)
    piece_of = {e: p for p, r in enumerate(pieces.routes) for e in r.served_edges()}

    def weekly(e: Edge) -> int:
        return min(DAYS, max(1, int(freq.get(int(graph.edges[e]["id"]), 1))))

    days_of = {e: {(piece_of.get(e, 0) + (i * DAYS) // weekly(e)) % DAYS
                   for i in range(weekly(e))} for e in req}
    per_day = options.shifts * options.teams
    routes: list[Route] = []
    days: list[int | None] = []
    shifts: list[int | None] = []
    for day in range(DAYS):
        todo = {e for e in req if day in days_of[e]}
        if not todo:
            continue
        if per_day == 1:
            day_routes = [rural_postman(graph, todo, start, speed_kmh=speed)]
        else:
            day_routes = balanced_routes(graph, per_day, start, required=todo, speed_kmh=speed,
                                         tours=8, tried=1).routes
        for j, route in enumerate(day_routes):
            route.team = j % options.teams + 1 if options.teams > 1 else j + 1
            routes.append(route)
            days.append(day)
            shifts.append(j // options.teams + 1)
    counts = coverage_counts(graph, routes).set_index("id")
    required_ids = sorted({int(graph.edges[e]["id"]) for e in req})
    coverage = pd.DataFrame({
        "id": required_ids,
        "required": [min(DAYS, max(1, int(freq.get(i, 1)))) for i in required_ids],
        "times": [int(counts.loc[i, "times"]) for i in required_ids],
        "length_m": [round(float(counts.loc[i, "length_m"]), 1) for i in required_ids],
    })
    info: dict[str, Any] = {
        "required_m": round(total_length(graph, req), 1),
        "required_streets": len(required_ids), "shifts": options.shifts,
        "one_team_m": round(one.length_m, 2),
        "one_team_bound_m": round(one.lower_bound_m or one.length_m, 2),
        "one_team_method": one.method,
        "method": (f"{DAYS} balanced day pieces; a street walked f times a week is required on "
                   f"f evenly spread days; each day split into {per_day} balanced routes"),
        "_days": days, "_shifts": shifts,
    }
    _attach_places(routes, place_nodes)
    return routes, info, coverage
