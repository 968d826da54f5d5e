"""``GET /tiles/{layer}/{z}/{x}/{y}.pbf`` on the sample: vector tiles built by PostGIS.

- Every declared layer answers a Mapbox vector tile whose one layer is named after it and whose
  attributes are public fields its declaration uses (never a personal field).
- No feature is dropped: the tiles covering the community at zoom 14, 16 and 18 hold every grid,
  street and building of the database (and the grids at zoom 5, where they are a few pixels and
  come as points); a building's attributes are its database values.
- Buildings start at zoom 14: below it their tiles are empty.
- ETag from the data version: the same tile twice has the same tag, If-None-Match answers 304
  with no body, a change to the data changes the tag; Cache-Control is public with a max-age.
- An unknown layer answers 404, a zoom or x/y outside the pyramid 400, as error pages.

The tiles are read back with the small protobuf reader below (the format's own field numbers),
not with the code that wrote them.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from geo_service.auth.privacy import PERSONAL_FIELDS
from geo_service.config import Settings
from geo_service.db.engine import engine_for
from geo_service.features.catalog import COLLECTIONS, schema
from geo_service.layers import LAYERS_DIR, load_layers

MVT = "application/vnd.mapbox-vector-tile"
LAYERS = {layer.id: layer for layer in load_layers(LAYERS_DIR, schema())}


# -- a reader of the vector tile format (protobuf) --------------------------------------------
def _varint(data: bytes, at: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[at]
        at += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, at


def _fields(data: bytes) -> list[tuple[int, Any]]:
    """(field number, value) pairs of a message: ints for varints, bytes otherwise."""
    out, at = [], 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
        elif wire == 2:
            size, at = _varint(data, at)
            value, at = data[at:at + size], at + size
        elif wire == 5:
            value, at = data[at:at + 4], at + 4
        elif wire == 1:
            value, at = data[at:at + 8], at + 8
        else:
            raise ValueError(f"wire type {wire}")
        out.append((number, value))
    return out


def _packed(data: bytes) -> list[int]:
    values, at = [], 0
    while at < len(data):
        value, at = _varint(data, at)
        values.append(value)
    return values


def _value(data: bytes) -> Any:
    (number, raw), = _fields(data)
    if number == 1:
        return raw.decode()
    if number == 2:
        return struct.unpack("<f", raw)[0]
    if number == 3:
        return struct.unpack("<d", raw)[0]
    if number in (4, 5):
        return raw - (1 << 64) if raw >= 1 << 63 else raw
    if number == 6:
        return (raw >> 1) ^ -(raw & 1)
    return bool(raw)


def read_tile(data: bytes) -> dict[str, dict[str, Any]]:
    """Layer name -> {"extent", "features": [{"id", "type", "properties"}]}."""
    layers = {}
    for number, raw in _fields(data):
        if number != 3:
            continue
        parts = _fields(raw)
        keys = [v.decode() for n, v in parts if n == 3]
        values = [_value(v) for n, v in parts if n == 4]
        features = []
        for n, feature in parts:
            if n != 2:
                continue
            item: dict[str, Any] = {"id": None, "type": None, "properties": {}}
            for fn, fv in _fields(feature):
                if fn == 1:
                    item["id"] = fv
                elif fn == 2:
                    tags = _packed(fv)
                    item["properties"] = {keys[k]: values[v]
                                          for k, v in zip(tags[::2], tags[1::2], strict=True)}
                elif fn == 3:
                    item["type"] = fv
            features.append(item)
        name = next(v.decode() for n, v in parts if n == 1)
        extent = next((v for n, v in parts if n == 5), 4096)
        layers[name] = {"extent": extent, "features": features}
    return layers


# -- fixtures and helpers -----------------------------------------------------------------------
@pytest.fixture()
def app(sample_db: str) -> Flask:
    from geo_service.web.app import create_app

    application = create_app(Settings(database_url=sample_db, basemap="none"),
                             engine=engine_for(sample_db))
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    side = 2 ** z
    x = int((lon + 180) / 360 * side)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * side)
    return min(side - 1, x), min(side - 1, y)


def tiles_over(engine: Engine, table: str, z: int) -> list[tuple[int, int]]:
    """Every tile address at zoom ``z`` over the table's extent."""
    with engine.connect() as conn:
        west, south, east, north = conn.execute(text(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            f"(SELECT ST_Extent(geom) e FROM {table}) s")).one()
    x0, y0 = tile_of(west, north, z)
    x1, y1 = tile_of(east, south, z)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def features_over(client: FlaskClient, engine: Engine, layer: str, z: int) -> dict[int, dict]:
    """Feature id -> properties, over every tile of the layer's extent at zoom ``z``."""
    found: dict[int, dict] = {}
    for x, y in tiles_over(engine, LAYERS[layer].collection, z):
        answer = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
        assert answer.status_code == 200, (layer, z, x, y, answer.status_code)
        if answer.data:
            for feature in read_tile(answer.data)[layer]["features"]:
                found[feature["id"]] = feature
    return found


def all_ids(engine: Engine, table: str) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(text(f"SELECT id FROM {table}")).scalars())


# -- tests --------------------------------------------------------------------------------------
def test_every_layer_answers_a_tile_of_public_fields(client: FlaskClient, engine: Engine) -> None:
    with_features = set()
    for layer_id, layer in LAYERS.items():
        z = max(16, layer.min_zoom)
        table = layer.collection if COLLECTIONS[layer.collection].table else "streets"
        x, y = tiles_over(engine, table, z)[len(tiles_over(engine, table, z)) // 2]
        answer = client.get(f"/tiles/{layer_id}/{z}/{x}/{y}.pbf")
        assert answer.status_code == 200 and answer.mimetype == MVT, layer_id
        if not answer.data:
            continue
        decoded = read_tile(answer.data)
        assert set(decoded) == {layer_id}
        public = set(COLLECTIONS[layer.collection].fields) | {"fid", "label_point_lon",
                                                              "label_point_lat"}
        for feature in decoded[layer_id]["features"]:
            names = set(feature["properties"])
            assert names <= public, (layer_id, names - public)
            assert not names & PERSONAL_FIELDS, layer_id
        if decoded[layer_id]["features"]:
            with_features.add(layer_id)
    assert {"grids", "buildings", "streets", "lights", "cameras", "hazards"} <= with_features


@pytest.mark.parametrize("z", [14, 16, 18])
def test_no_feature_is_dropped_at_community_and_grid_zoom(client: FlaskClient, engine: Engine,
                                                          z: int) -> None:
    for layer in ("grids", "streets", "buildings"):
        found = features_over(client, engine, layer, z)
        assert set(found) == all_ids(engine, layer), (layer, z)


def test_grids_are_all_there_when_a_few_pixels(client: FlaskClient, engine: Engine) -> None:
    found = features_over(client, engine, "grids", 5)
    assert set(found) == all_ids(engine, "grids")


def test_building_attributes_are_its_values_and_no_leader(client: FlaskClient,
                                                         engine: Engine) -> None:
    found = features_over(client, engine, "buildings", 16)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT b.id, b.name, b.floors, g.number AS grid, "
            "nullif(btrim(b.leader_name), '') IS NOT NULL AS has_leader "
            "FROM buildings b LEFT JOIN grids g ON g.id = b.grid_id")).mappings().all()
    leaders = {True: 0, False: 0}
    for row in rows:
        props = found[row["id"]]["properties"]
        assert props.get("name") == row["name"]
        assert props.get("floors") == row["floors"]
        assert props.get("grid") == row["grid"]
        assert props["has_leader"] is row["has_leader"]
        assert "leader_name" not in props and "leader_phone" not in props
        leaders[row["has_leader"]] += 1
    assert leaders[True] and leaders[False]  # both kinds are in the sample


def test_buildings_start_at_zoom_14(client: FlaskClient, engine: Engine) -> None:
    for z in (10, 13):
        for x, y in tiles_over(engine, "buildings", z):
            answer = client.get(f"/tiles/buildings/{z}/{x}/{y}.pbf")
            assert answer.status_code == 200 and answer.data == b""
    assert features_over(client, engine, "buildings", 14)


def test_etag_304_and_a_change_of_data(client: FlaskClient, engine: Engine) -> None:
    x, y = tiles_over(engine, "grids", 14)[0]
    url = f"/tiles/grids/14/{x}/{y}.pbf"
    first, again = client.get(url), client.get(url)
    tag = first.headers["ETag"]
    assert tag and tag == again.headers["ETag"] and first.data == again.data
    assert first.headers["Cache-Control"] == "public, max-age=60"
    cached = client.get(url, headers={"If-None-Match": tag})
    assert cached.status_code == 304 and cached.data == b"" and cached.headers["ETag"] == tag
    other = client.get(f"/tiles/streets/14/{x}/{y}.pbf")
    assert other.headers["ETag"] != tag  # another layer, another tag
    with engine.begin() as conn:
        conn.execute(text("UPDATE grids SET name = name || '·' WHERE id = "
                          "(SELECT min(id) FROM grids)"))
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def test_tile_max_age_is_a_setting(sample_db: str) -> None:
    from geo_service.web.app import create_app

    app = create_app(Settings(database_url=sample_db, tile_max_age=3600),
                     engine=engine_for(sample_db))
    answer = app.test_client().get("/tiles/grids/0/0/0.pbf")
    assert answer.headers["Cache-Control"] == "public, max-age=3600"


@pytest.mark.parametrize(("url", "status"), [
    ("/tiles/nowhere/14/0/0.pbf", 404),
    ("/tiles/grids/23/0/0.pbf", 400),
    ("/tiles/grids/2/4/0.pbf", 400),
    ("/tiles/grids/2/0/4.pbf", 400),
    ("/tiles/grids/-1/0/0.pbf", 404),
    ("/tiles/grids/a/0/0.pbf", 404),
])
def test_bad_addresses(client: FlaskClient, url: str, status: int) -> None:
    answer = client.get(url + "?lang=en")
    assert answer.status_code == status
    assert answer.mimetype == "text/html"
    assert f'data-status="{status}"' in answer.get_data(as_text=True)
    if status == 400:
        assert "There is no tile" in answer.get_data(as_text=True)


# -- the map page drawing them (Chromium) -------------------------------------------------------
READY = ("document.documentElement.dataset.mapState === 'ready' && "
         "document.documentElement.dataset.tilesState === 'ready'")
TILED = ("grids", "streets", "buildings")
DRAWN_JS = """(id) => {
    const layer = geoMapTiles.layers[id];
    const pane = document.querySelector('.leaflet-layer-' + id + '-pane');
    return { ids: Array.from(layer.drawn().keys()).map(Number),
             paths: pane ? pane.querySelectorAll('path').length : 0,
             state: geoMap.state()[id] };
}"""
VIEW_JS = """() => { const b = geoMap.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"""


def ids_in_view(engine: Engine, table: str, box: list[float]) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(text(
            f"SELECT id FROM {table} WHERE ST_Intersects(geom, "
            "ST_MakeEnvelope(:w, :s, :e, :n, 4326))"),
            dict(zip("wsen", box, strict=True))).scalars())


def check_drawn(page, engine: Engine) -> dict[str, set[int]]:  # noqa: ANN001
    """Every grid, street and building in view is drawn from tiles (as a path in its pane)."""
    view = page.evaluate(VIEW_JS)
    out = {}
    for layer in TILED:
        drawn = page.evaluate(DRAWN_JS, layer)
        wanted = ids_in_view(engine, layer, view)
        assert wanted and wanted <= set(drawn["ids"]), (layer, wanted - set(drawn["ids"]))
        assert drawn["paths"] >= len(wanted), (layer, drawn["paths"], len(wanted))
        assert drawn["state"]["status"] == "ready" and drawn["state"]["count"] >= len(wanted)
        out[layer] = wanted
    return out


def test_the_map_draws_grids_streets_and_buildings_from_tiles(
        sample_db: str, engine: Engine, live_server: str, page) -> None:  # noqa: ANN001
    problems: list[str] = []
    requested: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{live_server}/map?tiles=1")
    page.wait_for_function(READY, timeout=30_000)
    # community zoom: the whole community in view, every grid, street and building drawn
    assert page.evaluate("geoMap.map.getZoom()") <= 16
    community = check_drawn(page, engine)
    assert community["grids"] == all_ids(engine, "grids")
    assert page.locator(".grid-label").count() == len(community["grids"])
    tiles = [u for u in requested if "/tiles/" in u]
    assert {layer for layer in TILED if any(f"/tiles/{layer}/" in u for u in tiles)} == set(TILED)
    collections = [u for u in requested if "/api/collections/" in u]
    assert not [u for u in collections if any(f"/collections/{t}/" in u for t in TILED)]
    assert any("/collections/hazards/" in u for u in collections)  # clustered: still GeoJSON
    # grid zoom: one grid's part of the community, close up
    with engine.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM grids "
            "ORDER BY number LIMIT 1) s")).one()
    page.evaluate("([lat, lon]) => geoMap.map.setView([lat, lon], 18, {animate: false})",
                  [lat, lon])
    page.wait_for_function(READY, timeout=30_000)
    close = check_drawn(page, engine)
    assert close["buildings"] < community["buildings"]
    # a building's popup: click it where it is drawn
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, name, address FROM buildings WHERE id = ANY(:ids) "
                                 "ORDER BY ST_Area(geom) DESC"),
                            {"ids": sorted(close["buildings"])}).all()
    shown = None
    for row in rows[:8]:
        box = page.evaluate_handle(f"geoMapTiles.layers.buildings.element({row.id})") \
            .as_element().bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.click(x, y)
        popup = page.locator(".leaflet-popup-content")
        try:
            popup.wait_for(state="visible", timeout=2_000)
        except Exception:  # noqa: BLE001 - under the legend or another shape: try the next
            continue
        if popup.locator("h3").inner_text() == row.name:
            shown = row
            break
    assert shown is not None, "no building popup opened on a click"
    popup = page.locator(".leaflet-popup-content")
    assert popup.locator('td[data-field="address"]').inner_text() == shown.address
    assert popup.locator('td[data-field="has_leader"]').count() == 1
    assert problems == [], problems


def test_the_map_page_chooses_tiles_by_setting_or_parameter(sample_db: str) -> None:
    from geo_service.web.app import create_app

    for setting, query, wanted in ((False, "", False), (False, "?tiles=1", True),
                                   (True, "", True), (True, "?tiles=0", False)):
        app = create_app(Settings(database_url=sample_db, basemap="none", map_tiles=setting),
                         engine=engine_for(sample_db))
        page = app.test_client().get(f"/map{query}").get_data(as_text=True)
        assert ("Leaflet.VectorGrid.bundled.min.js" in page) is wanted, (setting, query)
        assert ("map_tiles.js" in page) is wanted
        assert ('"tiles": {"url": "/tiles/{layer}/{z}/{x}/{y}.pbf"}' in page) is wanted
