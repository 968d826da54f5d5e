"""Camera model on crafted layouts: sector geometry, DORI ranges and what buildings hide.

Layouts sit in EPSG:4545 around (500000, 3000000), the camera at the local origin.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from geo_service.analysis.cameras import (
    CameraParams,
    camera_coverage,
    dori_range,
    lens_figures,
)

CRS = "EPSG:4545"
X0, Y0 = 500_000.0, 3_000_000.0


def at(x: float, y: float) -> tuple[float, float]:
    """A point of the local layout."""
    return X0 + x, Y0 + y


def streets(*xs: float, half: float = 20.0, grid: list[int] | None = None) -> gpd.GeoDataFrame:
    """North-south streets at the given x, from y=-half to y=half."""
    return gpd.GeoDataFrame(
        {"id": range(1, len(xs) + 1), "street_class": "alley",
         "grid_id": grid if grid is not None else [None] * len(xs)},
        geometry=[LineString([at(x, -half), at(x, half)]) for x in xs], crs=CRS)


def cameras(*rows: dict[str, object]) -> gpd.GeoDataFrame:
    """Cameras from dicts with ``x``, ``y`` and any camera columns."""
    columns = ["heading_deg", "fov_deg", "range_m", "lens_mm", "status"]
    data = {c: [r.get(c) for r in rows] for c in columns}
    data["status"] = [s or "working" for s in data["status"]]
    return gpd.GeoDataFrame({"id": range(1, len(rows) + 1), **data},
                            geometry=[Point(at(r["x"], r["y"])) for r in rows], crs=CRS)


def test_lens_table_and_dori_scaling() -> None:
    fov, identify = lens_figures(np.array([2.8, 4.0, 8.0, 6.0]))
    assert fov[:3] == pytest.approx([88.0, 68.0, 37.0])
    assert identify[:3] == pytest.approx([5.0, 7.6, 15.0])
    assert identify[3] == pytest.approx(7.6 + (15.0 - 7.6) / 2)  # linear between 4 and 8 mm
    assert dori_range(7.6, "identify") == pytest.approx(7.6)
    assert dori_range(7.6, "recognise") == pytest.approx(7.6 * 250 / 125)
    assert dori_range(7.6, "detect") == pytest.approx(7.6 * 250 / 25)
    with pytest.raises(ValueError, match="DORI"):
        dori_range(7.6, "recognize-ish")


def test_a_camera_sees_the_expected_length_in_an_open_layout() -> None:
    # 4 mm lens: 68 degrees, identify 7.6 m -> recognise at 15.2 m; looking east
    cov = camera_coverage(streets(10.0, 14.0, -5.0),
                          cameras({"x": 0, "y": 0, "heading_deg": 90.0, "lens_mm": 4.0}),
                          crs=CRS)
    seen = cov.segments["seen_m"].to_numpy()
    assert cov.views["range_m"].iloc[0] == pytest.approx(15.2)
    # x=10: inside the range (10/cos 34° = 12.1 m), cut by the two sector edges
    assert seen[0] == pytest.approx(2 * 10 * math.tan(math.radians(34)), abs=1e-6)
    # x=14: the edges lie beyond the range, so the range circle cuts it
    assert seen[1] == pytest.approx(2 * math.sqrt(15.2**2 - 14**2), abs=0.01)
    assert seen[2] == 0.0  # behind the camera
    assert cov.segments["unseen_m"].iloc[0] == pytest.approx(40 - seen[0], abs=1e-6)
    assert not cov.views["dome"].iloc[0]


def test_the_dori_level_sets_the_range() -> None:
    layout = streets(10.0)
    camera = cameras({"x": 0, "y": 0, "heading_deg": 90.0, "lens_mm": 4.0})
    identify = camera_coverage(layout, camera, crs=CRS, params=CameraParams(level="identify"))
    assert identify.segments["seen_m"].iloc[0] == 0.0  # 10 m is beyond 7.6 m


def test_a_stated_range_and_fov_override_the_lens() -> None:
    camera = cameras({"x": 0, "y": 0, "heading_deg": 90.0, "fov_deg": 90.0, "range_m": 30.0})
    cov = camera_coverage(streets(15.0), camera, crs=CRS,
                          params=CameraParams(level="observe", range_level="observe"))
    assert cov.views["range_m"].iloc[0] == pytest.approx(30.0)
    assert cov.segments["seen_m"].iloc[0] == pytest.approx(30.0, abs=1e-6)  # 2 * 15 * tan 45°


def test_a_camera_behind_a_building_does_not_see_the_street_beyond() -> None:
    layout = streets(3.0, 15.0)
    camera = cameras({"x": 0, "y": 0, "heading_deg": 90.0, "fov_deg": 90.0, "range_m": 30.0})
    params = CameraParams(range_level="recognise")
    wall = gpd.GeoDataFrame(geometry=[box(*at(5, -50), *at(8, 50))], crs=CRS)
    open_ = camera_coverage(layout, camera, crs=CRS, params=params).segments["seen_m"]
    hidden = camera_coverage(layout, camera, wall, crs=CRS, params=params).segments["seen_m"]
    assert open_.iloc[1] == pytest.approx(30.0, abs=1e-6)
    assert hidden.iloc[1] == 0.0
    assert hidden.iloc[0] == pytest.approx(6.0, abs=1e-6)  # in front of the wall: 2 * 3 * tan 45°


def test_a_camera_on_a_wall_sees_out_from_it() -> None:
    wall = gpd.GeoDataFrame(geometry=[box(*at(-10, -10), *at(0, 10))], crs=CRS)
    camera = cameras({"x": 0, "y": 0, "heading_deg": 90.0, "fov_deg": 90.0, "range_m": 30.0})
    cov = camera_coverage(streets(15.0), camera, wall, crs=CRS,
                          params=CameraParams(range_level="recognise"))
    assert cov.segments["seen_m"].iloc[0] == pytest.approx(30.0, abs=1e-6)


def test_a_camera_without_heading_is_a_flagged_dome() -> None:
    cov = camera_coverage(streets(-5.0), cameras({"x": 0, "y": 0, "lens_mm": 4.0}), crs=CRS)
    view = cov.views.iloc[0]
    assert bool(view["dome"]) and view["fov_deg"] == 360.0
    assert math.isnan(view["heading_deg"])
    assert cov.segments["seen_m"].iloc[0] == pytest.approx(2 * math.sqrt(15.2**2 - 25), abs=0.02)


def test_a_broken_camera_sees_nothing_and_grids_add_up() -> None:
    layout = streets(10.0, 30.0, grid=[1, 2])
    cov = camera_coverage(layout, cameras(
        {"x": 0, "y": 0, "heading_deg": 90.0, "lens_mm": 4.0},
        {"x": 20, "y": 0, "heading_deg": 90.0, "lens_mm": 4.0, "status": "broken"}), crs=CRS)
    grids = cov.grids.set_index("grid_id")
    assert grids.loc[1, "seen_m"] == pytest.approx(2 * 10 * math.tan(math.radians(34)), abs=1e-6)
    assert grids.loc[2, "seen_m"] == 0.0
    assert grids.loc[2, "unseen_m"] == pytest.approx(40.0)
    assert cov.views.geometry.iloc[1].is_empty


def test_a_stored_range_is_read_as_the_observe_distance_by_default() -> None:
    # the sample's 4 mm cameras store range_m = 30 (observe); recognise is then 30 * 62 / 125
    cov = camera_coverage(streets(10.0), cameras(
        {"x": 0, "y": 0, "heading_deg": 90.0, "lens_mm": 4.0, "fov_deg": 68.0, "range_m": 30.0}),
        crs=CRS)
    assert cov.views["identify_m"].iloc[0] == pytest.approx(30.0 * 62 / 250)
    assert cov.views["range_m"].iloc[0] == pytest.approx(30.0 * 62 / 125)
