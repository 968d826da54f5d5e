"""The solve driver: HiGHS when small enough, else (or on time-out) greedy + swap with the best
bound; results in original indices.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from geo_service.analysis.placement.exact import milp_max, milp_set_cover
from geo_service.analysis.placement.greedy import greedy_swap_cover, greedy_swap_max, lazy_greedy
from geo_service.analysis.placement.problem import (
    EPS,
    HEURISTIC_SHARE,
    CoverageProblem,
    Method,
    PlacementResult,
    Question,
    ReducedProblem,
    Solution,
    SolverOptions,
)
from geo_service.analysis.placement.reduction import reduce_problem


def maximise(
    problem: CoverageProblem, price: np.ndarray, limit: float, question: Question,
    opts: SolverOptions,
) -> PlacementResult:
    """Shared driver of max cover and budget."""
    start = time.perf_counter()
    red = reduce_problem(problem, price, max_price=limit, enabled=opts.reduce,
                         max_pairs=opts.max_dominance_pairs)
    if red.covers.shape[0] == 0 or limit < 1 - EPS and question == "max_cover":
        return finish(problem, question, np.zeros(0, np.int64), 0.0, 0.0, "trivial",
                       "nothing to cover", start, red)
    sol = _solve_max(red, limit, question == "max_cover", opts, start)
    chosen = red.columns[sol.chosen]
    return finish(problem, question, chosen, None, sol.bound, sol.method, sol.status, start,
                   red)


def _solve_max(
    red: ReducedProblem, limit: float, unit: bool, opts: SolverOptions, start: float
) -> Solution:
    """Maximise coverage under the knapsack row ``cost.y <= limit``."""
    return _solve(
        red, opts, start, maximising=True,
        exact=lambda deadline, integral: milp_max(red, limit, opts, deadline, integral),
        heuristic=lambda deadline: greedy_swap_max(red, limit, unit, deadline))


def _solve(
    red: ReducedProblem,
    opts: SolverOptions,
    start: float,
    maximising: bool,
    exact: Callable[[float, bool], Solution],
    heuristic: Callable[[float], Solution],
) -> Solution:
    """MILP when small enough; else, or on time-out, the heuristic with the best bound.

    A MILP gets ``1 - HEURISTIC_SHARE`` of the time, the rest is left for greedy + swap. On
    the heuristic path the swaps get ``HEURISTIC_SHARE`` of the time and the LP bound the rest.
    """
    deadline = start + opts.time_limit
    nnz = red.covers.nnz
    sure: Solution | None = None
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
    if sure is not None and sure.chosen.size and sign * (sure.value - heur.value) > EPS:
        best = sure
    bound, source = min(bounds) if maximising else max(bounds)
    bound = max(bound, best.value) if maximising else min(bound, best.value)
    status = heur.status if sure is None else f"{sure.status}; {heur.status}"
    return Solution(best.chosen, best.value, bound, best.method, f"{status}; bound: {source}")


def solve_set_cover(red: ReducedProblem, opts: SolverOptions, start: float) -> Solution:
    """Minimise the price of a cover of every kept row."""
    return _solve(
        red, opts, start, maximising=False,
        exact=lambda deadline, integral: milp_set_cover(red, opts, deadline, integral),
        heuristic=lambda deadline: greedy_swap_cover(red, deadline))


def finish(
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
    picked = lazy_greedy(csc, problem.weights, np.ones(cols.size), math.inf, covered)
    rest = np.setdiff1d(np.arange(cols.size), picked)
    order = np.concatenate([picked, rest])
    added = np.zeros(cols.size)
    seen = problem.already_covered.copy()
    for k, j in enumerate(order):
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        added[k] = problem.weights[rows][~seen[rows]].sum()
        seen[rows] = True
    return cols[order], added
