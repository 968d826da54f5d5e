"""Map page benchmark: our /map against plain folium with the same layers inlined.

    .venv/bin/python bench/bench_map.py [--reps 3] [--side 10] [--keep-db]

Run by hand (a few minutes on 2 cores). For the sample community, and for a dataset 100 times
larger (the sample tiled into a ``side`` x ``side`` block of communities: every grid, building,
street node, street, light, camera and hazard copied with its geometry shifted one community
over, ids and unique codes made new), in a throwaway database on the service's PostGIS (the
embedded cluster, or ``DATABASE_URL``) that is dropped afterwards.

Measured in headless Debian chromium (Playwright; basemap ``none``; every request outside the
app blocked; a fresh browser context per page load, so nothing is cached), the median of
``--reps`` loads (one load when it takes over 10 s: the 100x baseline):

* bytes: the sum of the response bodies (page, scripts, styles, fonts, images and API data);
* time: from navigation start until the map is fully drawn: ``data-map-state="ready"`` on our
  page (every visible layer fetched for the view and drawn), and on the baseline page the end of
  folium's script (every layer added to the map), both read from ``performance.now()`` when the
  flag is set.

Ours: ``/map`` (the whole community, as it opens) and ``/map?grid=N`` (one grid in the middle,
zoomed in so that every layer is shown), served by ``create_app`` with werkzeug in a thread.
Baseline: a ``folium.Map`` with a ``folium.GeoJson`` per layer holding the layer's full data
(the same features the API serves, styled by the same declarations, with GeoJsonPopups), the
camera sectors as one more GeoJson, a ``MarkerCluster`` of ``folium.Marker`` with a popup for
the hazards plus a hidden ``HeatMap``, and the same controls (layers, scale, full screen, locate,
measure). Its assets are folium's own, localised by ``geo_service.web.vendor`` to the files the
app serves, and the page is served by the same app from a route added here. It opens on the
same bounds as ours. Coverage gaps (computed, off by default) and grid number labels are left
out of the baseline; patrol routes are empty.
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import folium
import psycopg
from folium.plugins import Fullscreen, HeatMap, LocateControl, MarkerCluster, MeasureControl
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo_service.config import PROJECT_ROOT, Settings, load_settings  # noqa: E402
from geo_service.db.engine import engine_for, migrate, resolve_url  # noqa: E402
from geo_service.layers import Layer  # noqa: E402
from geo_service.load import load_sample  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
LAYERS = ("grids", "buildings", "streets", "lights", "cameras", "hazards")
TILED = ("grids", "buildings", "street_nodes", "streets", "lights", "cameras", "hazards")
ID_STEP = 10_000_000  # tile k's copy of row id is id + k * ID_STEP
FOREIGN = ("grid_id", "building_id", "light_id", "camera_id")  # and streets' source, target
PATH_KEYS = ("color", "weight", "opacity", "fillColor", "fillOpacity", "dashArray", "lineCap",
             "radius")
BASELINE = "/bench/baseline"
SLOW_MS = 10_000
BOUNDS = "__BENCH_BOUNDS__"
READY_AT = """
new MutationObserver(() => {
  if (document.documentElement && document.documentElement.dataset.mapState === 'ready') {
    window.__readyAt = performance.now();
    window.__shapes = document.querySelectorAll('.leaflet-pane path').length
      + document.querySelectorAll('.leaflet-marker-pane > *').length;
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-map-state']});
"""
DONE = ("typeof window.__readyAt === 'number' && "
        "document.documentElement.dataset.mapState === 'ready'")


# -- the throwaway database ------------------------------------------------------------------------
def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def throwaway_database(keep: bool) -> Iterator[str]:
    """A new, migrated database on the service's server; dropped afterwards."""
    server = resolve_url(load_settings())
    name = f"geo_bench_map_{uuid.uuid4().hex[:8]}"
    admin = plain(server.rsplit("/", 1)[0] + "/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0] + "/" + name
    try:
        migrate(url)
        yield url
    finally:
        engine_for(url).dispose()
        engine_for.cache_clear()
        if keep:
            print(f"kept database {name}")
        else:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def tile(engine: Engine, side: int) -> None:
    """Copy the sample into a side x side block of communities (tile 0 is the sample)."""
    with engine.begin() as conn:
        west, south, east, north = conn.execute(text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom) e FROM (SELECT geom FROM grids UNION ALL "
            "SELECT geom FROM streets UNION ALL SELECT geom FROM buildings) a) x")).one()
        dx, dy = (east - west) * 1.02, (north - south) * 1.02
        largest = max(conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {t}")).scalar()
                      for t in TILED)
        assert largest < ID_STEP
        for table in TILED:
            columns = list(conn.execute(text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                "AND table_schema = 'public' ORDER BY ordinal_position"), {"t": table}).scalars())
            values = []
            for column in columns:
                if (column == "id" or column in FOREIGN
                        or (table == "streets" and column in ("source", "target"))):
                    values.append(f"{column} + k * {ID_STEP}")
                elif column == "geom":
                    values.append(f"ST_Translate(geom, (k % {side}) * {dx!r}, "
                                  f"(k / {side}) * {dy!r})")
                elif column == "number" and table == "grids":
                    values.append("number + k * 1000")
                elif column in ("source_id", "idempotency_key", "code"):
                    values.append(f"{column} || '#' || k")
                else:
                    values.append(column)
            conn.execute(text(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
                f"FROM {table}, generate_series(1, {side * side - 1}) AS k WHERE id < {ID_STEP}"))
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in LAYERS}


# -- the baseline: plain folium, every feature inlined ---------------------------------------------
def all_features(client: Any, collection: str) -> list[dict[str, Any]]:
    """Every feature of a collection, as the API serves them (following links.next)."""
    features: list[dict[str, Any]] = []
    url: str | None = f"/api/collections/{collection}/items?limit=10000"
    while url:
        page = client.get(url).get_json()
        features += page["features"]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        if url and url.startswith("http"):
            url = "/" + url.split("/", 3)[3]
    return features


def path_style(layer: Layer, props: dict[str, Any]) -> dict[str, Any]:
    style = layer.resolve_style(props)
    return {k: style[k] for k in PATH_KEYS if style.get(k) is not None}


def geojson_layer(layer: Layer, features: list[dict[str, Any]], lang: str) -> folium.GeoJson:
    fields = [f for f in layer.popup if any(f.field in ft["properties"] for ft in features[:1])]
    for feature in features:  # GeoJsonPopup shows properties, not nested geometries
        feature["properties"] = {k: v for k, v in feature["properties"].items()
                                 if not isinstance(v, dict)}
    popup = folium.GeoJsonPopup(fields=[f.field for f in fields],
                                aliases=[f.label(lang) for f in fields]) if fields else None
    circle = layer.kind == "circle"
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name=layer.title(lang),
        style_function=lambda f, layer=layer: path_style(layer, f["properties"]),
        marker=folium.CircleMarker(radius=5) if circle else None, popup=popup,
        zoom_on_click=False)


def baseline_html(app: Any, bounds: list[list[float]], lang: str = "zh") -> tuple[str, int]:
    """The plain folium page with every layer's features inlined; and how many features.

    It fits the view to ``BOUNDS`` in the page: :func:`fit` puts the bounds of a view there.
    """
    client = app.test_client()
    layers = {layer.id: layer for layer in app.extensions["map_layers"]}
    m = folium.Map(location=[(bounds[0][0] + bounds[1][0]) / 2,
                             (bounds[0][1] + bounds[1][1]) / 2],
                   zoom_start=15, tiles=None, maxZoom=19, control_scale=True)
    inlined = 0
    for layer_id in LAYERS:
        layer = layers[layer_id]
        features = all_features(client, layer.collection)
        inlined += len(features)
        if layer_id == "hazards":
            group = folium.FeatureGroup(name=layer.title(lang)).add_to(m)
            cluster = MarkerCluster(**(layer.cluster or {})).add_to(group)
            heat = []
            for feature in features:
                props, geometry = feature["properties"], feature["geometry"]
                style = layer.resolve_style(props)
                if geometry["type"] == "Point":
                    lon, lat = geometry["coordinates"][:2]
                else:
                    shape = folium.GeoJson(geometry, style_function=lambda _f: {"weight": 5})
                    shape.add_to(group)
                    (south, west), (north, east) = shape.get_bounds()
                    lat, lon = (south + north) / 2, (west + east) / 2
                rows = "".join(f"<tr><th>{html.escape(f.label(lang))}</th>"
                               f"<td>{html.escape(str(props.get(f.field, '')))}</td></tr>"
                               for f in layer.popup)
                folium.Marker(
                    [lat, lon], popup=folium.Popup(f"<table>{rows}</table>", max_width=300),
                    icon=folium.Icon(color=style.get("markerColor", "blue"),
                                     icon=style.get("icon", "circle"), prefix="fa"),
                ).add_to(cluster)
                heat.append([lat, lon, 0.5])
            HeatMap(heat, name=layer.heat.title(lang) if layer.heat else "heat",
                    show=False).add_to(m)
            continue
        if layer_id == "cameras":
            sectors = [{"type": "Feature", "properties": {},
                        "geometry": f["properties"]["sector"]}
                       for f in features if f["properties"].get("sector")]
            folium.GeoJson({"type": "FeatureCollection", "features": sectors},
                           name=layer.title(lang) + " (sectors)", control=False,
                           style_function=lambda _f, s=layer.sector: dict(s.style) if s else {}
                           ).add_to(m)
        geojson_layer(layer, features, lang).add_to(m)
    Fullscreen(position="topleft").add_to(m)
    LocateControl(position="topleft").add_to(m)
    MeasureControl(position="topleft").add_to(m)
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    page = m.get_root().render()
    # at the very end of folium's script, once every layer has been added to the map
    end = page.rindex("</script>")
    assert page[end:].split() == ["</script>", "</html>"], page[end:]
    page = (page[:end] + f"\n{m.get_name()}.fitBounds({BOUNDS});\n"
            "document.documentElement.dataset.mapState = 'ready';\n" + page[end:])
    return page, inlined


def fit(page: str, bounds: list[list[float]]) -> str:
    """The baseline page opening on ``bounds`` (as folium's ``fit_bounds`` would)."""
    return page.replace(BOUNDS, json.dumps(bounds))


# -- serving and measuring -------------------------------------------------------------------------
@contextmanager
def serve(app: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def measure(browser: Any, url: str) -> dict[str, Any]:
    """One cold page load: bytes of every response body, ms to the drawn map, what was drawn."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.add_init_script(READY_AT)
    finished: list[Any] = []
    failed: list[str] = []
    page.on("requestfinished", lambda r: finished.append(r))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400
            else None)
    page.goto(url, wait_until="commit", timeout=300_000)
    page.wait_for_function(DONE, timeout=300_000, polling=50)
    page.wait_for_load_state("networkidle", timeout=300_000)
    ready_ms, shapes = page.evaluate("[window.__readyAt, window.__shapes]")
    state = page.evaluate("window.geoMap ? geoMap.state() : null")
    body = sum(r.sizes()["responseBodySize"] for r in finished)
    context.close()
    if outside or failed:
        raise RuntimeError(f"{url}: outside requests {outside}, failed {failed}")
    drawn = (sum(s["count"] for k, s in state.items() if k in LAYERS) if state else None)
    return {"bytes": body, "ms": ready_ms, "requests": len(finished), "drawn": drawn,
            "state": state, "shapes": shapes}


def median_of(browser: Any, url: str, reps: int) -> dict[str, Any]:
    """The median of ``reps`` loads; a single load when that one took over SLOW_MS (there the
    noise is small beside the figure, and the run stays within a few minutes)."""
    runs = [measure(browser, url)]
    while len(runs) < reps and runs[0]["ms"] < SLOW_MS:
        runs.append(measure(browser, url))
    out = dict(runs[-1])
    out["bytes"] = statistics.median(r["bytes"] for r in runs)
    out["ms"] = statistics.median(r["ms"] for r in runs)
    out["loads"] = len(runs)
    return out


def middle_grid(engine: Engine) -> tuple[int, list[list[float]], list[list[float]]]:
    """A grid in the middle of everything; its bounds and everything's bounds."""
    with engine.connect() as conn:
        every = conn.execute(text("SELECT ST_YMin(e), ST_XMin(e), ST_YMax(e), ST_XMax(e) FROM "
                                  "(SELECT ST_Extent(geom) e FROM grids) x")).one()
        number, *box = conn.execute(text("""
            SELECT number, ST_YMin(geom), ST_XMin(geom), ST_YMax(geom), ST_XMax(geom)
            FROM grids, (SELECT ST_SetSRID(ST_Centroid(ST_Extent(geom)), 4326) c FROM grids) x
            ORDER BY geom <-> c LIMIT 1""")).one()
    return number, [[box[0], box[1]], [box[2], box[3]]], [[every[0], every[1]],
                                                        [every[2], every[3]]]


def run_size(label: str, app: Any, base: str, engine: Engine, browser: Any, reps: int,
             pages: dict[str, str]) -> list[dict[str, Any]]:
    number, grid_bounds, all_bounds = middle_grid(engine)
    started = time.perf_counter()
    page, inlined = baseline_html(app, all_bounds)
    build_s = time.perf_counter() - started
    rows = []
    for view, ours_url, bounds in (("community", "/map", all_bounds),
                                   ("grid", f"/map?grid={number}", grid_bounds)):
        pages["html"] = fit(page, bounds)
        ours = median_of(browser, base + ours_url, reps)
        baseline = median_of(browser, base + BASELINE, reps)
        rows.append({"size": label, "view": view, "ours": ours, "baseline": baseline,
                     "inlined": inlined, "build_s": build_s, "url": ours_url})
        print(f"  {label:>6} {view:<9} ours {ours['bytes'] / 1e6:8.2f} MB {ours['ms']:8.0f} ms"
              f" | baseline {baseline['bytes'] / 1e6:8.2f} MB {baseline['ms']:8.0f} ms"
              f" ({baseline['loads']} load{'s' * (baseline['loads'] > 1)}; page built in "
              f"{build_s:.1f} s)", flush=True)
    return rows


def print_table(rows: list[dict[str, Any]], sizes: dict[str, dict[str, int]]) -> None:
    print()
    for label, n in sizes.items():
        print(f"{label}: " + ", ".join(f"{k} {v}" for k, v in n.items()))
    print()
    head = (f"| {'data':<6} | {'view':<9} | {'ours bytes':>12} | {'ours ms':>8} | "
            f"{'ours drawn':>10} | {'folium bytes':>12} | {'folium ms':>9} | "
            f"{'inlined':>8} | {'bytes ratio':>11} | {'time ratio':>10} |")
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for row in rows:
        ours, base = row["ours"], row["baseline"]
        print(f"| {row['size']:<6} | {row['view']:<9} | {ours['bytes']:>12,.0f} | "
              f"{ours['ms']:>8.0f} | {ours['drawn']:>10,} | {base['bytes']:>12,.0f} | "
              f"{base['ms']:>9.0f} | {row['inlined']:>8,} | "
              f"{ours['bytes'] / base['bytes']:>11.3f} | {ours['ms'] / base['ms']:>10.3f} |")
    print("\nratios are ours / baseline (below 1: ours is smaller or faster)")
    for row in rows:
        state = row["ours"]["state"]
        shown = ", ".join(f"{k} {v['count']}" + (f"/{v['matched']}" if v["matched"] and
                                                   v["matched"] > v["count"] else "")
                          if v["status"] == "ready" else f"{k} ({v['status']})"
                          for k, v in state.items() if k in LAYERS)
        print(f"ours {row['size']} {row['url']}: {shown}; shapes and markers on the page at "
              f"ready: ours {row['ours']['shapes']:,}, baseline {row['baseline']['shapes']:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="page loads per figure (median)")
    parser.add_argument("--side", type=int, default=10, help="communities per side (10: 100x)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from geo_service.web.app import create_app

    started = time.perf_counter()
    with throwaway_database(args.keep_db) as url:
        engine = engine_for(url)
        load_sample(engine, PROJECT_ROOT / "data", community_name="白龙社区")
        app = create_app(Settings(database_url=url, basemap="none"), engine=engine)
        pages = {"html": ""}
        app.add_url_rule(BASELINE, "bench_baseline", lambda: pages["html"])
        try:  # where the tree has an access policy, the baseline page is as public as /map
            from geo_service.auth import policy
            policy.POLICY[("bench_baseline", "GET")] = policy.READ
        except ImportError:
            pass
        rows = []
        sizes = {}
        with serve(app) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            sizes["sample"] = counts(engine)
            rows += run_size("sample", app, base, engine, browser, args.reps, pages)
            t0 = time.perf_counter()
            tile(engine, args.side)
            sizes[f"{args.side ** 2}x"] = counts(engine)
            print(f"  tiled into {args.side} x {args.side} communities in "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
            rows += run_size(f"{args.side ** 2}x", app, base, engine, browser, args.reps, pages)
            browser.close()
    print_table(rows, sizes)
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
