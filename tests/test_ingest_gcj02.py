"""GCJ-02 <-> WGS-84 around the sample community (Zunyi, 27.52 N 106.83 E) and elsewhere."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from geo_service.ingest import (
    gcj02_geometries_to_wgs84,
    gcj02_to_wgs84,
    wgs84_geometries_to_gcj02,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:  # noqa: ANN001
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def zunyi_grid() -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.linspace(106.70, 106.96, 27), np.linspace(27.40, 27.64, 25))
    return lon.ravel(), lat.ravel()


def test_round_trip_is_well_under_half_a_metre() -> None:
    lon, lat = zunyi_grid()
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert metres(lon, lat, back_lon, back_lat).max() < 0.01


def test_inverse_also_holds_starting_from_gcj02() -> None:
    lon, lat = zunyi_grid()
    w_lon, w_lat = gcj02_to_wgs84(lon, lat)
    f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
    assert np.abs(f_lon - lon).max() < 1e-7 and np.abs(f_lat - lat).max() < 1e-7


def test_offset_in_zunyi_is_a_few_hundred_metres_north_west() -> None:
    g_lon, g_lat = wgs84_to_gcj02(106.83, 27.52)
    shift = metres(106.83, 27.52, g_lon, g_lat)
    assert 300 < shift < 800
    assert g_lon > 106.83 and g_lat < 27.52  # GCJ-02 lies east and south of WGS-84 here


def test_beijing_offset_has_the_usual_size() -> None:
    # In central Beijing GCJ-02 is commonly quoted as about +0.0062 lon, +0.0014 lat off.
    w_lon, w_lat = gcj02_to_wgs84(116.3975, 39.9087)
    assert 0.0055 < 116.3975 - w_lon < 0.0068
    assert 0.0010 < 39.9087 - w_lat < 0.0018


def test_no_offset_outside_china() -> None:
    lon = np.array([26.94, -111.9, 14.40])
    lat = np.array([60.53, 33.42, 50.10])
    for convert in (gcj02_to_wgs84, wgs84_to_gcj02):
        out_lon, out_lat = convert(lon, lat)
        assert np.array_equal(out_lon, lon) and np.array_equal(out_lat, lat)


def test_geometry_helper_moves_every_coordinate() -> None:
    line = shapely.LineString([(106.83, 27.52), (106.84, 27.53), (106.85, 27.52)])
    series = gpd.GeoSeries([line, shapely.Point(106.83, 27.52), None], index=[5, 6, 7],
                           crs=4326)
    moved = gcj02_geometries_to_wgs84(series)
    assert list(moved.index) == [5, 6, 7] and moved.crs == series.crs
    assert moved.iloc[2] is None
    expected = np.column_stack(gcj02_to_wgs84(*shapely.get_coordinates(line).T))
    assert np.allclose(shapely.get_coordinates(moved.iloc[0]), expected, rtol=0, atol=1e-12)
    back = wgs84_geometries_to_gcj02(moved)
    assert back.geom_equals_exact(series, tolerance=1e-8).iloc[:2].all()
