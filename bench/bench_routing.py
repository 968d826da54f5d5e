"""Patrol routing benchmark: run by hand, prints figures and ratios.

    .venv/bin/python bench/bench_routing.py [--km 100] [--alleys 3] [--small-km 30]
        [--baseline-timeout 120]

1. Single-team cover-every-street route (Chinese postman) on a generated ~100 km city block
   network: our length, the proven lower bound, the time (target <= 10 s).
2. Baseline: plain networkx (complete graph over all odd nodes + ``nx.min_weight_matching``), in a
   subprocess killed after the timeout; run in full on a small network for a measured ratio.
3. pgRouting's ``pgr_chinesePostman`` is directed only: with two-way streets given as two arcs it
   walks every street both ways (2 x network length). With ``BENCH_DATABASE_URL`` set, it is also
   run for real on a temporary edges table.
4. K = 2..6 balanced routes: the longest route against max(one-team optimum / K, the longest
   round trip from the start through a street).
5. The sample community (``--sample``, or ``--sample-only``): grids 1-4 from the police post,
   K = 2..6 routes as ``geo-service route --teams K`` plans them, against the same bound
   (target: within 15 % for K = 2..4). Loads the sample into a throwaway database on the
   embedded PostGIS (or ``BENCH_DATABASE_URL``'s server).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import sys
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
from shapely.geometry import LineString

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo_service.analysis.network import street_graph  # noqa: E402
from geo_service.analysis.postman import chinese_postman, odd_nodes  # noqa: E402
from geo_service.analysis.routing import (  # noqa: E402
    is_closed_walk,
    nearest_nodes,
    total_length,
)
from geo_service.analysis.tours import balanced_routes  # noqa: E402

CRS = "EPSG:4545"
ORIGIN = (500_000.0, 2_800_000.0)


# --------------------------------------------------------------------------- network


def city_network(target_km: float = 100.0, seed: int = 0, alleys: float = 1.5) -> gpd.GeoDataFrame:
    """An irregular city block network of about ``target_km`` of streets.

    A jittered grid of blocks 60-130 m wide, some streets missing, on average ``alleys`` lanes
    per block into it (dead ends) or across it (T-junctions), bent segments; noded, with ``id``,
    ``source``,
    ``target``, ``length_m``, ``street_class`` in EPSG:4545.
    """
    probe = _blocks(10, np.random.default_rng(seed), alleys)
    side = max(2, int(10 * np.sqrt(target_km * 1000 / probe["length_m"].sum())) - 2)
    while True:
        frame = _blocks(side, np.random.default_rng(seed), alleys)
        if frame["length_m"].sum() >= target_km * 1000:
            return frame
        side += 1


def _blocks(side: int, rng: np.random.Generator, alleys: float) -> gpd.GeoDataFrame:
    xs = np.cumsum(rng.uniform(60, 130, side))
    ys = np.cumsum(rng.uniform(60, 130, side))
    pos = {(i, j): (xs[i] + rng.normal(0, 8), ys[j] + rng.normal(0, 8))
           for i in range(side) for j in range(side)}
    grid = nx.Graph()
    for i in range(side):
        for j in range(side):
            if i + 1 < side:
                grid.add_edge((i, j), (i + 1, j))
            if j + 1 < side:
                grid.add_edge((i, j), (i, j + 1))
    for e in list(grid.edges):
        if rng.random() < 0.08:
            grid.remove_edge(*e)
            if not nx.has_path(grid, *e):
                grid.add_edge(*e)
    # points where alleys meet a street, per street (as a fraction along it)
    cuts: dict[tuple, list[tuple[float, int]]] = {e: [] for e in grid.edges}
    nodes = dict(pos)
    alleys_at: list[tuple] = []
    next_id = 0

    def new_node(xy: tuple[float, float]) -> int:
        nonlocal next_id
        next_id += 1
        nodes[next_id] = xy
        return next_id

    def point_on(e: tuple, t: float) -> int:
        key = e if e in cuts else (e[1], e[0])
        if key not in cuts:
            return -1
        (x0, y0), (x1, y1) = pos[key[0]], pos[key[1]]
        node = new_node((x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
        cuts[key].append((t if key == e else 1 - t, node))
        return node

    for i in range(side - 1):
        for j in range(side - 1):
            for _ in range(rng.integers(0, 2 * alleys + 1)):
                if rng.random() < 0.5:  # dead-end alley into the block from its south side
                    t = rng.uniform(0.15, 0.85)
                    a = point_on(((i, j), (i + 1, j)), t)
                    if a < 0:
                        continue
                    depth = rng.uniform(0.2, 0.6) * (ys[j + 1] - ys[j])
                    x, y = nodes[a]
                    alleys_at.append((a, new_node((x + rng.normal(0, 4), y + depth))))
                else:  # through alley west-east with two T-junctions
                    t = rng.uniform(0.15, 0.85)
                    a = point_on(((i, j), (i, j + 1)), t)
                    b = point_on(((i + 1, j), (i + 1, j + 1)),
                                 float(np.clip(t + rng.uniform(-0.1, 0.1), 0.05, 0.95)))
                    if a >= 0 and b >= 0:
                        alleys_at.append((a, b))
    ids: dict = {}
    rows = []

    def nid(n: object) -> int:
        return ids.setdefault(n, len(ids) + 1)

    def add(a: object, b: object, cls: str) -> None:
        (x0, y0), (x1, y1) = nodes[a], nodes[b]
        bend = rng.normal(0, 3)
        mx, my = (x0 + x1) / 2 - bend * (y1 - y0) / 100, (y0 + y1) / 2 + bend * (x1 - x0) / 100
        geom = LineString([(ORIGIN[0] + x0, ORIGIN[1] + y0), (ORIGIN[0] + mx, ORIGIN[1] + my),
                           (ORIGIN[0] + x1, ORIGIN[1] + y1)])
        rows.append({"id": len(rows) + 1, "source": nid(a), "target": nid(b),
                     "length_m": geom.length, "street_class": cls, "geometry": geom})

    for (a, b), marks in cuts.items():
        cls = "main" if (a[0] == b[0] and a[0] % 5 == 0) or (a[1] == b[1] and a[1] % 5 == 0) \
            else "residential"
        chain = [a] + [n for _, n in sorted(marks)] + [b]
        for p, q in zip(chain[:-1], chain[1:], strict=True):
            add(p, q, cls)
    for a, b in alleys_at:
        add(a, b, "alley")
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


# --------------------------------------------------------------------------- baselines


def naive_networkx_tjoin(graph: nx.MultiGraph) -> float:
    """Repeated length by plain networkx: complete graph over all odd nodes, min_weight_matching."""
    odd = odd_nodes(graph)
    simple = nx.Graph()
    for u, v, w in graph.edges(data="length_m"):
        if u != v and (not simple.has_edge(u, v) or simple[u][v]["length_m"] > w):
            simple.add_edge(u, v, length_m=w)
    complete = nx.Graph()
    for a in odd:
        dist = nx.single_source_dijkstra_path_length(simple, a, weight="length_m")
        complete.add_weighted_edges_from((a, b, dist[b]) for b in odd if b != a)
    matching = nx.min_weight_matching(complete)
    return float(sum(complete[a][b]["weight"] for a, b in matching))


def _naive_worker(graph: nx.MultiGraph, out: mp.Queue) -> None:
    t0 = time.perf_counter()
    value = naive_networkx_tjoin(graph)
    out.put((value, time.perf_counter() - t0))


def run_naive(graph: nx.MultiGraph, timeout_s: float) -> tuple[float, float] | None:
    """(repeated length, seconds) of the networkx baseline, or ``None`` past the timeout."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_naive_worker, args=(graph, out), daemon=True)
    proc.start()
    try:
        result = out.get(timeout=timeout_s)
    except queue.Empty:
        result = None
    proc.kill()
    proc.join()
    return result


def pgrouting_double_m(graph: nx.MultiGraph) -> float:
    """What ``pgr_chinesePostman`` walks on two-way streets: each street as two arcs, so the
    directed graph is already balanced and its tour is every arc once = 2 x network length."""
    return 2.0 * total_length(graph)


def pgrouting_postman_m(url: str, streets: gpd.GeoDataFrame) -> float:
    """Run ``pgr_chinesePostman`` on a temporary edges table (two-way: cost = reverse_cost)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    rows = [{"id": int(r.id), "source": int(r.source), "target": int(r.target),
             "cost": float(r.length_m)} for r in streets.itertuples()]
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE bench_edges (id bigint, source bigint, "
                          "target bigint, cost float8, reverse_cost float8) ON COMMIT DROP"))
        conn.execute(text("INSERT INTO bench_edges VALUES (:id, :source, :target, :cost, :cost)"),
                     rows)
        total = conn.execute(text(
            "SELECT sum(cost) FROM pgr_chinesePostman("
            "'SELECT id, source, target, cost, reverse_cost FROM bench_edges') WHERE edge <> -1"
        )).scalar_one()
    engine.dispose()
    return float(total)


# --------------------------------------------------------------------------- main


def centre_node(graph: nx.MultiGraph) -> int:
    """The node nearest the middle of the network (a police post in the middle of town)."""
    from shapely.geometry import Point

    xs = [d["x"] for _, d in graph.nodes(data=True)]
    ys = [d["y"] for _, d in graph.nodes(data=True)]
    return nearest_nodes(graph, [Point(np.mean(xs), np.mean(ys))])[0]


def bench_postman(km: float, alleys: float, baseline_timeout: float, small_km: float) -> tuple:
    streets = city_network(km, seed=7, alleys=alleys)
    t0 = time.perf_counter()
    graph = street_graph(streets)
    build_s = time.perf_counter() - t0
    start = centre_node(graph)
    network_m = total_length(graph)
    print(f"network: {network_m / 1000:.1f} km, {graph.number_of_nodes()} nodes, "
          f"{graph.number_of_edges()} segments, {len(odd_nodes(graph))} odd nodes "
          f"(graph built from the frame in {build_s:.2f} s, not counted below)")
    t0 = time.perf_counter()
    route = chinese_postman(graph, start)
    ours_s = time.perf_counter() - t0
    assert is_closed_walk(graph, route)
    print(f"ours: length {route.length_m:,.1f} m, repeated {route.deadhead_m:,.1f} m, "
          f"lower bound {route.lower_bound_m:,.1f} m, gap {route.gap_m:.3f} m, "
          f"{ours_s:.2f} s, {route.minutes / 60:.1f} h at {route.speed_kmh} km/h")
    d = route.details
    print(f"      T-join: {d['terminals']} odd nodes; {d['forced_edges']} segments forced by dead "
          f"ends, {d['reduced_edges']} streets left after merging chains; perfect matching on "
          f"{d['matching_nodes']} nodes; bound: {d['bound']}")
    pg = pgrouting_double_m(graph)
    print(f"pgr_chinesePostman (directed, two arcs per street): {pg:,.1f} m = "
          f"{pg / route.length_m:.3f} x ours")
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        real = pgrouting_postman_m(url, streets)
        print(f"pgr_chinesePostman measured: {real:,.1f} m = {real / route.length_m:.3f} x ours")
    print(f"networkx baseline on this network (timeout {baseline_timeout:.0f} s): ", end="",
          flush=True)
    naive = run_naive(graph, baseline_timeout)
    if naive is None:
        print(f"did not finish in {baseline_timeout:.0f} s (>= {baseline_timeout / ours_s:.0f} x "
              "our time)")
    else:
        print(f"repeated {naive[0]:,.1f} m in {naive[1]:.1f} s = {naive[1] / ours_s:.1f} x ours")
    small = street_graph(city_network(small_km, seed=3, alleys=alleys))
    s_start = centre_node(small)
    t0 = time.perf_counter()
    s_route = chinese_postman(small, s_start)
    s_ours = time.perf_counter() - t0
    naive = run_naive(small, 300)
    print(f"small network {total_length(small) / 1000:.1f} km, {len(odd_nodes(small))} odd nodes: "
          f"ours {s_ours:.2f} s (repeated {s_route.deadhead_m:,.1f} m)", end="; ")
    if naive is None:
        print("networkx did not finish in 300 s")
    else:
        same = abs(naive[0] - s_route.deadhead_m) < 1e-3
        print(f"networkx {naive[1]:.1f} s (repeated {naive[0]:,.1f} m, "
              f"{'same' if same else 'DIFFERENT'}) = {naive[1] / s_ours:.0f} x slower")
    return graph, start, route


def bench_teams(graph: nx.MultiGraph, start: int, one_team: object) -> None:
    print("K routes (longest vs bound = max(one-team optimum / K, longest round trip)):")
    for k in range(2, 7):
        t0 = time.perf_counter()
        plan = balanced_routes(graph, k, start, giant=one_team)
        took = time.perf_counter() - t0
        lengths = ", ".join(f"{r.length_m / 1000:.2f}" for r in plan.routes)
        print(f"  K={k}: longest {plan.longest_m / 1000:.2f} km, bound "
              f"{plan.lower_bound_m / 1000:.2f} km, ratio {plan.ratio:.3f} "
              f"({took:.1f} s; routes km: {lengths})")


def bench_sample() -> list[tuple[int, float, float, float]]:
    """K = 2..6 routes on the sample's grids 1-4 from the police post; (K, longest, bound,
    ratio) per K, printed."""
    import uuid

    import psycopg

    from geo_service.config import PROJECT_ROOT, Settings, load_settings
    from geo_service.db.engine import engine_for, migrate, resolve_url
    from geo_service.load import load_sample
    from geo_service.patrol_routes import PlanOptions, compute_plan
    from geo_service.patrol_routes.store import read_inputs

    server = os.environ.get("BENCH_DATABASE_URL") or resolve_url(
        Settings(data_dir=load_settings().data_dir))
    name = f"bench_routes_{uuid.uuid4().hex[:8]}"
    admin = server.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0] + "/" + name
    rows = []
    try:
        migrate(url)
        engine = engine_for(url)
        load_sample(engine, PROJECT_ROOT / "data", community_name="白龙社区")
        with engine.connect() as conn:
            inputs = read_inputs(conn, PlanOptions())
        one = compute_plan(inputs, PlanOptions(teams=1)).summary
        print(f"sample grids 1-4 from {inputs.start_label}: {one['required_streets']} streets, "
              f"{one['required_m'] / 1000:.2f} km; one team {one['one_team_m']:,.1f} m "
              f"(bound {one['one_team_bound_m']:,.1f} m)")
        for k in range(2, 7):
            t0 = time.perf_counter()
            s = compute_plan(inputs, PlanOptions(teams=k)).summary
            rows.append((k, s["longest_m"], s["bound_m"], s["ratio"]))
            print(f"  K={k}: longest {s['longest_m']:,.1f} m, bound {s['bound_m']:,.1f} m "
                  f"(one-team / K {s['one_team_bound_m'] / k:,.1f} m, round trip "
                  f"{s['round_trip_m']:,.1f} m), ratio {s['ratio']:.3f}"
                  f"{'' if k > 4 or s['ratio'] <= 1.15 else '  ABOVE 15 %'} "
                  f"({time.perf_counter() - t0:.1f} s)")
        engine.dispose()
    finally:
        engine_for.cache_clear()
        with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--km", type=float, default=100.0)
    parser.add_argument("--alleys", type=float, default=3.0)
    parser.add_argument("--small-km", type=float, default=30.0)
    parser.add_argument("--baseline-timeout", type=float, default=120.0)
    parser.add_argument("--sample", action="store_true",
                        help="Also K = 2..6 routes on the sample community.")
    parser.add_argument("--sample-only", action="store_true",
                        help="Only the sample community's K = 2..6 routes.")
    args = parser.parse_args()
    if args.sample_only:
        print("== K teams on the sample community (grids 1-4, start at the police post)")
        bench_sample()
        return
    print(f"== one team, every street: generated city blocks, ~{args.km:g} km, "
          f"{args.alleys:g} lanes per block on average")
    graph, start, route = bench_postman(args.km, args.alleys, args.baseline_timeout,
                                        args.small_km)
    dense = street_graph(city_network(args.km, seed=11, alleys=3 * args.alleys))
    t0 = time.perf_counter()
    d_route = chinese_postman(dense, centre_node(dense))
    print(f"denser lanes ({total_length(dense) / 1000:.1f} km, {len(odd_nodes(dense))} odd "
          f"nodes): length {d_route.length_m:,.1f} m, bound {d_route.lower_bound_m:,.1f} m, "
          f"{time.perf_counter() - t0:.2f} s")
    print("== K teams on the same network, start in the middle")
    bench_teams(graph, start, route)
    if args.sample:
        print("== K teams on the sample community (grids 1-4, start at the police post)")
        bench_sample()


if __name__ == "__main__":
    main()
