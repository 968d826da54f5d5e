"""CRS handling: declared and overridden CRSs, GCJ-02 input, the metric CRS for some data."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geo_service.ingest import CRSError, gcj02_to_wgs84, metric_crs_for, read_layer
from geo_service.ingest.crs import parse_crs


def write_points(path: Path, points: list[tuple[float, float]], crs: str | None = None) -> Path:
    features = [{"type": "Feature", "properties": {"id": f"L{i}"},
                 "geometry": {"type": "Point", "coordinates": list(xy)}}
                for i, xy in enumerate(points)]
    collection = {"type": "FeatureCollection", "features": features}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


@pytest.mark.parametrize(("lon", "lat", "epsg"), [
    (106.83, 27.52, 4545),   # the sample community, CGCS2000 CM 108E
    (105.2, 30.0, 4545),
    (26.94, 60.53, 32635),   # Kotka, Finland
    (-111.93, 33.42, 32612),  # Tempe, Arizona
    (14.40, 50.10, 32633),   # Prague
    (151.2, -33.9, 32756),   # Sydney: southern hemisphere
    (104.5, 30.0, 32648),    # China, but west of the CM 108E zone
    (107.0, 10.0, 32648),    # in the longitude band, but Vietnam (outside China)
    (105.85, 21.03, 32648),  # Hanoi
    (109.35, 19.52, 4545),   # Danzhou, Hainan
])
def test_metric_crs_for(lon: float, lat: float, epsg: int) -> None:
    box = shapely.box(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)
    assert metric_crs_for(box) == pyproj.CRS.from_epsg(epsg)
    frame = gpd.GeoDataFrame(geometry=[box], crs=4326)
    assert metric_crs_for(frame) == pyproj.CRS.from_epsg(epsg)


def test_metric_crs_for_projected_frame_converts_first() -> None:
    frame = gpd.GeoDataFrame(geometry=[shapely.Point(26.94, 60.53)], crs=4326).to_crs(3857)
    assert metric_crs_for(frame.geometry) == pyproj.CRS.from_epsg(32635)


@pytest.mark.parametrize("text", ["4326", "EPSG:4326", "epsg:2868", "gcj02", "GCJ-02"])
def test_parse_crs_accepts(text: str) -> None:
    parsed = parse_crs(text)
    assert parsed.gcj02 == text.lower().startswith("gcj")
    assert parsed.crs.to_epsg() in (4326, 2868)


@pytest.mark.parametrize("text", ["EPSG:999999", "999999", "not a crs"])
def test_unknown_crs_code_is_an_error(tmp_path: Path, text: str) -> None:
    path = write_points(tmp_path / "lights.geojson", [(106.83, 27.52)])
    with pytest.raises(CRSError, match="unknown CRS code") as caught:
        read_layer(path, "lights", crs=text)
    assert "--crs 4326 or --crs gcj02" in str(caught.value)


def test_gcj02_declared_is_converted_to_wgs84_with_a_note(tmp_path: Path) -> None:
    gcj = [(106.8300, 27.5200), (106.8310, 27.5210)]
    path = write_points(tmp_path / "lights.geojson", gcj)
    data = read_layer(path, "lights", crs="gcj02")
    expected = np.column_stack(gcj02_to_wgs84(*np.array(gcj).T))
    assert np.allclose(shapely.get_coordinates(data.frame.geometry.values), expected,
                       rtol=0, atol=1e-9)
    assert data.frame.crs.to_epsg() == 4326
    notes = [p for p in data.problems if p.action == "warning" and not p.feature]
    assert len(notes) == 1 and "GCJ-02" in notes[0].reason


def test_projected_crs_from_file_and_override(tmp_path: Path) -> None:
    # Kotka in Web Mercator, declared in the file
    x, y = pyproj.Transformer.from_crs(4326, 3857, always_xy=True).transform(26.94, 60.53)
    path = write_points(tmp_path / "lights.geojson", [(x, y)], crs="urn:ogc:def:crs:EPSG::3857")
    point = read_layer(path, "lights").frame.geometry.iloc[0]
    assert point.x == pytest.approx(26.94) and point.y == pytest.approx(60.53)
    # The same numbers declared as EPSG:3857 when the file says nothing about them
    plain = write_points(tmp_path / "plain.geojson", [(26.94, 60.53)])
    data = read_layer(plain, "lights", crs="EPSG:4326")
    assert data.frame.geometry.iloc[0].equals(shapely.Point(26.94, 60.53))
    assert not [p for p in data.problems if p.action == "warning"]
