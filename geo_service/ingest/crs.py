"""Coordinate reference systems: what a file is in, getting it to EPSG:4326, and a metric CRS."""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from .gcj02 import gcj02_geometries_to_wgs84
from .problems import CRSError

WGS84 = pyproj.CRS.from_epsg(4326)
#: CGCS2000 / 3-degree Gauss-Kruger CM 108E, the metric CRS of the sample community.
CM108 = pyproj.CRS.from_epsg(4545)
CM108_WEST, CM108_EAST = 105.0, 109.5

GCJ02_NAMES = frozenset({"gcj02", "gcj-02", "gcj_02", "gcj"})
CRS_HINT = "--crs 4326 or --crs gcj02"


@dataclass(frozen=True)
class SourceCRS:
    """The CRS coordinates are in; ``gcj02`` marks GCJ-02 lon/lat (which pyproj cannot name)."""

    crs: pyproj.CRS
    gcj02: bool = False

    @property
    def geographic(self) -> bool:
        """True for lon/lat coordinates."""
        return self.gcj02 or self.crs.is_geographic

    @property
    def label(self) -> str:
        """A short name for messages."""
        if self.gcj02:
            return "GCJ-02"
        authority = self.crs.to_authority()
        return ":".join(authority) if authority else self.crs.name


def parse_crs(text: str | int | pyproj.CRS, file: str = "") -> SourceCRS:
    """Understand a ``--crs`` value: ``4326``, ``EPSG:2868``, ``gcj02``, WKT or PROJ text."""
    if isinstance(text, pyproj.CRS):
        return SourceCRS(text)
    value = str(text).strip()
    if value.lower() in GCJ02_NAMES:
        return SourceCRS(WGS84, gcj02=True)
    try:
        crs = pyproj.CRS.from_epsg(int(value)) if value.isdigit() else (
            pyproj.CRS.from_user_input(value))
    except pyproj.exceptions.CRSError as error:
        raise CRSError(file, f"unknown CRS code '{value}' ({error}); use an EPSG code or "
                             f"'gcj02', e.g. {CRS_HINT}") from None
    return SourceCRS(crs)


def resolve_crs(file_crs: pyproj.CRS | None, declared: str | int | pyproj.CRS | None,
                file: str) -> tuple[SourceCRS, str | None]:
    """The CRS to read a file in, and a note when ``declared`` overrides what the file says."""
    if declared is None:
        if file_crs is None:
            raise CRSError(file, f"the file has no CRS; declare it with --crs, e.g. {CRS_HINT}")
        return SourceCRS(file_crs), None
    source = parse_crs(declared, file)
    same = file_crs is not None and source.crs.equals(file_crs, ignore_axis_order=True)
    if file_crs is not None and (source.gcj02 or not same):
        said = SourceCRS(file_crs).label
        return source, f"the file says {said}; read as {source.label} as declared"
    return source, None


def to_wgs84(geometries: gpd.GeoSeries, source: SourceCRS) -> gpd.GeoSeries:
    """Reproject (and un-shift GCJ-02) geometries to EPSG:4326."""
    series = gpd.GeoSeries(geometries.values, index=geometries.index, crs=source.crs)
    if not source.crs.equals(WGS84, ignore_axis_order=True):
        series = series.to_crs(WGS84)
    if source.gcj02:
        series = gcj02_geometries_to_wgs84(series)
    return series


def _lonlat_bounds(data: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry
                   ) -> tuple[float, float, float, float]:
    if isinstance(data, gpd.GeoDataFrame | gpd.GeoSeries):
        if data.crs is not None:
            data = data.to_crs(WGS84)
        return tuple(data.total_bounds)
    return shapely.bounds(data).tolist()


def _in_cm108_china(west: float, south: float, east: float, north: float) -> bool:
    """True for bounds within 105-109.5 E on Chinese soil: north of the Vietnamese border
    (about 21.5 N; Hainan from 18 N east of 108.5 E) and south of 42.5 N (EPSG:4545's limit).
    """
    if west < CM108_WEST or east > CM108_EAST or north > 42.5:
        return False
    return south >= 21.5 or (south >= 18.0 and west >= 108.5)


def metric_crs_for(data: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry) -> pyproj.CRS:
    """A projected CRS in metres for the data: EPSG:4545 (CGCS2000 3-degree zone CM 108E) for
    data within 105-109.5 E in China, else the WGS-84 UTM zone of the data.

    ``data`` is a GeoDataFrame or GeoSeries (any CRS; none means EPSG:4326) or a geometry in
    EPSG:4326. The UTM zone is that of the centre of the data's bounds, on WGS-84.
    """
    west, south, east, north = _lonlat_bounds(data)
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise ValueError("no coordinates to choose a metric CRS from")
    if _in_cm108_china(west, south, east, north):
        return CM108
    lon, lat = (west + east) / 2, (south + north) / 2
    zone = min(int((lon + 180) // 6) + 1, 60)
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)
