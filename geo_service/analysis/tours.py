"""Tours through points, and K balanced routes for K teams or shifts.

``visit_points`` orders stops (hazards, hotspots, broken lights) by network distance: Held-Karp
dynamic programming (exact) up to ``exact_max`` stops, else nearest neighbour + 2-opt + Or-opt
with a 1-tree lower bound. ``balanced_routes`` splits one team's closed walk into K closed walks
from the start (Frederickson-Hecht-Kim tour splitting, with the split points chosen optimally for
each of several Euler tours of that walk), then shortens each team's walk as a rural postman over
the streets it serves, and keeps the plan with the shortest longest route. The tour split
itself (:func:`min_max_cuts`) also cuts a points tour into K round trips (:func:`split_order`).

(About 500 lines: points tours and team splitting share the distance arrays and the split.)
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from geo_service.analysis.network import GraphArrays, graph_arrays
from geo_service.analysis.postman import chinese_postman, rural_postman
from geo_service.analysis.routing import (
    DEFAULT_SPEED_KMH,
    Edge,
    Route,
    edge_id,
    eulerian_route,
    make_route,
)

EPS = 1e-9


# --------------------------------------------------------------------------- points


def visit_points(
    graph: nx.MultiGraph,
    stops: Sequence[int],
    start: int | None = None,
    closed: bool = True,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    exact_max: int = 12,
) -> Route:
    """Shortest walk through every stop node (order chosen on network distances).

    Parameters
    ----------
    graph
        Street graph; snap points to nodes first (``routing.split_at_points``).
    stops
        Nodes to visit, e.g. one per hazard.
    start
        Where the walk starts (and ends when ``closed``); ``None``: at a stop of its choice.
    closed
        Return to the start (or to the first stop) at the end.
    speed_kmh
        Walking speed for the route's minutes.
    exact_max
        Up to this many stops the order is exact (Held-Karp), above it heuristic.

    Returns
    -------
    Route
        ``stops`` gives ``(position in nodes, index in stops)`` in visiting order; every step
        serves nothing (``deadhead_m`` = ``length_m``); ``lower_bound_m`` is the optimum when
        exact, else a 1-tree (closed) or spanning tree (open) bound.
    """
    if not stops:
        raise ValueError("no stops to visit")
    sites = ([start] if start is not None else []) + list(stops)
    net = graph_arrays(graph)
    idx = np.array([net.index[s] for s in sites])
    dist, pred = net.dijkstra(idx, predecessors=True)
    d = dist[:, idx]
    if not np.isfinite(d).all():
        raise ValueError("some stops cannot be reached from the others")
    offset = 1 if start is not None else 0
    order, method, bound = _order(d, start is not None, closed, exact_max)
    walk_sites = [order[0]] + list(order[1:])
    if closed:
        walk_sites.append(order[0])
    steps: list[Edge] = []
    visits: list[tuple[int, int]] = []
    for pos, (a, b) in enumerate(zip(walk_sites[:-1], walk_sites[1:], strict=True)):
        if pos == 0 and a >= offset:
            visits.append((0, a - offset))
        steps.extend(net.path(pred[a], idx[a], idx[b]))
        if b >= offset and not (closed and pos == len(walk_sites) - 2):
            visits.append((len(steps), b - offset))
    route = make_route(graph, sites[walk_sites[0]], steps, required=set(), speed_kmh=speed_kmh,
                       lower_bound_m=bound, method=method, stops=visits)
    return route


def _order(d: np.ndarray, has_start: bool, closed: bool, exact_max: int,
           ) -> tuple[list[int], str, float]:
    """Visiting order of site indices (site 0 first when there is a start)."""
    n = len(d)
    if closed:
        cost, depot = d, 0  # a closed tour: any site can be the depot
    else:  # open path: a dummy depot, tied to the start if there is one
        cost = np.zeros((n + 1, n + 1))
        cost[:n, :n] = d
        if has_start:
            big = float(d.max()) * n + 1.0
            cost[n, :n] = cost[:n, n] = big
            cost[n, 0] = cost[0, n] = 0.0
        depot = n
    m = len(cost) - 1
    if m <= exact_max:
        tour, length = _held_karp(cost, depot)
        method = f"exact order (Held-Karp dynamic programming, {n} sites)"
        exact = True
    else:
        tour = _two_opt_or_opt(cost, _nearest_neighbour(cost, depot))
        length = _tour_length(cost, tour)
        method = f"nearest neighbour + 2-opt + Or-opt ({n} sites)"
        exact = False
    if not closed:
        pos = tour.index(depot)
        tour = tour[pos + 1:] + tour[:pos]  # the path without the dummy
        if has_start and tour[0] != 0:
            tour.reverse()
        length = float(sum(d[a, b] for a, b in zip(tour[:-1], tour[1:], strict=True)))
    else:
        pos = tour.index(0)
        tour = tour[pos:] + tour[:pos]
    bound = length if exact else _tree_bound(d, closed)
    return tour, method, bound


def _held_karp(cost: np.ndarray, depot: int) -> tuple[list[int], float]:
    """Exact shortest closed tour through all sites (dynamic programming over subsets)."""
    others = [i for i in range(len(cost)) if i != depot]
    m = len(others)
    if m == 0:
        return [depot], 0.0
    c = cost[np.ix_(others, others)]
    full = 1 << m
    dp = np.full((full, m), np.inf)
    parent = np.full((full, m), -1, dtype=np.int64)
    for j in range(m):
        dp[1 << j, j] = cost[depot, others[j]]
    bits = 1 << np.arange(m)
    for mask in range(1, full):
        row = dp[mask]
        if not np.isfinite(row).any():
            continue
        via = row[:, None] + c  # via[j, k]: end at j, then go to k
        best_j = np.argmin(via, axis=0)
        best = via[best_j, np.arange(m)]
        for k in np.flatnonzero((mask & bits) == 0):
            new = mask | (1 << k)
            if best[k] < dp[new, k]:
                dp[new, k] = best[k]
                parent[new, k] = best_j[k]
    back = dp[full - 1] + cost[others, depot]
    j = int(np.argmin(back))
    length = float(back[j])
    tour = []
    mask = full - 1
    while j >= 0:
        tour.append(others[j])
        j, mask = int(parent[mask, j]), mask ^ (1 << j)
    return [depot] + tour[::-1], length


def _nearest_neighbour(cost: np.ndarray, depot: int) -> list[int]:
    n = len(cost)
    tour = [depot]
    free = np.ones(n, dtype=bool)
    free[depot] = False
    while free.any():
        row = np.where(free, cost[tour[-1]], np.inf)
        nxt = int(np.argmin(row))
        tour.append(nxt)
        free[nxt] = False
    return tour


def _tour_length(cost: np.ndarray, tour: list[int]) -> float:
    t = np.asarray(tour)
    return float(cost[t, np.roll(t, -1)].sum())


def _two_opt_or_opt(cost: np.ndarray, tour: list[int]) -> list[int]:
    """Improve a closed tour by 2-opt and Or-opt moves until neither helps."""
    t = list(tour)
    improved = True
    while improved:
        improved = _two_opt(cost, t) | _or_opt(cost, t)
    return t


def _two_opt(cost: np.ndarray, t: list[int]) -> bool:
    n = len(t)
    changed = False
    if n < 4:
        return False
    again = True
    while again:
        again = False
        arr = np.asarray(t)
        nxt = np.roll(arr, -1)
        for i in range(n - 2):
            a, b = arr[i], arr[i + 1]
            js = np.arange(i + 2, n if i > 0 else n - 1)
            if not len(js):
                continue
            delta = (cost[a, arr[js]] + cost[b, nxt[js]] - cost[a, b] - cost[arr[js], nxt[js]])
            j = int(np.argmin(delta))
            if delta[j] < -EPS:
                lo, hi = i + 1, int(js[j])
                t[lo:hi + 1] = t[lo:hi + 1][::-1]
                changed = again = True
                break
    return changed


def _or_opt(cost: np.ndarray, t: list[int]) -> bool:
    """Move a run of 1-3 sites (either way round) to its best other place; first gain wins."""
    n = len(t)
    for size in (1, 2, 3):
        if n < size + 3:
            continue
        for i in range(1, n - size + 1):
            seg = t[i:i + size]
            prev, after = t[i - 1], t[(i + size) % n]
            gain = cost[prev, seg[0]] + cost[seg[-1], after] - cost[prev, after]
            rest = t[:i] + t[i + size:]
            r = np.asarray(rest)
            rn = np.roll(r, -1)
            fwd = cost[r, seg[0]] + cost[seg[-1], rn] - cost[r, rn]
            rev = cost[r, seg[-1]] + cost[seg[0], rn] - cost[r, rn]
            best = np.minimum(fwd, rev)
            best[i - 1] = np.inf  # its own place
            p = int(np.argmin(best))
            if best[p] < gain - EPS:
                piece = seg if fwd[p] <= rev[p] else seg[::-1]
                t[:] = rest[:p + 1] + piece + rest[p + 1:]
                return True
    return False


def _tree_bound(d: np.ndarray, closed: bool) -> float:
    """Spanning tree bound (open path) or 1-tree bound on site 0 (closed tour)."""
    n = len(d)
    if n <= 2:
        return float(d[0, -1] * (2 if closed else 1))
    w = np.maximum(d, EPS)
    if not closed:
        return float(csgraph.minimum_spanning_tree(sparse.csr_matrix(w)).sum())
    tree = float(csgraph.minimum_spanning_tree(sparse.csr_matrix(w[1:, 1:])).sum())
    two = np.sort(d[0, 1:])[:2].sum()
    return tree + float(two)


# --------------------------------------------------------------------------- teams


@dataclass
class TeamPlan:
    """K closed walks from one start that together cover the required streets.

    Attributes
    ----------
    routes
        One route per team or shift (``team`` = 1..K).
    longest_m
        Length of the longest route (what was minimised).
    lower_bound_m
        No split into K closed walks has a shorter longest route: the larger of
        ``one_team_bound_m / K`` and ``round_trip_m``.
    one_team_m, one_team_bound_m
        The single-team route split here, and the lower bound on the single-team optimum.
    round_trip_m
        The longest of the shortest round trips from the start through one required street.
    method
        How the routes were made.
    """

    routes: list[Route]
    longest_m: float
    lower_bound_m: float
    one_team_m: float
    one_team_bound_m: float
    round_trip_m: float
    method: str
    details: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Longest route over the lower bound (1.0 would be provably optimal)."""
        return self.longest_m / self.lower_bound_m if self.lower_bound_m > 0 else 1.0


def balanced_routes(
    graph: nx.MultiGraph,
    k: int,
    start: int,
    required: Collection[Edge] | None = None,
    giant: Route | None = None,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    reoptimise: bool = True,
    tours: int = 16,
    tried: int = 2,
) -> TeamPlan:
    """Split the work into ``k`` closed walks from ``start``, minimising the longest.

    Parameters
    ----------
    graph
        Street graph.
    k
        Number of teams or shifts.
    start
        Start and end node of every route.
    required
        Streets to cover (``None``: every street).
    giant
        The single-team route to split; computed (Chinese or rural postman) when ``None``.
    speed_kmh
        Walking speed for the minutes.
    reoptimise
        Shorten each route afterwards as a rural postman over the streets it serves.
    tours
        Euler tours of the single-team walk to split (the given one and reshuffled ones).
    tried
        How many of the best-splitting tours are re-solved route by route.

    Returns
    -------
    TeamPlan
        The routes and the bound they are measured against.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    req = None if required is None else {edge_id(*e) for e in required}
    if giant is None:
        giant = chinese_postman(graph, start, speed_kmh) if req is None else \
            rural_postman(graph, req, start, speed_kmh=speed_kmh)
    net = graph_arrays(graph)
    dist, pred = net.dijkstra([net.index[start]], predecessors=True)
    from_start, pred = dist[0], pred[0]
    served = giant.served_edges()
    round_trip = max((from_start[net.index[u]] + graph.edges[u, v, key]["length_m"]
                      + from_start[net.index[v]] for u, v, key in served), default=0.0)
    one_bound = giant.lower_bound_m if giant.lower_bound_m is not None else giant.length_m
    bound = max(one_bound / k, round_trip)
    candidates = [giant] + [_reshuffled(graph, giant, start, seed) for seed in range(tours - 1)]
    scored = sorted(((_split_points(graph, net, t, from_start, k), t) for t in candidates),
                    key=lambda item: item[0][1])
    best: list[Route] | None = None
    for (cuts, _), tour in scored[:max(1, tried)]:
        routes = _split(graph, net, tour, cuts, pred, start, speed_kmh, reoptimise)
        if best is None or max(r.length_m for r in routes) < max(r.length_m for r in best):
            best = routes
    assert best is not None
    for team, route in enumerate(best, start=1):
        route.team = team
        route.lower_bound_m = bound
    method = (f"tour splitting (Frederickson-Hecht-Kim) of the best of {tours} Euler tours, "
              "split points optimal for the tour"
              + (", each route re-solved as a rural postman" if reoptimise else ""))
    return TeamPlan(best, max(r.length_m for r in best), bound, giant.length_m, one_bound,
                    round_trip, method)


def _reshuffled(graph: nx.MultiGraph, giant: Route, start: int, seed: int) -> Route:
    """Another Euler tour over the same steps (edges taken in a shuffled order)."""
    steps = list(giant.edges)
    random.Random(seed).shuffle(steps)
    return eulerian_route(graph, steps, start, set(giant.served_edges()),
                          speed_kmh=giant.speed_kmh)


def _split(
    graph: nx.MultiGraph,
    net: GraphArrays,
    giant: Route,
    cuts: list[int],
    pred: np.ndarray,
    start: int,
    speed_kmh: float,
    reoptimise: bool,
) -> list[Route]:
    """The tour cut into closed walks at ``cuts``; each shortened as a rural postman."""
    routes = []
    for i, j in zip(cuts[:-1], cuts[1:], strict=True):
        route = _piece_route(graph, net, giant, i, j, pred, start, speed_kmh)
        if reoptimise and route.length_m > 0:
            better = rural_postman(graph, route.served_edges(), start, method="heuristic",
                                   speed_kmh=speed_kmh)
            if better.length_m < route.length_m - EPS:
                route = better
        routes.append(route)
    return routes


def _split_points(
    graph: nx.MultiGraph,
    net: GraphArrays,
    giant: Route,
    from_start: np.ndarray,
    k: int,
) -> tuple[list[int], float]:
    """Cut positions ``0 = c_0 < ... < c_k = n`` minimising the longest piece, and its length.

    A piece ``[i, j)`` walked as start -> tour node i -> ... -> tour node j -> start costs
    ``A[i] + B[j]`` with ``A[i] = d(s, n_i) - P_i`` and ``B[j] = P_j + d(n_j, s)`` (P: lengths
    along the tour); :func:`min_max_cuts` finds the cuts.
    """
    n = len(giant.edges)
    if n == 0:
        return [0] * (k + 1), 0.0
    steps = np.array([graph.edges[e]["length_m"] for e in giant.edges])
    prefix = np.concatenate([[0.0], np.cumsum(steps)])
    d = from_start[[net.index[v] for v in giant.nodes]]
    return min_max_cuts(d - prefix, prefix + d, k, upper=float(prefix[-1] + 2 * d.max()))


def split_order(dist: np.ndarray, order: Sequence[int], k: int) -> list[list[int]]:
    """Cut a tour's visiting order into ``k`` consecutive groups minimising the longest
    round trip ``start -> group in order -> start`` (site 0 of ``dist`` is the start; ``order``
    holds site indices), by :func:`min_max_cuts`: group ``order[i:j]`` costs
    ``A[i] + B[j]`` with ``A[i] = d(s, o_i) - P_i`` and ``B[j] = P_{j-1} + d(o_{j-1}, s)``."""
    n = len(order)
    if min(k, n) <= 1:
        return [list(order)]
    sites = np.asarray(order)
    along = np.concatenate([[0.0], np.cumsum(dist[sites[:-1], sites[1:]])])
    a = np.append(dist[0, sites] - along, np.inf)
    b = np.insert(along + dist[sites, 0], 0, np.inf)
    cuts, _ = min_max_cuts(a, b, k)
    return [list(order[i:j]) for i, j in itertools.pairwise(cuts) if j > i]


def min_max_cuts(a: np.ndarray, b: np.ndarray, k: int, upper: float | None = None
                 ) -> tuple[list[int], float]:
    """The one tour split: cuts ``0 = c_0 < ... < c_m = n`` (``m = min(k, n)``, padded with
    ``n`` to ``k + 1`` entries) minimising the longest piece, a piece ``[i, j)`` costing
    ``a[i] + b[j]`` (``a``, ``b`` of length ``n + 1``); and that longest piece.

    "m pieces of at most T" is checked layer by layer with prefix minima, and T is found by
    bisection (to 1e-6) from ``upper`` (default: the dearest piece there could be). More pieces
    never cost more when the costs come from shortest distances (triangle inequality).
    """
    n = len(a) - 1
    k_eff = min(k, n)
    if upper is None:
        upper = float(np.max(a[:-1]) + np.max(b[1:]))

    def layers(limit: float) -> list[np.ndarray]:
        reach = np.zeros(n + 1, dtype=bool)
        reach[0] = True
        out = [reach]
        for _ in range(k_eff):
            best = np.minimum.accumulate(np.where(reach, a, np.inf))
            before = np.concatenate([[np.inf], best[:-1]])
            reach = before + b <= limit + 1e-7
            out.append(reach)
        return out

    lo, hi = 0.0, upper
    for _ in range(100):
        mid = (lo + hi) / 2
        if layers(mid)[-1][n]:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-6:
            break
    reach = layers(hi)
    cuts = [n]
    j = n
    for layer in range(k_eff - 1, -1, -1):
        ok = np.flatnonzero(reach[layer][:j] & (a[:j] + b[j] <= hi + 1e-7))
        j = int(ok[-1]) if layer else 0
        cuts.append(j)
    cuts.reverse()
    return cuts + [n] * (k - k_eff), hi


def _piece_route(
    graph: nx.MultiGraph,
    net: GraphArrays,
    giant: Route,
    i: int,
    j: int,
    pred: np.ndarray,
    start: int,
    speed_kmh: float,
) -> Route:
    """Start -> tour piece [i, j) -> start, serving what the tour served in that piece."""
    if i == j:
        return make_route(graph, start, [], required=set(), speed_kmh=speed_kmh)
    nodes = giant.nodes
    s = net.index[start]
    out = net.path(pred, s, net.index[nodes[i]])
    back = [(v, u, key) for u, v, key in reversed(net.path(pred, s, net.index[nodes[j]]))]
    body = giant.edges[i:j]
    served = {edge_id(*e) for e, f in zip(body, giant.serve[i:j], strict=True) if f}
    route = make_route(graph, start, out + body + back, required=served, speed_kmh=speed_kmh,
                       method="tour piece")
    # the first walk on a served street may come before its serving step in the piece
    return route
