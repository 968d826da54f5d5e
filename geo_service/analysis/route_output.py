"""Routes out: lines and stops as GeoDataFrames, GeoJSON, GPX for phones, street coverage.

Geometry follows the streets walked (each segment's line, turned to the walking direction).
GeoJSON and GPX are written in WGS 84 (EPSG:4326); frames stay in the graph's metric CRS.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
from pyproj import Transformer
from shapely.geometry import LineString, Point

from geo_service.analysis import gpx
from geo_service.analysis.routing import Edge, Route, edge_id, walk_minutes

WGS84 = "EPSG:4326"


def step_coords(graph: nx.MultiGraph, u: int, v: int, key: int) -> list[tuple[float, float]]:
    """Coordinates of one step ``u -> v`` along its street line (straight if none)."""
    data = graph.edges[u, v, key]
    geom = data.get("geometry")
    a = (graph.nodes[u]["x"], graph.nodes[u]["y"])
    if geom is None:
        return [a, (graph.nodes[v]["x"], graph.nodes[v]["y"])]
    coords = list(geom.coords)
    first, last = coords[0], coords[-1]
    if (first[0] - a[0]) ** 2 + (first[1] - a[1]) ** 2 > (last[0] - a[0]) ** 2 + (
            last[1] - a[1]) ** 2:
        coords.reverse()
    return [tuple(c[:2]) for c in coords]


def walk_line(graph: nx.MultiGraph, steps: Sequence[Edge]) -> LineString | None:
    """One line along consecutive steps (``None`` for no steps)."""
    coords: list[tuple[float, float]] = []
    for u, v, k in steps:
        part = step_coords(graph, u, v, k)
        coords.extend(part[1:] if coords and coords[-1] == part[0] else part)
    if len(coords) == 1:
        coords.append(coords[0])
    return LineString(coords) if coords else None


def _legs(route: Route) -> list[tuple[int, int, bool | None]]:
    """``(first step, end step, repeated)`` of each leg: between stops for a tour through
    points, else runs of first-time (serving) or repeated walking."""
    n = len(route.edges)
    if route.stops:
        cuts = sorted({0, n, *(pos for pos, _ in route.stops)})
        return [(a, b, None) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
    legs = []
    a = 0
    for i in range(1, n + 1):
        if i == n or route.serve[i] != route.serve[a]:
            legs.append((a, i, not route.serve[a]))
            a = i
    return legs


def routes_frame(graph: nx.MultiGraph, routes: Sequence[Route], per: str = "route",
                 ) -> gpd.GeoDataFrame:
    """Route lines with ``team``, ``order``, ``length_m``, ``minutes`` (graph CRS).

    Parameters
    ----------
    per
        ``"route"``: one line per route (``order`` = the route's place in ``routes``);
        ``"leg"``: one line per leg, numbered along its route, with ``repeated`` telling a leg
        of repeated walking (``None`` for legs between stops).
    """
    rows: list[dict[str, Any]] = []
    for number, route in enumerate(routes, start=1):
        team = route.team or number
        if per == "route":
            rows.append({"team": team, "order": number, "length_m": route.length_m,
                         "minutes": route.minutes, "repeated_m": route.deadhead_m,
                         "method": route.method, "geometry": walk_line(graph, route.edges)})
            continue
        if per != "leg":
            raise ValueError("per must be 'route' or 'leg'")
        for order, (a, b, repeated) in enumerate(_legs(route), start=1):
            steps = route.edges[a:b]
            length = float(sum(graph.edges[e]["length_m"] for e in steps))
            rows.append({"team": team, "order": order, "length_m": length,
                         "minutes": walk_minutes(length, route.speed_kmh), "repeated": repeated,
                         "geometry": walk_line(graph, steps)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=graph.graph.get("crs"))


def stops_frame(graph: nx.MultiGraph, routes: Sequence[Route]) -> gpd.GeoDataFrame:
    """Numbered stops of tours through points: ``team``, ``stop`` (1..), ``point`` (index of
    the point given), ``after_m`` (walked before reaching it), at the stop's node (graph CRS)."""
    rows = []
    for number, route in enumerate(routes, start=1):
        nodes = route.nodes
        lengths = [0.0]
        for e in route.edges:
            lengths.append(lengths[-1] + graph.edges[e]["length_m"])
        for order, (pos, point) in enumerate(route.stops, start=1):
            node = nodes[pos]
            rows.append({"team": route.team or number, "stop": order, "point": point,
                         "node": node, "after_m": lengths[pos],
                         "geometry": Point(graph.nodes[node]["x"], graph.nodes[node]["y"])})
    columns = ["team", "stop", "point", "node", "after_m", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry",
                            crs=graph.graph.get("crs"))


def routes_geojson(graph: nx.MultiGraph, routes: Sequence[Route], per: str = "route",
                   ) -> dict[str, Any]:
    """GeoJSON FeatureCollection (EPSG:4326): route or leg lines, then numbered stops."""
    lines = _to_wgs84(routes_frame(graph, routes, per))
    lines.insert(0, "kind", per)
    stops = _to_wgs84(stops_frame(graph, routes))
    stops.insert(0, "kind", "stop")
    out = json.loads(lines.to_json(drop_id=True))
    out["features"].extend(json.loads(stops.to_json(drop_id=True))["features"])
    return out


def write_geojson(path: str | Path, graph: nx.MultiGraph, routes: Sequence[Route],
                  per: str = "route") -> Path:
    """Write ``routes_geojson`` to ``path``."""
    path = Path(path)
    path.write_text(json.dumps(routes_geojson(graph, routes, per)), encoding="utf-8")
    return path


def routes_gpx(
    graph: nx.MultiGraph,
    routes: Sequence[Route],
    waypoints: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    name_column: str = "name",
    description_column: str | None = "description",
) -> str:
    """GPX 1.1: a track per route, and a waypoint per given point (e.g. open hazards).

    A waypoint that a route visits as a stop is named with its stop number first.
    """
    tracks = []
    for number, route in enumerate(routes, start=1):
        line = walk_line(graph, route.edges)
        tracks.append(gpx.Track(
            name=f"Team {route.team or number}",
            points=[] if line is None else _lonlat(graph, list(line.coords)),
            description=f"{route.length_m / 1000:.2f} km, {route.minutes:.0f} min at "
                        f"{route.speed_kmh:g} km/h; {route.method}"))
    points = []
    if waypoints is not None:
        frame = waypoints if isinstance(waypoints, gpd.GeoDataFrame) else \
            gpd.GeoDataFrame(geometry=waypoints)
        frame = _to_wgs84(frame)
        numbers = {point: f"{stop}" for route in routes
                   for stop, (_, point) in enumerate(route.stops, start=1)}
        for i, (_, row) in enumerate(frame.iterrows()):
            name = str(row[name_column]) if name_column in frame.columns else f"Point {i + 1}"
            if i in numbers:
                name = f"{numbers[i]}. {name}"
            desc = None
            if description_column and description_column in frame.columns:
                desc = None if pd.isna(row[description_column]) else str(row[description_column])
            points.append(gpx.Waypoint(row.geometry.x, row.geometry.y, name, desc))
    return gpx.gpx_text(tracks, points, creator="geo-service patrol planner")


def write_gpx(path: str | Path, graph: nx.MultiGraph, routes: Sequence[Route],
              waypoints: gpd.GeoDataFrame | gpd.GeoSeries | None = None, **kwargs: Any) -> Path:
    """Write ``routes_gpx`` to ``path``."""
    path = Path(path)
    path.write_text(routes_gpx(graph, routes, waypoints, **kwargs), encoding="utf-8")
    return path


def coverage_counts(graph: nx.MultiGraph, routes: Sequence[Route]) -> pd.DataFrame:
    """How many times each street (segment ``id``) is walked by the routes together.

    Returns
    -------
    pandas.DataFrame
        One row per street id: ``times`` (complete walks: for a street split into pieces, the
        fewest walks of any piece), ``walked_m`` (length walked on it), ``length_m``.
    """
    count: Counter[Edge] = Counter()
    for route in routes:
        count.update(edge_id(*e) for e in route.edges)
    rows = [{"id": data["id"], "times": count.get(edge_id(u, v, k), 0),
             "walked_m": count.get(edge_id(u, v, k), 0) * data["length_m"],
             "length_m": data["length_m"]}
            for u, v, k, data in graph.edges(keys=True, data=True)]
    frame = pd.DataFrame(rows, columns=["id", "times", "walked_m", "length_m"])
    return (frame.groupby("id", as_index=False)
            .agg(times=("times", "min"), walked_m=("walked_m", "sum"),
                 length_m=("length_m", "sum")))


def _to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is None:
        return frame.set_crs(WGS84)
    return frame.to_crs(WGS84)


def _lonlat(graph: nx.MultiGraph, coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    crs = graph.graph.get("crs")
    if crs is None or not coords:
        return coords
    xs, ys = zip(*coords, strict=True)
    lon, lat = Transformer.from_crs(crs, WGS84, always_xy=True).transform(xs, ys)
    return list(zip(lon, lat, strict=True))
