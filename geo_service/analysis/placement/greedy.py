"""Lazy greedy plus 1-swap local search, with the greedy and knapsack bounds, for instances too big
for HiGHS.
"""

from __future__ import annotations

import heapq
import math
import time

import numpy as np
import scipy.sparse as sp

from geo_service.analysis.placement.problem import (
    EPS,
    GREEDY_FACTOR,
    ReducedProblem,
    Solution,
    covered_value,
)


def greedy_swap_max(
    red: ReducedProblem, limit: float, unit: bool, deadline: float
) -> Solution:
    """Lazy greedy (cost-aware), best single site, 1-swap; bound from greedy facts."""
    csc = sp.csc_matrix(red.covers)
    w, cost = red.weights, red.cost
    ratio = lazy_greedy(csc, w, cost, limit, np.zeros(w.size, bool))
    chosen = ratio
    if not unit:
        plain = lazy_greedy(csc, w, np.ones_like(cost), math.inf, np.zeros(w.size, bool),
                             price=cost, limit_price=limit)
        chosen = max([ratio, plain, _best_single(csc, w, cost, limit)],
                     key=lambda s: covered_value(red, s))
    greedy_value = covered_value(red, chosen)
    chosen = _swap_max(red, csc, chosen, limit, deadline)
    value = covered_value(red, chosen)
    bound = _online_bound(red, csc, chosen, limit)
    if unit:
        bound = min(bound, greedy_value / GREEDY_FACTOR)
    return Solution(chosen, value, max(bound, value), "greedy+swap",
                     f"lazy greedy {greedy_value:.6g}, after 1-swap search {value:.6g}")


def lazy_greedy(
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
    safe = np.maximum(cost, EPS)
    heap = [(-gains[j] / safe[j], j) for j in np.flatnonzero(gains > 0)]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap:
        _, j = heapq.heappop(heap)
        if (spent_rank + cost[j] > limit * (1 + EPS) + EPS
                or spent_price + price[j] > limit_price * (1 + EPS) + EPS):
            continue
        rows = ind[ptr[j]:ptr[j + 1]]
        gain = float(w[rows][~covered[rows]].sum())
        if gain <= EPS:
            continue
        score = gain / safe[j]
        if heap and score < -heap[0][0] - EPS * max(1.0, score):
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
    gains[cost > limit * (1 + EPS) + EPS] = -1.0
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
            if best >= 0 and gain > state.loss(j) + EPS * max(1.0, gain):
                state.swap(j, best)
                improved = True
    chosen = np.flatnonzero(state.is_chosen)
    spent = float(cost[chosen].sum())
    covered = state.count > 0
    extra = lazy_greedy(csc, w, cost, limit - spent, covered)
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
            fits = np.flatnonzero(cost[self.order] <= slack * (1 + EPS) + EPS)
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
            total[(cost[uniq] > slack * (1 + EPS) + EPS) | self.is_chosen[uniq]] = -np.inf
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
    free = cost <= EPS
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


def greedy_swap_cover(red: ReducedProblem, deadline: float) -> Solution:
    """Greedy set cover (by cost per newly covered row), then drop and 1-swap redundant sites."""
    csc = sp.csc_matrix(red.covers)
    rows = red.covers.shape[0]
    ones = np.ones(rows)
    chosen = lazy_greedy(csc, ones, red.cost, math.inf, np.zeros(rows, bool))
    greedy_value = float(red.cost[chosen].sum())
    chosen = _improve_cover(red, csc, chosen, deadline)
    value = float(red.cost[chosen].sum())
    harmonic = float(np.sum(1.0 / np.arange(1, csc.getnnz(axis=0).max() + 1)))
    bound = greedy_value / harmonic
    if np.allclose(red.cost, 1.0):
        bound = math.ceil(bound - 1e-9)
    return Solution(chosen, value, min(bound, value), "greedy+swap",
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
            able = np.flatnonzero((hits == lone.size) & ~is_chosen & (cost < cost[j] - EPS))
            if able.size == 0:
                continue
            into = int(able[np.argmin(cost[able])])
        count[rows] -= 1
        is_chosen[j] = False
        if into >= 0:
            count[csc.indices[csc.indptr[into]:csc.indptr[into + 1]]] += 1
            is_chosen[into] = True
    return np.flatnonzero(is_chosen)
