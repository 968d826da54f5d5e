"""The three placement questions (max cover, budget, set cover) and the preset scenario.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Literal

import numpy as np
import scipy.sparse as sp

from geo_service.analysis.placement.problem import (
    CoverageProblem,
    PlacementResult,
    ScenarioComparison,
    SolverOptions,
)
from geo_service.analysis.placement.reduction import reduce_problem
from geo_service.analysis.placement.solve import finish, maximise, solve_set_cover


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
    return maximise(problem, unit, float(k), "max_cover", opts)


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
    return maximise(problem, problem.cost, float(budget), "budget", opts)


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
        return finish(problem, "set_cover", np.zeros(0, np.int64), 0.0, 0.0, "trivial",
                       "nothing to cover", start, red)
    sol = solve_set_cover(red, opts, start)
    chosen = red.columns[sol.chosen]
    value = float(price[chosen].sum())
    return finish(problem, "set_cover", chosen, value, min(sol.bound, value), sol.method,
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
