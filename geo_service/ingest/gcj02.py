"""GCJ-02, the obfuscated lon/lat used by Chinese web maps (AMap, Tencent), to WGS-84 and back.

The forward offset is the published closed-form formula on the Krasovsky ellipsoid. It has no
closed-form inverse, so ``gcj02_to_wgs84`` solves ``wgs84_to_gcj02(w) = g`` by fixed-point
iteration. Outside mainland China's rough bounding box the offset is zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import shapely

_A = 6378245.0  # Krasovsky 1940 semi-major axis (m)
_EE = 0.00669342162296594323  # its first eccentricity squared

#: The iteration stops when the forward image is this close to the target (degrees).
TOLERANCE_DEG = 1e-7
MAX_ITERATIONS = 50

ArrayLike = npt.ArrayLike
Geometries = TypeVar("Geometries")
Convert = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """True where a point lies outside the box in which GCJ-02 applies an offset."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return ~((lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271))


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 shift (degrees of lon, lat) at WGS-84 positions; zero outside China."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    wave = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    shift_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
                 + 0.2 * np.sqrt(np.abs(x)) + wave
                 + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
                 + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0)
    shift_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
                 + 0.1 * np.sqrt(np.abs(x)) + wave
                 + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
                 + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0)
    rad = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad) ** 2
    root = np.sqrt(magic)
    d_lat = shift_lat * 180.0 / ((_A * (1.0 - _EE)) / (magic * root) * pi)
    d_lon = shift_lon * 180.0 / (_A / root * np.cos(rad) * pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, d_lon), np.where(outside, 0.0, d_lat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 lon/lat (arrays or scalars) to GCJ-02."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lon, d_lat = _offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat (arrays or scalars) to WGS-84, to within ``TOLERANCE_DEG``."""
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(MAX_ITERATIONS):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        error = np.maximum(np.abs(e_lon), np.abs(e_lat))
        if not np.any(error[np.isfinite(error)] >= TOLERANCE_DEG):
            break
    return w_lon, w_lat


def _on_coordinates(convert: Convert) -> Callable[[np.ndarray], np.ndarray]:
    def apply(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(convert(xy[:, 0], xy[:, 1]))

    return apply


def gcj02_geometries_to_wgs84(geometries: Geometries) -> Geometries:
    """Shift every coordinate of geometries (a GeoSeries, array or one geometry) to WGS-84."""
    return _transform(geometries, gcj02_to_wgs84)


def wgs84_geometries_to_gcj02(geometries: Geometries) -> Geometries:
    """Shift every coordinate of geometries (a GeoSeries, array or one geometry) to GCJ-02."""
    return _transform(geometries, wgs84_to_gcj02)


def _transform(geometries: Geometries, convert: Convert) -> Geometries:
    values = getattr(geometries, "values", geometries)
    moved = shapely.transform(values, _on_coordinates(convert))
    if hasattr(geometries, "crs"):  # a GeoSeries: keep its index and CRS
        return type(geometries)(moved, index=geometries.index, crs=geometries.crs)
    return moved
