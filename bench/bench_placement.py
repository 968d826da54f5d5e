"""Placement bench: our sparse HiGHS model against PySAL spopt's MCLP (PuLP + CBC).

Run by hand (about 5 minutes on 2 cores)::

    .venv/bin/python bench/bench_placement.py            # both parts
    .venv/bin/python bench/bench_placement.py --quick    # smaller, for a smoke run

(a) 3,000 demand segments x 1,000 candidate sites on a street plane, coverage radius 30 m,
    weights = segment lengths: spopt's MCLP and ours must reach the same optimal objective; the
    times and their ratio are printed.
(b) A district, 200,000 segments x 50,000 sites: ours only (K sites, and a budget in yuan), with
    the method, the bound and the gap. spopt is not run: its dense model cannot be built.

spopt and PuLP are the ``bench`` extra (``pip install spopt pulp``); part (a) is skipped with a
note when they are missing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo_service.analysis.placement import (  # noqa: E402
    CoverageProblem,
    PlacementResult,
    SolverOptions,
    budget_cover,
    max_cover,
)

RADIUS = 30.0
STREET_DENSITY = 0.025  # metres of street per square metre (25 km per km2, a dense old town)
SITE_COSTS = np.array([3500.0, 1200.0, 600.0])  # pole, wall bracket, repair (assumed, yuan)
SITE_SHARES = np.array([0.6, 0.35, 0.05])


@dataclass(frozen=True)
class Plane:
    """Demand segments (midpoints, lengths) and candidate sites on a random street plane."""

    demand: np.ndarray
    lengths: np.ndarray
    sites: np.ndarray
    cost: np.ndarray
    side: float


def street_plane(n_segments: int, n_sites: int, seed: int = 0, mean_length: float = 8.0) -> Plane:
    """Random streets (mostly on a grid, bent a little) cut into segments, sites along them.

    Streets of 60-400 m are laid until ``n_segments * mean_length`` metres of street exist,
    their total length is cut at random points into ``n_segments`` segments (weight = length),
    and sites are placed at random along the streets, on the centre line or 4 m to a side.
    """
    rng = np.random.default_rng(seed)
    total = n_segments * mean_length
    side = float(np.sqrt(total / STREET_DENSITY))
    n_streets = int(total / 230.0 * 1.2) + 10
    lengths = rng.uniform(60.0, 400.0, n_streets)
    lengths = lengths[: int(np.searchsorted(np.cumsum(lengths), total)) + 1]
    angle = rng.choice([0.0, np.pi / 2], lengths.size) + rng.normal(0.0, 0.15, lengths.size)
    heading = np.column_stack([np.cos(angle), np.sin(angle)])
    start = rng.uniform(0.0, side, (lengths.size, 2))
    ends = np.concatenate([[0.0], np.cumsum(lengths)])

    def at(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = np.searchsorted(ends, s, side="right") - 1
        return start[k] + heading[k] * (s - ends[k])[:, None], k

    cuts = np.concatenate([[0.0], np.sort(rng.uniform(0.0, ends[-1], n_segments - 1)), [ends[-1]]])
    demand, _ = at((cuts[:-1] + cuts[1:]) / 2)
    sites, k = at(rng.uniform(0.0, ends[-1], n_sites))
    normal = heading[k][:, ::-1] * np.array([1.0, -1.0])
    sites = sites + normal * rng.choice([0.0, 4.0, -4.0], n_sites)[:, None]
    cost = rng.choice(SITE_COSTS, n_sites, p=SITE_SHARES)
    return Plane(demand, np.diff(cuts), sites, cost, side)


def sparse_coverage(demand: np.ndarray, sites: np.ndarray, radius: float) -> sp.csr_matrix:
    """Boolean CSR: site j within ``radius`` of demand i (a KD-tree, never a dense matrix)."""
    found = cKDTree(sites).query_ball_point(demand, radius)
    counts = np.fromiter(map(len, found), np.int64, len(found))
    cols = np.fromiter((j for row in found for j in row), np.int64, int(counts.sum()))
    ptr = np.concatenate([[0], np.cumsum(counts)])
    return sp.csr_matrix((np.ones(cols.size, bool), cols, ptr), shape=(len(demand), len(sites)))


def ours_from_points(plane: Plane, k: int, opts: SolverOptions) -> tuple[PlacementResult, float]:
    """Build the sparse coverage from coordinates and solve; total wall time."""
    start = time.perf_counter()
    covers = sparse_coverage(plane.demand, plane.sites, RADIUS)
    problem = CoverageProblem(plane.lengths, covers, plane.cost,
                              np.zeros(len(plane.lengths), bool))
    result = max_cover(problem, k, opts)
    return result, time.perf_counter() - start


def median_time(run: Callable[[], tuple[PlacementResult, float]], repeats: int
                ) -> tuple[PlacementResult, float, list[float]]:
    """Run ``repeats`` times; the last result, the median time and all times."""
    times, result = [], None
    for _ in range(repeats):
        result, seconds = run()
        times.append(seconds)
    return result, statistics.median(times), times


def spopt_mclp(plane: Plane, k: int) -> tuple[float, float, float, int]:
    """spopt's MCLP from its dense cost matrix, solved by CBC: objective, build s, solve s."""
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import MCLP

    cost_matrix = cdist(plane.demand, plane.sites)
    start = time.perf_counter()
    model = MCLP.from_cost_matrix(cost_matrix, plane.lengths, service_radius=RADIUS,
                                  p_facilities=k)
    built = time.perf_counter()
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    solved = time.perf_counter()
    objective = float(pulp.value(model.problem.objective))
    return objective, built - start, solved - built, model.problem.status


def same_coverage(plane: Plane) -> bool:
    """The coverage spopt sees (distance <= radius) equals our KD-tree's (checked, not timed)."""
    from scipy.spatial.distance import cdist

    dense = sp.csr_matrix(cdist(plane.demand, plane.sites) <= RADIUS)
    return (dense != sparse_coverage(plane.demand, plane.sites, RADIUS)).nnz == 0


def part_a(n_dem: int, n_sites: int, k: int, seed: int, repeats: int) -> list[list[str]]:
    """spopt against ours on the same coverage sets."""
    plane = street_plane(n_dem, n_sites, seed)
    print(f"\n(a) {n_dem:,} demand segments x {n_sites:,} sites, radius {RADIUS:g} m, K = {k}, "
          f"plane {plane.side / 1000:.2f} km square")
    opts = SolverOptions(time_limit=120.0)
    ours, ours_s, times = median_time(lambda: ours_from_points(plane, k, opts), repeats)
    print(f"    ours: {ours.method}, objective {ours.objective:,.3f}, gap {ours.gap:.2e}, "
          f"reduced to {ours.reduced_shape[0]:,} x {ours.reduced_shape[1]:,}, "
          f"times {', '.join(f'{t:.3f}' for t in times)} s (median {ours_s:.3f} s)")
    rows = [["ours (sparse + HiGHS)", f"{ours.objective:,.3f}", ours.method, f"{ours_s:.3f}", ""]]
    try:
        import pulp
        import spopt
    except ImportError:
        print("    spopt/pulp not installed: `pip install spopt pulp` to compare")
        return rows
    print(f"    same coverage sets for both: {same_coverage(plane)}")
    objective, build_s, solve_s, status = spopt_mclp(plane, k)
    total = build_s + solve_s
    equal = abs(objective - ours.objective) <= 1e-6 * max(1.0, objective)
    print(f"    spopt {spopt.__version__} + PuLP {pulp.__version__} (CBC): status {status}, "
          f"objective {objective:,.3f}, build {build_s:.1f} s + solve {solve_s:.1f} s")
    print(f"    objectives equal: {equal}; spopt / ours = {total / ours_s:,.0f}x "
          f"(target >= 100x)")
    rows.insert(0, ["spopt MCLP (PuLP + CBC)", f"{objective:,.3f}", f"status {status}",
                    f"{total:.2f}", f"build {build_s:.1f} + solve {solve_s:.1f}"])
    rows[1][4] = f"{total / ours_s:,.0f}x faster, equal: {equal}"
    return rows


def part_b(n_dem: int, n_sites: int, k: int, budget: float, seed: int, limit: float
           ) -> list[list[str]]:
    """The district: ours only, with its method, bound and gap."""
    start = time.perf_counter()
    plane = street_plane(n_dem, n_sites, seed)
    covers = sparse_coverage(plane.demand, plane.sites, RADIUS)
    problem = CoverageProblem(plane.lengths, covers, plane.cost, np.zeros(n_dem, bool))
    build_s = time.perf_counter() - start
    cells = n_dem * n_sites
    print(f"\n(b) district: {n_dem:,} segments x {n_sites:,} sites, "
          f"{plane.side / 1000:.1f} km square, {covers.nnz:,} coverage pairs "
          f"(built in {build_s:.1f} s), time limit {limit:g} s")
    print(f"    spopt not run: its dense cost matrix and coverage array would hold {cells:.1e} "
          f"entries each ({cells * 8 / 1e9:,.0f} GB as float64), and its model one PuLP term "
          "per entry")
    opts = SolverOptions(time_limit=limit)
    rows = []
    for label, run in ((f"K = {k:,}", lambda: max_cover(problem, k, opts)),
                       (f"budget {budget:,.0f} yuan", lambda: budget_cover(problem, budget, opts))):
        result = run()
        print(f"    {label}: {result.method}, covered {result.covered_weight:,.0f} of "
              f"{problem.open_weight:,.0f} m, bound {result.bound:,.0f}, gap {result.gap:.2%}, "
              f"{len(result.chosen):,} sites, {result.total_cost:,.0f} yuan, "
              f"{result.seconds:.1f} s, reduced to {result.reduced_shape[0]:,} x "
              f"{result.reduced_shape[1]:,}")
        print(f"      status: {result.status}")
        rows.append([f"ours, district {label}", f"{result.objective:,.0f}", result.method,
                     f"{result.seconds:.1f}", f"gap {result.gap:.2%}"])
    rows.append(["spopt, district", "-", "not run", "-", f"dense model of {cells:.0e} entries"])
    return rows


def print_table(rows: list[list[str]]) -> None:
    """A plain text table."""
    head = ["run", "objective (m)", "method / status", "seconds", "note"]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = "  ".join("-" * w for w in widths)
    print("\n" + "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print(line)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def main() -> None:
    """Parse options, run both parts, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--k", type=int, default=100, help="sites to place in part (a)")
    parser.add_argument("--district-k", type=int, default=5000)
    parser.add_argument("--budget", type=float, default=10_000_000.0, help="yuan, part (b)")
    parser.add_argument("--time-limit", type=float, default=180.0, help="seconds, part (b)")
    parser.add_argument("--skip-district", action="store_true")
    args = parser.parse_args()
    small = (300, 100, 10) if args.quick else (3000, 1000, args.k)
    district = (20_000, 5_000, 500, 1_000_000.0) if args.quick else (
        200_000, 50_000, args.district_k, args.budget)
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
          f"{platform.python_version()}, NumPy {np.__version__}, SciPy {scipy.__version__}")
    rows = part_a(*small, seed=args.seed, repeats=3)
    if not args.skip_district:
        rows += part_b(*district, seed=args.seed, limit=args.time_limit)
    print_table(rows)


if __name__ == "__main__":
    main()
