"""Vector tiles against today's GeoJSON by bounding box: bytes and time per map view.

    .venv/bin/python bench/bench_tiles.py [--side 1] [--reps 3] [--keep-db]

Run by hand (a minute for the sample). The sample community (``--side N``: the sample copied
into an N x N block of communities, as ``bench_map.py`` does) in a throwaway database on the
service's PostGIS, dropped afterwards. Two views of a 1280 x 720 map: the community as ``/map``
opens it, and one grid close up (zoom 18).

For each view and each layer drawn from tiles on ``/map?tiles=1`` (grids, streets, buildings,
lights), through the app (Flask's test client, gzip asked for, nothing cached):

* tiles: every tile of the layer covering the view at the view's zoom
  (``/tiles/{layer}/{z}/{x}/{y}.pbf``), summed;
* GeoJSON: what ``static/map.js`` fetches for the same view (``/api/collections/{id}/items``
  for the view with its 25% margin, pages of 1,000 up to the layer's ``max_features``).

Printed: bytes on the wire and wall time of each, the GeoJSON/tiles ratio, and what GeoJSON left
out (its features matched beyond the layer's cap), with the median of ``--reps`` runs.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_map import throwaway_database, tile  # noqa: E402

from geo_service.config import PROJECT_ROOT, Settings  # noqa: E402
from geo_service.db.engine import engine_for  # noqa: E402
from geo_service.load import load_sample  # noqa: E402

LAYERS = ("grids", "streets", "buildings", "lights")
WIDTH, HEIGHT = 1280, 720
PAGE = 1000
GZIP = {"Accept-Encoding": "gzip"}


def lonlat_to_world(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Tile coordinates (fractional) of a point at zoom ``z``."""
    side = 2 ** z
    x = (lon + 180) / 360 * side
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * side
    return x, y


def world_to_lonlat(x: float, y: float, z: int) -> tuple[float, float]:
    side = 2 ** z
    lon = x / side * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / side))))
    return lon, lat


def fit_zoom(west: float, south: float, east: float, north: float) -> int:
    """The largest zoom at which the box fits the map (as Leaflet's fitBounds)."""
    for z in range(19, 0, -1):
        x0, y0 = lonlat_to_world(west, north, z)
        x1, y1 = lonlat_to_world(east, south, z)
        if (x1 - x0) * 256 <= WIDTH and (y1 - y0) * 256 <= HEIGHT:
            return z
    return 0


def view(lon: float, lat: float, z: int) -> dict[str, Any]:
    """The map's box and tiles for a centre and a zoom."""
    cx, cy = lonlat_to_world(lon, lat, z)
    half_w, half_h = WIDTH / 512, HEIGHT / 512
    x0, y0, x1, y1 = cx - half_w, cy - half_h, cx + half_w, cy + half_h
    west, north = world_to_lonlat(x0, y0, z)
    east, south = world_to_lonlat(x1, y1, z)
    tiles = [(x, y) for x in range(int(x0), int(x1) + 1) for y in range(int(y0), int(y1) + 1)]
    pad_x, pad_y = (east - west) * 0.25, (north - south) * 0.25
    return {"z": z, "tiles": tiles,
            "bbox": (west - pad_x, south - pad_y, east + pad_x, north + pad_y)}


def by_tiles(client: Any, layer: str, seen: dict[str, Any]) -> tuple[int, float]:
    started, size = time.perf_counter(), 0
    for x, y in seen["tiles"]:
        answer = client.get(f"/tiles/{layer}/{seen['z']}/{x}/{y}.pbf", headers=GZIP)
        assert answer.status_code == 200, answer.status_code
        size += len(answer.data)
    return size, time.perf_counter() - started


def by_geojson(client: Any, layer: Any, seen: dict[str, Any]) -> tuple[int, float, int, int]:
    """Bytes, seconds, features fetched and features matched, as map.js pages them."""
    if seen["z"] < layer.min_zoom:
        return 0, 0.0, 0, 0
    started, size, fetched, matched = time.perf_counter(), 0, 0, None
    url = (f"/api/collections/{layer.collection}/items?bbox="
           f"{','.join(f'{v:.6f}' for v in seen['bbox'])}&limit={min(PAGE, layer.max_features)}")
    while url:
        answer = client.get(url, headers=GZIP)
        assert answer.status_code == 200, answer.status_code
        size += len(answer.data)
        body = client.get(url).get_json()  # the plain body, to follow the links
        matched = body["numberMatched"] if matched is None else matched
        fetched += body["numberReturned"]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        if fetched >= layer.max_features:
            url = None
    return size, time.perf_counter() - started, fetched, int(matched or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=1, help="communities per side (10: 100x)")
    parser.add_argument("--reps", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args()

    from geo_service.web.app import create_app

    with throwaway_database(args.keep_db) as url:
        engine = engine_for(url)
        load_sample(engine, PROJECT_ROOT / "data", community_name="白龙社区")
        if args.side > 1:
            tile(engine, args.side)
        app = create_app(Settings(database_url=url, basemap="none"), engine=engine)
        layers = {layer.id: layer for layer in app.extensions["map_layers"]}
        client = app.test_client()
        with engine.connect() as conn:
            west, south, east, north = conn.execute(text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) e FROM grids) s")).one()
            glon, glat = conn.execute(text(
                "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM grids "
                "ORDER BY number LIMIT 1) s")).one()
        views = {"community": view((west + east) / 2, (south + north) / 2,
                                   fit_zoom(west, south, east, north)),
                 "grid": view(glon, glat, 18)}
        print(f"sample x{args.side * args.side}; median of {args.reps} runs; gzip on the wire")
        print(f"{'view':<10} {'layer':<10} {'zoom':>4} {'tiles':>5} {'tile KB':>8} "
              f"{'tile ms':>8} {'json KB':>8} {'json ms':>8} {'KB ratio':>8} "
              f"{'ms ratio':>8} {'json shown':>11}")
        for name, seen in views.items():
            for layer_id in LAYERS:
                layer = layers[layer_id]
                tile_runs = [by_tiles(client, layer_id, seen) for _ in range(args.reps)]
                json_runs = [by_geojson(client, layer, seen) for _ in range(args.reps)]
                tile_kb = tile_runs[0][0] / 1024
                tile_ms = statistics.median(r[1] for r in tile_runs) * 1000
                json_kb = json_runs[0][0] / 1024
                json_ms = statistics.median(r[1] for r in json_runs) * 1000
                fetched, matched = json_runs[0][2], json_runs[0][3]
                kb_ratio = f"{json_kb / tile_kb:8.2f}" if tile_kb else f"{'-':>8}"
                ms_ratio = f"{json_ms / tile_ms:8.2f}" if tile_ms and json_ms else f"{'-':>8}"
                shown = f"{fetched}/{matched}" if seen["z"] >= layer.min_zoom else "hidden"
                print(f"{name:<10} {layer_id:<10} {seen['z']:>4} {len(seen['tiles']):>5} "
                      f"{tile_kb:8.1f} {tile_ms:8.1f} {json_kb:8.1f} {json_ms:8.1f} "
                      f"{kb_ratio} {ms_ratio} {shown:>11}")
        engine.dispose()


if __name__ == "__main__":
    main()
