"""Geometry checks for one layer: present, of the right type, in range, valid (or repaired)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from .extent import SWAPPED, bulk_of, in_lonlat_range, swap_lonlat
from .problems import Reporter
from .schema import GEOMETRY

ALLOWED: dict[str, frozenset[str]] = {
    "polygon": frozenset({"Polygon", "MultiPolygon"}),
    "line": frozenset({"LineString", "LinearRing", "MultiLineString"}),
    "point": frozenset({"Point", "MultiPoint"}),
    "any": frozenset({"Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                      "MultiLineString", "MultiPolygon"}),
}
NOUNS = {"polygon": "polygons", "line": "lines", "point": "points",
         "any": "points, lines or polygons"}
POLYGONAL = frozenset({"Polygon", "MultiPolygon"})


def check_shapes(geometries: gpd.GeoSeries, layer: str, report: Reporter,
                 missing_reasons: dict[int, str] | None = None) -> None:
    """Reject missing or empty geometries and geometry types the layer cannot hold."""
    kind = GEOMETRY[layer]
    missing_reasons = missing_reasons or {}
    absent = geometries.isna() | geometries.is_empty
    for index in geometries.index[absent]:
        report.reject(index, "geometry",
                      missing_reasons.get(index, "geometry is missing or empty"))
    present = geometries[~absent]
    types = present.geom_type
    for index, name in types[~types.isin(ALLOWED[kind])].items():
        report.reject(index, "geometry", f"{name} geometry where {layer} need {NOUNS[kind]}")
    if kind == "point":
        multi = present[types == "MultiPoint"]
        counts = shapely.get_num_geometries(multi.values)
        for index, count in zip(multi.index[counts > 1], counts[counts > 1], strict=True):
            report.reject(index, "geometry", f"MultiPoint of {count} points where {layer} "
                                             f"need one point each")


def _span(low: float, high: float) -> str:
    return f"{low:.6g}" if low == high else f"{low:.6g} to {high:.6g}"


def check_lonlat_ranges(geometries: gpd.GeoSeries, report: Reporter) -> None:
    """Reject lon/lat geometries with coordinates beyond +-180 / +-90 (or not finite).

    When exchanging x and y puts a feature in range and near the rest of the file, the reason
    says that latitude and longitude look swapped.
    """
    values = geometries.values
    fine = in_lonlat_range(values)
    if fine.all():
        return
    bulk = bulk_of(values[fine])
    bounds = shapely.bounds(values)
    for position in (~fine).nonzero()[0]:
        west, south, east, north = bounds[position]
        if not np.isfinite(bounds[position]).all():
            report.reject(geometries.index[position], "geometry",
                          "coordinates are not finite numbers")
            continue
        reason = (f"coordinates out of range for longitude/latitude "
                  f"(lon {_span(west, east)}, lat {_span(south, north)})")
        swapped = np.array([swap_lonlat(values[position])], dtype=object)
        if in_lonlat_range(swapped)[0] and (
                bulk is None or bulk.distance_m(swapped)[0] <= bulk.limit_m):
            reason += f": {SWAPPED}"
        elif max(abs(west), abs(east), abs(south), abs(north)) > 1000:
            reason += ": they look like projected coordinates; declare the CRS with --crs"
        report.reject(geometries.index[position], "geometry", reason)


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry | None:
    """The polygonal parts of a geometry as one MultiPolygon (None if it has no area)."""
    parts = shapely.get_parts(shapely.get_parts(geometry))
    polygons = [p for p in parts if p.geom_type == "Polygon" and p.area > 0]
    return shapely.MultiPolygon(polygons) if polygons else None


def repair(geometries: gpd.GeoSeries, layer: str, report: Reporter) -> gpd.GeoSeries:
    """Valid geometries in the layer's canonical form; unrepairable ones are rejected (None).

    Invalid polygons go through ``shapely.make_valid`` keeping their polygonal parts; polygon
    layers get MultiPolygons; single-point MultiPoints become Points; zero-length (invalid)
    lines are rejected.
    """
    out = geometries.copy()
    present = out[~(out.isna() | out.is_empty)]
    types = present.geom_type
    for index in present.index[~shapely.is_valid(present.values)]:
        geometry = present[index]
        why = shapely.is_valid_reason(geometry)
        if types[index] in POLYGONAL:
            fixed = _polygonal(shapely.make_valid(geometry))
            if fixed is None:
                report.reject(index, "geometry",
                              f"invalid polygon ({why}) cannot be repaired into an area")
            else:
                report.repaired(index, "geometry", f"invalid polygon ({why}); "
                                                   f"repaired with make_valid")
            out[index] = fixed
        else:  # a line with fewer than two distinct points; points are always valid
            report.reject(index, "geometry", f"line has zero length ({why})")
            out[index] = None
    kind = GEOMETRY[layer]
    kept = out[~(out.isna() | out.is_empty)]
    if kind == "polygon":
        single = kept[kept.geom_type == "Polygon"]
        out[single.index] = [shapely.MultiPolygon([g]) for g in single.values]
    if kind == "point":
        multi = kept[kept.geom_type == "MultiPoint"]
        out[multi.index] = list(shapely.get_geometry(multi.values, 0))
    return out
