"""A computed walk as output: its line in EPSG:4326, turn-by-turn directions, the stored rows."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
from pyproj import Transformer
from shapely.geometry import LineString, Point

from geo_service.analysis.route_output import step_coords, walk_line
from geo_service.analysis.routing import (
    Route,
)
from geo_service.patrol_routes.plan_types import WGS84, Place, RouteRecord, StopRecord


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


def attach_places(routes: Sequence[Route], nodes: Sequence[int | None]) -> None:
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


def route_records(graph: nx.MultiGraph, routes: Sequence[Route], places: Sequence[Place],
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
