"""``/api/collections``: every map layer as OGC API - Features style GeoJSON, by bounding box.

Collections are grids, buildings, streets, lights, cameras, hazards (PostGIS tables, queried
through their GiST index with ``geom && ST_MakeEnvelope(...)``), gaps (lighting and camera
coverage gaps computed on request for the grids in the box, cached per data version) and routes
(the newest stored patrol plan's routes and numbered stops, ``computed: true`` once a plan
exists; before that an empty collection saying so).

Only public fields leave the service: never a building leader's name or phone, a reporter's
name or contact, a hazard's assignee or idempotency key, or a grid worker's name; buildings say
``has_leader`` instead.

Endpoints
---------
``GET /api/collections``
    The collections with their extents.
``GET /api/collections/{id}``
    One collection.
``GET /api/collections/{id}/items?bbox=minx,miny,maxx,maxy&limit=&offset=``
    A GeoJSON FeatureCollection with ``numberMatched``, ``numberReturned``, ``timeStamp`` and
    ``links`` (self, collection, next, prev). ``bbox`` is in EPSG:4326 (longitude, latitude);
    ``limit`` defaults to 100 and is clamped to the page size cap (``Settings.page_size_cap``,
    at most 10,000); errors answer 400 with a JSON body.
``GET /api/collections/{id}/items/{fid}``
    One feature.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from pyproj import Geod
from sqlalchemy import Connection, text

from geo_service.errors import ServiceError
from geo_service.layers import FieldInfo
from geo_service.vocab import (
    AssetStatus,
    BuildingKind,
    HazardCategory,
    HazardStatus,
    Level,
    LightMount,
    Lit,
    Severity,
    StreetClass,
)
from geo_service.web.db import engine
from geo_service.web.i18n import register_messages, translate

blueprint = Blueprint("collections", __name__)

API = "/api/collections"
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
INT_MAX = 2**31 - 1  # largest limit/offset accepted
PRECISION = 7  # decimals of GeoJSON coordinates (about 1 cm)
CLOSED_STATUSES = (HazardStatus.CLOSED.value,)
DONE_STATUSES = (HazardStatus.RESOLVED.value, HazardStatus.REVISITED.value,
                 HazardStatus.CLOSED.value)
GEOJSON = "application/geo+json"

register_messages({
    "coll_grids": ("管理网格，含未办结隐患数。", "Management grids, with their open hazards."),
    "coll_buildings": ("建筑轮廓；has_leader 表示是否有楼栋长（不公开姓名电话）。",
                       "Building footprints; has_leader says whether the building has a "
                       "building leader (names and phones are not published)."),
    "coll_streets": ("街巷路网，含道路等级与照明情况。",
                     "The street and alley network, with class and lighting."),
    "coll_lights": ("路灯与壁灯。", "Streetlights and wall lamps."),
    "coll_cameras": ("监控摄像头；sector 为其视野扇区。",
                     "Cameras; sector is the area each one looks at."),
    "coll_hazards": ("上报的隐患（不含上报人信息）。", "Reported hazards (without the reporter)."),
    "coll_routes": ("最新巡逻规划的路线（按巡逻组）及其编号停靠点。",
                    "Patrol routes of the newest stored plan (one line per team) and their "
                    "numbered stops."),
    "coll_routes_empty": ("巡逻路线：尚未计算，暂为空。",
                          "Patrol routes: not computed yet, so this collection is empty."),
    "coll_gaps": ("照明与监控覆盖盲区，按请求的网格即时计算。",
                  "Lighting and camera coverage gaps, computed on request for the grids "
                  "in view."),
})


class ApiError(ServiceError):
    """An error answered as OGC API JSON (``{"code": ..., "description": ...}``, rendered by
    geo_service.web.errors)."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__("collections_error", http_status=status, code=code,
                         messages={"zh": description, "en": description})
        self.status, self.description, self.ogc_code = status, description, code


@dataclass(frozen=True)
class Field:
    """A public property: its SQL expression over ``t`` (the table) and ``g`` (its grid).

    ``kind`` is string, integer, number, boolean, date, datetime, point (``[lon, lat]``) or
    geometry (a GeoJSON object); ``vocab`` lists the allowed values.
    """

    sql: str
    kind: str = "string"
    vocab: type[StrEnum] | None = None


def _col(name: str, kind: str = "string", vocab: type[StrEnum] | None = None) -> Field:
    return Field(f"t.{name}", kind, vocab)


GRID = Field("g.number", "integer")
OPEN = f"status NOT IN ({', '.join(repr(s) for s in CLOSED_STATUSES)})"


@dataclass(frozen=True)
class Collection:
    """One collection: a table (``table``, with extra ``joins``) or a computed ``provider``."""

    id: str
    title_key: str
    description_key: str
    fields: dict[str, Field]
    table: str | None = None
    grid_join: bool = True
    joins: str = ""
    provider: Callable[[Connection, tuple[float, ...] | None], gpd.GeoDataFrame] | None = None
    after: Callable[[list[dict[str, Any]]], None] | None = None
    temporal: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    status: Callable[[Connection], dict[str, Any]] | None = None

    def extras(self, conn: Connection) -> dict[str, Any]:
        """Extra members of the description: the fixed ones, then the current ``status``."""
        return {**self.extra, **(self.status(conn) if self.status else {})}


# -- camera sectors -----------------------------------------------------------------------------
GEOD = Geod(ellps="WGS84")
SECTOR_STEP_DEG = 5.0


def camera_sector(lon: float, lat: float, heading: float | None, fov: float | None,
                  range_m: float | None, lens_mm: float | None) -> dict[str, Any] | None:
    """GeoJSON polygon of what a camera looks at: a sector, or a circle for a dome.

    Missing field of view and range come from the lens (4 mm when unknown), as in
    :mod:`geo_service.analysis.cameras`; the range is the stored one (the "observe" level).
    """
    from geo_service.analysis.cameras import CameraParams, dori_range, lens_figures

    lens = lens_mm if lens_mm and lens_mm > 0 else CameraParams().default_lens_mm
    lens_fov, identify = lens_figures(np.array([lens]))
    reach = range_m if range_m and range_m > 0 else float(
        dori_range(identify, CameraParams().range_level)[0])
    dome = heading is None
    span = 360.0 if dome else min(fov if fov and fov > 0 else float(lens_fov[0]), 360.0)
    start = 0.0 if dome else heading - span / 2
    steps = max(int(math.ceil(span / SECTOR_STEP_DEG)), 2)
    angles = start + np.arange(steps + 1) * (span / steps)
    lons, lats, _ = GEOD.fwd(np.full(len(angles), lon), np.full(len(angles), lat), angles,
                             np.full(len(angles), reach))
    ring = [[round(x, PRECISION), round(y, PRECISION)] for x, y in zip(lons, lats, strict=True)]
    if span < 360.0:
        ring = [[lon, lat], *ring, [lon, lat]]
    else:
        ring[-1] = ring[0]
    return {"type": "Polygon", "coordinates": [ring]}


def _add_sectors(features: list[dict[str, Any]]) -> None:
    for feature in features:
        props, geometry = feature["properties"], feature["geometry"]
        if not geometry or geometry.get("type") != "Point":
            props["sector"] = None
            continue
        lon, lat = geometry["coordinates"][:2]
        props["sector"] = camera_sector(lon, lat, props.get("heading_deg"),
                                        props.get("fov_deg"), props.get("range_m"),
                                        props.get("lens_mm"))


# -- coverage gaps ------------------------------------------------------------------------------
GAP_MARGIN_M = 200.0  # lamps light up to 150 m; cameras count as evidence within 100 m
GAP_LAYERS = ("lighting", "cameras")
GAP_KINDS = ("dark", "unseen", "unknown")
GAP_COLUMNS = ["id", "layer", "kind", "street_id", "street_class", "grid", "lit", "length_m",
               "open_hazards", "disputes", "priority", "weighted_m", "grid_id", "geometry"]

DATA_VERSION = text("""
    SELECT concat_ws(';',
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM grids),
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM streets),
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM lights),
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM cameras),
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM buildings),
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM hazards))
""")


class GapCache:
    """Gaps per grid for the current data version; computed for missing grids on request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: str | None = None
        self.by_grid: dict[int, gpd.GeoDataFrame] = {}

    def gaps(self, conn: Connection, grid_ids: list[int], metric_crs: str) -> gpd.GeoDataFrame:
        """Gaps of the streets in these grids (one frame, EPSG:4326)."""
        version = conn.execute(DATA_VERSION).scalar_one()
        with self.lock:
            if version != self.version:
                self.version, self.by_grid = version, {}
            missing = [g for g in grid_ids if g not in self.by_grid]
            if missing:
                computed = compute_gaps(conn, missing, metric_crs)
                for grid_id in missing:
                    self.by_grid[grid_id] = computed[computed["grid_id"].to_numpy() == grid_id]
            parts = [self.by_grid[g] for g in grid_ids]
        if not parts:
            return _empty_gaps()
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")


def _empty_gaps() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in GAP_COLUMNS if c != "geometry"},
                            geometry=gpd.GeoSeries([], crs="EPSG:4326"))


def compute_gaps(conn: Connection, grid_ids: list[int], metric_crs: str) -> gpd.GeoDataFrame:
    """Lighting and camera gaps of the streets in ``grid_ids``, with nearby lamps and cameras."""
    from geo_service.analysis.cameras import camera_coverage
    from geo_service.analysis.gaps import camera_gaps, lighting_gaps
    from geo_service.analysis.lighting import light_coverage

    params = {"ids": grid_ids}
    streets = gpd.read_postgis(
        text("SELECT id, street_class, lit, grid_id, geom FROM streets "
             "WHERE grid_id = ANY(:ids) ORDER BY id"), conn, geom_col="geom", params=params)
    if streets.empty:
        return _empty_gaps()
    box = conn.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                            "(SELECT ST_Extent(geom) AS e FROM grids WHERE id = ANY(:ids)) x"),
                       params).one()
    dlat = GAP_MARGIN_M / 111_320.0
    dlon = dlat / max(math.cos(math.radians((box[1] + box[3]) / 2)), 0.01)
    near = {"x0": box[0] - dlon, "y0": box[1] - dlat, "x1": box[2] + dlon, "y1": box[3] + dlat}
    where = "WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) ORDER BY id"

    def read(columns: str, table: str) -> gpd.GeoDataFrame:
        return gpd.read_postgis(text(f"SELECT id, {columns}, geom FROM {table} {where}"), conn,
                                geom_col="geom", params=near)

    lights = read("height_m, intensity_cd, status, mount", "lights")
    cameras = read("heading_deg, fov_deg, range_m, lens_mm, status", "cameras")
    buildings = read("source_id", "buildings")
    hazards = read("category, status", "hazards")
    frames = [
        lighting_gaps(light_coverage(streets, lights, buildings, crs=metric_crs), hazards),
        camera_gaps(camera_coverage(streets, cameras, buildings, crs=metric_crs), hazards),
    ]
    gaps = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    numbers = dict(conn.execute(text("SELECT id, number FROM grids WHERE id = ANY(:ids)"),
                                params).all())
    gaps["grid_id"] = gaps["grid_id"].astype("int64")
    gaps["grid"] = gaps["grid_id"].map(numbers)
    gaps["id"] = [f"{layer}-{street}-{start:.1f}" for layer, street, start in
                  zip(gaps["layer"], gaps["street_id"], gaps["start_m"], strict=True)]
    for column in ("length_m", "priority", "weighted_m"):
        gaps[column] = gaps[column].round(2)
    return gaps[GAP_COLUMNS]


def gap_provider(conn: Connection, bbox: tuple[float, ...] | None) -> gpd.GeoDataFrame:
    """Gaps crossing ``bbox`` (all grids without one), most important first."""
    if bbox is None:
        ids = list(conn.execute(text("SELECT id FROM grids ORDER BY id")).scalars())
    else:
        ids = list(conn.execute(text(
            "SELECT id FROM grids WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) "
            "AND ST_Intersects(geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)) ORDER BY id"),
            dict(zip(("x0", "y0", "x1", "y1"), bbox, strict=True))).scalars())
    cache: GapCache = current_app.extensions["gap_cache"]
    gaps = cache.gaps(conn, ids, current_app.config["SETTINGS"].metric_crs)
    if bbox is not None and len(gaps):
        gaps = gaps[gaps.intersects(shapely.box(*bbox))]
    return gaps.sort_values(["weighted_m", "id"], ascending=[False, True]).reset_index(drop=True)


def routes_provider(conn: Connection, bbox: tuple[float, ...] | None) -> gpd.GeoDataFrame:
    """The newest stored plan's routes (lines, ``kind`` route) and stops (``kind`` stop)."""
    from geo_service.routes.store import routes_layer

    return routes_layer(conn, bbox)


def routes_status(conn: Connection) -> dict[str, Any]:
    """``computed`` (a plan is stored) and the newest ``plan`` id."""
    from geo_service.routes.store import latest_plan_id

    plan = latest_plan_id(conn)
    out: dict[str, Any] = {"computed": plan is not None, "plan": plan}
    if plan is None:
        out["note_key"] = "coll_routes_empty"
    return out


# -- the collections ----------------------------------------------------------------------------
COLLECTIONS: dict[str, Collection] = {c.id: c for c in (
    Collection("grids", "grids", "coll_grids", table="grids", grid_join=False, joins=(
        f" LEFT JOIN (SELECT grid_id, count(*) AS open FROM hazards WHERE {OPEN} "
        "GROUP BY grid_id) hz ON hz.grid_id = t.id"
        " LEFT JOIN (SELECT grid_id, count(*) AS total, count(*) FILTER "
        "(WHERE nullif(btrim(leader_name), '') IS NULL) AS no_leader FROM buildings "
        "GROUP BY grid_id) bd ON bd.grid_id = t.id"), fields={
        "number": _col("number", "integer"),
        "code": _col("code"),
        "name": _col("name"),
        "zone": _col("zone"),
        "party_group": _col("party_group"),
        "open_hazards": Field("coalesce(hz.open, 0)", "integer"),
        "buildings": Field("coalesce(bd.total, 0)", "integer"),
        "buildings_without_leader": Field("coalesce(bd.no_leader, 0)", "integer"),
        "label_point": Field(f"ST_AsGeoJSON(ST_PointOnSurface(t.geom), {PRECISION})", "point"),
    }),
    Collection("buildings", "buildings", "coll_buildings", table="buildings", fields={
        "source_id": _col("source_id"),
        "name": _col("name"),
        "address": _col("address"),
        "floors": _col("floors", "integer"),
        "households": _col("households", "integer"),
        "kind": _col("kind", vocab=BuildingKind),
        "compound": _col("compound"),
        "has_leader": Field("nullif(btrim(t.leader_name), '') IS NOT NULL", "boolean"),
        "grid": GRID,
    }),
    Collection("streets", "streets", "coll_streets", table="streets", fields={
        "source_id": _col("source_id"),
        "name": _col("name"),
        "street_class": _col("street_class", vocab=StreetClass),
        "lit": _col("lit", vocab=Lit),
        "width_m": _col("width_m", "number"),
        "length_m": Field("round(t.length_m::numeric, 1)", "number"),
        "grid": GRID,
    }),
    Collection("lights", "lights", "coll_lights", table="lights", fields={
        "source_id": _col("source_id"),
        "status": _col("status", vocab=AssetStatus),
        "mount": _col("mount", vocab=LightMount),
        "height_m": _col("height_m", "number"),
        "intensity_cd": _col("intensity_cd", "number"),
        "power_w": _col("power_w", "number"),
        "installed_on": _col("installed_on", "date"),
        "grid": GRID,
    }),
    Collection("cameras", "cameras", "coll_cameras", table="cameras", after=_add_sectors,
               fields={
                   "source_id": _col("source_id"),
                   "status": _col("status", vocab=AssetStatus),
                   "heading_deg": _col("heading_deg", "number"),
                   "fov_deg": _col("fov_deg", "number"),
                   "range_m": _col("range_m", "number"),
                   "lens_mm": _col("lens_mm", "number"),
                   "installed_on": _col("installed_on", "date"),
                   "grid": GRID,
                   "sector": Field("NULL", "geometry"),
               }),
    Collection("hazards", "hazards", "coll_hazards", table="hazards", temporal="reported_at",
               fields={
                   "category": _col("category", vocab=HazardCategory),
                   "description": _col("description"),
                   "severity": _col("severity", vocab=Severity),
                   "status": _col("status", vocab=HazardStatus),
                   "level": _col("level", vocab=Level),
                   "open": Field(f"t.{OPEN}", "boolean"),
                   "overdue": Field(
                       "(t.due_at IS NOT NULL AND t.due_at < now() AND t.status NOT IN "
                       f"({', '.join(repr(s) for s in DONE_STATUSES)}))", "boolean"),
                   "reported_at": _col("reported_at", "datetime"),
                   "due_at": _col("due_at", "datetime"),
                   "updated_at": _col("updated_at", "datetime"),
                   "grid": GRID,
                   "building_id": _col("building_id", "integer"),
                   "light_id": _col("light_id", "integer"),
                   "camera_id": _col("camera_id", "integer"),
               }),
    Collection("routes", "routes", "coll_routes", provider=routes_provider,
               status=routes_status, fields={
                   "kind": Field("", "string"),
                   "plan": Field("", "integer"),
                   "team": Field("", "integer"),
                   "day": Field("", "integer"),
                   "shift": Field("", "integer"),
                   "length_m": Field("", "number"),
                   "minutes": Field("", "number"),
                   "repeated_m": Field("", "number"),
                   "stop": Field("", "integer"),
                   "stop_label": Field("", "string"),
                   "label": Field("", "string"),
                   "detail": Field("", "string"),
               }),
    Collection("gaps", "gaps", "coll_gaps", provider=gap_provider, fields={
        "layer": Field("", "string"),
        "kind": Field("", "string"),
        "street_id": Field("", "integer"),
        "street_class": Field("", "string", StreetClass),
        "lit": Field("", "string", Lit),
        "grid": Field("", "integer"),
        "length_m": Field("", "number"),
        "open_hazards": Field("", "integer"),
        "disputes": Field("", "integer"),
        "priority": Field("", "number"),
        "weighted_m": Field("", "number"),
    }),
)}

GAP_VALUES: dict[str, tuple[str, ...]] = {"layer": GAP_LAYERS, "kind": GAP_KINDS}
ROUTE_VALUES: dict[str, tuple[str, ...]] = {"kind": ("route", "stop")}


def schema() -> dict[str, dict[str, FieldInfo]]:
    """Public fields of every collection, for validating layer declarations."""
    out: dict[str, dict[str, FieldInfo]] = {}
    for cid, coll in COLLECTIONS.items():
        fields: dict[str, FieldInfo] = {}
        for name, spec in coll.fields.items():
            values = tuple(m.value for m in spec.vocab) if spec.vocab else None
            if cid == "gaps" and name in GAP_VALUES:
                values = GAP_VALUES[name]
            if cid == "routes" and name in ROUTE_VALUES:
                values = ROUTE_VALUES[name]
            fields[name] = (spec.kind, values)
        out[cid] = fields
    return out


PERSONAL_FIELDS = frozenset({"leader_name", "leader_phone", "reporter_name", "reporter_contact",
                             "assignee", "idempotency_key", "staff", "photo"})
"""Columns that must never appear in a collection (checked at import and in the tests)."""

assert not any(PERSONAL_FIELDS & set(c.fields) for c in COLLECTIONS.values())


# -- parameters ---------------------------------------------------------------------------------
def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` in EPSG:4326, or ``None`` when absent; ApiError when wrong."""
    if raw is None or raw.strip() == "":
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        raise ApiError(400, "InvalidParameterValue",
                       f"bbox must be 4 numbers minx,miny,maxx,maxy; got {len(parts)} values")
    try:
        numbers = tuple(float(p) for p in parts)
    except ValueError:
        raise ApiError(400, "InvalidParameterValue",
                       f"bbox must be 4 numbers minx,miny,maxx,maxy; got {raw!r}") from None
    if not all(math.isfinite(n) for n in numbers):
        raise ApiError(400, "InvalidParameterValue", "bbox values must be finite numbers")
    minx, miny, maxx, maxy = numbers
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        raise ApiError(400, "InvalidParameterValue", "bbox longitudes must be within -180..180")
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        raise ApiError(400, "InvalidParameterValue", "bbox latitudes must be within -90..90")
    if minx >= maxx or miny >= maxy:
        raise ApiError(400, "InvalidParameterValue",
                       "bbox minimum must be less than maximum (minx < maxx, miny < maxy)")
    return minx, miny, maxx, maxy


def _integer(name: str, default: int, low: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "InvalidParameterValue",
                       f"{name} must be a whole number; got {raw!r}") from None
    if value < low:
        raise ApiError(400, "InvalidParameterValue", f"{name} must be at least {low}")
    if value > INT_MAX:  # PostgreSQL refuses it (bigint out of range): a 400, not a 500
        raise ApiError(400, "InvalidParameterValue", f"{name} must be at most {INT_MAX}")
    return value


def parse_limit() -> int:
    """``limit``: default 100, at least 1, clamped to the page size cap (at most 10,000)."""
    cap = getattr(current_app.config["SETTINGS"], "page_size_cap", MAX_LIMIT) or MAX_LIMIT
    return min(_integer("limit", DEFAULT_LIMIT, 1), MAX_LIMIT, cap)


def parse_offset() -> int:
    """``offset``: default 0, at least 0."""
    return _integer("offset", 0, 0)


# -- queries ------------------------------------------------------------------------------------
def _collection(cid: str) -> Collection:
    coll = COLLECTIONS.get(cid)
    if coll is None:
        raise ApiError(404, "NotFound", f"no collection {cid!r}; see {API}")
    return coll


def _value(value: Any, kind: str) -> Any:
    """A database value as JSON."""
    if value is None:
        return None
    if kind == "point":
        return json.loads(value)["coordinates"]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _select(coll: Collection) -> str:
    columns = [f"{spec.sql} AS \"{name}\"" for name, spec in coll.fields.items()
               if spec.kind != "geometry"]
    join = (" LEFT JOIN grids g ON g.id = t.grid_id" if coll.grid_join else "") + coll.joins
    return (f"SELECT t.id AS __id, ST_AsGeoJSON(t.geom, {PRECISION}) AS __geometry, "
            f"{', '.join(columns)} FROM {coll.table} t{join}")


ENVELOPE = "ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
IN_BOX = f"t.geom && {ENVELOPE} AND ST_Intersects(t.geom, {ENVELOPE})"


def _features(coll: Collection, rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    features = []
    for row in rows:
        props = {name: _value(row[name], spec.kind) for name, spec in coll.fields.items()
                 if spec.kind != "geometry"}
        features.append({"type": "Feature", "id": row["__id"],
                         "geometry": json.loads(row["__geometry"]) if row["__geometry"] else None,
                         "properties": props})
    if coll.after:
        coll.after(features)
    return features


def table_items(conn: Connection, coll: Collection, bbox: tuple[float, ...] | None, limit: int,
                offset: int) -> tuple[list[dict[str, Any]], int]:
    """A page of a table's features in ``bbox`` (ordered by id) and how many match in all."""
    where = f" WHERE {IN_BOX}" if bbox else ""
    params: dict[str, Any] = dict(zip(("x0", "y0", "x1", "y1"), bbox, strict=True)) if bbox else {}
    matched = conn.execute(text(f"SELECT count(*) FROM {coll.table} t{where}"), params).scalar()
    rows = conn.execute(text(f"{_select(coll)}{where} ORDER BY t.id LIMIT :limit OFFSET :offset"),
                        {**params, "limit": limit, "offset": offset}).mappings().all()
    return _features(coll, rows), int(matched or 0)


def _frame_features(coll: Collection, frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    features = []
    names = [n for n, spec in coll.fields.items() if spec.kind != "geometry"]
    for row, geom in zip(frame.itertuples(index=False), frame.geometry, strict=True):
        props = {}
        for name in names:
            value = getattr(row, name)
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            props[name] = value
        geometry = json.loads(shapely.to_geojson(shapely.set_precision(geom, 10 ** -PRECISION)))
        features.append({"type": "Feature", "id": row.id, "geometry": geometry,
                         "properties": props})
    return features


def provider_items(conn: Connection, coll: Collection, bbox: tuple[float, ...] | None,
                   limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """A page of a computed collection's features in ``bbox``."""
    assert coll.provider is not None
    frame = coll.provider(conn, bbox)
    return _frame_features(coll, frame.iloc[offset:offset + limit]), len(frame)


EXTENT_TABLES = {"gaps": "streets"}  # gaps lie on streets; routes: the newest plan's


def extent(conn: Connection, coll: Collection) -> dict[str, Any]:
    """OGC extent: the bounding box of the data (and the time span of hazards)."""
    table = coll.table or EXTENT_TABLES.get(coll.id)
    box: tuple[Any, ...] = (None,)
    if coll.id == "routes":
        from geo_service.routes.store import routes_extent

        box = routes_extent(conn) or (None,)
    elif table:
        box = tuple(conn.execute(text(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            f"FROM (SELECT ST_Extent(geom) AS e FROM {table}) x")).one())
    out: dict[str, Any] = {"spatial": {
        "bbox": [[round(v, PRECISION) for v in box]] if box[0] is not None else [],
        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}}
    if coll.temporal:
        span = conn.execute(text(f"SELECT min({coll.temporal}), max({coll.temporal}) "
                                 f"FROM {coll.table}")).one()
        out["temporal"] = {"interval": [[_value(span[0], "datetime"), _value(span[1], "datetime")]],
                           "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return out


def describe(conn: Connection, coll: Collection) -> dict[str, Any]:
    """The collection's description, with its extent and links."""
    out = {
        "id": coll.id,
        "title": translate(coll.title_key),
        "description": translate(coll.description_key),
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": extent(conn, coll),
        "properties": {name: spec.kind for name, spec in coll.fields.items()},
        "links": [
            {"rel": "self", "type": "application/json", "title": "this collection",
             "href": url_for("collections.collection", cid=coll.id, _external=True)},
            {"rel": "items", "type": GEOJSON, "title": "the features",
             "href": url_for("collections.items", cid=coll.id, _external=True)},
        ],
    }
    extras = coll.extras(conn)
    extras.pop("note_key", None)
    out.update(extras)
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _geojson(payload: dict[str, Any]) -> Response:
    response = current_app.response_class(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")), mimetype=GEOJSON)
    response.headers["Cache-Control"] = "no-cache"
    return response


# -- routes -------------------------------------------------------------------------------------
@blueprint.record_once
def _setup(state: Any) -> None:
    app: Flask = state.app
    app.extensions.setdefault("gap_cache", GapCache())


@blueprint.get(API)
def collection_list() -> Response:
    """Every collection, with its extent."""
    with engine().connect() as conn:
        collections = [describe(conn, c) for c in COLLECTIONS.values()]
    return jsonify(collections=collections, links=[
        {"rel": "self", "type": "application/json", "title": "this document",
         "href": url_for("collections.collection_list", _external=True)}])


@blueprint.get(f"{API}/<cid>")
def collection(cid: str) -> Response:
    """One collection."""
    coll = _collection(cid)
    with engine().connect() as conn:
        return jsonify(describe(conn, coll))


@blueprint.get(f"{API}/<cid>/items")
def items(cid: str) -> Response:
    """Features in a bounding box, a page at a time."""
    coll = _collection(cid)
    raw_bbox = request.args.get("bbox")
    bbox = parse_bbox(raw_bbox)
    limit, offset = parse_limit(), parse_offset()
    with engine().connect() as conn:
        if coll.table:
            features, matched = table_items(conn, coll, bbox, limit, offset)
        else:
            features, matched = provider_items(conn, coll, bbox, limit, offset)
        extras = coll.extras(conn)
    query = {"bbox": ",".join(repr(v) for v in bbox)} if bbox else {}

    def page(at: int) -> str:
        return url_for("collections.items", cid=cid, _external=True,
                       **query, limit=limit, offset=at)

    links = [
        {"rel": "self", "type": GEOJSON, "title": "this page", "href": page(offset)},
        {"rel": "collection", "type": "application/json", "title": "the collection",
         "href": url_for("collections.collection", cid=cid, _external=True)},
    ]
    if offset + len(features) < matched:
        links.append({"rel": "next", "type": GEOJSON, "title": "next page",
                      "href": page(offset + limit)})
    if offset > 0:
        links.append({"rel": "prev", "type": GEOJSON, "title": "previous page",
                      "href": page(max(offset - limit, 0))})
    payload: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": _now(),
        "links": links,
    }
    if extras.get("computed") is False:
        payload["note"] = translate(extras.get("note_key", coll.description_key))
    return _geojson(payload)


@blueprint.get(f"{API}/<cid>/items/<fid>")
def item(cid: str, fid: str) -> Response:
    """One feature by id."""
    coll = _collection(cid)
    with engine().connect() as conn:
        if coll.table:
            try:
                key = int(fid)
            except ValueError:
                raise ApiError(404, "NotFound", f"no feature {fid!r} in {cid}") from None
            rows = conn.execute(text(f"{_select(coll)} WHERE t.id = :id"),
                                {"id": key}).mappings().all()
            features = _features(coll, rows)
        else:
            assert coll.provider is not None
            frame = coll.provider(conn, None)
            features = _frame_features(coll, frame[frame["id"].astype(str) == fid])
    if not features:
        raise ApiError(404, "NotFound", f"no feature {fid!r} in {cid}")
    feature = features[0]
    feature["links"] = [
        {"rel": "self", "type": GEOJSON, "title": "this feature",
         "href": url_for("collections.item", cid=cid, fid=fid, _external=True)},
        {"rel": "collection", "type": "application/json", "title": "the collection",
         "href": url_for("collections.collection", cid=cid, _external=True)},
    ]
    return _geojson(feature)


# -- OpenAPI ------------------------------------------------------------------------------------
def openapi_paths() -> dict[str, Any]:
    """OpenAPI 3 path items of the collection endpoints."""
    cid = {"name": "collectionId", "in": "path", "required": True,
           "schema": {"type": "string", "enum": list(COLLECTIONS)}}
    error = {"description": "bad parameter",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/"
                                                                 "CollectionsError"}}}}
    not_found = {"description": "no such collection or feature"}
    return {
        API: {"get": {
            "summary": "List the map's feature collections", "tags": ["collections"],
            "responses": {"200": {"description": "collections with extents"}}}},
        API + "/{collectionId}": {"get": {
            "summary": "Describe one collection", "tags": ["collections"],
            "parameters": [cid],
            "responses": {"200": {"description": "the collection"}, "404": not_found}}},
        API + "/{collectionId}/items": {"get": {
            "summary": "Features of a collection in a bounding box, a page at a time",
            "tags": ["collections"],
            "parameters": [
                cid,
                {"name": "bbox", "in": "query", "required": False,
                 "description": "minx,miny,maxx,maxy in EPSG:4326 (longitude, latitude)",
                 "schema": {"type": "array", "minItems": 4, "maxItems": 4,
                            "items": {"type": "number"}},
                 "style": "form", "explode": False},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                            "default": DEFAULT_LIMIT},
                 "description": "page size; larger values are clamped to the page size "
                                "cap (setting GEO_SERVICE_PAGE_SIZE_CAP, 10000 by default)"},
                {"name": "offset", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 0, "maximum": INT_MAX,
                            "default": 0}},
            ],
            "responses": {
                "200": {"description": "a GeoJSON FeatureCollection with numberMatched, "
                                       "numberReturned, timeStamp and links",
                        "content": {GEOJSON: {"schema": {"type": "object"}}}},
                "400": error, "404": not_found}}},
        API + "/{collectionId}/items/{featureId}": {"get": {
            "summary": "One feature", "tags": ["collections"],
            "parameters": [cid, {"name": "featureId", "in": "path", "required": True,
                                 "schema": {"type": "string"}}],
            "responses": {"200": {"description": "a GeoJSON Feature",
                                  "content": {GEOJSON: {"schema": {"type": "object"}}}},
                          "404": not_found}}},
    }


ERROR_SCHEMA = {"type": "object", "required": ["code", "description"],
                "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}


def _register_openapi() -> None:
    """Add the paths to the OpenAPI document when that module offers ``register_paths``."""
    try:
        from geo_service.web import openapi
    except ImportError:
        return
    register = getattr(openapi, "register_paths", None)
    if register is not None:
        register(openapi_paths(), schemas={"CollectionsError": ERROR_SCHEMA},
                 tags=[{"name": "collections",
                        "description": "Map layers as OGC API - Features collections"}])


_register_openapi()  # once, at import, as the OpenAPI module asks
