"""Chinese and rural postman: closed walks that cover streets with the least repeated length.

The repeated part of an optimal closed walk is a minimum T-join on the odd-degree nodes T,
solved exactly by :func:`geo_service.analysis.t_join.min_t_join`; the walk itself is an Euler
tour of the streets plus the join. The rural postman (only some streets required) is exact by
T-join when the required streets and the start are connected, else an ILP with HiGHS (lazy
connectivity cuts) up to a size, else Frederickson's heuristic.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection, Iterable

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csgraph

from geo_service.analysis.network import GraphArrays, graph_arrays
from geo_service.analysis.routing import (
    DEFAULT_SPEED_KMH,
    Edge,
    Route,
    edge_id,
    eulerian_route,
    total_length,
)
from geo_service.analysis.t_join import min_t_join


def odd_nodes(graph: nx.MultiGraph, edges: Iterable[Edge] | None = None) -> list[int]:
    """Nodes of odd degree (in ``graph``, or in the sub-multigraph of ``edges``)."""
    if edges is None:
        return [n for n, d in graph.degree() if d % 2]
    deg: Counter[int] = Counter()
    for u, v, _ in edges:
        deg[u] += 1
        deg[v] += 1
    return [n for n, d in deg.items() if d % 2]


def chinese_postman(
    graph: nx.MultiGraph,
    start: int,
    speed_kmh: float = DEFAULT_SPEED_KMH,
) -> Route:
    """Shortest closed walk from ``start`` over every edge (proven optimal by a dual bound).

    Parameters
    ----------
    graph
        Connected street graph (see ``routing.component_of`` for a network in pieces).
    start
        Start and end node.
    speed_kmh
        Walking speed for the route's minutes.

    Returns
    -------
    Route
        ``length_m`` = network length + repeated length; ``lower_bound_m`` = network length +
        the T-join's blossom dual bound (equal to the length up to nanometre rounding).
    """
    t0 = time.perf_counter()
    if start not in graph:
        raise ValueError(f"start node {start} is not in the graph")
    edges = [e for e in graph.edges(keys=True)]
    spanned = {n for e in edges for n in e[:2]} | {start}
    if edges and not nx.is_connected(graph.subgraph(spanned)):
        raise ValueError("the street graph is not connected; route one component at a time")
    join = min_t_join(graph, odd_nodes(graph))
    network_m = total_length(graph)
    route = eulerian_route(
        graph, edges + join.edges, start, None, speed_kmh=speed_kmh,
        lower_bound_m=network_m + join.lower_bound_m,
        method="chinese postman: exact minimum T-join (blossom algorithm, verified dual)",
    )
    route.details.update(join.details)
    route.details.update({"network_m": network_m, "seconds": time.perf_counter() - t0})
    return route


def rural_postman(
    graph: nx.MultiGraph,
    required: Collection[Edge],
    start: int,
    method: str = "auto",
    speed_kmh: float = DEFAULT_SPEED_KMH,
    ilp_max_edges: int = 120,
    time_limit_s: float = 60.0,
) -> Route:
    """Shortest closed walk from ``start`` over every ``required`` edge (others for travel).

    Parameters
    ----------
    graph
        Street graph.
    required
        ``(u, v, key)`` edges to walk at least once.
    start
        Start and end node.
    method
        ``"ilp"`` (exact, HiGHS branch and bound with lazy connectivity cuts), ``"heuristic"``
        (Frederickson: join the required pieces by a minimum spanning tree of shortest paths,
        then a minimum T-join), or ``"auto"``: exact T-join when the required edges and the start
        are connected (then that is optimal), else ILP up to ``ilp_max_edges`` graph edges,
        else the heuristic.
    speed_kmh
        Walking speed for the route's minutes.
    ilp_max_edges, time_limit_s
        Size and time limits of the exact ILP.

    Returns
    -------
    Route
        With ``lower_bound_m``: the ILP's dual bound, or for the heuristic the required length
        plus the larger of the minimum T-join on the required odd nodes and a disjoint-balls
        bound for joining the pieces (each piece must be left and re-entered).
    """
    t0 = time.perf_counter()
    req = {edge_id(*e) for e in required}
    if not req:
        return eulerian_route(graph, [], start, req, speed_kmh=speed_kmh, lower_bound_m=0.0,
                              method="nothing required")
    pieces = _required_pieces(graph, req, start)
    reach = nx.node_connected_component(graph, start)
    if any(u not in reach for u, _, _ in req):
        raise ValueError("some required streets cannot be reached from the start")
    if method == "auto":
        if len(pieces) == 1:
            method = "tjoin"
        elif graph.number_of_edges() <= ilp_max_edges:
            method = "ilp"
        else:
            method = "heuristic"
    if method == "ilp":
        route = _rpp_ilp(graph, req, start, pieces, speed_kmh, time_limit_s)
    elif method in ("heuristic", "tjoin"):
        route = _rpp_frederickson(graph, req, start, pieces, speed_kmh)
    else:
        raise ValueError(f"unknown method {method!r}")
    route.details["seconds"] = time.perf_counter() - t0
    route.details["pieces"] = len(pieces)
    return route


def _required_pieces(graph: nx.MultiGraph, req: set[Edge], start: int) -> list[set[int]]:
    """Node sets of the connected pieces of the required edges (the start as a piece)."""
    sub = nx.MultiGraph()
    sub.add_edges_from(req)
    sub.add_node(start)
    return [set(c) for c in nx.connected_components(sub)]


def _rpp_frederickson(
    graph: nx.MultiGraph,
    req: set[Edge],
    start: int,
    pieces: list[set[int]],
    speed_kmh: float,
) -> Route:
    net = graph_arrays(graph)
    multiset: list[Edge] = sorted(req)
    moat = 0.0
    if len(pieces) > 1:
        links, moat = _spanning_links(net, pieces)
        multiset += links
    join = min_t_join(graph, odd_nodes(graph, multiset))
    multiset = _drop_spare(graph, net, multiset + join.edges, req, start)
    required_m = total_length(graph, req)
    if len(pieces) == 1:
        bound = required_m + join.lower_bound_m
        method = "rural postman: required streets connected, exact T-join"
    else:
        parity = min_t_join(graph, odd_nodes(graph, req))
        bound = required_m + max(parity.lower_bound_m, moat)
        method = ("rural postman heuristic (Frederickson: MST of shortest paths between "
                  "required pieces, then minimum T-join)")
    route = eulerian_route(graph, multiset, start, req, speed_kmh=speed_kmh, lower_bound_m=bound,
                           method=method)
    route.details["required_m"] = required_m
    return route


def _spanning_links(net: GraphArrays, pieces: list[set[int]]) -> tuple[list[Edge], float]:
    """Shortest paths joining the pieces along a minimum spanning tree, and the moat bound.

    The bound: balls of radius half the distance to the nearest other piece are disjoint and
    each must be crossed out and back, so the repeated walking is at least the sum of those
    nearest distances.
    """
    c = len(pieces)
    node_piece = np.full(net.n, -1)
    for i, p in enumerate(pieces):
        node_piece[[net.index[n] for n in p]] = i
    dist = np.full((c, c), np.inf)
    ends: dict[tuple[int, int], tuple[int, int]] = {}
    preds = []
    for i, p in enumerate(pieces):
        idx = [net.index[n] for n in p]
        d, pred, _src = csgraph.dijkstra(net.matrix, directed=False, indices=idx,
                                         min_only=True, return_predecessors=True)
        preds.append(pred)
        for j in range(c):
            if j == i:
                continue
            members = np.flatnonzero(node_piece == j)
            best = members[np.argmin(d[members])]
            dist[i, j] = d[best]
            ends[(i, j)] = (best, int(_src[best]))
    moat = float(np.where(np.isfinite(dist), dist, np.inf).min(axis=1).sum())
    weights = np.where(np.isfinite(dist), np.maximum(dist, 1e-9), 0.0)
    tree = csgraph.minimum_spanning_tree(sparse.csr_matrix(np.triu(weights)))
    links: list[Edge] = []
    for i, j in zip(*tree.nonzero(), strict=True):
        target, source = ends[(int(i), int(j))]
        links.extend(_walk_back(net, preds[int(i)], source, target))
    return links, moat


def _walk_back(net: GraphArrays, pred: np.ndarray, source: int, target: int) -> list[Edge]:
    """Path edges from a multi-source predecessor array (``source`` is where it starts)."""
    steps: list[Edge] = []
    j = target
    while j != source:
        i = int(pred[j])
        key = net.best[(i, j) if i < j else (j, i)]
        steps.append(edge_id(net.nodes[i], net.nodes[j], key))
        j = i
    return steps


def _drop_spare(
    graph: nx.MultiGraph,
    net: GraphArrays,
    multiset: list[Edge],
    req: set[Edge],
    start: int,
) -> list[Edge]:
    """Remove repeated copies that parity and connectivity do not need (pairs at a time)."""
    count = Counter(edge_id(*e) for e in multiset)
    for e, c in count.items():
        keep = 1 if e in req else 0
        while c - 2 >= max(keep, 1):
            c -= 2
        count[e] = c
    for e in sorted((e for e, c in count.items() if e not in req and c == 2),
                    key=lambda e: -graph.edges[e]["length_m"]):
        count[e] = 0
        if not _covers(net, count, req, start):
            count[e] = 2
    return [e for e, c in count.items() for _ in range(c)]


def _covers(net: GraphArrays, count: Counter[Edge], req: set[Edge], start: int) -> bool:
    """Whether the edges with a positive count connect the start and all required edges."""
    used = [e for e, c in count.items() if c > 0]
    a = np.array([net.index[u] for u, _, _ in used])
    b = np.array([net.index[v] for _, v, _ in used])
    g = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(net.n, net.n))
    _, labels = csgraph.connected_components(g, directed=False)
    home = labels[net.index[start]]
    return all(labels[net.index[u]] == home for u, _, _ in req)


def _fallback(
    graph: nx.MultiGraph,
    req: set[Edge],
    start: int,
    pieces: list[set[int]],
    speed_kmh: float,
    ilp_bound: float,
) -> Route:
    """The heuristic route, keeping the better of its bound and the stopped ILP's."""
    route = _rpp_frederickson(graph, req, start, pieces, speed_kmh)
    required_m = total_length(graph, req)
    route.lower_bound_m = max(route.lower_bound_m or 0.0, required_m + ilp_bound)
    route.method += " (ILP found nothing connected in time)"
    return route


def _rpp_ilp(
    graph: nx.MultiGraph,
    req: set[Edge],
    start: int,
    pieces: list[set[int]],
    speed_kmh: float,
    time_limit_s: float,
) -> Route:
    """Exact rural postman: integer repeats per edge, parity rows, lazy connectivity cuts.

    Variables: extra walks ``x_e`` (0-1 on a required street, 0-2 on another) and ``p_v``;
    rows: ``sum of x_e at v + required degree of v = 2 p_v``, at least one repeat at an odd
    node, and, whenever the solution falls apart, ``x(cut) >= 2`` around each piece.
    HiGHS (scipy's ``milp``) solves; its dual bound is the lower bound.
    """
    edges = [edge_id(*e) for e in graph.edges(keys=True) if e[0] != e[1]]
    nodes = sorted({n for e in edges for n in e[:2]})
    ne, nn = len(edges), len(nodes)
    cost = np.r_[[graph.edges[e]["length_m"] for e in edges], np.zeros(nn)]
    upper = np.r_[[1.0 if e in req else 2.0 for e in edges], np.full(nn, np.inf)]
    deg_req: Counter[int] = Counter()
    for u, v, _ in req:
        deg_req[u] += 1
        deg_req[v] += 1
    col = {n: ne + i for i, n in enumerate(nodes)}
    rows: list[dict[int, float]] = []
    lower: list[float] = []
    high: list[float] = []
    for n in nodes:
        incident = [i for i, (u, v, _) in enumerate(edges) if n in (u, v)]
        rows.append({**{i: 1.0 for i in incident}, col[n]: -2.0})
        lower.append(-deg_req[n])
        high.append(-deg_req[n])
        if deg_req[n] % 2:  # an odd node needs a repeated street (valid, and tightens)
            rows.append(dict.fromkeys(incident, 1.0))
            lower.append(1.0)
            high.append(np.inf)
    cuts = 0
    deadline = time.perf_counter() + time_limit_s
    while True:
        matrix = sparse.lil_matrix((len(rows), ne + nn))
        for r, entries in enumerate(rows):
            for c, value in entries.items():
                matrix[r, c] = value
        res = milp(cost, integrality=np.ones(ne + nn), bounds=Bounds(0, upper),
                   constraints=LinearConstraint(matrix.tocsr(), lower, high),
                   options={"time_limit": max(0.1, deadline - time.perf_counter()),
                            "mip_rel_gap": 0.0})
        timed_out = res.status != 0
        if timed_out and res.status != 1:
            raise RuntimeError(f"rural postman ILP: {res.message}")
        dual_bound = max(0.0, float(getattr(res, "mip_dual_bound", 0.0) or 0.0))
        if res.x is None:
            return _fallback(graph, req, start, pieces, speed_kmh, dual_bound)
        x = np.rint(res.x[:ne]).astype(int)
        support = nx.Graph()
        support.add_nodes_from([start])
        support.add_edges_from(e[:2] for e in req)
        support.add_edges_from(edges[i][:2] for i in np.flatnonzero(x > 0))
        comps = [c for c in nx.connected_components(support)
                 if start in c or any(u in c for u, _, _ in req)]
        if len(comps) <= 1:
            break
        if timed_out:
            return _fallback(graph, req, start, pieces, speed_kmh, dual_bound)
        for comp in comps:  # the walk must leave and re-enter every such piece
            rows.append({i: 1.0 for i, (u, v, _) in enumerate(edges)
                         if (u in comp) != (v in comp)})
            lower.append(2.0)
            high.append(np.inf)
            cuts += 1
    multiset = sorted(req) + [edges[i] for i in np.flatnonzero(x > 0) for _ in range(x[i])]
    required_m = total_length(graph, req)
    bound = float(res.fun) if not timed_out else dual_bound
    route = eulerian_route(
        graph, multiset, start, req, speed_kmh=speed_kmh, lower_bound_m=required_m + bound,
        method="rural postman: ILP stopped at its time limit (best found)" if timed_out else
               "rural postman: exact ILP (HiGHS, lazy connectivity cuts)")
    route.details.update({"required_m": required_m, "connectivity_cuts": cuts})
    return route
