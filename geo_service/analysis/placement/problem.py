"""The inputs and answers of a placement question: problem, options, results, the reduced model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp

Question = Literal["max_cover", "set_cover", "budget"]


Method = Literal["milp-optimal", "milp-timelimit", "greedy+swap", "trivial"]


EPS = 1e-9


HEURISTIC_SHARE = 0.2


GREEDY_FACTOR = 1.0 - 1.0 / math.e


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


@dataclass
class Solution:
    """A solution in reduced column indices with its bound."""

    chosen: np.ndarray
    value: float
    bound: float
    method: Method
    status: str


def covered_value(red: ReducedProblem, chosen: np.ndarray) -> float:
    """Weight of reduced rows covered by reduced columns ``chosen``."""
    if len(chosen) == 0:
        return 0.0
    hit = red.covers[:, np.asarray(chosen, dtype=np.int64)].getnnz(axis=1) > 0
    return float(red.weights[hit].sum())


def _check_shape(name: str, array: np.ndarray, length: int) -> None:
    """Raise when ``array`` is not one-dimensional of ``length``."""
    if array.shape != (length,):
        raise ValueError(f"{name} has shape {array.shape}, expected ({length},)")
