"""Snapping, shortest paths and the ``Route`` every planner returns.

The graph is the one :func:`geo_service.analysis.network.street_graph` builds: an undirected
``networkx.MultiGraph`` in a metric CRS, one edge per street segment keyed by its id (parallel
segments kept), edge attributes ``id``, ``length_m``, ``street_class`` and ``geometry``; node
attributes ``x``, ``y``. Walking is two-way, so one-way rules are ignored.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point
from shapely.ops import substring

DEFAULT_SPEED_KMH = 4.5
Edge = tuple[int, int, int]
"""An edge of the street graph as ``(u, v, key)``, oriented in the direction walked."""


def walk_minutes(length_m: float, speed_kmh: float = DEFAULT_SPEED_KMH) -> float:
    """Minutes needed to walk ``length_m`` at ``speed_kmh``."""
    if speed_kmh <= 0:
        raise ValueError("walking speed must be positive")
    return length_m / (speed_kmh * 1000.0 / 60.0)


def edge_id(u: int, v: int, key: int) -> Edge:
    """Orientation-free identity of an edge (smaller node first)."""
    return (u, v, key) if u <= v else (v, u, key)


# --------------------------------------------------------------------------- graph


def component_of(graph: nx.MultiGraph, node: int) -> nx.MultiGraph:
    """The connected part of ``graph`` that holds ``node`` (a copy)."""
    return graph.subgraph(nx.node_connected_component(graph, node)).copy()


def total_length(graph: nx.MultiGraph, edges: Iterable[Edge] | None = None) -> float:
    """Sum of edge lengths (all edges, or the given ``(u, v, key)`` edges)."""
    if edges is None:
        return float(sum(d["length_m"] for _, _, d in graph.edges(data=True)))
    return float(sum(graph.edges[e]["length_m"] for e in edges))


def nearest_nodes(graph: nx.MultiGraph, points: Sequence[Point] | gpd.GeoSeries) -> list[int]:
    """The graph node nearest (straight line) to each point (points in the graph's CRS)."""
    points = _in_graph_crs(graph, points)
    nodes = list(graph.nodes)
    xy = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in nodes])
    _, idx = cKDTree(xy).query(np.array([(p.x, p.y) for p in points]).reshape(-1, 2))
    return [nodes[i] for i in np.atleast_1d(idx)]


def split_at_points(
    graph: nx.MultiGraph,
    points: Sequence[Point] | gpd.GeoSeries,
    end_tolerance_m: float = 1.0,
) -> tuple[nx.MultiGraph, list[int], np.ndarray]:
    """Snap points onto their nearest segment, splitting it there with a new node.

    The two halves keep the segment's ``id`` (and share its ``length`` pro rata), so coverage is
    still told per street. A point within ``end_tolerance_m`` of a segment end snaps to that node.

    Returns
    -------
    graph, nodes, distances
        A new graph, the node of each point, and each point's distance to the network (m).
    """
    points = _in_graph_crs(graph, points)
    out = graph.copy()
    keys = list(graph.edges(keys=True))
    tree = shapely.STRtree([graph.edges[e]["geometry"] for e in keys])
    pieces: dict[Edge, list[Edge]] = {e: [e] for e in keys}
    origin: dict[Edge, Edge] = {}
    next_node = max((n for n in graph.nodes), default=0) + 1
    nodes: list[int] = []
    dists = np.zeros(len(points))
    for i, pt in enumerate(points):
        nearest = int(tree.query_nearest(pt)[0])
        u, v, k = min(pieces[keys[nearest]],
                      key=lambda e: out.edges[e]["geometry"].distance(pt))
        data = out.edges[u, v, k]
        geom: LineString = data["geometry"]
        dists[i] = geom.distance(pt)
        at = geom.project(pt)
        glen = geom.length
        start_is_u = _starts_at(out, geom, u)
        if at <= end_tolerance_m or at >= glen - end_tolerance_m:
            at_start = at <= end_tolerance_m
            nodes.append(u if at_start == start_is_u else v)
            continue
        new = next_node
        next_node += 1
        p = geom.interpolate(at)
        out.add_node(new, x=p.x, y=p.y)
        first, second = substring(geom, 0, at), substring(geom, at, glen)
        share = at / glen if glen > 0 else 0.5
        a, b = (u, v) if start_is_u else (v, u)
        attrs = {key: val for key, val in data.items() if key not in ("geometry", "length_m")}
        out.remove_edge(u, v, k)
        ends = ({"source": a, "target": new}, {"source": new, "target": b}) \
            if "source" in attrs else ({}, {})
        attrs.pop("source", None)
        attrs.pop("target", None)
        halves = (data["length_m"] * share, data["length_m"] * (1 - share))
        k1 = out.add_edge(a, new, key=k, length_m=halves[0], geometry=first,
                          **attrs, **ends[0])
        k2 = out.add_edge(new, b, key=None if out.has_edge(new, b, k) else k,
                          length_m=halves[1], geometry=second, **attrs, **ends[1])
        parts = pieces[origin.pop((u, v, k), (u, v, k))]
        parts.remove((u, v, k))
        parts.extend([(a, new, k1), (new, b, k2)])
        origin[(a, new, k1)] = origin[(new, b, k2)] = keys[nearest]
        nodes.append(new)
    return out, nodes, dists


def _starts_at(graph: nx.MultiGraph, geom: LineString, node: int) -> bool:
    """Whether ``geom`` begins at ``node`` (rather than ends there)."""
    x, y = graph.nodes[node]["x"], graph.nodes[node]["y"]
    (x0, y0), (x1, y1) = geom.coords[0], geom.coords[-1]
    return (x0 - x) ** 2 + (y0 - y) ** 2 <= (x1 - x) ** 2 + (y1 - y) ** 2


def _in_graph_crs(graph: nx.MultiGraph, points: Sequence[Point] | gpd.GeoSeries) -> list[Point]:
    """Points as a list in the graph's CRS (a GeoSeries/GeoDataFrame is reprojected)."""
    if isinstance(points, gpd.GeoDataFrame):
        points = points.geometry
    if isinstance(points, gpd.GeoSeries):
        crs = graph.graph.get("crs")
        if points.crs is not None and crs is not None and points.crs != crs:
            points = points.to_crs(crs)
        return list(points)
    return list(points)


# --------------------------------------------------------------------------- routes


@dataclass
class Route:
    """A walk on the street graph.

    Attributes
    ----------
    start
        Start node; a closed walk also ends there.
    edges
        ``(u, v, key)`` graph edges in walking order (``u`` is where each step starts).
    serve
        Per step: ``True`` where this walk is the one that covers a required street; the other
        steps are repeated (deadhead) walking.
    length_m, deadhead_m
        Total length, and the part of it in steps that do not serve.
    speed_kmh
        Walking speed used for ``minutes``.
    lower_bound_m
        A proven lower bound on the best possible length for the same task (``None`` if none).
    method
        How the route was found (exact, or the heuristic used).
    team
        Team or shift number (1-based; 0 for a single route).
    stops
        For tours through points: ``(position in nodes, point index)`` in visiting order.
    details
        Solver diagnostics (times, rounds, candidate counts ...).
    """

    start: int
    edges: list[Edge]
    serve: list[bool]
    length_m: float
    deadhead_m: float
    speed_kmh: float = DEFAULT_SPEED_KMH
    lower_bound_m: float | None = None
    method: str = ""
    team: int = 0
    stops: list[tuple[int, int]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def nodes(self) -> list[int]:
        """Nodes visited in order, ``start`` first (and last for a closed walk)."""
        return [self.start] + [v for _, v, _ in self.edges]

    @property
    def minutes(self) -> float:
        """Walking time at ``speed_kmh``."""
        return walk_minutes(self.length_m, self.speed_kmh)

    @property
    def gap_m(self) -> float | None:
        """Length above the lower bound (0 means proven optimal)."""
        return None if self.lower_bound_m is None else self.length_m - self.lower_bound_m

    def served_edges(self) -> list[Edge]:
        """Orientation-free ids of the edges this route serves."""
        return [edge_id(*e) for e, s in zip(self.edges, self.serve, strict=True) if s]


def make_route(
    graph: nx.MultiGraph,
    start: int,
    edges: Sequence[Edge],
    required: Collection[Edge] | None = None,
    **kwargs: Any,
) -> Route:
    """Route from a walk; the first step on each ``required`` edge serves it.

    ``required=None`` makes every distinct edge required (its first walk serves it).
    """
    seen: set[Edge] = set()
    serve: list[bool] = []
    length = deadhead = 0.0
    for u, v, k in edges:
        e = edge_id(u, v, k)
        s = e not in seen and (required is None or e in required)
        if s:
            seen.add(e)
        serve.append(s)
        w = graph.edges[u, v, k]["length_m"]
        length += w
        if not s:
            deadhead += w
    return Route(start=start, edges=list(edges), serve=serve, length_m=length,
                 deadhead_m=deadhead, **kwargs)


def is_closed_walk(graph: nx.MultiGraph, route: Route) -> bool:
    """Whether the route is a walk on ``graph`` from its start back to its start."""
    at = route.start
    for u, v, k in route.edges:
        if u != at or not graph.has_edge(u, v, k):
            return False
        at = v
    return at == route.start


def eulerian_route(
    graph: nx.MultiGraph,
    multiset: Iterable[Edge],
    start: int,
    required: Collection[Edge] | None = None,
    **kwargs: Any,
) -> Route:
    """Closed walk from ``start`` using each edge of ``multiset`` (with repeats) exactly once.

    The multiset must be connected and have even degrees (an Euler circuit exists).
    """
    multi = nx.MultiGraph()
    for u, v, k in multiset:
        multi.add_edge(u, v, ref=k)
    if multi.number_of_edges() == 0:
        return make_route(graph, start, [], required, **kwargs)
    if start not in multi:
        raise ValueError(f"start node {start} is not on the walk")
    steps = [(a, b, multi.edges[a, b, hk]["ref"])
             for a, b, hk in nx.eulerian_circuit(multi, source=start, keys=True)]
    return make_route(graph, start, steps, required, **kwargs)
