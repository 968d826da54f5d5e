"""One Mapbox vector tile of one layer, built by PostGIS (``ST_AsMVT`` / ``ST_AsMVTGeom``).

Table collections are read through their GiST index (``geom &&`` the tile's envelope, in
EPSG:4326, with the tile buffer), projected to Web Mercator, simplified to half a screen pixel
of the zoom (:func:`tolerance`) and clipped to the tile. No feature is dropped at any zoom the
layer is drawn: a polygon or line that simplification or the tile grid would collapse is kept
as a point where it is (``ST_PointOnSurface``). Computed collections (gaps, routes) take their
provider's frame for the tile's box and hand it to PostGIS as arrays.

Below a layer's first zoom (:func:`first_zoom`: grids from zoom 0, streets from 11, buildings
from 14 where a house is a few pixels, the others from their declared ``min_zoom``) the tile is
empty, so no request can make the server read a whole district's buildings at once.
"""

from __future__ import annotations

import math
from typing import Any

import shapely
from sqlalchemy import Connection, text

from geo_service.features.catalog import Collection
from geo_service.layers import Layer
from geo_service.tiles.fields import attribute_sql, tile_fields

EXTENT = 4096  # tile coordinate units per side
BUFFER = 64  # units drawn past each edge (so strokes do not stop at tile seams)
MAX_ZOOM = 22
MERCATOR_WORLD_M = 2 * math.pi * 6378137.0
FIRST_ZOOM = {"grids": 0, "streets": 11, "buildings": 14}
"""Collection -> the first zoom its tiles hold features (the others: the layer's min_zoom)."""


class TileRequestError(ValueError):
    """A zoom, column or row outside the tile pyramid."""


def check_address(z: int, x: int, y: int) -> None:
    """Raise :class:`TileRequestError` unless ``z/x/y`` names a tile (``0 <= x, y < 2**z``)."""
    if not 0 <= z <= MAX_ZOOM:
        raise TileRequestError(f"zoom must be within 0..{MAX_ZOOM}; got {z}")
    side = 2 ** z
    if not (0 <= x < side and 0 <= y < side):
        raise TileRequestError(f"x and y must be within 0..{side - 1} at zoom {z}; got {x}/{y}")


def first_zoom(layer: Layer) -> int:
    """The first zoom at which the layer's tiles hold its features."""
    return min(layer.min_zoom, FIRST_ZOOM.get(layer.collection, layer.min_zoom))


def tolerance(z: int) -> float:
    """Simplification tolerance at zoom ``z``: half a screen pixel (256-pixel tiles), metres."""
    return MERCATOR_WORLD_M / (2 ** z) / 256 / 2


def tile_bbox(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` in degrees of the tile with its buffer."""
    side = 2 ** z
    pad = BUFFER / EXTENT

    def lon(col: float) -> float:
        return max(-180.0, min(180.0, col / side * 360 - 180))

    def lat(row: float) -> float:
        row = max(0.0, min(float(side), row))
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / side))))

    return lon(x - pad), lat(y + 1 + pad), lon(x + 1 + pad), lat(y - pad)


# ST_AsMVTGeom of the simplified geometry, else of a point on it (a collapsed shape).
_GEOM = (f"coalesce("
         f"ST_AsMVTGeom(ST_SimplifyPreserveTopology(ST_Transform({{g}}, 3857), :tol), "
         f"b.env, {EXTENT}, {BUFFER}, true), "
         f"ST_AsMVTGeom(ST_PointOnSurface(ST_Transform({{g}}, 3857)), b.env, {EXTENT}, "
         f"{BUFFER}, true))")
_BOUNDS = (f"SELECT ST_TileEnvelope(:z, :x, :y) AS env, ST_Transform(ST_TileEnvelope("
           f":z, :x, :y, margin => {BUFFER / EXTENT}), 4326) AS box")


def table_tile_sql(layer: Layer, coll: Collection) -> str:
    """The query of a table collection's tile (parameters ``z``, ``x``, ``y``, ``tol``,
    ``name``)."""
    columns = "".join(f", {attribute_sql(spec)} AS \"{name}\""
                      for name, spec in tile_fields(layer, coll).items())
    join = (" LEFT JOIN grids g ON g.id = t.grid_id" if coll.grid_join else "") + coll.joins
    return (f"WITH b AS ({_BOUNDS}), q AS ("
            f"SELECT t.id AS __id, {_GEOM.format(g='t.geom')} AS __geom{columns} "
            f"FROM b, {coll.table} t{join} WHERE t.geom && b.box) "
            f"SELECT ST_AsMVT(q.*, :name, {EXTENT}, '__geom', '__id') FROM q "
            f"WHERE q.__geom IS NOT NULL")


_FRAME_SQL = (f"WITH b AS ({_BOUNDS}), s AS (SELECT * FROM unnest("
              f"CAST(:ids AS bigint[]), CAST(:wkb AS bytea[]), CAST(:props AS jsonb[])) "
              f"AS s(__id, wkb, props)), q AS ("
              f"SELECT s.__id, {_GEOM.format(g='ST_GeomFromWKB(s.wkb, 4326)')} AS __geom, "
              f"s.props FROM b, s) "
              f"SELECT ST_AsMVT(q.*, :name, {EXTENT}, '__geom', '__id') FROM q "
              f"WHERE q.__geom IS NOT NULL")


def _plain(value: Any) -> Any:
    """A frame value as JSON (numpy scalars as Python ones, NaN as null)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _frame_arrays(layer: Layer, coll: Collection, frame: Any) -> dict[str, list[Any]]:
    """Ids, WKB geometries and JSON attributes of a computed frame (its rows with a geometry)."""
    import json

    names = list(tile_fields(layer, coll))
    ids, wkbs, props = [], [], []
    for number, (row, geom) in enumerate(zip(frame.itertuples(index=False), frame.geometry,
                                             strict=True)):
        if geom is None or geom.is_empty:
            continue
        raw = getattr(row, "id", number)
        attributes = {name: _plain(getattr(row, name)) for name in names}
        try:
            ident = int(raw)
        except (TypeError, ValueError):
            ident, attributes["fid"] = number, str(raw)
        ids.append(ident)
        wkbs.append(shapely.to_wkb(geom))
        props.append(json.dumps(attributes, ensure_ascii=False, default=str))
    return {"ids": ids, "wkb": wkbs, "props": props}


def build_tile(conn: Connection, layer: Layer, coll: Collection, z: int, x: int, y: int,
               metric_crs: str | None = None) -> bytes:
    """The layer's tile ``z/x/y`` (empty bytes when it holds nothing).

    Raises :class:`TileRequestError` for an address outside the pyramid.
    """
    check_address(z, x, y)
    if z < first_zoom(layer):
        return b""
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "tol": tolerance(z), "name": layer.id}
    if coll.table:
        found = conn.execute(text(table_tile_sql(layer, coll)), params).scalar()
        return bytes(found or b"")
    from geo_service.features.service import PROVIDERS

    assert coll.provider is not None
    frame = PROVIDERS[coll.provider](conn, tile_bbox(z, x, y), metric_crs)
    arrays = _frame_arrays(layer, coll, frame)
    if not arrays["ids"]:
        return b""
    found = conn.execute(text(_FRAME_SQL), {**params, **arrays}).scalar()
    return bytes(found or b"")
