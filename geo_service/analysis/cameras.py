"""Camera coverage: field-of-view sectors cut by buildings, seen and unseen street metres.

Model
-----
A camera at a point looks along ``heading_deg`` (0 = north, clockwise, grid north of the metric
CRS) with a horizontal field of view ``fov_deg``. No heading means a dome: 360 degrees, flagged.
Its range depends on the DORI level asked for (IEC 62676-4 pixel densities: detect 25,
observe 62, recognise 125, identify 250 px/m): ``range(level) = identify_m * 250 / px(level)``.

Lens figures (4 MP camera, data-sources.md): 2.8 mm sees 88 degrees and identifies to 5 m, 4 mm
68 degrees / 7.6 m, 8 mm 37 degrees / 15 m. Other focal lengths are interpolated in that table
and extrapolated outside it with the pinhole relations (``tan(fov/2)`` and identify distance
proportional to ``1/f`` and ``f``), which the three rows follow to within 2 %.

Precedence per camera: ``fov_deg`` if given, else from ``lens_mm``, else from the default lens;
identify distance from ``range_m`` if given (read as the range at ``params.range_level``), else
from the lens. Broken cameras see nothing; planned ones only with ``include_planned``.

Buildings hide what lies behind them: rays are cast every ``ray_step_deg`` across the field of
view and stopped at the first footprint they meet; the visibility polygon joins the ray ends
(chords between rays, so a corner between two rays may be cut by up to the ray spacing).
Seen street length is the exact length of street inside the union of visibility polygons.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis._segments import (
    CRSLike,
    geometries,
    grid_totals,
    in_service,
    line_pieces,
    metric_crs,
    numbers,
    obstacles,
    street_attributes,
    to_metric,
    unit_vectors,
)

#: IEC 62676-4 pixel densities per DORI level, px/m.
DORI_PX_PER_M: dict[str, float] = {
    "detect": 25.0,
    "observe": 62.0,
    "recognise": 125.0,
    "identify": 250.0,
}

#: (lens mm, horizontal fov degrees, identify distance m) for a 4 MP camera, data-sources.md.
LENS_TABLE: tuple[tuple[float, float, float], ...] = (
    (2.8, 88.0, 5.0),
    (4.0, 68.0, 7.6),
    (8.0, 37.0, 15.0),
)

@dataclass(frozen=True)
class CameraParams:
    """Settings of the camera model.

    Attributes
    ----------
    level:
        DORI level the coverage is computed for.
    range_level:
        DORI level a stored ``range_m`` refers to; "observe", as in the sample's cameras
        (``scripts/make_sample.py``: 4 mm -> 30 m = 7.6 m identify * 250 / 62).
    default_lens_mm:
        Lens assumed when a camera has neither ``fov_deg``/``range_m`` nor ``lens_mm``.
    ray_step_deg:
        Angle between cast rays.
    clearance_m:
        Length of ray next to the camera that buildings do not stop (a camera on a wall).
    include_planned:
        Let planned cameras see too ("after" scenarios).
    """

    level: str = "recognise"
    range_level: str = "observe"
    default_lens_mm: float = 4.0
    ray_step_deg: float = 1.0
    clearance_m: float = 0.3
    include_planned: bool = False


@dataclass(frozen=True)
class CameraCoverage:
    """Result of :func:`camera_coverage`; every frame is in the metric CRS ``crs``.

    Attributes
    ----------
    views:
        One row per mapped camera: ``id``, ``status``, ``dome``, ``heading_deg``, ``fov_deg``,
        ``identify_m``, ``range_m`` (at ``level``), ``sees``; visibility polygon (empty when the
        camera does not see).
    cameras:
        The same rows with the camera positions as points.
    segments:
        One row per street: ``id``, ``street_class``, ``lit``, ``grid_id``, ``length_m``,
        ``seen_m``, ``unseen_m``, ``share_seen``; street geometry.
    unseen:
        Unseen pieces of street: ``segment``, street attributes, ``start_m``, ``end_m``,
        ``length_m``, line geometry.
    grids:
        Per grid: ``length_m``, ``seen_m``, ``unseen_m``, ``share_seen``.
    """

    views: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    unseen: gpd.GeoDataFrame
    grids: pd.DataFrame
    level: str
    crs: CRSLike
    params: CameraParams


def lens_figures(lens_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal field of view (degrees) and identify distance (m) for focal lengths (mm)."""
    f = np.asarray(lens_mm, dtype=float)
    table = np.array(LENS_TABLE)
    lens, fov, identify = table[:, 0], table[:, 1], table[:, 2]
    edge = np.clip(f, lens[0], lens[-1])
    edge_fov = np.interp(edge, lens, fov)
    scale = edge / f
    fov_out = np.degrees(2 * np.arctan(np.tan(np.radians(edge_fov) / 2) * scale))
    return fov_out, np.interp(edge, lens, identify) / scale


def dori_range(identify_m: np.ndarray, level: str) -> np.ndarray:
    """Range (m) at a DORI level from the identify distance: identify * 250 / px(level)."""
    return np.asarray(identify_m, dtype=float) * DORI_PX_PER_M["identify"] / _px(level)


def _px(level: str) -> float:
    """Pixel density of a DORI level, with a clear error for a misspelt one."""
    try:
        return DORI_PX_PER_M[level]
    except KeyError:
        known = ", ".join(DORI_PX_PER_M)
        raise ValueError(f"unknown DORI level {level!r}; use one of {known}") from None


def resolve_cameras(cameras: gpd.GeoDataFrame | None, crs: CRSLike,
                    params: CameraParams = CameraParams()) -> gpd.GeoDataFrame:
    """Cameras in ``crs`` with ``dome``, ``fov_deg``, ``identify_m``, ``range_m`` and ``sees``."""
    frame = to_metric(cameras, crs).reset_index(drop=True)
    heading, fov, stated, lens = (numbers(frame, c) for c in
                                  ("heading_deg", "fov_deg", "range_m", "lens_mm"))
    lens_fov, lens_identify = lens_figures(np.where(np.isnan(lens), params.default_lens_mm, lens))
    dome = np.isnan(heading)
    identify = np.where(np.isnan(stated), lens_identify,
                        stated * _px(params.range_level) / DORI_PX_PER_M["identify"])
    frame["dome"] = dome
    frame["heading_deg"] = heading
    frame["fov_deg"] = np.where(dome, 360.0, np.minimum(np.where(np.isnan(fov), lens_fov, fov),
                                                        360.0))
    frame["identify_m"] = identify
    frame["range_m"] = dori_range(identify, params.level)
    frame["sees"] = in_service(frame, params.include_planned)
    return frame


def visibility_polygons(xy: np.ndarray, heading_deg: np.ndarray, fov_deg: np.ndarray,
                        range_m: np.ndarray, walls: np.ndarray, *, ray_step_deg: float = 1.0,
                        clearance_m: float = 0.3) -> np.ndarray:
    """Sector of each camera minus what the footprints ``walls`` hide, by ray casting.

    Rays run from ``clearance_m`` out to the range and stop at the first footprint they meet.
    A full circle (fov 360) gives a polygon of ray ends around the camera; a sector adds the
    camera as apex.
    """
    full = fov_deg >= 360.0
    count = np.where(full, np.ceil(360.0 / ray_step_deg),
                     np.ceil(fov_deg / ray_step_deg) + 1).astype(np.int64)
    camera = np.repeat(np.arange(len(xy)), count)
    rank = np.arange(len(camera)) - np.repeat(np.cumsum(count) - count, count)
    span = np.where(full, 360.0 * (1 - 1 / count), fov_deg)
    angle = (heading_deg - span / 2)[camera] + rank * (span / np.maximum(count - 1, 1))[camera]
    direction = unit_vectors(angle)
    reach = _ray_reach(xy[camera], direction, range_m[camera], walls, clearance_m)
    ends = xy[camera] + direction * reach[:, None]
    return _fans(xy, ends, camera, full)


def _ray_reach(origin: np.ndarray, direction: np.ndarray, range_m: np.ndarray,
               walls: np.ndarray, clearance_m: float) -> np.ndarray:
    """Distance each ray travels before the first footprint (or its full range)."""
    reach = range_m.astype(float).copy()
    if len(walls) == 0 or len(origin) == 0:
        return reach
    start = origin + direction * np.minimum(clearance_m, range_m)[:, None]
    rays = shapely.linestrings(np.stack([start, origin + direction * range_m[:, None]], axis=1))
    ray, wall = shapely.STRtree(walls).query(rays, predicate="intersects")
    hits = shapely.intersection(rays[ray], walls[wall])
    distance = shapely.distance(shapely.points(origin[ray]), hits)
    np.minimum.at(reach, ray, np.nan_to_num(distance, nan=np.inf))
    return reach


def _fans(xy: np.ndarray, ends: np.ndarray, camera: np.ndarray, full: np.ndarray) -> np.ndarray:
    """Polygons from the ray ends of each camera (sorted by camera), apex added for sectors."""
    count = np.bincount(camera, minlength=len(xy))
    first_ray = np.cumsum(count) - count
    apex = (~full).astype(np.int64)
    size = count + apex + 1
    offset = np.cumsum(size) - size
    rank = np.arange(len(camera)) - first_ray[camera]
    coords = np.empty((size.sum(), 2))
    coords[offset[camera] + apex[camera] + rank] = ends
    start = np.where(full[:, None], ends[first_ray], xy)
    coords[offset] = start
    coords[offset + size - 1] = start
    rings = shapely.linearrings(coords, indices=np.repeat(np.arange(len(xy)), size))
    polygons = shapely.polygons(rings)
    invalid = ~shapely.is_valid(polygons)
    polygons[invalid] = shapely.make_valid(polygons[invalid], method="structure",
                                           keep_collapsed=False)
    return polygons


def camera_coverage(streets: gpd.GeoDataFrame, cameras: gpd.GeoDataFrame | None,
                    buildings: gpd.GeoDataFrame | None = None, *,
                    crs: CRSLike | None = "EPSG:4545",
                    params: CameraParams = CameraParams()) -> CameraCoverage:
    """Seen and unseen metres per street and grid at ``params.level``, with visibility polygons.

    Parameters
    ----------
    streets:
        Street lines with ``street_class``, ``grid_id`` and ``id`` (any CRS).
    cameras:
        Camera points with ``heading_deg``, ``fov_deg``, ``range_m``, ``lens_mm``, ``status``.
    buildings:
        Footprints that hide what lies behind them.
    crs:
        Metric CRS to work in; ``None`` derives the UTM zone of the streets.
    params:
        Model settings.
    """
    _px(params.level)
    crs = metric_crs(streets, crs)
    streets_m = to_metric(streets, crs).reset_index(drop=True)
    views = resolve_cameras(cameras, crs, params)
    polygons = np.full(len(views), shapely.Polygon(), dtype=object)
    sees = np.flatnonzero(views["sees"].to_numpy() & (views["range_m"].to_numpy() > 0))
    if len(sees):
        polygons[sees] = visibility_polygons(
            shapely.get_coordinates(geometries(views)[sees]),
            np.nan_to_num(views["heading_deg"].to_numpy()[sees]), views["fov_deg"].to_numpy()[sees],
            views["range_m"].to_numpy()[sees], obstacles(buildings, crs)[0],
            ray_step_deg=params.ray_step_deg, clearance_m=params.clearance_m)
    positions = views
    views = gpd.GeoDataFrame(views.drop(columns=views.geometry.name),
                             geometry=gpd.GeoSeries(polygons, crs=crs))
    segments, unseen = _seen(streets_m, polygons[sees], crs)
    return CameraCoverage(
        views=views,
        cameras=positions,
        segments=segments,
        unseen=unseen,
        grids=grid_totals(segments, "seen_m", "unseen_m", "share_seen"),
        level=params.level,
        crs=crs,
        params=params,
    )


def _cover_per_line(lines: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """For each line, the union of the polygons touching it (empty polygon for none)."""
    cover = np.full(len(lines), shapely.Polygon(), dtype=object)
    if len(polygons) == 0 or len(lines) == 0:
        return cover
    line, poly = shapely.STRtree(polygons).query(lines, predicate="intersects")
    order = np.argsort(line, kind="stable")
    line, poly = line[order], poly[order]
    unique, first, counts = np.unique(line, return_index=True, return_counts=True)
    single = counts == 1
    cover[unique[single]] = polygons[poly[first[single]]]
    for i, lo, n in zip(unique[~single], first[~single], counts[~single], strict=True):
        cover[i] = shapely.union_all(polygons[poly[lo:lo + n]])
    return cover


def _seen(streets_m: gpd.GeoDataFrame, polygons: np.ndarray,
          crs: CRSLike) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Per-street seen metres and the unseen pieces of street."""
    lines = geometries(streets_m)
    cover = _cover_per_line(lines, polygons)
    left = shapely.difference(lines, cover)
    table = street_attributes(streets_m)
    table["length_m"] = shapely.length(lines)
    table["unseen_m"] = shapely.length(left)
    table["seen_m"] = table["length_m"] - table["unseen_m"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share_seen"] = table["seen_m"] / table["length_m"]
    segments = gpd.GeoDataFrame(table, geometry=streets_m.geometry.to_numpy(), crs=crs)
    return segments, line_pieces(lines, left, street_attributes(streets_m), crs)


# -- the map's view sectors -----------------------------------------------------------------------
SECTOR_STEP_DEG = 5.0
SECTOR_PRECISION = 7  # decimals of the ring's coordinates (about 1 cm)


def camera_sector(lon: float, lat: float, heading: float | None, fov: float | None,
                  range_m: float | None, lens_mm: float | None) -> dict[str, object]:
    """GeoJSON polygon of what a camera looks at: a sector, or a circle for a dome.

    Missing field of view and range come from the lens (4 mm when unknown), as in
    :func:`camera_coverage`; the range is the stored one (the "observe" level).
    """
    from pyproj import Geod

    lens = lens_mm if lens_mm and lens_mm > 0 else CameraParams().default_lens_mm
    lens_fov, identify = lens_figures(np.array([lens]))
    reach = range_m if range_m and range_m > 0 else float(
        dori_range(identify, CameraParams().range_level)[0])
    dome = heading is None
    span = 360.0 if dome else min(fov if fov and fov > 0 else float(lens_fov[0]), 360.0)
    start = 0.0 if dome else heading - span / 2
    steps = max(int(np.ceil(span / SECTOR_STEP_DEG)), 2)
    angles = start + np.arange(steps + 1) * (span / steps)
    lons, lats, _ = Geod(ellps="WGS84").fwd(np.full(len(angles), lon), np.full(len(angles), lat),
                                            angles, np.full(len(angles), reach))
    ring = [[round(x, SECTOR_PRECISION), round(y, SECTOR_PRECISION)]
            for x, y in zip(lons, lats, strict=True)]
    if span < 360.0:
        ring = [[lon, lat], *ring, [lon, lat]]
    else:
        ring[-1] = ring[0]
    return {"type": "Polygon", "coordinates": [ring]}
