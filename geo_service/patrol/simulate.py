"""Synthetic patrol tracks: a known walk on the street graph seen through a noisy phone GPS.

For tests, demos and benchmarks of the matcher: positions along the walk every few seconds at
walking pace, Gaussian noise, and now and then a wild fix (an outlier).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import networkx as nx
import numpy as np
import pyproj
import shapely

from geo_service.analysis import gpx
from geo_service.analysis.matching import Fix

Edge = tuple[int, int, int]


def random_path(graph: nx.MultiGraph, seed: int, length_m: float = 1500.0,
                leg_m: float | None = None) -> list[Edge]:
    """A walk of at least ``length_m``: shortest paths ("legs") between random nodes.

    Each leg ends at a node ``0.5-1.2 * leg_m`` (default ``length_m``) away along the
    network, or the farthest one when none is that far; legs follow each other from the
    previous end, so a walk longer than the graph is wide turns and revisits streets.
    """
    rng = np.random.default_rng(seed)
    leg_m = leg_m or length_m
    nodes = sorted(graph.nodes)
    if graph.number_of_edges() == 0:
        raise ValueError("the graph has no streets")
    at = nodes[rng.integers(len(nodes))]
    edges: list[Edge] = []
    total = 0.0
    while total < length_m:
        dist, paths = nx.single_source_dijkstra(graph, at, weight="length_m")
        far = sorted(n for n, d in dist.items() if 0.5 * leg_m < d <= 1.2 * leg_m)
        if not far:
            far = [max(sorted(dist), key=lambda n: dist[n])]
            if dist[far[0]] == 0:
                raise ValueError("the walk's start has no street to walk")
        end = far[rng.integers(len(far))]
        route = paths[end]
        edges += [(u, v, min(graph[u][v], key=lambda k: graph[u][v][k]["length_m"]))
                  for u, v in zip(route[:-1], route[1:], strict=True)]
        total += dist[end]
        at = end
    return edges


def path_line(graph: nx.MultiGraph, edges: list[Edge]) -> shapely.LineString:
    """The walk as one metric line, each edge's geometry turned the way it is walked."""
    coords: list[tuple[float, float]] = []
    for u, v, k in edges:
        data = graph.edges[u, v, k]
        part = list(data["geometry"].coords)
        if data.get("source", u) != u:
            part.reverse()
        coords.extend(part if not coords else part[1:])
    return shapely.LineString(coords)


def simulate_fixes(graph: nx.MultiGraph, edges: list[Edge], *, seed: int = 0,
                   sigma_m: float = 8.0, interval_s: tuple[float, float] = (5.0, 10.0),
                   speed_mps: float = 1.3, outlier_rate: float = 0.03,
                   outlier_m: tuple[float, float] = (40.0, 100.0),
                   start: datetime | None = None) -> list[Fix]:
    """Noisy fixes ``(lon, lat, time)`` along a walk (the graph's CRS to EPSG:4326)."""
    rng = np.random.default_rng(seed)
    line = path_line(graph, edges)
    to_lonlat = pyproj.Transformer.from_crs(graph.graph["crs"], 4326, always_xy=True)
    start = start or datetime(2026, 5, 1, 20, 0, tzinfo=UTC)
    fixes: list[Fix] = []
    elapsed = along = 0.0
    while along <= line.length:
        point = line.interpolate(along)
        if rng.random() < outlier_rate:
            angle, reach = rng.uniform(0, 2 * np.pi), rng.uniform(*outlier_m)
            x, y = point.x + reach * np.cos(angle), point.y + reach * np.sin(angle)
        else:
            x, y = point.x + rng.normal(0, sigma_m), point.y + rng.normal(0, sigma_m)
        lon, lat = to_lonlat.transform(x, y)
        fixes.append((float(lon), float(lat), start + timedelta(seconds=elapsed)))
        step = rng.uniform(*interval_s)
        elapsed += step
        along += speed_mps * step
    return fixes


def fixes_to_gpx(fixes: list[Fix], *, name: str = "patrol", route: bool = False) -> str:
    """GPX text of fixes: one track segment, or route points (no times) with ``route``."""
    if route:
        return gpx.gpx_text(routes=[gpx.Route(name, fixes)])
    return gpx.gpx_text([gpx.Track(name, fixes)])
