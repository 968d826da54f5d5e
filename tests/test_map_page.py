"""The map page: a small folium skeleton, filled by the browser from the API by bounding box."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import text

from geo_service import maps
from geo_service.db.engine import engine_for
from geo_service.web import vendor

XSS = '<img src=x onerror=alert(1)><script>alert(2)</script>'
SCREENSHOT = Path("/tmp/map.png")
READY = "document.documentElement.dataset.mapState === 'ready'"


def use_basemap(app: Flask, basemap: str, key: str | None = None) -> None:
    """Change the app's basemap setting (read per request)."""
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], basemap=basemap,
                                                 tianditu_key=key)


def count(url: str, sql: str) -> int:
    with engine_for(url).connect() as conn:
        return int(conn.execute(text(sql)).scalar())


# -- the page as served ---------------------------------------------------------------------------
def test_page_size_does_not_grow_with_the_data(sample_db: str, app: Flask,
                                               client: FlaskClient) -> None:
    use_basemap(app, "none")
    before = client.get("/map")
    assert before.status_code == 200
    hazards = count(sample_db, "SELECT count(*) FROM hazards")
    with engine_for(sample_db).begin() as conn:
        for _ in range(9):
            conn.execute(text("""
                INSERT INTO hazards (category, description, severity, status, level, grid_id,
                                     geom)
                SELECT category, description || ' (copy)', severity, status, level, grid_id,
                       ST_Translate(geom, 0.00001, 0.00001) FROM hazards
                WHERE source_id IS NOT NULL"""))
    assert count(sample_db, "SELECT count(*) FROM hazards") == 10 * hazards
    after = client.get("/map")
    assert abs(len(after.data) - len(before.data)) <= 0.01 * len(before.data), (
        len(before.data), len(after.data))
    assert b"(copy)" not in after.data
    assert len(before.data) < 60_000


def test_page_is_a_skeleton_with_every_layer_and_nothing_external(
    sample_db: str, app: Flask, client: FlaskClient
) -> None:
    use_basemap(app, "none")
    html = client.get("/map").get_data(as_text=True)
    assert 'class="folium-map"' in html and "window.geoMapObjects" in html
    assert vendor.external_urls(html, ignore=vendor.NOT_LOADED) == []
    for title in ("网格", "建筑", "街巷", "路灯", "监控", "隐患", "巡逻路线", "覆盖盲区",
                  "隐患热力图"):
        assert f"{json.dumps(title)} : " in html, title  # a LayerControl entry
    assert "L.markerClusterGroup" in html and "L.heatLayer" in html
    assert "L.control.layers" in html and "L.control.fullscreen" in html
    assert "L.control.locate" in html and "L.Control.Measure" in html
    for word in ("图例", "无照明", "有照明", "消防隐患", "无楼栋长（空缺）"):
        assert word in html, word
    assert 'id="map-config"' in html and "/map.js" in html
    assert html.count("bootstrap.bundle.min.js") == 1
    assert '<meta name="viewport"' in html
    assert "tile.openstreetmap.org" not in html and "tianditu.gov.cn" not in html


def test_english_page(sample_db: str, client: FlaskClient) -> None:
    html = client.get("/map?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    for word in ("Legend", "Streets", "unlit", "lit", "fire risk", "Hazard heat map",
                 "no building leader (gap)", "Coverage gaps"):
        assert word in html, word
    assert "无照明" not in html


@pytest.mark.parametrize(("basemap", "key", "present", "absent"), [
    ("osm", None, ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"], ["tianditu"]),
    ("tianditu", "k3y", ["T=vec_w", "T=cva_w", "tk=k3y", "tianditu.gov.cn"], ["openstreetmap"]),
    ("tianditu", None, ["未配置天地图密钥"], ["tianditu.gov.cn", "openstreetmap"]),
    ("none", None, ["basemap-none"], ["tianditu.gov.cn", "openstreetmap", "L.tileLayer"]),
])
def test_basemap_setting(sample_db: str, app: Flask, client: FlaskClient, basemap: str,
                         key: str | None, present: list[str], absent: list[str]) -> None:
    use_basemap(app, basemap, key)
    html = client.get("/map").get_data(as_text=True)
    for text_ in present:
        assert text_ in html, text_
    for text_ in absent:
        assert text_ not in html, text_


@pytest.mark.parametrize("grid", ["999", "abc", "<b>3</b>"])
def test_unknown_grid_says_so(sample_db: str, client: FlaskClient, grid: str) -> None:
    response = client.get("/map", query_string={"grid": grid})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "没有编号为" in html and 'class="folium-map"' in html
    assert "<b>3</b>" not in html


# -- in the browser -------------------------------------------------------------------------------
def open_map(page, url: str):  # noqa: ANN001, ANN201
    """Load the map and wait until every visible layer has been fetched and drawn."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    bad: list[str] = []
    page.on("response", lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    # ERR_ABORTED: map.js cancelling the fetch of a view already left behind (not a failure)
    page.on("requestfailed", lambda r: bad.append(f"failed {r.url}")
            if r.failure != "net::ERR_ABORTED" else None)
    page.goto(url)
    page.wait_for_function(READY, timeout=30_000)
    return errors, bad


def test_map_draws_every_layer(sample_db: str, app: Flask, live_server: str, page,  # noqa: ANN001
                               monkeypatch: pytest.MonkeyPatch) -> None:
    use_basemap(app, "none")
    monkeypatch.setattr(maps, "PAGE_SIZE", 100)  # several pages per layer, followed by links.next
    errors, bad = open_map(page, f"{live_server}/map")
    state = page.evaluate("geoMap.state()")
    for layer in ("grids", "buildings", "streets", "lights", "cameras", "hazards"):
        total = count(sample_db, f"SELECT count(*) FROM {layer}")
        assert state[layer]["status"] == "ready", (layer, state[layer])
        assert state[layer]["count"] == state[layer]["matched"] == total > 0, (layer, state)
    assert state["routes"] == {"status": "ready", "count": 0, "matched": 0}
    assert state["gaps"]["status"] == "hidden"  # off until asked for

    svg_paths = page.evaluate("""() => Object.fromEntries(['grids', 'streets', 'buildings',
        'lights', 'cameras'].map(id => [id,
        document.querySelectorAll('.leaflet-layer-' + id + '-pane path').length]))""")
    for layer, n in svg_paths.items():
        assert n > 0, (layer, svg_paths)
    assert page.locator(".awesome-marker").count() + page.locator(".marker-cluster").count() > 0
    assert page.locator(".grid-label").count() == state["grids"]["count"]
    legend = page.locator("#map-legend")
    assert legend.is_visible() and "无照明" in legend.inner_text()
    assert page.locator(".leaflet-control-scale").is_visible()
    assert page.locator(".leaflet-control-layers").count() == 1
    page.screenshot(path=str(SCREENSHOT))

    # the browser styles features as the declarations say (same resolution as Python's)
    layers = {layer.id: layer for layer in app.extensions["map_layers"]}
    with engine_for(sample_db).connect() as conn:
        picks = {
            "streets": conn.execute(text("SELECT id, street_class, lit FROM streets WHERE "
                                         "street_class = 'steps' AND lit = 'no' LIMIT 1")).one(),
            "buildings": conn.execute(text("SELECT id, false AS has_leader FROM buildings "
                                           "WHERE leader_name IS NULL LIMIT 1")).one(),
        }
    for layer, row in picks.items():
        expected = layers[layer].resolve_style(row._asdict())
        drawn = page.evaluate(f"""(() => {{ const h = geoMap.find('{layer}', {row.id});
            const l = h.getLayers ? h.getLayers()[0] : h; return l.options; }})()""")
        for key in ("color", "weight", "dashArray", "fillColor"):
            assert drawn.get(key) == expected.get(key, drawn.get(key)), (layer, key)

    # gaps and the heat map come on from the layer control
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("覆盖盲区").check()
    page.get_by_label("隐患热力图").check()
    page.wait_for_function(READY, timeout=30_000)
    page.wait_for_function("geoMap.state().gaps.status === 'ready'", timeout=30_000)
    state = page.evaluate("geoMap.state()")
    assert state["gaps"]["count"] == state["gaps"]["matched"] > 0
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    assert page.outside_requests == []
    assert bad == [] and errors == []


def insert_hazard(url: str, description: str, grid_number: int) -> int:
    with engine_for(url).begin() as conn:
        return conn.execute(text("""
            INSERT INTO hazards (category, description, severity, status, level, grid_id, geom)
            SELECT 'fire_risk', :description, 'urgent', 'reported', 'grid', id,
                   ST_PointOnSurface(geom) FROM grids WHERE number = :number
            RETURNING id"""), {"description": description, "number": grid_number}).scalar_one()


def open_popup(page, layer: str, fid: int):  # noqa: ANN001, ANN201
    """Bring a feature's marker into view and click it; returns the popup element."""
    assert page.evaluate(f"geoMap.reveal('{layer}', {fid})")
    page.wait_for_function(READY, timeout=30_000)
    # a marker leaving its cluster is drawn once the zoom animation ends
    page.wait_for_function(f"!!geoMap.find('{layer}', {fid}).getElement()", timeout=30_000)
    for attempt in range(5):  # a cluster animation may redraw the marker under the click
        icon = page.evaluate_handle(f"geoMap.find('{layer}', {fid}).getElement()")
        try:
            icon.as_element().click(timeout=5_000)
            break
        except PlaywrightError:
            if attempt == 4:
                raise
            page.wait_for_timeout(500)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    return popup


def test_popup_shows_a_description_as_text(sample_db: str, app: Flask, live_server: str,
                                           page) -> None:  # noqa: ANN001
    use_basemap(app, "none")
    fid = insert_hazard(sample_db, XSS, 3)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors, bad = open_map(page, f"{live_server}/map")
    popup = open_popup(page, "hazards", fid)
    assert XSS in popup.inner_text()
    assert popup.locator("img").count() == 0 and popup.locator("script").count() == 0
    assert page.locator("img[src='x']").count() == 0
    link = popup.locator("a", has_text="查看详情")
    assert link.get_attribute("href") == f"/hazards/{fid}"
    assert "消防隐患" in popup.inner_text() and "紧急" in popup.inner_text()
    page.wait_for_timeout(300)
    assert dialogs == [] and errors == []
    assert page.outside_requests == [] and bad == []


def test_grid_parameter_zooms_to_the_grid(sample_db: str, app: Flask, live_server: str,
                                          page) -> None:  # noqa: ANN001
    use_basemap(app, "none")
    with engine_for(sample_db).connect() as conn:
        x, y = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) c "
                                 "FROM grids WHERE number = 3) g")).one()
        community = conn.execute(text("SELECT ST_XMax(e) - ST_XMin(e) FROM "
                                      "(SELECT ST_Extent(geom) e FROM grids) g")).scalar()
    errors, bad = open_map(page, f"{live_server}/map?grid=3")
    west, south, east, north = page.evaluate(
        "(() => { const b = geoMap.map.getBounds(); "
        "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
    assert west < x < east and south < y < north
    assert east - west < community / 2
    assert page.evaluate("geoMap.map.getZoom()") >= 17
    assert page.locator(".grid-label.is-focus").inner_text() == "3"
    assert errors == [] and bad == [] and page.outside_requests == []


def test_english_map_in_the_browser(sample_db: str, app: Flask, live_server: str,
                                    page) -> None:  # noqa: ANN001
    use_basemap(app, "none")
    fid = insert_hazard(sample_db, "blocked fire exit", 5)
    errors, bad = open_map(page, f"{live_server}/map?lang=en")
    legend = page.locator("#map-legend").inner_text()
    for word in ("Legend", "Hazards", "Streets", "unlit", "fire risk", "urgent"):
        assert word in legend, word
    assert not re.search(r"[\u4e00-\u9fff]", legend), legend
    popup = open_popup(page, "hazards", fid)
    words = popup.inner_text()
    for word in ("fire risk", "Description", "blocked fire exit", "Severity", "urgent",
                 "Details and history"):
        assert word in words, word
    assert errors == [] and bad == [] and page.outside_requests == []


def test_a_layer_stops_at_its_cap_and_says_so(sample_db: str, app: Flask, live_server: str,
                                              page) -> None:  # noqa: ANN001
    use_basemap(app, "none")
    layers = app.extensions["map_layers"]
    app.extensions["map_layers"] = [
        dataclasses.replace(layer, max_features=120) if layer.id == "streets" else layer
        for layer in layers]
    total = count(sample_db, "SELECT count(*) FROM streets")
    errors, bad = open_map(page, f"{live_server}/map")
    state = page.evaluate("geoMap.state()")["streets"]
    assert (state["count"], state["matched"]) == (120, total)
    status = page.locator('[data-layer="streets"] .legend-status').inner_text()
    assert f"120 / {total}" in status
    page.evaluate("geoMap.map.setZoom(13)")  # below the buildings' minimum zoom
    page.wait_for_function(READY, timeout=30_000)
    assert page.evaluate("geoMap.state()")["buildings"]["status"] == "zoom"
    assert page.evaluate("geoMap.state()")["buildings"]["count"] == 0
    assert "15" in page.locator('[data-layer="buildings"] .legend-status').inner_text()
    assert errors == [] and bad == [] and page.outside_requests == []
