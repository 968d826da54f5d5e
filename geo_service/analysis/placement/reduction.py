"""Reducing a placement model: covered and uncoverable demand dropped, identical rows merged,
dominated sites dropped.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from geo_service.analysis.placement.problem import EPS, CoverageProblem, ReducedProblem


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
    cols_ok = np.flatnonzero(np.asarray(price) <= max_price * (1 + EPS) + EPS)
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
    subset = (a != b) & (shared == sizes[a]) & (price[b] <= price[a] + EPS)
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
