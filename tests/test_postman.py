"""Chinese and rural postman: known optima, brute force, ILP, closed walks, a real OSM network."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pyogrio
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from geo_service.analysis.network import street_graph
from geo_service.analysis.postman import chinese_postman, min_t_join, odd_nodes, rural_postman
from geo_service.analysis.routing import (
    component_of,
    edge_id,
    is_closed_walk,
    total_length,
)


def graph_of(edges: list[tuple[int, int, float]]) -> nx.MultiGraph:
    graph = nx.MultiGraph()
    for i, (u, v, length) in enumerate(edges):
        graph.add_edge(u, v, key=i, id=i, length_m=float(length))
    return graph


def grid(n: int, side: float = 100.0) -> nx.MultiGraph:
    graph = nx.MultiGraph()
    for i, j in itertools.product(range(n), range(n)):
        graph.add_node(i * n + j, x=i * side, y=j * side)
    for i, j in itertools.product(range(n), range(n)):
        if i + 1 < n:
            graph.add_edge(i * n + j, (i + 1) * n + j, length_m=side)
        if j + 1 < n:
            graph.add_edge(i * n + j, i * n + j + 1, length_m=side)
    return graph


def brute_matching(graph: nx.MultiGraph, terminals: list[int]) -> float:
    """Cheapest pairing of the terminals on shortest-path distances, by trying every pairing."""
    dist = dict(nx.all_pairs_dijkstra_path_length(graph, weight="length_m"))

    def best(rest: tuple[int, ...]) -> float:
        if not rest:
            return 0.0
        a = rest[0]
        return min(dist[a].get(b, math.inf) + best(rest[1:i] + rest[i + 1:])
                   for i, b in enumerate(rest[1:], start=1))

    return best(tuple(terminals))


def assert_covers(graph: nx.MultiGraph, route, required=None) -> None:
    assert is_closed_walk(graph, route)
    walked = {edge_id(*e) for e in route.edges}
    wanted = {edge_id(*e) for e in (required or graph.edges(keys=True))}
    assert wanted <= walked
    assert set(route.served_edges()) >= wanted
    assert route.length_m == pytest.approx(sum(graph.edges[e]["length_m"] for e in route.edges))


# --------------------------------------------------------------------------- known optima


def test_square_with_diagonal() -> None:
    d = 100 * math.sqrt(2)
    graph = graph_of([(0, 1, 100), (1, 2, 100), (2, 3, 100), (3, 0, 100), (0, 2, d)])
    route = chinese_postman(graph, 1)
    assert route.length_m == pytest.approx(400 + 2 * d)
    assert route.deadhead_m == pytest.approx(d)
    assert route.lower_bound_m == pytest.approx(route.length_m, abs=1e-6)
    assert route.start == 1 and route.nodes[0] == route.nodes[-1] == 1
    assert_covers(graph, route)
    assert route.minutes == pytest.approx((400 + 2 * d) / 75.0)


def test_grid_3x3_is_walked_with_two_detours() -> None:
    graph = grid(3)
    assert len(odd_nodes(graph)) == 4
    route = chinese_postman(graph, 4)
    assert route.length_m == pytest.approx(1200 + 400)
    assert route.length_m == pytest.approx(1200 + brute_matching(graph, odd_nodes(graph)))
    assert_covers(graph, route)


def test_parallel_edges_and_loops_are_separate_streets() -> None:
    graph = graph_of([(0, 1, 10), (0, 1, 20), (0, 1, 30), (1, 1, 5), (1, 2, 7)])
    route = chinese_postman(graph, 2)
    # node 1: three parallels + a loop (2) + one = 6, even; nodes 0 and 2 are odd
    assert sorted(odd_nodes(graph)) == [0, 2]
    assert route.length_m == pytest.approx(72 + 10 + 7)  # repeat the shortest parallel
    assert_covers(graph, route)
    assert len({e[2] for e in route.edges if {e[0], e[1]} == {0, 1}}) == 3


def test_random_graphs_match_brute_force() -> None:
    rng = random.Random(11)
    for _ in range(60):
        n = rng.randint(3, 10)
        edges = [(i, rng.randrange(i), rng.randint(0, 30)) for i in range(1, n)]
        edges += [(rng.randrange(n), rng.randrange(n), rng.randint(1, 30))
                  for _ in range(rng.randint(0, n))]
        graph = graph_of(edges)
        odd = odd_nodes(graph)
        if len(odd) > 10:
            continue
        best = brute_matching(graph, odd)
        route = chinese_postman(graph, rng.randrange(n))
        assert route.length_m == pytest.approx(total_length(graph) + best)
        assert route.lower_bound_m == pytest.approx(route.length_m, abs=1e-6)
        assert_covers(graph, route)


def test_t_join_of_any_terminal_set() -> None:
    graph = grid(4)
    terminals = [0, 5, 10, 15]  # a diagonal: two pairs of 200 m
    join = min_t_join(graph, terminals)
    degree = nx.MultiGraph(list(join.edges)).degree()
    assert {v for v, d in degree if d % 2} == set(terminals)
    assert join.cost_m == pytest.approx(brute_matching(graph, terminals)) == pytest.approx(400)
    with pytest.raises(ValueError):
        min_t_join(graph, [0, 5, 10])


def test_disconnected_network_is_refused_but_a_component_routes() -> None:
    graph = graph_of([(0, 1, 5), (1, 2, 5), (7, 8, 3)])
    with pytest.raises(ValueError):
        chinese_postman(graph, 0)
    part = component_of(graph, 0)
    assert chinese_postman(part, 0).length_m == pytest.approx(20)


# --------------------------------------------------------------------------- rural postman


def brute_rpp(graph: nx.MultiGraph, required: set, start: int) -> float:
    """Shortest closed walk over the required edges by trying 0-2 extra walks on every edge."""
    edges = [edge_id(*e) for e in graph.edges(keys=True) if e[0] != e[1]]
    lengths = [graph.edges[e]["length_m"] for e in edges]
    best = math.inf
    for extra in itertools.product(*[(0, 1) if e in required else (0, 1, 2) for e in edges]):
        cost = sum(x * w for x, w in zip(extra, lengths, strict=True))
        if cost >= best:
            continue
        walk = nx.MultiGraph()
        walk.add_node(start)
        walk.add_edges_from(e[:2] for e in required)
        for x, e in zip(extra, edges, strict=True):
            walk.add_edges_from([e[:2]] * x)
        if any(d % 2 for _, d in walk.degree()):
            continue
        home = nx.node_connected_component(walk, start)
        if all(u in home for u, _, _ in required):
            best = cost
    return best + sum(graph.edges[e]["length_m"] for e in required)


def ilp_rpp(graph: nx.MultiGraph, required: set, start: int) -> float:
    """The rural postman as a textbook ILP (every separating node set), by scipy's milp."""
    edges = [edge_id(*e) for e in graph.edges(keys=True) if e[0] != e[1]]
    nodes = sorted(graph.nodes)
    ne, nn = len(edges), len(nodes)
    cost = np.r_[[graph.edges[e]["length_m"] for e in edges], np.zeros(nn)]
    rows, lo, hi = [], [], []
    need = {start} | {n for e in required for n in e[:2]}
    for i, v in enumerate(nodes):  # parity: extra walks + required degree = 2 p_v
        row = np.zeros(ne + nn)
        for j, (a, b, _) in enumerate(edges):
            row[j] += (a == v) + (b == v)
        row[ne + i] = -2
        deg = sum((a == v) + (b == v) for a, b, _ in required)
        rows.append(row)
        lo.append(-deg)
        hi.append(-deg)
    for size in range(1, nn):
        for subset in itertools.combinations(nodes, size):
            inside = set(subset)
            if not (inside & need) or need <= inside:
                continue
            row = np.zeros(ne + nn)
            crossing_required = sum((a in inside) != (b in inside) for a, b, _ in required)
            for j, (a, b, _) in enumerate(edges):
                row[j] = (a in inside) != (b in inside)
            rows.append(row)
            lo.append(2 - crossing_required)
            hi.append(np.inf)
    upper = np.r_[[1 if e in required else 2 for e in edges], np.full(nn, np.inf)]
    res = milp(cost, integrality=np.ones(ne + nn), bounds=Bounds(0, upper),
               constraints=LinearConstraint(np.array(rows), lo, hi))
    assert res.status == 0
    return float(res.fun) + sum(graph.edges[e]["length_m"] for e in required)


def random_instance(rng: random.Random, n: int, extra: int) -> tuple[nx.MultiGraph, set, int]:
    edges = [(i, rng.randrange(i), rng.randint(1, 30)) for i in range(1, n)]
    edges += [(rng.randrange(n), rng.randrange(n), rng.randint(1, 30)) for _ in range(extra)]
    graph = graph_of(edges)
    all_edges = [edge_id(*e) for e in graph.edges(keys=True)]
    required = set(rng.sample(all_edges, rng.randint(1, max(1, len(all_edges) // 2))))
    return graph, required, rng.randrange(n)


def test_rural_postman_ilp_equals_brute_force() -> None:
    rng = random.Random(5)
    for _ in range(40):
        graph, required, start = random_instance(rng, rng.randint(3, 6), rng.randint(0, 3))
        best = brute_rpp(graph, required, start)
        for method in ("ilp", "heuristic", "auto"):
            route = rural_postman(graph, required, start, method=method)
            assert_covers(graph, route, required)
            assert route.lower_bound_m <= best + 1e-6
            assert route.length_m >= best - 1e-6
            if method == "ilp":
                assert route.length_m == pytest.approx(best)
                assert route.lower_bound_m == pytest.approx(best)


def test_rural_postman_matches_textbook_ilp_on_larger_graphs() -> None:
    rng = random.Random(8)
    for _ in range(8):
        graph, required, start = random_instance(rng, 9, 6)
        expected = ilp_rpp(graph, required, start)
        route = rural_postman(graph, required, start, method="ilp")
        assert route.length_m == pytest.approx(expected)
        assert route.method.startswith("rural postman: exact ILP")
        heuristic = rural_postman(graph, required, start, method="heuristic")
        assert heuristic.lower_bound_m <= expected + 1e-6 <= heuristic.length_m + 2e-6
        assert_covers(graph, heuristic, required)


def test_rural_postman_with_everything_required_is_the_chinese_postman() -> None:
    graph = grid(4)
    every = {edge_id(*e) for e in graph.edges(keys=True)}
    assert rural_postman(graph, every, 5).length_m == pytest.approx(
        chinese_postman(graph, 5).length_m)


def test_rural_postman_far_pieces_use_travel_streets() -> None:
    graph = grid(5)
    left = edge_id(0, 1, 0)
    right = edge_id(23, 24, 0)
    route = rural_postman(graph, {left, right}, 12)
    # from the centre: 3 blocks out, the street, 4 back; the same again on the other side
    assert route.length_m == pytest.approx(1600.0)
    assert route.lower_bound_m == pytest.approx(1600.0)
    assert_covers(graph, route, {left, right})


# --------------------------------------------------------------------------- real OSM


def osm_segments() -> gpd.GeoDataFrame:
    """Streets of pyrosm's test town (a real OSM extract), noded into segments."""
    import pyrosm

    path = Path(pyrosm.__file__).parent / "data" / "test.osm.pbf"
    lines = pyogrio.read_dataframe(path, layer="lines")
    lines = lines[lines["highway"].notna()][["highway", "geometry"]]
    from geo_service.ingest import node_streets

    segments = node_streets(lines).segments.reset_index(drop=True)
    segments["id"] = np.arange(1, len(segments) + 1)
    return segments


def test_real_osm_network_routes_end_to_end() -> None:
    graph = street_graph(osm_segments())
    assert graph.graph["crs"].is_projected
    start = min(max(nx.connected_components(graph), key=len))
    town = component_of(graph, start)
    assert total_length(town) > 20_000
    route = chinese_postman(town, start)
    assert_covers(town, route)
    assert route.lower_bound_m == pytest.approx(route.length_m, abs=1e-3)
    assert route.length_m < 2 * total_length(town)
    # the exact join agrees with networkx's own matching on the odd nodes nearest the start
    dist = nx.single_source_dijkstra_path_length(town, start, weight="length_m")
    near = sorted(odd_nodes(town), key=dist.__getitem__)[:40]
    join = min_t_join(town, near)
    assert join.cost_m == pytest.approx(_networkx_matching(town, near))
    some = [edge_id(*e) for e in list(town.edges(keys=True))[::25]]
    rpp = rural_postman(town, some, start)
    assert_covers(town, rpp, some)
    assert rpp.lower_bound_m <= rpp.length_m


def _networkx_matching(graph: nx.MultiGraph, terminals: list[int]) -> float:
    complete = nx.Graph()
    for a in terminals:
        dist = nx.single_source_dijkstra_path_length(graph, a, weight="length_m")
        complete.add_weighted_edges_from((a, b, dist[b]) for b in terminals if b != a)
    pairs = nx.min_weight_matching(complete)
    return sum(complete[a][b]["weight"] for a, b in pairs)
