"""Map matching: which streets a noisy phone GPS track walked, when, and how much of each.

A hidden Markov model in the manner of Newson and Krumm (2009), for walking:

- **Candidates**: the points on streets within ``radius_m`` of a fix (at most
  ``max_candidates`` nearest streets). Fixes with none are left out (far off the network).
- **Emission**: Gaussian on the fix-to-street distance, ``cost = 0.5 * (d / sigma_m)^2``.
- **Transition**: exponential on ``|network distance - straight distance|`` between the two
  candidate positions, ``cost = |d_net - d_straight| / beta_m`` (on foot both directions are
  allowed). The straight distance is taken between the points on the streets, not between
  the fixes: at walking pace the fixes' noise is larger than the step, and measuring between
  fixes rewards detours that "explain" the noise. When the fixes have times, walking faster
  than ``max_speed_mps`` (plus ``2 * sigma_m`` of slack) costs the excess over ``beta_m``: a
  wild fix cannot be reached and left again in one interval.
- **Outliers**: a fix may be skipped at ``skip_cost`` per fix (at most ``max_skip`` in a
  row), so a lone wild fix near another street does not pull the path there and back.
- **Breaks**: when no path connects (a gap in the network or in the track) the chain restarts
  at ``break_cost``; the stretch between is not filled.

Viterbi picks the cheapest sequence (costs are negative log probabilities); consecutive matched
positions are joined by shortest paths. Short in-and-out excursions (under ``spur_m``) into a
side street are junction noise and are dropped (:func:`trim_spurs`); so is back and forth along
a street shorter than ``2 * sigma_m`` when the walked length is counted. Every piece of street
walked gets times interpolated between the fixes at its ends; pieces on the same street in a
row make one :class:`StreetVisit`. Covered length per street is the union of the walked
stretches, so walking a street partly counts what was walked, and back and forth counts once.

(About 500 lines: the candidates, the Viterbi pass and the visits are one model's steps.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import networkx as nx
import numpy as np
import pyproj
import shapely
from scipy.sparse import csgraph
from shapely.ops import substring

from geo_service.analysis.network import GraphArrays, graph_arrays

Fix = tuple[float, float, datetime | None]
"""A GPS fix: longitude, latitude (EPSG:4326) and time (``None`` when unknown)."""


@dataclass(frozen=True)
class MatchParams:
    """Settings of the matcher (see the module docstring).

    Defaults were tuned on synthetic walks over the sample network (noise 8 m, a fix every
    5-10 s, 3 % wild fixes): about 99 % of the path matched and 0.5 % extra on average.
    ``transition="fixes"`` measures the straight distance between fixes instead (the
    original Newson-Krumm form, better for vehicles). ``block`` fixes share one batch of
    Dijkstra searches: memory is about ``block * 2 * max_candidates * nodes`` floats, so crop
    very large graphs (over ~20,000 nodes) to the track's area first.
    """

    radius_m: float = 30.0
    sigma_m: float = 8.0
    beta_m: float = 3.0
    max_candidates: int = 8
    max_skip: int = 3
    skip_cost: float = 3.0
    break_cost: float = 40.0
    block: int = 64
    transition: str = "candidates"
    spur_m: float = 20.0
    max_speed_mps: float | None = 2.0


@dataclass
class StreetVisit:
    """One stay on a street: the stretch walked (metres from the street's start) and when."""

    street_id: int
    start_m: float
    end_m: float
    walked_m: float
    entered_at: datetime | None = None
    left_at: datetime | None = None

    @property
    def covered_m(self) -> float:
        """Length of the stretch walked."""
        return self.end_m - self.start_m


@dataclass
class MatchResult:
    """The streets a track walked.

    Attributes
    ----------
    visits
        Stays on streets in walking order (consecutive visits are on different streets).
    covered_m
        Street id -> length of the street covered (union of its visits' stretches).
    matched, skipped
        Positions of the fixes used, and of those left out (off the network or outliers).
    breaks
        Number of places where the track could not be joined up along the network.
    """

    visits: list[StreetVisit] = field(default_factory=list)
    covered_m: dict[int, float] = field(default_factory=dict)
    matched: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    breaks: int = 0

    @property
    def streets(self) -> list[int]:
        """Street ids in walking order."""
        return [visit.street_id for visit in self.visits]

    @property
    def walked_m(self) -> float:
        """Total length walked along the network (repeats included)."""
        return float(sum(visit.walked_m for visit in self.visits))

    @property
    def total_covered_m(self) -> float:
        """Total length of street covered (each stretch once)."""
        return float(sum(self.covered_m.values()))


@dataclass
class _Candidates:
    """Candidate positions of the fixes that have any, in fix order."""

    fix: np.ndarray
    xy: np.ndarray
    time: np.ndarray
    edge: list[np.ndarray]
    along: list[np.ndarray]
    cost: list[np.ndarray]
    point: list[np.ndarray]


@dataclass
class _Piece:
    """A directed stretch of one edge walked between two times (seconds, NaN unknown)."""

    edge: int
    start: float
    end: float
    t0: float
    t1: float


def project_fixes(fixes: Sequence[Fix], crs: pyproj.CRS | str) -> tuple[np.ndarray, np.ndarray]:
    """Fixes as metric ``xy`` (shape ``(n, 2)``) and POSIX seconds (NaN where unknown).

    Naive times are taken as UTC. Unknown times are interpolated from the known ones along the
    track's straight-line distance; all NaN when no fix has a time.
    """
    lonlat = np.array([(f[0], f[1]) for f in fixes], dtype=float).reshape(-1, 2)
    to_metric = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    xy = np.column_stack(to_metric.transform(lonlat[:, 0], lonlat[:, 1])).reshape(-1, 2)
    seconds = np.array([_seconds(f[2]) for f in fixes], dtype=float)
    known = np.isfinite(seconds)
    if 0 < known.sum() < len(seconds):
        steps = np.r_[0.0, np.hypot(*np.diff(xy, axis=0).T)]
        along = np.cumsum(steps) + np.arange(len(steps)) * 1e-6
        seconds = np.interp(along, along[known], seconds[known])
    return xy, seconds


def _seconds(moment: datetime | None) -> float:
    if moment is None:
        return np.nan
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _moment(seconds: float, tz: object) -> datetime | None:
    return None if not np.isfinite(seconds) else datetime.fromtimestamp(seconds, tz)  # type: ignore[arg-type]


def _candidates(arrays: GraphArrays, xy: np.ndarray, seconds: np.ndarray,
                params: MatchParams) -> _Candidates:
    points = shapely.points(xy)
    fix, edge = shapely.STRtree(arrays.geometry).query(points, predicate="dwithin",
                                                       distance=params.radius_m)
    distance = shapely.distance(points[fix], arrays.geometry[edge])
    order = np.lexsort((distance, fix))
    fix, edge, distance = fix[order], edge[order], distance[order]
    first = np.r_[0, np.flatnonzero(np.diff(fix)) + 1] if len(fix) else np.empty(0, int)
    rank = np.arange(len(fix)) - np.repeat(first, np.diff(np.r_[first, len(fix)]))
    keep = rank < params.max_candidates
    fix, edge, distance = fix[keep], edge[keep], distance[keep]
    along = arrays.along(edge, points[fix])
    on_street = shapely.get_coordinates(shapely.line_interpolate_point(
        arrays.geometry[edge], shapely.line_locate_point(arrays.geometry[edge], points[fix])))
    kept, starts = np.unique(fix, return_index=True)
    bounds = np.r_[starts, len(fix)]
    pieces = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return _Candidates(
        fix=kept, xy=xy[kept], time=seconds[kept],
        edge=[edge[s] for s in pieces], along=[along[s] for s in pieces],
        cost=[0.5 * (distance[s] / params.sigma_m) ** 2 for s in pieces],
        point=[on_street[s] for s in pieces])


def _ends(arrays: GraphArrays, edge: np.ndarray, along: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """Both end nodes of each candidate's edge and the distance to them, shape ``(2, k)``."""
    nodes = np.vstack([arrays.start[edge], arrays.end[edge]])
    offsets = np.vstack([along, arrays.length[edge] - along])
    return nodes, offsets


def _transition_distances(arrays: GraphArrays, dist: np.ndarray, row: dict[int, int],
                          cands: _Candidates, j: int, i: int) -> np.ndarray:
    """Network distances between the candidates of kept fixes ``j`` and ``i``."""
    nodes_a, off_a = _ends(arrays, cands.edge[j], cands.along[j])
    nodes_b, off_b = _ends(arrays, cands.edge[i], cands.along[i])
    best = np.full((len(cands.edge[j]), len(cands.edge[i])), np.inf)
    for x in range(2):
        rows = dist[[row[int(n)] for n in nodes_a[x]]]
        for y in range(2):
            best = np.minimum(best, off_a[x][:, None] + rows[:, nodes_b[y]] + off_b[y][None, :])
    same = cands.edge[j][:, None] == cands.edge[i][None, :]
    direct = np.abs(cands.along[j][:, None] - cands.along[i][None, :])
    return np.where(same, np.minimum(best, direct), best)


def _too_fast(network: np.ndarray, seconds: float, params: MatchParams) -> np.ndarray | float:
    """Cost of walking ``network`` metres in ``seconds``: the excess over ``max_speed_mps``
    (plus ``2 * sigma_m`` for the fixes' own error) divided by ``beta_m``."""
    if params.max_speed_mps is None or not np.isfinite(seconds) or seconds <= 0:
        return 0.0
    allowed = params.max_speed_mps * seconds + 2 * params.sigma_m
    return np.maximum(network - allowed, 0.0) / params.beta_m


def _viterbi(arrays: GraphArrays, cands: _Candidates, params: MatchParams
             ) -> list[tuple[int, int, float]]:
    """Cheapest chain of ``(kept fix, candidate, network metres from the previous state)``
    states; the distance is ``inf`` where the chain restarts."""
    count = len(cands.fix)
    skip, window = params.skip_cost, params.max_skip + 1
    cost: list[np.ndarray] = []
    back: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    best = np.full(count, np.inf)
    for lo in range(0, count, params.block):
        hi = min(lo + params.block, count)
        first = max(0, lo - window)
        sources = np.unique(np.concatenate(
            [np.r_[arrays.start[e], arrays.end[e]] for e in cands.edge[first:hi]]))
        span = max((float(np.hypot(*(cands.xy[i] - cands.xy[j])))
                    for i in range(lo, hi) for j in range(max(0, i - window), i)), default=0.0)
        limit = 2 * span + 2 * params.radius_m + 100.0
        dist = csgraph.dijkstra(arrays.matrix, directed=False, indices=sources, limit=limit)
        row = {int(n): r for r, n in enumerate(sources)}
        for i in range(lo, hi):
            size = len(cands.edge[i])
            total = np.full(size, np.inf)
            from_fix = np.full(size, -1)
            from_cand = np.full(size, -1)
            joined = np.full(size, np.inf)
            if i < window:
                total[:] = skip * i
            for j in range(max(0, i - window), i):
                network = _transition_distances(arrays, dist, row, cands, j, i)
                if params.transition == "fixes":
                    straight = float(np.hypot(*(cands.xy[i] - cands.xy[j])))
                else:
                    gap = cands.point[j][:, None, :] - cands.point[i][None, :, :]
                    straight = np.hypot(gap[..., 0], gap[..., 1])
                step = (cost[j][:, None] + np.abs(network - straight) / params.beta_m
                        + _too_fast(network, cands.time[i] - cands.time[j], params)
                        + skip * (i - j - 1))
                pick = np.argmin(step, axis=0)
                value = step[pick, np.arange(size)]
                better = value < total
                total[better], from_fix[better] = value[better], j
                from_cand[better] = pick[better]
                joined[better] = network[pick, np.arange(size)][better]
                restart = best[j] + params.break_cost + skip * (i - j - 1)
                fresh = restart < total
                total[fresh], from_fix[fresh] = restart, j
                from_cand[fresh] = int(np.argmin(cost[j]))
                joined[fresh] = np.inf
            cost.append(total + cands.cost[i])
            back.append((from_fix, from_cand, joined))
            best[i] = cost[i].min()
    tail = [(best[i] + skip * (count - 1 - i), i) for i in range(max(0, count - window), count)]
    _, i = min(tail)
    c = int(np.argmin(cost[i]))
    chain = []
    while i >= 0:
        from_fix, from_cand, joined = back[i]
        chain.append((i, c, float(joined[c])))
        i, c = int(from_fix[c]), int(from_cand[c])
    chain.reverse()
    return chain


def _path_pieces(arrays: GraphArrays, position: dict[int, int], cands: _Candidates,
                 a: tuple[int, int], b: tuple[int, int], limit: float) -> list[_Piece] | None:
    """Stretches walked from candidate ``a`` to ``b`` (``(kept fix, candidate)``) on a shortest
    path no longer than ``limit``, or None."""
    (j, ca), (i, cb) = a, b
    edge_a, edge_b = int(cands.edge[j][ca]), int(cands.edge[i][cb])
    ta, tb = float(cands.along[j][ca]), float(cands.along[i][cb])
    t0, t1 = float(cands.time[j]), float(cands.time[i])
    direct = abs(ta - tb) if edge_a == edge_b else np.inf
    nodes_a, off_a = _ends(arrays, np.array([edge_a]), np.array([ta]))
    nodes_b, off_b = _ends(arrays, np.array([edge_b]), np.array([tb]))
    dist, pred = csgraph.dijkstra(arrays.matrix, directed=False, indices=nodes_a[:, 0],
                                  limit=limit, return_predecessors=True)
    options = [(off_a[x, 0] + dist[x, nodes_b[y, 0]] + off_b[y, 0], x, y)
               for x in range(2) for y in range(2)]
    length, x, y = min(options)
    if direct <= length:
        if not np.isfinite(direct):
            return None
        return [_Piece(edge_a, ta, tb, t0, t1)]
    if not np.isfinite(length):
        return None
    exit_at = 0.0 if x == 0 else float(arrays.length[edge_a])
    enter_at = 0.0 if y == 0 else float(arrays.length[edge_b])
    steps: list[tuple[int, float, float]] = [(edge_a, ta, exit_at)]
    hops = []
    node = int(nodes_b[y, 0])
    while node != int(nodes_a[x, 0]):
        before = int(pred[x, node])
        hops.append((before, node))
        node = before
    for u, v in reversed(hops):
        edge = position[arrays.best[(min(u, v), max(u, v))]]
        forward = int(arrays.start[edge]) == u
        full = float(arrays.length[edge])
        steps.append((edge, 0.0, full) if forward else (edge, full, 0.0))
    steps.append((edge_b, enter_at, tb))
    sizes = np.array([abs(e - s) for _, s, e in steps])
    marks = np.r_[0.0, np.cumsum(sizes)]
    share = marks / marks[-1] if marks[-1] > 0 else np.linspace(0, 1, len(marks))
    times = t0 + (t1 - t0) * share
    return [_Piece(edge, s, e, times[k], times[k + 1])
            for k, (edge, s, e) in enumerate(steps)]


def zigzag_length(positions: Sequence[float], threshold: float) -> float:
    """Distance walked along a street through ``positions``, ignoring reversals shorter than
    ``threshold`` (GPS jitter along the street); at least the span of the positions."""
    if len(positions) < 2:
        return 0.0
    total, anchor, extreme, direction = 0.0, positions[0], positions[0], 0
    for x in positions[1:]:
        if direction == 0:
            if abs(x - anchor) >= threshold:
                direction, extreme = (1 if x > anchor else -1), x
        elif (x - extreme) * direction > 0:
            extreme = x
        elif abs(x - extreme) >= threshold:
            total += abs(extreme - anchor)
            anchor, extreme, direction = extreme, x, -direction
    total += abs(extreme - anchor)
    return max(total, max(positions) - min(positions))


def _visits(arrays: GraphArrays, pieces: list[_Piece], tz: object, jitter_m: float
            ) -> list[list[StreetVisit]]:
    """Merge consecutive pieces on the same street into visits, one list per unbroken run.

    Zero-length pieces are dropped; a visit's ``walked_m`` ignores back-and-forth shorter
    than ``jitter_m`` (:func:`zigzag_length`).
    """
    runs: list[list[StreetVisit]] = [[]]
    positions: list[list[float]] = []
    last_edge = None
    for piece in pieces:
        if piece.edge < 0:  # a break in the track
            runs.append([])
            last_edge = None
            continue
        lo, hi = sorted((piece.start, piece.end))
        visits = runs[-1]
        if piece.edge == last_edge:
            visit = visits[-1]
            visit.start_m, visit.end_m = min(visit.start_m, lo), max(visit.end_m, hi)
            visit.left_at = _moment(piece.t1, tz)
            positions[-1].append(piece.end)
            continue
        if hi - lo <= 0:
            continue
        visits.append(StreetVisit(int(arrays.keys[piece.edge]), lo, hi, hi - lo,
                                  _moment(piece.t0, tz), _moment(piece.t1, tz)))
        positions.append([piece.start, piece.end])
        last_edge = piece.edge
    flat = [visit for run in runs for visit in run]
    for visit, along in zip(flat, positions, strict=True):
        visit.walked_m = zigzag_length(along, jitter_m)
    return [run for run in runs if run]


def _is_spur(visit: StreetVisit, length: float, spur_m: float) -> bool:
    """A short stretch from one end of a street that does not reach the other end."""
    at_start = visit.start_m <= 1e-6
    at_end = visit.end_m >= length - 1e-6
    return visit.covered_m < spur_m and not (at_start and at_end)


def trim_spurs(run: list[StreetVisit], lengths: dict[int, float], spur_m: float
               ) -> list[StreetVisit]:
    """Drop short in-and-out excursions (GPS noise at junctions) from a run of visits.

    A visit is an excursion when it covers less than ``spur_m`` from one end of its street and
    does not reach the other end, so it was left by the end it was entered from (or the track
    began or ended in it). Visits on the same street that become neighbours are merged.
    """
    if spur_m <= 0 or len(run) < 2:
        return run
    kept = [v for v in run if not _is_spur(v, lengths[v.street_id], spur_m)]
    if not kept:
        return [max(run, key=lambda v: v.covered_m)]
    merged = [kept[0]]
    for visit in kept[1:]:
        last = merged[-1]
        if visit.street_id != last.street_id:
            merged.append(visit)
            continue
        last.start_m, last.end_m = min(last.start_m, visit.start_m), max(last.end_m, visit.end_m)
        last.walked_m += visit.walked_m
        last.left_at = visit.left_at
    return merged


def covered_lengths(visits: Sequence[StreetVisit]) -> dict[int, float]:
    """Street id -> length covered by the union of the visits' stretches."""
    spans: dict[int, list[tuple[float, float]]] = {}
    for visit in visits:
        spans.setdefault(visit.street_id, []).append((visit.start_m, visit.end_m))
    covered = {}
    for street, parts in spans.items():
        total, reach = 0.0, -np.inf
        for lo, hi in sorted(parts):
            if hi > reach:
                total += hi - max(lo, reach)
                reach = hi
        covered[street] = total
    return covered


def match_track(graph: nx.MultiGraph, fixes: Sequence[Fix], *,
                params: MatchParams | None = None,
                arrays: GraphArrays | None = None) -> MatchResult:
    """Match a GPS track to the street graph.

    Parameters
    ----------
    graph
        Street graph from :func:`geo_service.analysis.network.street_graph` (metric CRS in
        ``graph.graph["crs"]``, edges keyed by street id).
    fixes
        ``(lon, lat, time)`` in walking order; times may be ``None``.
    params
        Matcher settings.
    arrays
        The graph indexed by :func:`graph_arrays` (computed when omitted).

    Returns
    -------
    MatchResult
        Visits with entry and exit times (UTC; ``None`` when the track has no times; naive
        times are taken as UTC) and covered length per street.
    """
    params = params or MatchParams()
    arrays = arrays or graph_arrays(graph)
    if len(fixes) == 0 or len(arrays.keys) == 0:
        return MatchResult(skipped=list(range(len(fixes))))
    xy, seconds = project_fixes(fixes, graph.graph["crs"])
    tz = UTC
    cands = _candidates(arrays, xy, seconds, params)
    if len(cands.fix) == 0:
        return MatchResult(skipped=list(range(len(fixes))))
    chain = _viterbi(arrays, cands, params)
    position = arrays.position
    pieces: list[_Piece] = []
    breaks = 0
    for (j, cj, _), (i, ci, network_m) in zip(chain[:-1], chain[1:], strict=True):
        found = (_path_pieces(arrays, position, cands, (j, cj), (i, ci), network_m + 1.0)
                 if np.isfinite(network_m) else None)
        if found is None:
            breaks += 1
            pieces.append(_Piece(-1, 0.0, 0.0, np.nan, np.nan))  # separates visits
            continue
        pieces.extend(found)
    lengths = dict(zip(arrays.keys.tolist(), arrays.length.tolist(), strict=True))
    visits = [visit for run in _visits(arrays, pieces, tz, 2 * params.sigma_m)
              for visit in trim_spurs(run, lengths, params.spur_m)]
    matched = [int(cands.fix[i]) for i, _, _ in chain]
    skipped = sorted(set(range(len(fixes))) - set(matched))
    return MatchResult(visits, covered_lengths(visits), matched, skipped, breaks)


def visit_geometry(graph: nx.MultiGraph, visit: StreetVisit) -> shapely.LineString:
    """The stretch of street a visit walked (metric CRS of the graph)."""
    edges = {k: (u, v) for u, v, k in graph.edges(keys=True)}
    u, v = edges[visit.street_id]
    data = graph.edges[u, v, visit.street_id]
    geom = data["geometry"]
    scale = geom.length / data["length_m"] if data["length_m"] > 0 else 1.0
    return substring(geom, visit.start_m * scale, visit.end_m * scale)
