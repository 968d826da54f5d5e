"""Patrol route plans on the sample: closed walks covering every required street, K routes
against their bound, visit points, the week by hotspot frequency; pure helpers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sqlalchemy import text

from geo_service.analysis.network import street_graph
from geo_service.db.engine import engine_for
from geo_service.patrol_routes import PlanError, PlanOptions, compute_plan
from geo_service.patrol_routes.planner import split_order, turn_word
from geo_service.patrol_routes.store import read_inputs

GRIDS = (1, 2, 3, 4)


@pytest.fixture(scope="module")
def inputs_for(module_sample_db: str):  # noqa: ANN201
    engine = engine_for(module_sample_db)

    def read(options: PlanOptions):  # noqa: ANN202
        with engine.connect() as conn:
            return read_inputs(conn, options)

    return read


@pytest.fixture(scope="module")
def in_area(module_sample_db: str) -> set[int]:
    with engine_for(module_sample_db).connect() as conn:
        return set(conn.execute(text(
            "SELECT s.id FROM streets s JOIN grids g ON g.id = s.grid_id "
            "WHERE g.number = ANY(:g)"), {"g": list(GRIDS)}).scalars())


def closed(route) -> bool:  # noqa: ANN001
    coords = list(route.geometry.coords)
    return coords[0] == coords[-1]


@pytest.mark.parametrize("teams", [1, 3])
def test_routes_are_closed_walks_covering_every_street(inputs_for, in_area, teams) -> None:  # noqa: ANN001
    options = PlanOptions(grids=GRIDS, teams=teams)
    inputs = inputs_for(options)
    assert inputs.start_label.startswith("白龙警务室") and inputs.start_default
    plan = compute_plan(inputs, options)
    assert len(plan.routes) == teams
    start = plan.routes[0].geometry.coords[0]
    for route in plan.routes:
        assert closed(route) and route.geometry.coords[0] == start  # all from the police post
        assert route.length_m >= route.repeated_m >= 0
        assert route.directions[0]["turn"] == "start"
        assert sum(run["length_m"] for run in route.directions) == pytest.approx(
            route.length_m, abs=1.0)
    served = set().union(*(r.streets for r in plan.routes))
    assert served == in_area  # the grids' streets are one walkable piece on the sample
    s = plan.summary
    assert s["one_team_m"] == pytest.approx(s["one_team_bound_m"], abs=0.01)  # exact
    if teams == 1:
        assert s["total_m"] == pytest.approx(s["one_team_m"], abs=0.1)
    else:
        # both figures are rounded to the centimetre, so their quotient may sit 0.005 m above
        assert s["bound_m"] >= s["one_team_bound_m"] / teams - 0.01
        assert s["longest_m"] <= 1.15 * s["bound_m"]
    stops = [stop for r in plan.routes for stop in r.stops]
    assert {st.ref_id for st in stops} <= {p.ref_id for p in inputs.hazards}
    assert len(stops) == len({st.ref_id for st in stops}) > 0


@pytest.mark.parametrize("teams", [2, 4])
def test_k_routes_are_within_15_percent_of_the_bound(inputs_for, teams) -> None:  # noqa: ANN001
    options = PlanOptions(grids=GRIDS, teams=teams)
    plan = compute_plan(inputs_for(options), options)
    assert plan.summary["ratio"] <= 1.15
    assert max(r.length_m for r in plan.routes) == pytest.approx(plan.summary["longest_m"],
                                                                 abs=0.1)


def test_rural_postman_for_alleys_uses_other_streets_only_to_get_there(inputs_for) -> None:  # noqa: ANN001
    options = PlanOptions(grids=GRIDS, required="alleys")
    inputs = inputs_for(options)
    plan = compute_plan(inputs, options)
    (route,) = plan.routes
    classes = {k: d["street_class"] for _, _, k, d in inputs.graph.edges(keys=True, data=True)}
    assert closed(route) and route.streets
    assert {classes[s] for s in route.streets} <= {"alley", "steps"}
    assert plan.summary["required_m"] < plan.summary["total_m"]


def test_visit_points_in_the_best_order(inputs_for) -> None:  # noqa: ANN001
    options = PlanOptions(grids=GRIDS, points="broken-lights")
    inputs = inputs_for(options)
    plan = compute_plan(inputs, options)
    (route,) = plan.routes
    assert "Held-Karp" in route.method and closed(route)
    assert sorted(s.ref_id for s in route.stops) == sorted(p.ref_id for p in inputs.lights)
    assert plan.summary["one_team_m"] == pytest.approx(plan.summary["one_team_bound_m"])
    many = PlanOptions(grids=GRIDS, points="hazards", teams=2)
    plan = compute_plan(inputs_for(many), many)
    assert "2-opt" in plan.summary["one_team_method"]  # more than 12 open hazards
    assert sum(len(r.stops) for r in plan.routes) == plan.summary["stops"] > 12
    assert all(closed(r) for r in plan.routes)


def test_week_walks_hot_streets_as_often_as_required(inputs_for) -> None:  # noqa: ANN001
    options = PlanOptions(grids=GRIDS, week=True, shifts=2)
    inputs = inputs_for(options)
    plan = compute_plan(inputs, options)
    coverage = plan.coverage
    assert coverage is not None and len(coverage) == plan.summary["required_streets"]
    assert (coverage["times"] >= coverage["required"]).all()
    assert coverage["required"].max() > 1  # the sample has hotspots
    assert {r.day for r in plan.routes} == set(range(7))
    assert {r.shift for r in plan.routes} == {1, 2}
    assert all(closed(r) for r in plan.routes)
    assert plan.summary["coverage"]["below"] == 0


def test_bad_options_are_refused(inputs_for) -> None:  # noqa: ANN001
    with pytest.raises(PlanError, match="teams"):
        PlanOptions(teams=0).check()
    with pytest.raises(PlanError) as error:
        inputs_for(PlanOptions(grids=(99,)))
    assert error.value.code == "unknown_grid"


def test_split_order_minimises_the_longest_round_trip() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 1000, (9, 2))
    dist = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    order = list(range(1, 9))

    def longest(groups: list[list[int]]) -> float:
        return max(dist[0, g[0]] + sum(dist[a, b] for a, b in itertools.pairwise(g))
                   + dist[g[-1], 0] for g in groups)

    for k in (2, 3):
        best = min(longest([order[a:b] for a, b in itertools.pairwise([0, *cuts, 8])])
                   for cuts in itertools.combinations(range(1, 8), k - 1))
        groups = split_order(dist, order, k)
        assert [x for g in groups for x in g] == order
        assert longest(groups) == pytest.approx(best)


def test_turn_words() -> None:
    assert [turn_word(a) for a in (0, 40, 90, -40, -90, 170, -175)] == [
        "straight", "slight_left", "left", "slight_right", "right", "back", "back"]


def test_one_street_graph_builder_serves_routing_and_the_network() -> None:
    import geopandas as gpd
    from shapely.geometry import LineString

    frame = gpd.GeoDataFrame(
        {"id": [7, 8], "source": [1, 2], "target": [2, 3], "street_class": ["alley", "main"]},
        geometry=[LineString([(106.83, 27.52), (106.831, 27.52)]),
                  LineString([(106.831, 27.52), (106.831, 27.521)])], crs="EPSG:4326")
    graph = street_graph(frame)
    assert graph.graph["crs"].is_projected  # a UTM zone for a geographic frame
    edge = graph.edges[1, 2, 7]
    assert "length" not in edge and edge["length_m"] > 0 and edge["in_area"] and edge["source"] == 1
    assert street_graph(frame, "EPSG:4545", walkable={"alley"}).number_of_edges() == 1
