"""The exact models solved with HiGHS (``scipy.optimize.milp``), and their LP relaxations.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from geo_service.analysis.placement.problem import (
    Method,
    ReducedProblem,
    Solution,
    SolverOptions,
    covered_value,
)


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


def milp_max(
    red: ReducedProblem, limit: float, opts: SolverOptions, deadline: float, integral: bool
) -> Solution:
    """Solve the maximising model (or its LP relaxation) with HiGHS."""
    c, a, ub, n_cols, m = _max_model(red, limit)
    integrality = np.concatenate([np.ones(n_cols) if integral else np.zeros(n_cols),
                                  np.zeros(m)])
    res = _run_highs(c, a, ub, integrality, opts, deadline)
    chosen = np.zeros(0, np.int64)
    value = 0.0
    if res.x is not None and integral:
        chosen = np.flatnonzero(res.x[:n_cols] > 0.5)
        value = covered_value(red, chosen)
    bound = math.inf
    if res.status == 0:
        bound = -res.fun if not integral else -_dual_bound(res)
    elif integral and res.get("mip_dual_bound") is not None:
        bound = -res.mip_dual_bound
    method: Method = "milp-optimal" if res.status == 0 else "milp-timelimit"
    return Solution(chosen, value, bound, method, _status_text(res, integral))


def milp_set_cover(
    red: ReducedProblem, opts: SolverOptions, deadline: float, integral: bool
) -> Solution:
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
    return Solution(chosen, value, bound, method, _status_text(res, integral))


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
