"""Where the next lights and cameras go: maximal covering, set covering and budget placement.

The coverage models (lighting, cameras) describe a placement question as a
:class:`CoverageProblem`: demand items (street pieces) with weights (priority-weighted length), a
sparse boolean matrix ``covers`` (demand x candidate site) and a cost per candidate. Demand that
existing working assets already light or see is marked ``already_covered``; a broken asset covers
nothing unless its repair candidate is chosen.

Three questions are answered exactly with HiGHS (``scipy.optimize.milp``), reporting the solver
status and the optimality gap:

* :func:`max_cover`: the K sites that newly cover the most weight;
* :func:`set_cover`: the fewest (or cheapest) sites covering all demand of a priority, with the
  demand no site can cover reported rather than failing;
* :func:`budget_cover`: the most weight covered for a total cost within a budget.

The model is reduced first (covered and uncoverable demand dropped, identical demand rows merged
with their weights summed, dominated sites dropped). When the reduced instance is larger than a
configurable size, or HiGHS runs out of time, the answer comes from lazy greedy plus a 1-swap
local search, with the best available bound beside it (the MILP dual bound, the LP relaxation,
or the greedy bounds). Everything stays sparse: no dense demand x site matrix is ever built.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

Question = Literal["max_cover", "set_cover", "budget"]
Method = Literal["milp-optimal", "milp-timelimit", "greedy+swap", "trivial"]

_EPS = 1e-9
HEURISTIC_SHARE = 0.2
_GREEDY_FACTOR = 1.0 - 1.0 / math.e


# --------------------------------------------------------------------------------------------
# Public data structures
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CoverageProblem:
    """A placement question as the coverage models state it.

    Attributes
    ----------
    weights:
        ``(n_demand,)`` non-negative weight of each demand item (priority-weighted metres).
    covers:
        ``(n_demand, n_candidates)`` sparse boolean matrix; ``covers[i, j]`` means candidate
        ``j`` would cover demand ``i``. Stored as CSR.
    cost:
        ``(n_candidates,)`` cost of each candidate in yuan.
    already_covered:
        ``(n_demand,)`` demand covered by existing working assets (removed before solving).
    candidate_ids:
        Optional labels of the candidates (e.g. the ``candidate_id`` column of the sites).
    priority:
        Optional ``(n_demand,)`` priority used by :func:`set_cover`'s threshold; defaults to
        ``weights``.
    """

    weights: np.ndarray
    covers: sp.csr_matrix
    cost: np.ndarray
    already_covered: np.ndarray
    candidate_ids: np.ndarray | None = None
    priority: np.ndarray | None = None

    def __post_init__(self) -> None:
        covers = sp.csr_matrix(self.covers, dtype=bool)
        covers.eliminate_zeros()
        covers.sum_duplicates()
        covers.sort_indices()
        n_dem, n_cand = covers.shape
        weights = np.asarray(self.weights, dtype=float)
        cost = np.asarray(self.cost, dtype=float)
        done = np.asarray(self.already_covered, dtype=bool)
        _check_shape("weights", weights, n_dem)
        _check_shape("cost", cost, n_cand)
        _check_shape("already_covered", done, n_dem)
        if np.any(weights < 0) or np.any(cost < 0):
            raise ValueError("weights and costs must be non-negative")
        object.__setattr__(self, "covers", covers)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "cost", cost)
        object.__setattr__(self, "already_covered", done)
        if self.priority is not None:
            priority = np.asarray(self.priority, dtype=float)
            _check_shape("priority", priority, n_dem)
            object.__setattr__(self, "priority", priority)
        if self.candidate_ids is not None:
            ids = np.asarray(self.candidate_ids)
            _check_shape("candidate_ids", ids, n_cand)
            object.__setattr__(self, "candidate_ids", ids)

    @property
    def n_demand(self) -> int:
        """Number of demand items."""
        return self.covers.shape[0]

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites."""
        return self.covers.shape[1]

    @property
    def open_weight(self) -> float:
        """Weight of the demand not covered by existing assets."""
        return float(self.weights[~self.already_covered].sum())


@dataclass(frozen=True)
class SolverOptions:
    """How hard to try.

    Attributes
    ----------
    time_limit:
        Seconds for the whole answer (MILP, or greedy, swaps and LP bound).
    max_milp_nonzeros:
        Reduced instances with more coverage entries than this skip the MILP.
    max_lp_nonzeros:
        Above this the LP relaxation is not solved either; the greedy bounds are used.
    mip_rel_gap:
        Relative gap at which HiGHS stops (tiny: "optimal" means optimal).
    reduce:
        Reduce the model before solving (merge rows, drop dominated sites).
    max_dominance_pairs:
        Skip the dominance test when its overlap matrix would exceed this many entries.
    """

    time_limit: float = 60.0
    max_milp_nonzeros: int = 200_000
    max_lp_nonzeros: int = 5_000_000
    mip_rel_gap: float = 1e-9
    reduce: bool = True
    max_dominance_pairs: int = 20_000_000


@dataclass(frozen=True, eq=False)
class PlacementResult:
    """The answer to one placement question.

    Attributes
    ----------
    question:
        ``"max_cover"``, ``"set_cover"`` or ``"budget"``.
    chosen:
        Chosen candidate indices, in greedy order of contribution.
    added_weight:
        Weight each chosen site newly adds, in the same order (sums to ``covered_weight``).
    objective:
        Value of the objective: newly covered weight (max cover, budget); number of sites or
        their cost (set cover).
    bound:
        Best known bound on the optimum (upper for maximising, lower for set cover).
    gap:
        ``|bound - objective| / |objective|`` (0 when proven optimal).
    method:
        ``"milp-optimal"``, ``"milp-timelimit"``, ``"greedy+swap"`` or ``"trivial"`` (nothing
        left to decide after reduction).
    status:
        Solver status in words.
    seconds:
        Wall time of the answer.
    total_cost:
        Total cost of the chosen sites in yuan.
    covered_weight:
        Weight newly covered by the chosen sites.
    open_weight:
        Weight not covered by existing assets before the new sites.
    uncoverable:
        Demand indices (uncovered by existing assets, of the asked priority) no candidate covers.
    candidate_ids:
        Labels of the chosen sites when the problem had them.
    reduced_shape:
        ``(rows, candidates)`` of the reduced model that was solved.
    """

    question: Question
    chosen: np.ndarray
    added_weight: np.ndarray
    objective: float
    bound: float
    gap: float
    method: Method
    status: str
    seconds: float
    total_cost: float
    covered_weight: float
    open_weight: float
    uncoverable: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    candidate_ids: np.ndarray | None = None
    reduced_shape: tuple[int, int] = (0, 0)


@dataclass(frozen=True, eq=False)
class ReducedProblem:
    """A model reduced for solving; solutions map back through ``columns``.

    Attributes
    ----------
    covers:
        ``(rows, cols)`` boolean CSR of the kept (merged) rows and kept candidates.
    weights:
        Weight of each kept row (the sum over the rows merged into it).
    cost:
        Cost of each kept candidate, as the question counts it (1 for counts).
    columns:
        Original candidate index of each kept column.
    uncoverable:
        Original demand indices that needed covering but no candidate covers.
    """

    covers: sp.csr_matrix
    weights: np.ndarray
    cost: np.ndarray
    columns: np.ndarray
    uncoverable: np.ndarray


@dataclass(frozen=True)
class ScenarioComparison:
    """How an actual set of assets compares with the best set of the same size.

    Attributes
    ----------
    k:
        Number of sites compared.
    actual_weight:
        Weight the actual assets newly cover.
    best:
        The best placement of ``k`` sites (the actual positions are among its candidates).
    share_of_best:
        ``actual_weight / best.objective`` (1 when nothing is left to cover).
    shortfall:
        ``best.objective - actual_weight``.
    open_weight:
        Weight uncovered before either set.
    """

    k: int
    actual_weight: float
    best: PlacementResult
    share_of_best: float
    shortfall: float
    open_weight: float


# --------------------------------------------------------------------------------------------
# The three questions
# --------------------------------------------------------------------------------------------


def max_cover(
    problem: CoverageProblem, k: int, options: SolverOptions | None = None
) -> PlacementResult:
    """Choose at most ``k`` candidates that newly cover the most weight.

    Parameters
    ----------
    problem:
        The coverage problem.
    k:
        Number of new sites (repairs count as sites).
    options:
        Solver options; defaults to :class:`SolverOptions`.

    Returns
    -------
    PlacementResult
    """
    if k < 0:
        raise ValueError("k must be non-negative")
    opts = options or SolverOptions()
    unit = np.ones(problem.n_candidates)
    return _maximise(problem, unit, float(k), "max_cover", opts)


def budget_cover(
    problem: CoverageProblem, budget: float, options: SolverOptions | None = None
) -> PlacementResult:
    """Choose candidates of total cost at most ``budget`` yuan that newly cover the most weight.

    Parameters
    ----------
    problem:
        The coverage problem.
    budget:
        Money available, in yuan.
    options:
        Solver options; defaults to :class:`SolverOptions`.

    Returns
    -------
    PlacementResult
    """
    if budget < 0:
        raise ValueError("budget must be non-negative")
    opts = options or SolverOptions()
    return _maximise(problem, problem.cost, float(budget), "budget", opts)


def set_cover(
    problem: CoverageProblem,
    min_priority: float = 0.0,
    by: Literal["count", "cost"] = "count",
    options: SolverOptions | None = None,
) -> PlacementResult:
    """The fewest (or cheapest) candidates that cover all demand of at least a priority.

    Demand with positive weight, ``priority >= min_priority`` and not already covered must be
    covered; the part of it no candidate covers is reported in ``uncoverable`` and the rest is
    covered.

    Parameters
    ----------
    problem:
        The coverage problem (``priority`` defaults to ``weights``).
    min_priority:
        Demand at or above this priority must be covered.
    by:
        Minimise the number of sites (``"count"``) or their cost in yuan (``"cost"``).
    options:
        Solver options; defaults to :class:`SolverOptions`.

    Returns
    -------
    PlacementResult
    """
    start = time.perf_counter()
    opts = options or SolverOptions()
    priority = problem.weights if problem.priority is None else problem.priority
    needed = (priority >= min_priority) & (problem.weights > 0)
    price = problem.cost if by == "cost" else np.ones(problem.n_candidates)
    red = reduce_problem(problem, price, needed=needed, set_cover=True, enabled=opts.reduce,
                         max_pairs=opts.max_dominance_pairs)
    if red.covers.shape[0] == 0:
        return _finish(problem, "set_cover", np.zeros(0, np.int64), 0.0, 0.0, "trivial",
                       "nothing to cover", start, red)
    sol = _solve_set_cover(red, opts, start)
    chosen = red.columns[sol.chosen]
    value = float(price[chosen].sum())
    return _finish(problem, "set_cover", chosen, value, min(sol.bound, value), sol.method,
                   sol.status, start, red)


def covered_after(problem: CoverageProblem, chosen: Sequence[int] | np.ndarray) -> np.ndarray:
    """Demand covered once the chosen candidates are added to the existing assets.

    Parameters
    ----------
    problem:
        The coverage problem.
    chosen:
        Candidate indices.

    Returns
    -------
    numpy.ndarray
        Boolean ``(n_demand,)`` mask.
    """
    cols = np.asarray(chosen, dtype=np.int64)
    hit = problem.covers[:, cols].getnnz(axis=1) > 0 if cols.size else False
    return problem.already_covered | hit


def compare_with_actual(
    problem: CoverageProblem,
    actual: sp.spmatrix,
    k: int | None = None,
    options: SolverOptions | None = None,
) -> ScenarioComparison:
    """Compare what actual assets cover with the best ``k`` sites (e.g. "12 lights").

    The actual assets' own columns are added to the candidates, so the best is never worse than
    the actual set.

    Parameters
    ----------
    problem:
        The problem as it stood before the actual assets (they are not in ``already_covered``).
    actual:
        ``(n_demand, n_actual)`` sparse boolean coverage of the actual assets.
    k:
        Number of sites to compare with; defaults to the number of actual assets.
    options:
        Solver options.

    Returns
    -------
    ScenarioComparison
    """
    actual = sp.csr_matrix(actual, dtype=bool)
    k = actual.shape[1] if k is None else k
    open_rows = ~problem.already_covered
    hit = actual.getnnz(axis=1) > 0
    actual_weight = float(problem.weights[hit & open_rows].sum())
    extended = CoverageProblem(
        weights=problem.weights,
        covers=sp.hstack([problem.covers, actual], format="csr"),
        cost=np.concatenate([problem.cost, np.zeros(actual.shape[1])]),
        already_covered=problem.already_covered,
    )
    best = max_cover(extended, k, options)
    share = actual_weight / best.objective if best.objective > 0 else 1.0
    return ScenarioComparison(k, actual_weight, best, share, best.objective - actual_weight,
                              problem.open_weight)


def preset_scenario(
    lights: tuple[CoverageProblem, sp.spmatrix],
    cameras: tuple[CoverageProblem, sp.spmatrix],
    n_lights: int = 12,
    n_cameras: int = 4,
    options: SolverOptions | None = None,
) -> dict[str, ScenarioComparison]:
    """The report's "12 lights and 4 cameras": actual sets against the best sets of that size.

    Parameters
    ----------
    lights, cameras:
        ``(problem, actual coverage)`` for dark and for unwatched length.
    n_lights, n_cameras:
        Sizes of the sets.
    options:
        Solver options.

    Returns
    -------
    dict
        ``{"lights": ..., "cameras": ...}``.
    """
    return {
        "lights": compare_with_actual(*lights, k=n_lights, options=options),
        "cameras": compare_with_actual(*cameras, k=n_cameras, options=options),
    }


# --------------------------------------------------------------------------------------------
# Reduction
# --------------------------------------------------------------------------------------------


def reduce_problem(
    problem: CoverageProblem,
    price: np.ndarray,
    needed: np.ndarray | None = None,
    max_price: float = math.inf,
    set_cover: bool = False,
    enabled: bool = True,
    max_pairs: int = 20_000_000,
) -> ReducedProblem:
    """Reduce a coverage problem without changing its optimum.

    Drops covered demand, demand outside ``needed`` and demand no candidate covers; drops
    candidates that cover nothing or cost more than ``max_price``; merges identical demand rows
    (summing weights); drops candidates dominated by one covering a superset for no more
    ``price``; for set cover also drops rows implied by another row.

    Parameters
    ----------
    problem:
        The coverage problem.
    price:
        What a candidate costs in the question (ones for counting).
    needed:
        Demand that counts; defaults to demand with positive weight.
    max_price:
        Candidates above this price are dropped (the budget).
    set_cover:
        Apply set-cover-only reductions (weights then do not matter).
    enabled:
        When false only the mandatory steps (dropping covered and uncoverable rows) are done.
    max_pairs:
        Skip the dominance tests when their overlap matrix would be larger than this.

    Returns
    -------
    ReducedProblem
    """
    if needed is None:
        needed = problem.weights > 0
    rows_open = needed & ~problem.already_covered
    uncoverable = np.flatnonzero(rows_open & (np.diff(problem.covers.indptr) == 0))
    cols_ok = np.flatnonzero(np.asarray(price) <= max_price * (1 + _EPS) + _EPS)
    sub = problem.covers[:, cols_ok]
    rows = np.flatnonzero(rows_open & (np.diff(sub.indptr) > 0))
    covers = sub[rows]
    weights = problem.weights[rows]
    if set_cover:
        weights = np.ones(rows.size)
    used = np.flatnonzero(covers.getnnz(axis=0) > 0)
    covers, columns = covers[:, used], cols_ok[used]
    col_price = np.asarray(price, dtype=float)[columns]
    if enabled:
        covers, weights = merge_identical_rows(covers, weights)
        keep = undominated_columns(covers, col_price, max_pairs)
        covers, columns, col_price = covers[:, keep], columns[keep], col_price[keep]
        covers, weights = merge_identical_rows(covers, weights)
        if set_cover:
            keep_rows = unimplied_rows(covers, max_pairs)
            covers, weights = covers[keep_rows], weights[keep_rows]
    covers = sp.csr_matrix(covers, dtype=bool)
    covers.sort_indices()
    return ReducedProblem(covers, np.asarray(weights, float), col_price, columns, uncoverable)


def merge_identical_rows(
    covers: sp.csr_matrix, weights: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Merge demand rows covered by the same candidates, summing their weights.

    Parameters
    ----------
    covers:
        Boolean CSR.
    weights:
        Row weights.

    Returns
    -------
    tuple
        The merged CSR (first row of each group kept) and the summed weights.
    """
    covers = sp.csr_matrix(covers, dtype=bool)
    covers.sort_indices()
    ind, ptr = covers.indices, covers.indptr
    index: dict[bytes, int] = {}
    group = np.fromiter(
        (index.setdefault(ind[a:b].tobytes(), len(index)) for a, b in zip(ptr[:-1], ptr[1:],
                                                                            strict=True)),
        dtype=np.int64, count=covers.shape[0])
    _, first = np.unique(group, return_index=True)
    summed = np.bincount(group, weights=weights, minlength=len(index))
    return covers[first], summed


def undominated_columns(
    covers: sp.csr_matrix, price: np.ndarray, max_pairs: int = 20_000_000
) -> np.ndarray:
    """Candidates not dominated by another covering a superset at no higher price.

    Among identical candidates of the same price the first one is kept. The dominance relation
    is a strict order, so every dropped candidate has a kept one that dominates it.

    Parameters
    ----------
    covers:
        Boolean CSR (rows x candidates).
    price:
        Price of each candidate.
    max_pairs:
        Return all candidates when the overlap matrix would be larger than this.

    Returns
    -------
    numpy.ndarray
        Indices of the kept candidates.
    """
    n = covers.shape[1]
    sizes = covers.getnnz(axis=0)
    if np.square(np.diff(covers.indptr).astype(np.int64)).sum() > max_pairs:
        return np.arange(n)
    ints = sp.csr_matrix(covers, dtype=np.int32)
    overlap = (ints.T @ ints).tocoo()
    a, b, shared = overlap.row, overlap.col, overlap.data
    # b dominates a: a's rows within b's, b no dearer, and b first in (size, -price, -index)
    subset = (a != b) & (shared == sizes[a]) & (price[b] <= price[a] + _EPS)
    key_b = np.stack([sizes[b], -price[b], -b])
    key_a = np.stack([sizes[a], -price[a], -a])
    larger = _lex_greater(key_b, key_a)
    dominated = np.zeros(n, dtype=bool)
    dominated[a[subset & larger]] = True
    return np.flatnonzero(~dominated)


def unimplied_rows(covers: sp.csr_matrix, max_pairs: int = 20_000_000) -> np.ndarray:
    """Set-cover rows not implied by another: covering row i covers row k when S_i is in S_k.

    Parameters
    ----------
    covers:
        Boolean CSR without identical rows.
    max_pairs:
        Return all rows when the overlap matrix would be larger than this.

    Returns
    -------
    numpy.ndarray
        Indices of the kept rows.
    """
    n = covers.shape[0]
    csc = sp.csc_matrix(covers)
    if np.square(np.diff(csc.indptr).astype(np.int64)).sum() > max_pairs:
        return np.arange(n)
    ints = sp.csr_matrix(covers, dtype=np.int32)
    overlap = (ints @ ints.T).tocoo()
    a, b, shared = overlap.row, overlap.col, overlap.data
    degree = np.diff(covers.indptr)
    # row b is implied by row a when S_a is a proper subset of S_b (identical rows were merged)
    implied = (a != b) & (shared == degree[a]) & (degree[b] > degree[a])
    drop = np.zeros(n, dtype=bool)
    drop[b[implied]] = True
    return np.flatnonzero(~drop)


def _lex_greater(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Column-wise lexicographic ``left > right`` of two stacked key arrays."""
    greater = np.zeros(left.shape[1], dtype=bool)
    equal = np.ones(left.shape[1], dtype=bool)
    for lv, rv in zip(left, right, strict=True):
        greater |= equal & (lv > rv)
        equal &= lv == rv
    return greater


# --------------------------------------------------------------------------------------------
# Maximising (max cover and budget share one engine: a knapsack row c.y <= limit)
# --------------------------------------------------------------------------------------------


@dataclass
class _Solution:
    """A solution in reduced column indices with its bound."""

    chosen: np.ndarray
    value: float
    bound: float
    method: Method
    status: str


def _maximise(
    problem: CoverageProblem, price: np.ndarray, limit: float, question: Question,
    opts: SolverOptions,
) -> PlacementResult:
    """Shared driver of max cover and budget."""
    start = time.perf_counter()
    red = reduce_problem(problem, price, max_price=limit, enabled=opts.reduce,
                         max_pairs=opts.max_dominance_pairs)
    if red.covers.shape[0] == 0 or limit < 1 - _EPS and question == "max_cover":
        return _finish(problem, question, np.zeros(0, np.int64), 0.0, 0.0, "trivial",
                       "nothing to cover", start, red)
    sol = _solve_max(red, limit, question == "max_cover", opts, start)
    chosen = red.columns[sol.chosen]
    return _finish(problem, question, chosen, None, sol.bound, sol.method, sol.status, start,
                   red)


def _solve_max(
    red: ReducedProblem, limit: float, unit: bool, opts: SolverOptions, start: float
) -> _Solution:
    """Maximise coverage under the knapsack row ``cost.y <= limit``."""
    return _solve(
        red, opts, start, maximising=True,
        exact=lambda deadline, integral: _milp_max(red, limit, opts, deadline, integral),
        heuristic=lambda deadline: _greedy_swap_max(red, limit, unit, deadline))


def _solve(
    red: ReducedProblem,
    opts: SolverOptions,
    start: float,
    maximising: bool,
    exact: Callable[[float, bool], _Solution],
    heuristic: Callable[[float], _Solution],
) -> _Solution:
    """MILP when small enough; else, or on time-out, the heuristic with the best bound.

    A MILP gets ``1 - HEURISTIC_SHARE`` of the time, the rest is left for greedy + swap. On
    the heuristic path the swaps get ``HEURISTIC_SHARE`` of the time and the LP bound the rest.
    """
    deadline = start + opts.time_limit
    nnz = red.covers.nnz
    sure: _Solution | None = None
    if nnz <= opts.max_milp_nonzeros:
        share = start + opts.time_limit * (1 - HEURISTIC_SHARE)
        sure = exact(share, True)
        if sure.method == "milp-optimal":
            return sure
        heur = heuristic(deadline)
    else:
        heur = heuristic(time.perf_counter() + HEURISTIC_SHARE * (deadline - time.perf_counter()))
    bounds = [(heur.bound, "greedy bounds")]
    if sure is not None and math.isfinite(sure.bound):
        bounds.append((sure.bound, "MILP dual bound"))
    elif nnz <= opts.max_lp_nonzeros and time.perf_counter() < deadline:
        relaxed = exact(deadline, False)
        if relaxed.method == "milp-optimal":
            bounds.append((relaxed.bound, "LP relaxation"))
    sign = 1.0 if maximising else -1.0
    best = heur
    if sure is not None and sure.chosen.size and sign * (sure.value - heur.value) > _EPS:
        best = sure
    bound, source = min(bounds) if maximising else max(bounds)
    bound = max(bound, best.value) if maximising else min(bound, best.value)
    status = heur.status if sure is None else f"{sure.status}; {heur.status}"
    return _Solution(best.chosen, best.value, bound, best.method, f"{status}; bound: {source}")


def _max_model(red: ReducedProblem, limit: float) -> tuple:
    """MILP data: variables (y sites, x rows of degree >= 2); singleton rows fold into y."""
    covers = red.covers
    n_rows, n_cols = covers.shape
    degree = np.diff(covers.indptr)
    single = degree == 1
    gain_y = np.bincount(covers.indices[covers.indptr[:-1][single]],
                         weights=red.weights[single], minlength=n_cols)
    multi = np.flatnonzero(~single)
    sub = covers[multi].astype(float)
    m = multi.size
    link = sp.hstack([-sub, sp.identity(m, format="csr")], format="csr")
    knap = sp.hstack([sp.csr_matrix(red.cost.reshape(1, -1)), sp.csr_matrix((1, m))])
    a = sp.vstack([link, knap], format="csr")
    ub = np.concatenate([np.zeros(m), [limit]])
    c = -np.concatenate([gain_y, red.weights[multi]])
    return c, a, ub, n_cols, m


def _milp_max(
    red: ReducedProblem, limit: float, opts: SolverOptions, deadline: float, integral: bool
) -> _Solution:
    """Solve the maximising model (or its LP relaxation) with HiGHS."""
    c, a, ub, n_cols, m = _max_model(red, limit)
    integrality = np.concatenate([np.ones(n_cols) if integral else np.zeros(n_cols),
                                  np.zeros(m)])
    res = _run_highs(c, a, ub, integrality, opts, deadline)
    chosen = np.zeros(0, np.int64)
    value = 0.0
    if res.x is not None and integral:
        chosen = np.flatnonzero(res.x[:n_cols] > 0.5)
        value = _covered_value(red, chosen)
    bound = math.inf
    if res.status == 0:
        bound = -res.fun if not integral else -_dual_bound(res)
    elif integral and res.get("mip_dual_bound") is not None:
        bound = -res.mip_dual_bound
    method: Method = "milp-optimal" if res.status == 0 else "milp-timelimit"
    return _Solution(chosen, value, bound, method, _status_text(res, integral))


def _greedy_swap_max(
    red: ReducedProblem, limit: float, unit: bool, deadline: float
) -> _Solution:
    """Lazy greedy (cost-aware), best single site, 1-swap; bound from greedy facts."""
    csc = sp.csc_matrix(red.covers)
    w, cost = red.weights, red.cost
    ratio = _lazy_greedy(csc, w, cost, limit, np.zeros(w.size, bool))
    chosen = ratio
    if not unit:
        plain = _lazy_greedy(csc, w, np.ones_like(cost), math.inf, np.zeros(w.size, bool),
                             price=cost, limit_price=limit)
        chosen = max([ratio, plain, _best_single(csc, w, cost, limit)],
                     key=lambda s: _covered_value(red, s))
    greedy_value = _covered_value(red, chosen)
    chosen = _swap_max(red, csc, chosen, limit, deadline)
    value = _covered_value(red, chosen)
    bound = _online_bound(red, csc, chosen, limit)
    if unit:
        bound = min(bound, greedy_value / _GREEDY_FACTOR)
    return _Solution(chosen, value, max(bound, value), "greedy+swap",
                     f"lazy greedy {greedy_value:.6g}, after 1-swap search {value:.6g}")


def _lazy_greedy(
    csc: sp.csc_matrix,
    w: np.ndarray,
    cost: np.ndarray,
    limit: float,
    covered: np.ndarray,
    price: np.ndarray | None = None,
    limit_price: float = math.inf,
) -> np.ndarray:
    """Lazy greedy by gain per ``cost`` while ``price`` stays within ``limit_price``.

    ``cost`` ranks sites and is bounded by ``limit``; ``price`` (default ``cost``) is the
    budget actually spent. ``covered`` is updated in place.
    """
    price = cost if price is None else price
    limit_price = limit if price is cost else limit_price
    spent_rank, spent_price = 0.0, 0.0
    ind, ptr = csc.indices, csc.indptr
    gains = np.asarray(csc.T @ np.where(covered, 0.0, w)).ravel()
    safe = np.maximum(cost, _EPS)
    heap = [(-gains[j] / safe[j], j) for j in np.flatnonzero(gains > 0)]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap:
        _, j = heapq.heappop(heap)
        if (spent_rank + cost[j] > limit * (1 + _EPS) + _EPS
                or spent_price + price[j] > limit_price * (1 + _EPS) + _EPS):
            continue
        rows = ind[ptr[j]:ptr[j + 1]]
        gain = float(w[rows][~covered[rows]].sum())
        if gain <= _EPS:
            continue
        score = gain / safe[j]
        if heap and score < -heap[0][0] - _EPS * max(1.0, score):
            heapq.heappush(heap, (-score, j))
            continue
        chosen.append(j)
        covered[rows] = True
        spent_rank += cost[j]
        spent_price += price[j]
    return np.asarray(chosen, dtype=np.int64)


def _best_single(csc: sp.csc_matrix, w: np.ndarray, cost: np.ndarray, limit: float) -> np.ndarray:
    """The single affordable site covering the most weight."""
    gains = np.asarray(csc.T @ w).ravel()
    gains[cost > limit * (1 + _EPS) + _EPS] = -1.0
    return np.array([int(np.argmax(gains))], dtype=np.int64)


def _swap_max(
    red: ReducedProblem, csc: sp.csc_matrix, chosen: np.ndarray, limit: float, deadline: float
) -> np.ndarray:
    """1-swap local search (remove one site, add the best affordable one) until no gain."""
    csr, w, cost = red.covers, red.weights, red.cost
    state = _SwapState(csc, w, chosen)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for j in state.by_loss():
            if time.perf_counter() >= deadline:
                break
            if not state.is_chosen[j]:
                continue
            slack = limit - cost[state.is_chosen].sum() + cost[j]
            best, gain = state.best_replacement(csr, j, cost, slack)
            if best >= 0 and gain > state.loss(j) + _EPS * max(1.0, gain):
                state.swap(j, best)
                improved = True
    chosen = np.flatnonzero(state.is_chosen)
    spent = float(cost[chosen].sum())
    covered = state.count > 0
    extra = _lazy_greedy(csc, w, cost, limit - spent, covered)
    return np.concatenate([chosen, extra])


class _SwapState:
    """Cover counts and gains for 1-swap moves."""

    def __init__(self, csc: sp.csc_matrix, w: np.ndarray, chosen: np.ndarray) -> None:
        self.csc, self.w = csc, w
        self.is_chosen = np.zeros(csc.shape[1], dtype=bool)
        self.is_chosen[chosen] = True
        self.count = np.asarray(csc[:, chosen].sum(axis=1)).ravel().astype(np.int64)
        self._refresh()

    def _refresh(self) -> None:
        """Gains of unchosen sites on uncovered rows, best first."""
        gains = np.asarray(self.csc.T @ np.where(self.count == 0, self.w, 0.0)).ravel()
        gains[self.is_chosen] = -np.inf
        self.gains = gains
        self.order = np.argsort(-gains, kind="stable")
        self._best_cache: dict[float, int] = {}

    def rows(self, j: int) -> np.ndarray:
        """Rows site ``j`` covers."""
        return self.csc.indices[self.csc.indptr[j]:self.csc.indptr[j + 1]]

    def loss(self, j: int) -> float:
        """Weight lost by removing chosen site ``j``."""
        rows = self.rows(j)
        return float(self.w[rows][self.count[rows] == 1].sum())

    def by_loss(self) -> list[int]:
        """Chosen sites, cheapest to remove first."""
        chosen = np.flatnonzero(self.is_chosen)
        losses = np.array([self.loss(j) for j in chosen])
        return [int(j) for j in chosen[np.argsort(losses, kind="stable")]]

    def _best_untouched(self, cost: np.ndarray, slack: float) -> int:
        """Best unchosen site by current gain whose cost fits ``slack``."""
        key = round(slack, 9)
        if key not in self._best_cache:
            fits = np.flatnonzero(cost[self.order] <= slack * (1 + _EPS) + _EPS)
            self._best_cache[key] = int(self.order[fits[0]]) if fits.size else -1
        return self._best_cache[key]

    def best_replacement(
        self, csr: sp.csr_matrix, j: int, cost: np.ndarray, slack: float
    ) -> tuple[int, float]:
        """Best site to add once ``j`` is removed, and what it would then cover."""
        rows = self.rows(j)
        lone = rows[self.count[rows] == 1]
        starts, ends = csr.indptr[lone], csr.indptr[lone + 1]
        cols = np.concatenate([csr.indices[a:b] for a, b in zip(starts, ends, strict=True)]
                              ) if lone.size else np.zeros(0, np.int64)
        vals = np.repeat(self.w[lone], ends - starts)
        best, gain = -1, -math.inf
        top = self._best_untouched(cost, slack)
        if top >= 0:
            best, gain = top, float(self.gains[top])
        if cols.size:
            uniq, inv = np.unique(cols, return_inverse=True)
            total = self.gains[uniq] + np.bincount(inv, weights=vals)
            total[(cost[uniq] > slack * (1 + _EPS) + _EPS) | self.is_chosen[uniq]] = -np.inf
            k = int(np.argmax(total))
            if total[k] > gain:
                best, gain = int(uniq[k]), float(total[k])
        return best, gain

    def swap(self, out: int, into: int) -> None:
        """Replace chosen ``out`` by ``into``."""
        self.count[self.rows(out)] -= 1
        self.count[self.rows(into)] += 1
        self.is_chosen[out], self.is_chosen[into] = False, True
        self._refresh()


def _online_bound(
    red: ReducedProblem, csc: sp.csc_matrix, chosen: np.ndarray, limit: float
) -> float:
    """Submodular bound: f(S) + the best (fractional) knapsack of marginal gains w.r.t. S."""
    covered = np.zeros(red.weights.size, dtype=bool)
    if chosen.size:
        covered[np.asarray(csc[:, chosen].sum(axis=1)).ravel() > 0] = True
    gains = np.asarray(csc.T @ np.where(covered, 0.0, red.weights)).ravel()
    value = float(red.weights[covered].sum())
    return value + _fractional_knapsack(gains, red.cost, limit)


def _fractional_knapsack(values: np.ndarray, cost: np.ndarray, capacity: float) -> float:
    """Optimum of the fractional knapsack (an upper bound on the 0/1 one)."""
    free = cost <= _EPS
    total = float(values[free & (values > 0)].sum())
    values, cost = values[~free], cost[~free]
    order = np.argsort(-(values / cost), kind="stable")
    values, cost = values[order], cost[order]
    keep = values > 0
    values, cost = values[keep], cost[keep]
    filled = np.cumsum(cost)
    whole = int(np.searchsorted(filled, capacity, side="right"))
    total += float(values[:whole].sum())
    if whole < values.size:
        room = capacity - (filled[whole - 1] if whole else 0.0)
        total += float(values[whole] * room / cost[whole])
    return total


def _covered_value(red: ReducedProblem, chosen: np.ndarray) -> float:
    """Weight of reduced rows covered by reduced columns ``chosen``."""
    if len(chosen) == 0:
        return 0.0
    hit = red.covers[:, np.asarray(chosen, dtype=np.int64)].getnnz(axis=1) > 0
    return float(red.weights[hit].sum())


# --------------------------------------------------------------------------------------------
# Set covering
# --------------------------------------------------------------------------------------------


def _solve_set_cover(red: ReducedProblem, opts: SolverOptions, start: float) -> _Solution:
    """Minimise the price of a cover of every kept row."""
    return _solve(
        red, opts, start, maximising=False,
        exact=lambda deadline, integral: _milp_set_cover(red, opts, deadline, integral),
        heuristic=lambda deadline: _greedy_swap_cover(red, deadline))


def _milp_set_cover(
    red: ReducedProblem, opts: SolverOptions, deadline: float, integral: bool
) -> _Solution:
    """min cost.y s.t. covers y >= 1 with HiGHS (or its LP relaxation)."""
    n_cols = red.covers.shape[1]
    a = -sp.csr_matrix(red.covers, dtype=float)
    ub = -np.ones(red.covers.shape[0])
    integrality = np.ones(n_cols) if integral else np.zeros(n_cols)
    res = _run_highs(red.cost, a, ub, integrality, opts, deadline)
    chosen = np.zeros(0, np.int64)
    value = math.inf
    if res.x is not None and integral:
        chosen = np.flatnonzero(res.x > 0.5)
        value = float(red.cost[chosen].sum())
    bound = -math.inf
    if res.status == 0:
        bound = _dual_bound(res) if integral else float(res.fun)
    elif integral and res.get("mip_dual_bound") is not None:
        bound = float(res.mip_dual_bound)
    if not integral and np.allclose(red.cost, 1.0):
        bound = math.ceil(bound - 1e-6)
    method: Method = "milp-optimal" if res.status == 0 else "milp-timelimit"
    return _Solution(chosen, value, bound, method, _status_text(res, integral))


def _greedy_swap_cover(red: ReducedProblem, deadline: float) -> _Solution:
    """Greedy set cover (by cost per newly covered row), then drop and 1-swap redundant sites."""
    csc = sp.csc_matrix(red.covers)
    rows = red.covers.shape[0]
    ones = np.ones(rows)
    chosen = _lazy_greedy(csc, ones, red.cost, math.inf, np.zeros(rows, bool))
    greedy_value = float(red.cost[chosen].sum())
    chosen = _improve_cover(red, csc, chosen, deadline)
    value = float(red.cost[chosen].sum())
    harmonic = float(np.sum(1.0 / np.arange(1, csc.getnnz(axis=0).max() + 1)))
    bound = greedy_value / harmonic
    if np.allclose(red.cost, 1.0):
        bound = math.ceil(bound - 1e-9)
    return _Solution(chosen, value, min(bound, value), "greedy+swap",
                     f"greedy {greedy_value:.6g}, after removal and 1-swap search {value:.6g}")


def _improve_cover(
    red: ReducedProblem, csc: sp.csc_matrix, chosen: np.ndarray, deadline: float
) -> np.ndarray:
    """Drop redundant sites and replace a site by a cheaper one covering its lone rows."""
    csr, cost = red.covers, red.cost
    is_chosen = np.zeros(csc.shape[1], dtype=bool)
    is_chosen[chosen] = True
    count = np.asarray(csc[:, chosen].sum(axis=1)).ravel().astype(np.int64)
    for j in chosen[np.argsort(-cost[chosen], kind="stable")]:
        if time.perf_counter() >= deadline:
            break
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        lone = rows[count[rows] == 1]
        into = -1
        if lone.size:
            hits = np.asarray(csr[lone].sum(axis=0)).ravel()
            able = np.flatnonzero((hits == lone.size) & ~is_chosen & (cost < cost[j] - _EPS))
            if able.size == 0:
                continue
            into = int(able[np.argmin(cost[able])])
        count[rows] -= 1
        is_chosen[j] = False
        if into >= 0:
            count[csc.indices[csc.indptr[into]:csc.indptr[into + 1]]] += 1
            is_chosen[into] = True
    return np.flatnonzero(is_chosen)


# --------------------------------------------------------------------------------------------
# HiGHS and results
# --------------------------------------------------------------------------------------------


def _run_highs(
    c: np.ndarray, a: sp.csr_matrix, ub: np.ndarray, integrality: np.ndarray,
    opts: SolverOptions, deadline: float,
):
    """Minimise ``c.x`` s.t. ``a x <= ub``, ``0 <= x <= 1`` with HiGHS via scipy."""
    remaining = max(deadline - time.perf_counter(), 0.05)
    options = {"time_limit": remaining, "presolve": True}
    if integrality.any():
        options["mip_rel_gap"] = opts.mip_rel_gap
    return milp(c, integrality=integrality, bounds=Bounds(0.0, 1.0),
                constraints=LinearConstraint(a, -np.inf, ub), options=options)


def _dual_bound(res) -> float:
    """HiGHS's dual bound of an optimal MILP (its objective when HiGHS gives none)."""
    bound = res.get("mip_dual_bound")
    return float(res.fun if bound is None or not math.isfinite(bound) else bound)


def _status_text(res, integral: bool) -> str:
    """Solver status in words."""
    kind = "MILP" if integral else "LP relaxation"
    gap = res.get("mip_gap")
    gap_text = f", gap {gap:.3g}" if integral and gap is not None else ""
    return f"HiGHS {kind}: {res.message}{gap_text}"


def _finish(
    problem: CoverageProblem, question: Question, chosen: np.ndarray, objective: float | None,
    bound: float, method: Method, status: str, start: float, red: ReducedProblem,
) -> PlacementResult:
    """Order the chosen sites by contribution and package the answer."""
    order, added = contribution_order(problem, chosen)
    covered = float(added.sum())
    value = covered if objective is None else objective
    maximising = question != "set_cover"
    bound = max(bound, value) if maximising else min(bound, value)
    gap = abs(bound - value) / abs(value) if value else (0.0 if bound == value else math.inf)
    ids = None if problem.candidate_ids is None else problem.candidate_ids[order]
    return PlacementResult(
        question=question, chosen=order, added_weight=added, objective=value, bound=bound,
        gap=gap, method=method, status=status, seconds=time.perf_counter() - start,
        total_cost=float(problem.cost[order].sum()), covered_weight=covered,
        open_weight=problem.open_weight, uncoverable=red.uncoverable, candidate_ids=ids,
        reduced_shape=red.covers.shape,
    )


def contribution_order(
    problem: CoverageProblem, chosen: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Chosen sites in greedy order of what each newly adds, with those weights.

    Parameters
    ----------
    problem:
        The coverage problem (existing coverage counts as covered).
    chosen:
        Candidate indices.

    Returns
    -------
    tuple
        Ordered indices and the weight each adds after those before it.
    """
    cols = np.asarray(chosen, dtype=np.int64)
    if cols.size == 0:
        return cols, np.zeros(0)
    csc = sp.csc_matrix(problem.covers[:, cols])
    covered = problem.already_covered.copy()
    picked = _lazy_greedy(csc, problem.weights, np.ones(cols.size), math.inf, covered)
    rest = np.setdiff1d(np.arange(cols.size), picked)
    order = np.concatenate([picked, rest])
    added = np.zeros(cols.size)
    seen = problem.already_covered.copy()
    for k, j in enumerate(order):
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        added[k] = problem.weights[rows][~seen[rows]].sum()
        seen[rows] = True
    return cols[order], added


def _check_shape(name: str, array: np.ndarray, length: int) -> None:
    """Raise when ``array`` is not one-dimensional of ``length``."""
    if array.shape != (length,):
        raise ValueError(f"{name} has shape {array.shape}, expected ({length},)")
