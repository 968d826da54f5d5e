"""Coverage benchmark on a generated grid city: vectorised model versus plain per-feature loops.

Run by hand: ``.venv/bin/python bench/bench_coverage.py`` (a few minutes on 2 cores).

City: a square lattice of streets (block 60 m) cut to 100,000 segments, one 51 x 51 m building
per block, 20,000 lamps 3 m beside random streets (90 % working). Two questions:

A. Which (segment, lamp) pairs lie within ``radius`` (``coverage_pairs``).
   Baselines: a plain loop ``for segment: for lamp: segment.distance(lamp) <= radius``, and the
   same question asked of PostGIS directly: the segments and lamps are copied into a throwaway
   database on the service's PostGIS (the embedded cluster, or ``DATABASE_URL``), GiST-indexed
   and analysed, and ``SELECT s.id, l.id FROM segs s JOIN lamps l ON ST_DWithin(s.geom,
   l.geom, radius)`` is timed with every pair fetched to Python (the vectorised side returns
   every pair too); the server-side ``count(*)`` of the same join is printed beside it. Loading
   and indexing are timed apart and not counted. ``--no-postgis`` skips it.
B. The full lighting model (illuminance with occlusion, lit metres, dark stretches, dark walls).
   Baseline: per segment, loop over lamps with ``distance``, then per sample and lamp a
   ``LineString`` sight line tested against the buildings an STRtree proposes (an index for the
   buildings is granted to the loop, or it would test every building).

Both loops are far too slow for the whole city: they run on a random subset of segments and are
extrapolated linearly by segment count (printed as such). Subset answers are checked against the
vectorised ones.
"""

from __future__ import annotations

import argparse
import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString

from geo_service.analysis.lighting import (
    LightingParams,
    LightTarget,
    coverage_pairs,
    light_coverage,
    resolve_lamps,
)

CRS = "EPSG:4545"
X0, Y0 = 400_000.0, 3_000_000.0
BLOCK = 60.0
CLASSES = np.array(["residential", "alley", "branch", "footway", "service", "main", "steps"])


def city(segments: int, lamps: int, seed: int = 7) -> tuple[gpd.GeoDataFrame, ...]:
    """Streets, lamps and buildings of a lattice city with ``segments`` street segments."""
    rng = np.random.default_rng(seed)
    n = math.ceil((1 + math.sqrt(1 + 2 * segments)) / 2)  # 2 n (n - 1) >= segments
    i, j = np.meshgrid(np.arange(n - 1), np.arange(n), indexing="ij")
    i, j = i.ravel(), j.ravel()
    horizontal = np.stack([np.column_stack([i, j]), np.column_stack([i + 1, j])], axis=1)
    vertical = np.stack([np.column_stack([j, i]), np.column_stack([j, i + 1])], axis=1)
    ends = np.concatenate([horizontal, vertical])[:segments] * BLOCK + [X0, Y0]
    lines = shapely.linestrings(ends)
    streets = gpd.GeoDataFrame(
        {"id": np.arange(segments), "street_class": rng.choice(CLASSES, segments),
         "lit": "unknown", "grid_id": np.arange(segments) // 4000},
        geometry=lines, crs=CRS)
    host = rng.integers(0, segments, lamps)
    where = rng.uniform(5, BLOCK - 5, lamps)
    side = rng.choice([-3.0, 3.0], lamps)
    foot = shapely.get_coordinates(shapely.line_interpolate_point(lines[host], where))
    vertical_host = ends[host, 0, 0] == ends[host, 1, 0]
    offset = np.where(vertical_host[:, None], np.column_stack([side, np.zeros(lamps)]),
                      np.column_stack([np.zeros(lamps), side]))
    lights = gpd.GeoDataFrame(
        {"id": np.arange(lamps), "height_m": 6.0, "intensity_cd": 1500.0,
         "status": np.where(rng.random(lamps) < 0.9, "working", "broken"), "mount": "pole"},
        geometry=shapely.points(foot + offset), crs=CRS)
    corner = np.stack(np.meshgrid(np.arange(n - 1), np.arange(n - 1)), -1).reshape(-1, 2)
    low = corner * BLOCK + [X0, Y0] + 4.5
    buildings = gpd.GeoDataFrame(
        geometry=shapely.box(low[:, 0], low[:, 1], low[:, 0] + 51, low[:, 1] + 51), crs=CRS)
    return streets, lights, buildings


def loop_pairs(segs: np.ndarray, points: np.ndarray, radius: float,
               rows: np.ndarray) -> list[tuple[int, int]]:
    """Plain per-feature loop: every chosen segment against every lamp."""
    return [(int(i), j) for i in rows for j, p in enumerate(points)
            if segs[i].distance(p) <= radius]


def loop_lit_metres(segs: np.ndarray, lamps: gpd.GeoDataFrame, walls: shapely.STRtree,
                    rows: np.ndarray, spacing: float, minimum: float) -> list[float]:
    """Plain per-feature loop for lit metres on the chosen segments (one minimum for all)."""
    shining = lamps[lamps["shines"]]
    points = list(shining.geometry)
    reach, height = shining["reach_m"].tolist(), shining["height_m"].tolist()
    intensity = shining["intensity_cd"].tolist()
    walls_geoms = walls.geometries
    out = []
    for i in rows:
        seg = segs[i]
        near = [k for k, p in enumerate(points) if seg.distance(p) <= reach[k]]
        count = max(1, math.ceil(seg.length / spacing))
        step = seg.length / count
        lit = 0.0
        for s in range(count):
            sample = seg.interpolate((s + 0.5) * step)
            total = 0.0
            for k in near:
                d = sample.distance(points[k])
                if d > reach[k]:
                    continue
                sight = LineString([points[k], sample])
                if any(sight.intersects(walls_geoms[b]) for b in walls.query(sight)):
                    continue
                total += intensity[k] * height[k] / (height[k] ** 2 + d * d) ** 1.5
            lit += step if total >= minimum else 0.0
        out.append(lit)
    return out


@contextmanager
def throwaway_postgis() -> Iterator[str]:
    """A new database with PostGIS on the service's server (libpq URL), dropped afterwards."""
    import psycopg

    from geo_service.config import load_settings
    from geo_service.db.engine import resolve_url

    url = resolve_url(load_settings()).replace("postgresql+psycopg://", "postgresql://")
    server = url.rsplit("/", 1)[0]
    name = f"bench_coverage_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(f"{server}/{name}", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_postgis(url: str, segs: np.ndarray, points: np.ndarray) -> None:
    """Copy segments and lamps (EPSG:4545 metres) into indexed tables ``segs`` and ``lamps``."""
    import psycopg

    srid = int(CRS.split(":")[1])
    with psycopg.connect(url, autocommit=True) as conn:
        for table, kind, geoms in (("segs", "LineString", segs), ("lamps", "Point", points)):
            conn.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, "
                         f"geom geometry({kind}, {srid}) NOT NULL)")
            hexes = shapely.to_wkb(geoms, hex=True, include_srid=False)
            with conn.cursor().copy(f"COPY {table} (id, geom) FROM STDIN") as copy:
                for i, wkb in enumerate(hexes):
                    copy.write_row((i, wkb))
            conn.execute(f"CREATE INDEX {table}_geom ON {table} USING gist (geom)")
            conn.execute(f"ANALYZE {table}")


PAIRS_SQL = ("SELECT s.id, l.id FROM segs s JOIN lamps l ON ST_DWithin(s.geom, l.geom, %s) "
             "ORDER BY s.id, l.id")
COUNT_SQL = "SELECT count(*) FROM segs s JOIN lamps l ON ST_DWithin(s.geom, l.geom, %s)"


def postgis_pairs(url: str, radius: float) -> np.ndarray:
    """The pairs from PostGIS, fetched to Python as an ``(n, 2)`` array."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(PAIRS_SQL, (radius,)).fetchall()
    return np.asarray(rows, dtype=np.int64).reshape(-1, 2)


def postgis_count(url: str, radius: float) -> int:
    """The number of pairs, counted on the server (no transfer)."""
    import psycopg

    with psycopg.connect(url) as conn:
        return int(conn.execute(COUNT_SQL, (radius,)).fetchone()[0])


def postgis_plan(url: str, radius: float) -> str:
    """The join's plan, to show the GiST index is used."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("EXPLAIN " + COUNT_SQL, (radius,)).fetchall()
    return " / ".join(r[0].strip() for r in rows if "Index" in r[0] or "Join" in r[0]
                      or "Loop" in r[0])


def timed(label: str, func, *args, **kwargs):  # noqa: ANN001, ANN201
    """Run ``func`` once, print and return (seconds, result)."""
    start = time.perf_counter()
    result = func(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"  {label:<58s} {seconds:9.2f} s")
    return seconds, result


def main() -> None:
    """Build the city, time both questions, print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--lamps", type=int, default=20_000)
    parser.add_argument("--radius", type=float, default=30.0)
    parser.add_argument("--spacing", type=float, default=2.0)
    parser.add_argument("--pair-subset", type=int, default=200)
    parser.add_argument("--model-subset", type=int, default=200)
    parser.add_argument("--no-postgis", action="store_true",
                        help="Skip the PostGIS ST_DWithin baseline.")
    args = parser.parse_args()
    rng = np.random.default_rng(1)

    print(f"city: {args.segments:,} segments, {args.lamps:,} lamps, radius {args.radius} m")
    t, (streets, lamps, buildings) = timed("generate", city, args.segments, args.lamps)
    segs = np.asarray(streets.geometry.array)
    points = np.asarray(lamps.geometry.array)
    km = shapely.length(segs).sum() / 1e3
    print(f"  buildings: {len(buildings):,}, street length {km:,.0f} km")

    print("\nA. segment-lamp pairs within the radius")
    fast, pairs = timed("coverage_pairs (STRtree dwithin, vectorised)", coverage_pairs,
                        segs, points, args.radius)
    rows = np.sort(rng.choice(len(segs), args.pair_subset, replace=False))
    slow, looped = timed(f"plain loop on {len(rows)} segments x {len(points):,} lamps",
                         loop_pairs, segs, points, args.radius, rows)
    mine = {tuple(p) for p in pairs.tolist() if p[0] in set(rows.tolist())}
    assert mine == set(looped), "loop and vectorised pairs differ"
    whole = slow * len(segs) / len(rows)
    print(f"  pairs: {len(pairs):,} (subset of {len(looped)} identical to the loop)")
    print(f"  plain loop extrapolated to {len(segs):,} segments: {whole:,.0f} s")
    print(f"  ratio loop / vectorised: {whole / fast:,.0f} x")
    if not args.no_postgis:
        pair_seconds = fast
        with throwaway_postgis() as url:
            timed("PostGIS: COPY, GiST index, ANALYZE (not counted)",
                  load_postgis, url, segs, points)
            print(f"  plan: {postgis_plan(url, args.radius)}")
            postgis_pairs(url, args.radius)  # warm the cache, as the vectorised side is warm
            slow, from_db = timed("PostGIS ST_DWithin join, every pair fetched",
                                  postgis_pairs, url, args.radius)
            counted_s, counted = timed("PostGIS ST_DWithin join, count(*) on the server",
                                       postgis_count, url, args.radius)
        assert counted == len(pairs) and np.array_equal(from_db, pairs), \
            "PostGIS and vectorised pairs differ"
        print(f"  pairs from PostGIS: {len(from_db):,} (identical to coverage_pairs)")
        print(f"  ratio PostGIS (pairs fetched) / vectorised: {slow / pair_seconds:,.1f} x; "
              f"PostGIS count(*) only / vectorised: {counted_s / pair_seconds:,.1f} x")

    print(f"\nB. full lighting model (occlusion by {len(buildings):,} buildings, "
          f"samples every {args.spacing} m)")
    params = LightingParams(spacing_m=args.spacing, wall_spacing_m=args.spacing)
    fast, cov = timed("light_coverage (vectorised)", light_coverage, streets, lamps, buildings,
                      crs=CRS, params=params)
    print(f"  lit {cov.segments['lit_m'].sum() / 1e3:,.1f} km of "
          f"{cov.segments['length_m'].sum() / 1e3:,.1f} km, {len(cov.dark):,} dark stretches, "
          f"{len(cov.dark_walls):,} dark wall pieces")
    resolved = resolve_lamps(lamps, CRS, params)
    walls = shapely.STRtree(np.asarray(buildings.geometry.array))
    rows = np.sort(rng.choice(len(segs), args.model_subset, replace=False))
    minimum = 1.0
    slow, looped = timed(f"plain loop on {len(rows)} segments (lit metres only)",
                         loop_lit_metres, segs, resolved, walls, rows, args.spacing, minimum)
    check = LightingParams(spacing_m=args.spacing,
                           targets={c: LightTarget(5.0, minimum) for c in [*CLASSES, "other"]})
    same = light_coverage(streets.iloc[rows], lamps, buildings, crs=CRS, params=check)
    assert np.allclose(same.segments["lit_m"].to_numpy(), looped, atol=1e-6), "lit metres differ"
    whole = slow * len(segs) / len(rows)
    print(f"  plain loop extrapolated to {len(segs):,} segments: {whole:,.0f} s "
          "(loop does less: no per-class targets, dark stretches or walls)")
    print(f"  ratio loop / vectorised: {whole / fast:,.0f} x")


if __name__ == "__main__":
    main()
