"""Placement: exact answers equal brute force; greedy and its bounds; reduction; candidates."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point, box

from geo_service.analysis.candidates import (
    CandidateCosts,
    candidate_sites,
    chosen_sites,
    points_along,
)
from geo_service.analysis.placement import (
    CoverageProblem,
    SolverOptions,
    budget_cover,
    compare_with_actual,
    covered_after,
    max_cover,
    reduce_problem,
    set_cover,
)

GREEDY = SolverOptions(max_milp_nonzeros=0)
GREEDY_NO_LP = SolverOptions(max_milp_nonzeros=0, max_lp_nonzeros=0)
CRS = "EPSG:4545"


def random_problem(seed: int, n_dem: int = 14, n_cand: int = 9, density: float = 0.25,
                   repairs: int = 0) -> CoverageProblem:
    """A small random instance; the last ``repairs`` candidates are cheap repairs."""
    rng = np.random.default_rng(seed)
    covers = sp.random(n_dem, n_cand, density=density, random_state=rng, format="csr") > 0
    cost = rng.choice([1200.0, 2500.0, 3500.0], size=n_cand)
    cost[n_cand - repairs:] = 600.0
    return CoverageProblem(
        weights=np.round(rng.uniform(0.5, 20.0, n_dem), 2),
        covers=sp.csr_matrix(covers),
        cost=cost,
        already_covered=rng.random(n_dem) < 0.15,
    )


def newly(problem: CoverageProblem, cols: tuple[int, ...]) -> float:
    """Weight newly covered by ``cols`` (brute-force helper)."""
    return float(problem.weights[covered_after(problem, cols) & ~problem.already_covered].sum())


def brute_max(problem: CoverageProblem, k: int) -> float:
    """Best newly covered weight over all sets of at most ``k`` candidates."""
    n = problem.n_candidates
    return max(newly(problem, c) for r in range(k + 1) for c in itertools.combinations(range(n), r))


def brute_budget(problem: CoverageProblem, budget: float) -> float:
    """Best newly covered weight over all sets within ``budget``."""
    n = problem.n_candidates
    sets = (c for r in range(n + 1) for c in itertools.combinations(range(n), r))
    return max(newly(problem, c) for c in sets if problem.cost[list(c)].sum() <= budget)


def required_rows(problem: CoverageProblem, min_priority: float) -> np.ndarray:
    """Rows set cover must cover (coverable ones only)."""
    coverable = problem.covers.getnnz(axis=1) > 0
    return (problem.weights >= min_priority) & ~problem.already_covered & coverable


def brute_set_cover(problem: CoverageProblem, min_priority: float, price: np.ndarray) -> float:
    """Cheapest set covering all coverable required rows."""
    need = required_rows(problem, min_priority)
    n = problem.n_candidates
    return min(price[list(c)].sum() for r in range(n + 1)
               for c in itertools.combinations(range(n), r)
               if np.all(covered_after(problem, c)[need]))


# ---------------------------------------------------------------------------------------------
# exact answers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("k", [1, 2, 3])
def test_max_cover_equals_brute_force(seed: int, k: int) -> None:
    problem = random_problem(seed)
    result = max_cover(problem, k)
    assert result.method in ("milp-optimal", "trivial")
    assert result.objective == pytest.approx(brute_max(problem, k), abs=1e-6)
    assert len(result.chosen) <= k
    assert result.gap == pytest.approx(0.0, abs=1e-6)
    assert result.added_weight.sum() == pytest.approx(result.objective)
    assert np.all(np.diff(result.added_weight) <= 1e-9)  # greedy order of contribution


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("by", ["count", "cost"])
def test_set_cover_equals_brute_force(seed: int, by: str) -> None:
    problem = random_problem(seed, density=0.3)
    price = problem.cost if by == "cost" else np.ones(problem.n_candidates)
    result = set_cover(problem, min_priority=5.0, by=by)
    assert result.objective == pytest.approx(brute_set_cover(problem, 5.0, price))
    need = required_rows(problem, 5.0)
    assert np.all(covered_after(problem, result.chosen)[need])


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("budget", [600.0, 3000.0, 5000.0, 8000.0])
def test_budget_is_respected_and_optimal(seed: int, budget: float) -> None:
    problem = random_problem(seed, repairs=3)
    result = budget_cover(problem, budget)
    assert result.total_cost <= budget + 1e-9
    assert result.objective == pytest.approx(brute_budget(problem, budget), abs=1e-6)


def test_repair_cheaper_than_pole_is_taken_within_budget() -> None:
    # demand 0 (20 m) is covered by a new pole (3500) or by repairing a broken lamp (600)
    covers = sp.csr_matrix(np.array([[1, 1], [1, 0]], dtype=bool))
    problem = CoverageProblem(np.array([20.0, 1.0]), covers, np.array([3500.0, 600.0]),
                              np.zeros(2, bool), candidate_ids=np.array(["pole-0", "repair-L7"]))
    result = budget_cover(problem, 1000.0)
    assert list(result.candidate_ids) == ["repair-L7"]
    assert result.total_cost == 600.0 and result.objective == 20.0
    assert budget_cover(problem, 5000.0).objective == 21.0


@pytest.mark.parametrize("seed", range(6))
def test_greedy_path_respects_budget(seed: int) -> None:
    problem = random_problem(seed, n_dem=40, n_cand=14, repairs=4)
    for budget in (600.0, 4000.0, 9000.0):
        assert budget_cover(problem, budget, GREEDY).total_cost <= budget + 1e-9


# ---------------------------------------------------------------------------------------------
# greedy, bounds, time limit
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(15))
@pytest.mark.parametrize("opts", [GREEDY, GREEDY_NO_LP], ids=["lp-bound", "greedy-bound"])
def test_greedy_never_beats_optimum_and_bounds_it(seed: int, opts: SolverOptions) -> None:
    problem = random_problem(seed, n_dem=60, n_cand=25, density=0.12, repairs=5)
    for k in (2, 5):
        exact, greedy = max_cover(problem, k), max_cover(problem, k, opts)
        assert exact.method == "milp-optimal"
        assert greedy.method in ("greedy+swap", "trivial")
        assert greedy.objective <= exact.objective + 1e-6
        assert greedy.bound >= exact.objective - 1e-6
        assert greedy.gap >= 0
    for budget in (3000.0, 8000.0):
        exact, greedy = budget_cover(problem, budget), budget_cover(problem, budget, opts)
        assert greedy.objective <= exact.objective + 1e-6
        assert greedy.bound >= exact.objective - 1e-6
    exact, greedy = set_cover(problem, by="cost"), set_cover(problem, by="cost", options=opts)
    assert greedy.objective >= exact.objective - 1e-6
    assert greedy.bound <= exact.objective + 1e-6
    assert np.all(covered_after(problem, greedy.chosen)[required_rows(problem, 0.0)])


def test_greedy_is_within_its_reported_gap() -> None:
    problem = random_problem(3, n_dem=400, n_cand=120, density=0.03)
    exact, greedy = max_cover(problem, 10), max_cover(problem, 10, GREEDY)
    assert greedy.objective >= (1 - 1 / np.e) * exact.objective
    assert greedy.objective * (1 + greedy.gap) == pytest.approx(greedy.bound)
    assert greedy.seconds >= 0 and "greedy" in greedy.status


def test_time_limit_falls_back_with_a_bound() -> None:
    problem = random_problem(5, n_dem=3000, n_cand=600, density=0.01)
    result = max_cover(problem, 40, SolverOptions(time_limit=0.01))
    assert result.method in ("milp-timelimit", "greedy+swap")
    assert "Time limit" in result.status
    assert result.bound >= result.objective and len(result.chosen) <= 40
    assert result.gap == pytest.approx(result.bound / result.objective - 1)


def spatial_problem(seed: int, n_dem: int = 1500, n_cand: int = 400) -> CoverageProblem:
    """Demand and sites scattered in a 400 m square, covered within 30 m."""
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 400, (n_dem, 2)), rng.uniform(0, 400, (n_cand, 2))
    pairs = cKDTree(sites).sparse_distance_matrix(cKDTree(demand), 30.0, output_type="coo_matrix")
    covers = sp.csr_matrix((np.ones(pairs.nnz, bool), (pairs.col, pairs.row)),
                           shape=(n_dem, n_cand))
    return CoverageProblem(rng.uniform(1, 10, n_dem), covers,
                           rng.choice([600.0, 1200.0, 3500.0], n_cand), rng.random(n_dem) < 0.1)


@pytest.mark.parametrize("seed", range(3))
def test_greedy_swap_on_spatial_instances(seed: int) -> None:
    problem = spatial_problem(seed)
    for k in (10, 40):
        exact, greedy = max_cover(problem, k), max_cover(problem, k, GREEDY)
        assert exact.method == "milp-optimal" and exact.gap < 1e-6
        assert greedy.objective <= exact.objective + 1e-6 <= greedy.bound + 2e-6
        assert greedy.objective >= 0.9 * exact.objective
    exact, greedy = budget_cover(problem, 30_000.0), budget_cover(problem, 30_000.0, GREEDY)
    assert greedy.total_cost <= 30_000.0 and exact.total_cost <= 30_000.0
    assert greedy.objective <= exact.objective + 1e-6 <= greedy.bound + 2e-6


# ---------------------------------------------------------------------------------------------
# reduction and infeasible demand
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_reduction_does_not_change_optimum(seed: int) -> None:
    base = random_problem(seed, n_dem=30, n_cand=12, density=0.2)
    # duplicate rows and a dominated copy of a column make the reduction bite
    covers = sp.vstack([base.covers, base.covers[:10]], format="csr")
    sub = covers[:, [0]].multiply(sp.csr_matrix(np.arange(covers.shape[0])[:, None] % 2 == 0))
    covers = sp.hstack([covers, sub], format="csr")
    problem = CoverageProblem(
        np.concatenate([base.weights, base.weights[:10]]), covers,
        np.concatenate([base.cost, [base.cost[0]]]),
        np.concatenate([base.already_covered, base.already_covered[:10]]))
    raw = SolverOptions(reduce=False)
    red = reduce_problem(problem, np.ones(problem.n_candidates))
    assert red.covers.shape[0] < problem.n_demand and red.covers.shape[1] < problem.n_candidates
    assert red.weights.sum() == pytest.approx(
        problem.weights[~problem.already_covered & (covers.getnnz(axis=1) > 0)].sum())
    for k in (1, 3):
        exact = max_cover(problem, k, raw).objective
        assert max_cover(problem, k).objective == pytest.approx(exact)
    assert budget_cover(problem, 5000.0).objective == pytest.approx(
        budget_cover(problem, 5000.0, raw).objective)
    for by in ("count", "cost"):
        assert set_cover(problem, by=by).objective == pytest.approx(
            set_cover(problem, by=by, options=raw).objective)


def test_uncoverable_demand_is_reported() -> None:
    covers = sp.csr_matrix(np.array([[1, 0], [0, 1], [0, 0], [1, 1]], dtype=bool))
    problem = CoverageProblem(np.array([5.0, 6.0, 7.0, 1.0]), covers, np.array([1.0, 1.0]),
                              np.zeros(4, bool))
    result = set_cover(problem)
    assert list(result.uncoverable) == [2]
    assert sorted(result.chosen) == [0, 1] and result.objective == 2
    assert result.covered_weight == 12.0
    assert list(max_cover(problem, 1).uncoverable) == [2]


def test_already_covered_demand_is_not_counted() -> None:
    covers = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1]], dtype=bool))
    problem = CoverageProblem(np.array([10.0, 10.0, 3.0]), covers, np.ones(2),
                              np.array([True, True, False]))
    result = max_cover(problem, 1)
    assert list(result.chosen) == [1] and result.objective == 3.0
    assert result.open_weight == 3.0
    assert set_cover(problem).objective == 1


def test_broken_lamp_gap_is_closed_by_its_repair() -> None:
    # a broken lamp covers nothing until repaired: its demand is open, its repair closes it
    covers = sp.csr_matrix(np.array([[0, 1], [0, 1], [1, 0]], dtype=bool))
    problem = CoverageProblem(np.array([8.0, 8.0, 1.0]), covers, np.array([3500.0, 600.0]),
                              np.zeros(3, bool), candidate_ids=np.array(["pole-0", "repair-L2"]))
    result = max_cover(problem, 1)
    assert list(result.candidate_ids) == ["repair-L2"]
    assert covered_after(problem, result.chosen)[:2].all()


def test_compare_with_actual_best_is_at_least_actual() -> None:
    problem = random_problem(4, n_dem=50, n_cand=30, density=0.08)
    actual = sp.random(50, 3, density=0.1, random_state=1, format="csr") > 0
    comparison = compare_with_actual(problem, actual)
    assert comparison.k == 3
    assert comparison.best.objective >= comparison.actual_weight - 1e-9
    assert 0.0 <= comparison.share_of_best <= 1.0 + 1e-9


def test_problem_validates_shapes() -> None:
    with pytest.raises(ValueError, match="cost"):
        CoverageProblem(np.ones(2), sp.csr_matrix((2, 3), dtype=bool), np.ones(2), np.zeros(2))


# ---------------------------------------------------------------------------------------------
# candidates
# ---------------------------------------------------------------------------------------------


def layout() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """An L of two streets, one building by the first street, two lights (one broken)."""
    streets = gpd.GeoDataFrame(
        {"id": [1, 2], "street_class": ["alley", "steps"]},
        geometry=[LineString([(0, 0), (90, 0)]), LineString([(0, 0), (0, 30)])], crs=CRS)
    buildings = gpd.GeoDataFrame(geometry=[box(20, 4, 50, 20)], crs=CRS)
    lights = gpd.GeoDataFrame({"id": ["L1", "L2"], "status": ["working", "broken"]},
                              geometry=[Point(5, 1), Point(60, 1)], crs=CRS)
    return streets, buildings, lights


def test_points_along_are_evenly_spaced() -> None:
    lines = np.array([LineString([(0, 0), (90, 0)]), LineString([(0, 0), (4, 0)])])
    owner, points = points_along(lines, 15.0)
    xs = [p.x for p in points]
    assert list(owner) == [0] * 6 + [1]
    assert xs[:6] == pytest.approx([7.5, 22.5, 37.5, 52.5, 67.5, 82.5]) and xs[6] == 2.0


def test_candidate_sites_kinds_costs_and_walls() -> None:
    streets, buildings, lights = layout()
    sites = candidate_sites(streets, buildings, lights, spacing=15.0)
    assert list(sites.columns) == ["candidate_id", "kind", "cost_yuan", "asset_id", "street_id",
                                   "geometry"]
    poles, walls = sites[sites.kind == "pole"], sites[sites.kind == "wall"]
    assert len(poles) == 6 + 2 and set(poles.cost_yuan) == {3500.0}
    # only the south wall (y = 4) faces a street within 10 m: 30 m of it, two sites
    assert len(walls) == 2 and set(walls.cost_yuan) == {1200.0}
    assert all(abs(p.y - 3.7) < 1e-9 and 20 < p.x < 50 for p in walls.geometry)
    repair = sites[sites.kind == "repair"]
    assert list(repair.asset_id) == ["L2"] and list(repair.candidate_id) == ["repair-L2"]
    assert repair.cost_yuan.iloc[0] == 600.0 and repair.geometry.iloc[0].equals(Point(60, 1))
    assert sites.crs == streets.crs


def test_camera_candidates_and_custom_costs() -> None:
    streets, buildings, lights = layout()
    costs = CandidateCosts(camera_mount=2000.0, camera_pole=5000.0, repair=400.0)
    sites = candidate_sites(streets, buildings, lights, asset="camera", costs=costs,
                            pole_classes={"alley"})
    counts = sites.kind.value_counts().to_dict()
    assert counts == {"pole": 6, "camera_mount": 2, "repair": 1}
    assert set(sites[sites.kind == "camera_mount"].cost_yuan) == {2000.0}
    assert set(sites[sites.kind == "repair"].cost_yuan) == {400.0}


def test_wall_behind_another_building_is_not_a_site() -> None:
    streets, _, lights = layout()
    buildings = gpd.GeoDataFrame(geometry=[box(20, 2, 50, 6), box(20, 7, 50, 9)], crs=CRS)
    sites = candidate_sites(streets, buildings, lights)
    walls = sites[sites.kind == "wall"]
    assert len(walls) == 2 and all(p.y < 2 for p in walls.geometry)


def test_geographic_crs_is_rejected() -> None:
    streets, buildings, lights = layout()
    with pytest.raises(ValueError, match="metric"):
        candidate_sites(streets.to_crs(4326), buildings.to_crs(4326), lights.to_crs(4326))


def test_chosen_sites_carry_rank_and_added_weight() -> None:
    streets, buildings, lights = layout()
    sites = candidate_sites(streets, buildings, lights)
    near = np.array([[p.distance(q) <= 12.0 for q in sites.geometry]
                     for p in [Point(x, 0) for x in range(0, 90, 5)]])
    problem = CoverageProblem(np.full(near.shape[0], 5.0), sp.csr_matrix(near),
                              sites.cost_yuan.to_numpy(), np.zeros(near.shape[0], bool),
                              candidate_ids=sites.candidate_id.to_numpy())
    result = budget_cover(problem, 2000.0)
    table = chosen_sites(sites, result)
    assert list(table["rank"]) == list(range(1, len(table) + 1))
    assert table.added_weight.sum() == pytest.approx(result.covered_weight)
    assert list(table.candidate_id) == list(result.candidate_ids)
    assert table.cost_yuan.sum() <= 2000.0
