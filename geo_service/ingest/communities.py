"""Communities as data: which community a load or a command is about, a new one created on
first use, its metric CRS chosen from where its data lies, and its outline kept up to date.

A community's outline is the union of its grids; one without grids has the hull of its data
(widened by :data:`HULL_MARGIN_M`). Its metric CRS is the CGCS2000 3-degree Gauss-Kruger zone
(EPSG:4534..4554, by central meridian) for data in China, the WGS-84 UTM zone elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from .extent import REFERENCE_REACH_M, bulk_of

#: Data of a community without grids is wrapped in its hull widened by this much (metres).
HULL_MARGIN_M = 50.0
#: The tables whose features give a community without grids its outline.
FEATURE_TABLES = ("buildings", "streets", "lights", "cameras", "hazards")
NEW_HINT = "to load another place, name a new community: --community NEW"

#: A coarse outline of mainland China (lon, lat), only to choose a metric CRS: a few tens of
#: kilometres off at the border pick a neighbouring zone, which is still metric and near.
_CHINA = shapely.Polygon([
    (73.5, 39.4), (74.9, 37.2), (75.8, 36.0), (78.0, 35.5), (79.5, 32.5), (78.8, 31.0),
    (81.1, 30.0), (85.0, 28.3), (88.0, 27.9), (89.5, 28.1), (92.0, 26.9), (95.0, 29.0),
    (97.5, 28.2), (98.6, 27.2), (97.6, 24.0), (98.9, 23.2), (99.5, 22.1), (101.2, 21.2),
    (102.1, 22.4), (103.9, 22.5), (105.3, 23.3), (106.7, 22.0), (108.0, 21.5), (110.5, 20.3),
    (111.0, 21.4), (113.5, 22.2), (117.0, 23.5), (119.5, 25.5), (120.5, 27.5), (122.0, 29.8),
    (121.9, 31.7), (120.3, 34.4), (119.2, 35.0), (120.7, 36.3), (122.7, 37.4), (121.3, 37.8),
    (118.9, 37.5), (117.8, 38.8), (121.4, 39.0), (121.6, 40.9), (124.3, 39.9), (126.0, 41.0),
    (128.1, 41.6), (129.9, 42.4), (130.6, 42.4), (131.3, 44.9), (133.1, 45.1), (134.8, 48.3),
    (131.0, 47.7), (127.5, 49.8), (125.5, 53.2), (120.9, 53.3), (119.8, 50.1), (117.8, 49.5),
    (119.9, 46.7), (117.4, 46.6), (113.6, 44.8), (111.9, 43.7), (110.4, 42.8), (107.0, 42.4),
    (105.0, 41.6), (100.0, 42.6), (96.4, 42.7), (95.4, 44.3), (93.5, 45.0), (90.9, 45.3),
    (90.0, 47.9), (88.0, 49.1), (87.3, 49.2), (86.0, 48.5), (85.5, 47.1), (83.0, 47.2),
    (82.3, 45.5), (80.2, 44.9), (80.2, 42.0), (76.9, 41.0), (73.5, 39.4)])
_HAINAN = shapely.box(108.5, 18.1, 111.1, 20.2)


class CommunityError(Exception):
    """A community that cannot be chosen, or a file that belongs to none."""


@dataclass(frozen=True)
class CommunityInfo:
    """A stored community: id, name, metric CRS (EPSG code), time zone and outline."""

    id: int
    name: str
    metric_epsg: int
    time_zone: str = "Asia/Shanghai"
    outline: BaseGeometry | None = None
    name_en: str | None = None

    @property
    def metric_crs(self) -> pyproj.CRS:
        """The projected CRS its lengths and areas are computed in."""
        return pyproj.CRS.from_epsg(self.metric_epsg)

    def answers_to(self, name: str) -> bool:
        """True when ``name`` is its name or English name (case-insensitive)."""
        wanted = name.strip().casefold()
        return wanted in {self.name.casefold(), (self.name_en or "").casefold()}


# -- the metric CRS --------------------------------------------------------------------------
def in_china(lon: float, lat: float) -> bool:
    """True for a point on (a coarse outline of) mainland China or Hainan."""
    point = shapely.Point(lon, lat)
    return bool(_CHINA.covers(point) or _HAINAN.covers(point))


def metric_epsg_for(west: float, south: float, east: float, north: float) -> int:
    """EPSG code of the metric CRS for data within these lon/lat bounds: the CGCS2000
    3-degree Gauss-Kruger zone of its centre in China (EPSG:4545 for CM 108E), else its
    WGS-84 UTM zone."""
    if not all(np.isfinite([west, south, east, north])):
        raise CommunityError("no coordinates to choose a metric CRS from")
    lon, lat = (west + east) / 2, (south + north) / 2
    if in_china(lon, lat):
        meridian = min(max(75 + 3 * round((lon - 75) / 3), 75), 135)
        return 4534 + (meridian - 75) // 3
    zone = min(int((lon + 180) // 6) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


# -- reading ---------------------------------------------------------------------------------
def _info(row: Any) -> CommunityInfo:
    outline = shapely.from_wkb(bytes(row.outline)) if row.outline is not None else None
    return CommunityInfo(int(row.id), row.name, int(row.metric_epsg or 4545),
                         row.time_zone, outline, row.name_en)


def read_communities(conn: Connection) -> list[CommunityInfo]:
    """Every stored community, in the order they were made."""
    return [_info(row) for row in conn.execute(text(
        "SELECT id, name, name_en, metric_epsg, time_zone, ST_AsBinary(outline) AS outline "
        "FROM communities ORDER BY id")).all()]


def find_community(conn: Connection, name: str) -> CommunityInfo | None:
    """The community of this name (or English name), if stored."""
    return next((c for c in read_communities(conn) if c.answers_to(name)), None)


def choose_community(conn: Connection, name: str | int | None, setting: str | None = None
                     ) -> CommunityInfo:
    """The community a command or request is about: ``name`` (a name, English name or id),
    else the only one, else the one the setting (``GEO_SERVICE_COMMUNITY``) names. Raises
    :class:`CommunityError` saying which exist."""
    communities = read_communities(conn)
    known = ", ".join(c.name for c in communities) or "none yet"
    if name is not None and str(name).strip():
        name = str(name).strip()
        found = next((c for c in communities if c.answers_to(name)), None) or next(
            (c for c in communities if name.isdigit() and c.id == int(name)), None)
        if found is None:
            raise CommunityError(f"no community named {name!r} (stored: {known}); "
                                 f"load data with --community {name} to make it")
        return found
    if len(communities) == 1:
        return communities[0]
    found = next((c for c in communities if setting and c.answers_to(setting)), None)
    if found is None:
        if not communities:
            raise CommunityError("no community is loaded yet: load the sample "
                                 "(geo-service load sample) or a file with --community NAME")
        raise CommunityError(f"several communities are stored ({known}); "
                             "name one with --community NAME")
    return found


# -- which community a file goes to ----------------------------------------------------------
def outline_union(communities: Iterable[CommunityInfo]) -> BaseGeometry | None:
    """All outlines as one geometry (None when no community has one)."""
    outlines = [c.outline for c in communities if c.outline is not None]
    return shapely.union_all(outlines) if outlines else None


def gap_m(geometries: np.ndarray, outline: BaseGeometry) -> float:
    """Metres between the extent of lon/lat ``geometries`` and an outline (0 when they meet)."""
    bulk = bulk_of(geometries)
    if bulk is None:
        return 0.0
    extent = shapely.box(*shapely.total_bounds(np.asarray(geometries, dtype=object)))
    return float(bulk.project(extent).distance(bulk.project(outline)))


def community_for_file(conn: Connection, geometries: np.ndarray, name: str | None,
                       setting: str, file: str) -> CommunityInfo:
    """The community a file's features go to, created when new (named ``name``, else
    ``setting`` when none exists yet).

    A file whose extent lies more than :data:`REFERENCE_REACH_M` from its community (or, when
    none is named, from every community) is refused with the distance and the fix.
    """
    communities = read_communities(conn)
    if name:
        found = next((c for c in communities if c.answers_to(name)), None)
        if found is None:
            return create_community(conn, name, geometries)
        _refuse_if_far(found, geometries, file, f"community {found.name}")
        return found
    if not communities:
        return create_community(conn, setting, geometries)
    placed = [c for c in communities if c.outline is not None]
    if not placed:
        return communities[0]
    nearest = min(placed, key=lambda c: gap_m(geometries, c.outline))
    _refuse_if_far(nearest, geometries, file,
                   f"the nearest community ({nearest.name})" if len(placed) > 1
                   else f"community {nearest.name}")
    return nearest


def _refuse_if_far(community: CommunityInfo, geometries: np.ndarray, file: str,
                   where: str) -> None:
    from .problems import IngestError, Problem

    if community.outline is None:
        return
    gap = gap_m(geometries, community.outline)
    if gap > REFERENCE_REACH_M:
        reason = (f"the file lies {gap / 1000:.1f} km from {where} (more than "
                  f"{REFERENCE_REACH_M / 1000:.0f} km): nothing was stored; {NEW_HINT}")
        raise IngestError(f"{file}: {reason}", [Problem(file, "", "geometry", reason,
                                                        "rejected")])


# -- writing ---------------------------------------------------------------------------------
def create_community(conn: Connection, name: str, geometries: np.ndarray, *,
                     name_en: str | None = None, time_zone: str = "Asia/Shanghai",
                     metric_epsg: int | None = None, subdistrict: str | None = None
                     ) -> CommunityInfo:
    """Store a new community; its metric CRS from the data's extent unless given, its outline
    the hull of the data."""
    geometries = np.asarray(geometries, dtype=object)
    if metric_epsg is None:
        metric_epsg = metric_epsg_for(*shapely.total_bounds(geometries)) if len(geometries) \
            else 4326
    subdistrict_id = None
    if subdistrict:
        subdistrict_id = conn.execute(text(
            "INSERT INTO subdistricts (name) VALUES (:n) ON CONFLICT (name) "
            "DO UPDATE SET name = excluded.name RETURNING id"), {"n": subdistrict}).scalar()
    outline = hull_outline(geometries, metric_epsg) if len(geometries) else None
    new_id = conn.execute(text(
        "INSERT INTO communities (name, name_en, time_zone, metric_epsg, subdistrict_id, "
        "outline) VALUES (:name, :name_en, :tz, :epsg, :sub, ST_GeomFromText(:outline, 4326)) "
        "RETURNING id"),
        {"name": name, "name_en": name_en, "tz": time_zone, "epsg": metric_epsg,
         "sub": subdistrict_id,
         "outline": None if outline is None else shapely.to_wkt(
             outline, rounding_precision=-1)}).scalar()
    return CommunityInfo(int(new_id), name, metric_epsg, time_zone, outline, name_en)


def hull_outline(geometries: np.ndarray, metric_epsg: int) -> BaseGeometry | None:
    """The convex hull of lon/lat geometries widened by :data:`HULL_MARGIN_M`, as a lon/lat
    MultiPolygon."""
    geometries = np.asarray(geometries, dtype=object)
    geometries = geometries[~(shapely.is_missing(geometries) | shapely.is_empty(geometries))]
    if len(geometries) == 0:
        return None
    forward = pyproj.Transformer.from_crs(4326, metric_epsg, always_xy=True)
    back = pyproj.Transformer.from_crs(metric_epsg, 4326, always_xy=True)
    hull = shapely.convex_hull(shapely.GeometryCollection(list(geometries)))
    metric = shapely.transform(hull, lambda xy: np.column_stack(forward.transform(*xy.T)))
    widened = shapely.buffer(metric, HULL_MARGIN_M, quad_segs=4)
    lonlat = shapely.transform(widened, lambda xy: np.column_stack(back.transform(*xy.T)))
    return shapely.MultiPolygon([lonlat]) if lonlat.geom_type == "Polygon" else lonlat


def refresh_outline(conn: Connection, community_id: int) -> None:
    """The outline: the union of the community's grids, else the hull of its features."""
    has_grids = conn.execute(text("SELECT count(*) FROM grids WHERE community_id = :c"),
                             {"c": community_id}).scalar()
    if has_grids:
        conn.execute(text(
            "UPDATE communities SET outline = (SELECT ST_Multi(ST_CollectionExtract("
            "ST_MakeValid(ST_Union(geom)), 3)) FROM grids WHERE community_id = :c) "
            "WHERE id = :c"), {"c": community_id})
        return
    epsg = conn.execute(text("SELECT metric_epsg FROM communities WHERE id = :c"),
                        {"c": community_id}).scalar()
    union = " UNION ALL ".join(
        f"SELECT ST_ConvexHull(ST_Collect(geom)) AS g FROM {t} WHERE community_id = :c"
        for t in FEATURE_TABLES)
    wkb = conn.execute(text(f"SELECT ST_AsBinary(ST_ConvexHull(ST_Collect(g))) FROM ({union}) x"),
                       {"c": community_id}).scalar()
    if wkb is None:
        return
    outline = hull_outline(np.array([shapely.from_wkb(bytes(wkb))], dtype=object), int(epsg))
    if outline is not None:
        conn.execute(text("UPDATE communities SET outline = ST_GeomFromText(:o, 4326) "
                          "WHERE id = :c"),
                     {"o": shapely.to_wkt(outline, rounding_precision=-1), "c": community_id})
