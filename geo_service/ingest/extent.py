"""Where a file's features lie, and which of them lie far from the rest or from the community.

Distances are measured in an azimuthal equidistant projection centred on the file's median
centre, so they are true to within a fraction of a percent over the few tens of kilometres
that matter here.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from .problems import Reporter

#: A feature is far when more than max(FLOOR_M, SPREAD_FACTOR x spread) beyond the area.
FLOOR_M = 5000.0
SPREAD_FACTOR = 3.0
#: A reference area is used when the file's median centre lies within this distance of it.
REFERENCE_REACH_M = 5000.0
SWAPPED = "latitude and longitude look swapped"
ALL_SWAPPED = ("latitude and longitude are swapped in the whole file: the file lies {far:.0f} km "
               "from {where}, and {near:.1f} km from it with the two exchanged; swap the "
               "lon/lat columns (or x and y) and load it again")


@dataclass(frozen=True)
class Bulk:
    """The median centre of a set of lon/lat features and their robust spread (metres).

    The spread is the median distance of the features' representative points from the centre.
    """

    lon: float
    lat: float
    spread_m: float = 0.0

    @property
    def limit_m(self) -> float:
        """How far beyond the area a feature may lie before it is called far."""
        return max(FLOOR_M, SPREAD_FACTOR * self.spread_m)

    def project(self, geometries: np.ndarray | BaseGeometry) -> np.ndarray | BaseGeometry:
        """Lon/lat geometries to metres from the centre."""
        local = pyproj.CRS.from_proj4(
            f"+proj=aeqd +lat_0={self.lat} +lon_0={self.lon} +datum=WGS84 +units=m")
        to_local = pyproj.Transformer.from_crs(4326, local, always_xy=True)
        return shapely.transform(
            geometries, lambda xy: np.column_stack(to_local.transform(xy[:, 0], xy[:, 1])))

    def distance_m(self, geometries: np.ndarray, area: BaseGeometry | None = None
                   ) -> np.ndarray:
        """Metres from each lon/lat geometry to ``area`` (lon/lat), or to the centre."""
        target = shapely.Point(0.0, 0.0) if area is None else self.project(area)
        return shapely.distance(self.project(np.asarray(geometries, dtype=object)), target)


def bulk_of(geometries: np.ndarray) -> Bulk | None:
    """The bulk of lon/lat geometries (None when there are none)."""
    geometries = np.asarray(geometries, dtype=object)
    geometries = geometries[~(shapely.is_missing(geometries) | shapely.is_empty(geometries))]
    if len(geometries) == 0:
        return None
    points = shapely.get_coordinates(shapely.point_on_surface(geometries))
    centre = Bulk(float(np.median(points[:, 0])), float(np.median(points[:, 1])))
    spread = np.median(centre.distance_m(shapely.points(points)))
    return Bulk(centre.lon, centre.lat, float(spread))


def swap_lonlat(geometries: np.ndarray | BaseGeometry) -> np.ndarray | BaseGeometry:
    """The same geometries with x and y exchanged."""
    return shapely.transform(geometries, lambda xy: xy[:, ::-1])


def in_lonlat_range(geometries: np.ndarray) -> np.ndarray:
    """True where every coordinate is a finite longitude (-180..180) and latitude (-90..90)."""
    bounds = shapely.bounds(np.asarray(geometries, dtype=object))
    with np.errstate(invalid="ignore"):
        return (np.isfinite(bounds).all(axis=1) & (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180)
                & (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90))


def _refuse_if_all_swapped(kept: gpd.GeoSeries, bulk: Bulk, reference_area: BaseGeometry,
                           gap_m: float, report: Reporter) -> bool:
    """Reject every feature when the whole file lies far from the reference area but within
    reach of it with longitude and latitude exchanged; True when it did."""
    swapped = swap_lonlat(kept.values)
    if not in_lonlat_range(swapped).all():
        return False
    swapped_bulk = bulk_of(swapped)
    if swapped_bulk is None:
        return False
    centre = np.array([shapely.Point(swapped_bulk.lon, swapped_bulk.lat)], dtype=object)
    near = float(swapped_bulk.distance_m(centre, reference_area)[0])
    if near > REFERENCE_REACH_M:
        return False
    reason = ALL_SWAPPED.format(far=gap_m / 1000, near=near / 1000, where="the community")
    for index in kept.index:
        report.reject(index, "geometry", reason)
    return True


def check_extent(geometries: gpd.GeoSeries, report: Reporter,
                 reference_area: BaseGeometry | None = None, *, lonlat_source: bool = False
                 ) -> None:
    """Reject features far from the area: ``reference_area`` if the file lies near it, else the
    file's own bulk. ``lonlat_source`` enables the hint that lon and lat look swapped.
    """
    kept = geometries[~(geometries.isna() | geometries.is_empty)]
    bulk = bulk_of(kept.values)
    if bulk is None:
        return
    area, where = None, "the median centre of the file"
    if reference_area is not None and not reference_area.is_empty:
        centre = np.array([shapely.Point(bulk.lon, bulk.lat)], dtype=object)
        gap = float(bulk.distance_m(centre, reference_area)[0])
        if gap <= REFERENCE_REACH_M:
            area, where = reference_area, "the reference area"
        elif lonlat_source and _refuse_if_all_swapped(kept, bulk, reference_area, gap, report):
            return
        else:
            report.warn(None, None, f"the file lies {gap / 1000:.1f} km from the reference area; "
                                    f"it is checked against its own extent")
    distance = bulk.distance_m(kept.values, area)
    far = distance > bulk.limit_m
    if not far.any():
        return
    swapped = swap_lonlat(kept.values[far])
    near_if_swapped = np.zeros(len(swapped), dtype=bool)
    if lonlat_source:
        fits = in_lonlat_range(swapped)
        if fits.any():
            near_if_swapped[fits] = bulk.distance_m(swapped[fits], area) <= bulk.limit_m
    for index, metres, hint in zip(kept.index[far], distance[far], near_if_swapped, strict=True):
        reason = (f"feature lies {metres / 1000:.1f} km from {where} "
                  f"(more than {bulk.limit_m / 1000:.1f} km)")
        report.reject(index, "geometry", reason + (f"; {SWAPPED}" if hint else ""))
