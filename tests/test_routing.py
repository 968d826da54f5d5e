"""Street graph, snapping, tours through points, K balanced routes, GPX / GeoJSON / coverage."""

from __future__ import annotations

import itertools
import json
import math
import random

import geopandas as gpd
import gpxpy
import networkx as nx
import numpy as np
import pyogrio
import pytest
from shapely.geometry import LineString, Point

from geo_service.analysis.network import street_graph
from geo_service.analysis.postman import chinese_postman
from geo_service.analysis.route_output import (
    coverage_counts,
    routes_frame,
    routes_geojson,
    stops_frame,
    write_geojson,
    write_gpx,
)
from geo_service.analysis.routing import (
    edge_id,
    is_closed_walk,
    nearest_nodes,
    split_at_points,
)
from geo_service.analysis.tours import balanced_routes, visit_points

CRS = "EPSG:4545"
X0, Y0 = 500_000.0, 2_800_000.0


def grid_streets(n: int, side: float = 100.0) -> gpd.GeoDataFrame:
    """An n x n block grid as noded street segments (metric CRS)."""
    rows = []
    for i, j in itertools.product(range(n), range(n)):
        for di, dj in ((1, 0), (0, 1)):
            if i + di < n and j + dj < n:
                a, b = i * n + j, (i + di) * n + j + dj
                geom = LineString([(X0 + i * side, Y0 + j * side),
                                   (X0 + (i + di) * side, Y0 + (j + dj) * side)])
                rows.append({"id": len(rows) + 1, "source": a, "target": b,
                             "length_m": side, "street_class": "residential",
                             "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


@pytest.fixture(scope="module")
def city() -> nx.MultiGraph:
    return street_graph(grid_streets(10))


# --------------------------------------------------------------------------- graph


def test_street_graph_from_lonlat_keeps_parallels_and_ids() -> None:
    lines = [LineString([(108.0, 30.0), (108.001, 30.0)]),
             LineString([(108.0, 30.0), (108.0005, 30.0002), (108.001, 30.0)]),
             LineString([(108.001, 30.0), (108.001, 30.001)])]
    frame = gpd.GeoDataFrame({"id": [7, 8, 9], "source": [1, 1, 2], "target": [2, 2, 3],
                              "street_class": ["alley", "alley", "primary"]},
                             geometry=lines, crs="EPSG:4326")
    graph = street_graph(frame)
    assert graph.graph["crs"].is_projected
    assert graph.number_of_edges() == 3 and graph.number_of_edges(1, 2) == 2
    assert {d["id"] for *_, d in graph.edges(data=True)} == {7, 8, 9}
    assert graph.edges[1, 2, 7]["length_m"] == pytest.approx(96.5, abs=1.0)  # 0.001 deg at 30N
    assert graph.edges[1, 2, 8]["length_m"] > graph.edges[1, 2, 7]["length_m"]
    only = street_graph(frame, walkable={"alley"})
    assert only.number_of_edges() == 2


def test_split_at_points_adds_a_node_on_the_street(city: nx.MultiGraph) -> None:
    hazard = Point(X0 + 30, Y0 + 4)  # beside the street from node 0 east to node 10
    graph, nodes, dist = split_at_points(city, [hazard, Point(X0 + 100.4, Y0)])
    new, corner = nodes
    assert new not in city and corner == 10
    assert dist[0] == pytest.approx(4.0)
    halves = [d for *_, d in graph.edges(new, data=True)]
    assert sorted(d["length_m"] for d in halves) == pytest.approx([30.0, 70.0])
    assert {d["id"] for d in halves} == {city.edges[0, 10, 1]["id"]}
    assert graph.number_of_edges() == city.number_of_edges() + 1


# --------------------------------------------------------------------------- points


def random_town(seed: int) -> nx.MultiGraph:
    rng = np.random.default_rng(seed)
    pts = rng.random((40, 2)) * 1000
    near = nx.random_geometric_graph(40, 0.3, pos=dict(enumerate(pts / 1000)), seed=seed)
    graph = nx.MultiGraph()
    for v, (x, y) in enumerate(pts):
        graph.add_node(v, x=x, y=y)
    for a, b in near.edges:
        graph.add_edge(a, b, length_m=float(np.hypot(*(pts[a] - pts[b]))))
    return graph.subgraph(max(nx.connected_components(graph), key=len)).copy()


def brute_tour(dist: dict, start: int, stops: list[int], closed: bool) -> float:
    best = math.inf
    for order in itertools.permutations(stops):
        walk = [start, *order] + ([start] if closed else [])
        best = min(best, sum(dist[a][b] for a, b in zip(walk[:-1], walk[1:], strict=True)))
    return best


@pytest.mark.parametrize("closed", [True, False])
def test_held_karp_equals_brute_force_for_seven_points(closed: bool) -> None:
    for seed in range(4):
        graph = random_town(seed)
        rng = random.Random(seed)
        start, *stops = rng.sample(sorted(graph.nodes), 8)
        dist = dict(nx.all_pairs_dijkstra_path_length(graph, weight="length_m"))
        route = visit_points(graph, stops, start=start, closed=closed)
        assert route.length_m == pytest.approx(brute_tour(dist, start, stops, closed))
        assert route.method.startswith("exact")
        assert route.lower_bound_m == pytest.approx(route.length_m)
        nodes = route.nodes
        assert nodes[0] == start
        assert sorted(p for _, p in route.stops) == list(range(7))
        assert [nodes[pos] for pos, p in route.stops] == [stops[p] for _, p in route.stops]
        if closed:
            assert is_closed_walk(graph, route)


def test_heuristic_tour_is_near_the_exact_one_and_bounded() -> None:
    graph = random_town(7)
    stops = random.Random(3).sample(sorted(graph.nodes), 11)
    exact = visit_points(graph, stops)
    rough = visit_points(graph, stops, exact_max=0)
    assert rough.method.startswith("nearest neighbour + 2-opt + Or-opt")
    assert rough.lower_bound_m <= exact.length_m + 1e-6
    assert exact.length_m - 1e-6 <= rough.length_m <= 1.1 * exact.length_m
    assert is_closed_walk(graph, rough) and rough.start == stops[0]


def test_tour_through_snapped_hazards(city: nx.MultiGraph) -> None:
    hazards = [Point(X0 + 250, Y0 + 503), Point(X0 + 598, Y0 + 900), Point(X0 + 20, Y0 + 60)]
    graph, nodes, _ = split_at_points(city, hazards)
    start = nearest_nodes(graph, [Point(X0 + 500, Y0 + 500)])[0]
    route = visit_points(graph, nodes, start=start)
    assert is_closed_walk(graph, route)
    assert {route.nodes[pos] for pos, _ in route.stops} == set(nodes)


# --------------------------------------------------------------------------- teams


@pytest.mark.parametrize("k", [2, 3, 4])
def test_k_routes_are_within_15_percent_of_the_bound(city: nx.MultiGraph, k: int) -> None:
    start = 55  # the middle of the 10 x 10 grid
    plan = balanced_routes(city, k, start)
    assert len(plan.routes) == k
    assert plan.lower_bound_m == pytest.approx(max(plan.one_team_bound_m / k, plan.round_trip_m))
    assert plan.one_team_bound_m == pytest.approx(chinese_postman(city, start).length_m, abs=1e-3)
    assert plan.longest_m >= plan.lower_bound_m - 1e-6
    assert plan.longest_m <= 1.15 * plan.lower_bound_m
    every = {edge_id(*e) for e in city.edges(keys=True)}
    served = [e for r in plan.routes for e in r.served_edges()]
    assert set(served) == every
    for team, route in enumerate(plan.routes, start=1):
        assert route.team == team and route.start == start
        assert is_closed_walk(city, route)


def test_k_routes_over_required_streets_only(city: nx.MultiGraph) -> None:
    required = [e for e in city.edges(keys=True) if e[0] < 30]
    plan = balanced_routes(city, 2, 55, required=required)
    walked = {edge_id(*e) for r in plan.routes for e in r.edges}
    assert {edge_id(*e) for e in required} <= walked
    assert all(is_closed_walk(city, r) for r in plan.routes)
    assert plan.longest_m >= plan.lower_bound_m - 1e-6


# --------------------------------------------------------------------------- outputs


def test_gpx_opens_in_gpxpy_and_gdal(city: nx.MultiGraph, tmp_path) -> None:
    plan = balanced_routes(city, 3, 55)
    hazards = gpd.GeoDataFrame({"name": ["broken light", "open drain"],
                                "description": ["pole 12", None]},
                               geometry=[Point(X0 + 150, Y0 + 200), Point(X0 + 800, Y0 + 30)],
                               crs=CRS)
    path = write_gpx(tmp_path / "routes.gpx", city, plan.routes, waypoints=hazards)
    parsed = gpxpy.parse(path.read_text(encoding="utf-8"))
    assert [t.name for t in parsed.tracks] == ["Team 1", "Team 2", "Team 3"]
    assert [w.name for w in parsed.waypoints] == ["broken light", "open drain"]
    first = parsed.tracks[0].segments[0].points[0]
    assert first.latitude == pytest.approx(25.3, abs=0.2)  # EPSG:4545 near 108E
    assert first.longitude == pytest.approx(108.0, abs=0.1)
    assert parsed.tracks[0].length_2d() == pytest.approx(plan.routes[0].length_m, rel=0.01)
    tracks = pyogrio.read_dataframe(path, layer="tracks")
    assert len(tracks) == 3
    assert len(pyogrio.read_dataframe(path, layer="waypoints")) == 2


def test_geojson_lines_legs_and_numbered_stops(city: nx.MultiGraph, tmp_path) -> None:
    hazards = [Point(X0 + 250, Y0 + 503), Point(X0 + 598, Y0 + 900)]
    graph, nodes, _ = split_at_points(city, hazards)
    tour = visit_points(graph, nodes, start=55)
    tour.team = 1
    data = routes_geojson(graph, [tour], per="leg")
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds == ["leg", "leg", "leg", "stop", "stop"]
    legs = [f for f in data["features"] if f["properties"]["kind"] == "leg"]
    assert sum(f["properties"]["length_m"] for f in legs) == pytest.approx(tour.length_m)
    assert [f["properties"]["order"] for f in legs] == [1, 2, 3]
    assert {"team", "order", "length_m", "minutes"} <= set(legs[0]["properties"])
    stops = [f["properties"]["stop"] for f in data["features"] if f["properties"]["kind"] == "stop"]
    assert stops == [1, 2]
    lon, lat = data["features"][0]["geometry"]["coordinates"][0]
    assert 107 < lon < 109 and 24 < lat < 27
    path = write_geojson(tmp_path / "routes.geojson", graph, [tour])
    assert json.loads(path.read_text())["features"][0]["properties"]["kind"] == "route"
    frame = routes_frame(graph, [tour])
    assert frame.geometry.iloc[0].length == pytest.approx(tour.length_m)
    assert len(stops_frame(graph, [tour])) == 2


def test_coverage_counts_per_street() -> None:
    square = gpd.GeoDataFrame(
        {"id": [1, 2, 3, 4, 5], "source": [0, 1, 2, 3, 0], "target": [1, 2, 3, 0, 2]},
        geometry=[LineString([(X0, Y0), (X0 + 100, Y0)]),
                  LineString([(X0 + 100, Y0), (X0 + 100, Y0 + 100)]),
                  LineString([(X0 + 100, Y0 + 100), (X0, Y0 + 100)]),
                  LineString([(X0, Y0 + 100), (X0, Y0)]),
                  LineString([(X0, Y0), (X0 + 100, Y0 + 100)])], crs=CRS)
    graph = street_graph(square)
    route = chinese_postman(graph, 0)
    counts = coverage_counts(graph, [route]).set_index("id")
    assert counts.loc[5, "times"] == 2  # the diagonal is walked twice
    assert counts.loc[[1, 2, 3, 4], "times"].tolist() == [1, 1, 1, 1]
    assert counts["walked_m"].sum() == pytest.approx(route.length_m)
    split, nodes, _ = split_at_points(graph, [Point(X0 + 50, Y0)])
    out_and_back = visit_points(split, nodes, start=0)  # 0 -> middle of street 1 -> 0
    half = coverage_counts(split, [out_and_back]).set_index("id")
    assert half.loc[1, "times"] == 0 and half.loc[1, "walked_m"] == pytest.approx(100)
    assert half.loc[1, "length_m"] == pytest.approx(100)
