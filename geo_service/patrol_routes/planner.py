"""Patrol route plans on a street graph: cover streets, visit points, K teams, a week's routes.

Pure computation, no database: :func:`compute_plan` takes :class:`PlanInputs` (the walkable
graph of the chosen grids plus a margin, the start point, the open hazards and broken lights,
the weekly frequency of each street) and :class:`PlanOptions`, and returns a :class:`Plan` whose
routes and stops are in EPSG:4326, ready to store (:mod:`geo_service.patrol_routes.store`) and to
export (:mod:`geo_service.patrol_routes.export`). The types are in :mod:`.plan_types`, the line,
directions and stored rows of a computed walk in :mod:`.directions`.

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

from collections.abc import Collection, Sequence
from typing import Any

import networkx as nx
import pandas as pd
from pyproj import Transformer
from shapely.geometry import Point

from geo_service.analysis.network import graph_arrays
from geo_service.analysis.postman import chinese_postman, rural_postman
from geo_service.analysis.route_output import coverage_counts
from geo_service.analysis.routing import (
    Edge,
    Route,
    edge_id,
    split_at_points,
    total_length,
)
from geo_service.analysis.tours import balanced_routes, split_order, visit_points
from geo_service.patrol_routes.directions import (  # turn_word: also offered here
    attach_places,
    route_records,
    turn_word,  # noqa: F401
)
from geo_service.patrol_routes.plan_types import (
    ALLEY_CLASSES,
    DAYS,
    MAX_SNAP_M,
    TOURS,
    TRIED,
    WGS84,
    Place,
    Plan,
    PlanError,
    PlanInputs,
    PlanOptions,
)

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
    records = route_records(graph, routes, places, inputs.names, days=days, shifts=shifts)
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
    attach_places(routes, place_nodes)
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
    attach_places(routes, place_nodes)
    return routes, info, coverage
