"""Every SQL read of the collections: table items by bounding box, extents, grids in view.

Tables are queried through their GiST index with ``geom && ST_MakeEnvelope(...)``; ids order
every page. Also the extents, grid lists and counts the pages show beside the map, and the
health probe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo_service.features.catalog import PRECISION, Bbox, Collection

ENVELOPE = "ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
IN_BOX = f"t.geom && {ENVELOPE} AND ST_Intersects(t.geom, {ENVELOPE})"
Row = Mapping[str, Any]


def _box(bbox: Bbox) -> dict[str, float]:
    return dict(zip(("x0", "y0", "x1", "y1"), bbox, strict=True))


def select_sql(coll: Collection) -> str:
    """``SELECT`` of a table collection's id, GeoJSON geometry and public properties."""
    columns = [f"{spec.sql} AS \"{name}\"" for name, spec in coll.fields.items()
               if spec.kind != "geometry"]
    join = (" LEFT JOIN grids g ON g.id = t.grid_id" if coll.grid_join else "") + coll.joins
    return (f"SELECT t.id AS __id, ST_AsGeoJSON(t.geom, {PRECISION}) AS __geometry, "
            f"{', '.join(columns)} FROM {coll.table} t{join}")


def table_rows(conn: Connection, coll: Collection, bbox: Bbox | None, limit: int,
               offset: int) -> tuple[list[Row], int]:
    """A page of a table's rows in ``bbox`` (ordered by id) and how many match in all."""
    where = f" WHERE {IN_BOX}" if bbox else ""
    params: dict[str, Any] = _box(bbox) if bbox else {}
    matched = conn.execute(text(f"SELECT count(*) FROM {coll.table} t{where}"), params).scalar()
    rows = conn.execute(text(f"{select_sql(coll)}{where} ORDER BY t.id LIMIT :limit "
                             "OFFSET :offset"),
                        {**params, "limit": limit, "offset": offset}).mappings().all()
    return list(rows), int(matched or 0)


def table_row(conn: Connection, coll: Collection, key: int) -> list[Row]:
    """The row with this id (an empty list when there is none)."""
    return list(conn.execute(text(f"{select_sql(coll)} WHERE t.id = :id"),
                             {"id": key}).mappings().all())


def table_box(conn: Connection, table: str) -> tuple[Any, ...]:
    """``(xmin, ymin, xmax, ymax)`` of a table's geometries (``None`` values when empty)."""
    return tuple(conn.execute(text(
        f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
        f"FROM (SELECT ST_Extent(geom) AS e FROM {table}) x")).one())


def time_span(conn: Connection, table: str, column: str) -> tuple[Any, Any]:
    """Earliest and latest value of ``column``."""
    first, last = conn.execute(text(f"SELECT min({column}), max({column}) FROM {table}")).one()
    return first, last


def grid_ids_in(conn: Connection, bbox: Bbox | None) -> list[int]:
    """Database ids of the grids crossing ``bbox`` (every grid without one)."""
    if bbox is None:
        return list(conn.execute(text("SELECT id FROM grids ORDER BY id")).scalars())
    return list(conn.execute(text(
        f"SELECT id FROM grids WHERE geom && {ENVELOPE} AND ST_Intersects(geom, {ENVELOPE}) "
        "ORDER BY id"), _box(bbox)).scalars())


# -- what the pages show beside the map ---------------------------------------------------------
LAYER_TABLES = ("grids", "buildings", "streets", "lights", "cameras", "hazards")
Box = tuple[float, float, float, float]


def extent_of(conn: Connection, table: str, grid_number: int | None = None) -> Box | None:
    """``(west, south, east, north)`` of a layer (of one grid by number), ``None`` when empty."""
    where = " WHERE number = :n" if grid_number is not None else ""
    row = conn.execute(text(f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                            f"(SELECT ST_Extent(geom) AS e FROM {table}{where}) x"),
                       {"n": grid_number}).one()
    if row[0] is None:
        return None
    west, south, east, north = (float(v) for v in row)
    return west, south, east, north


def grids_extent(conn: Connection, grid_ids: list[int]) -> Box | None:
    """``(west, south, east, north)`` of the grids with these ids (every grid's when empty)."""
    where = "WHERE id = ANY(:ids)" if grid_ids else ""
    row = conn.execute(text(f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                            f"(SELECT ST_Extent(geom) AS e FROM grids {where}) x"),
                       {"ids": list(grid_ids)}).one()
    if row[0] is None:
        return None
    west, south, east, north = (float(v) for v in row)
    return west, south, east, north


def grid_numbers(conn: Connection, grid_ids: list[int]) -> list[int]:
    """The numbers of the grids with these ids, in number order."""
    return list(conn.execute(text("SELECT number FROM grids WHERE id = ANY(:ids) "
                                  "ORDER BY number"), {"ids": list(grid_ids)}).scalars())


def community_extent(conn: Connection) -> Box | None:
    """The grids' extent, else the streets', else ``None``."""
    return extent_of(conn, "grids") or extent_of(conn, "streets")


def grid_choices(conn: Connection) -> list[dict[str, Any]]:
    """Grid numbers and names in number order (for filters and pickers)."""
    return [dict(r) for r in conn.execute(text(
        "SELECT number, name FROM grids ORDER BY number")).mappings()]


def postgis_version(conn: Connection) -> str | None:
    """PostGIS's library version (the health probe's query)."""
    return conn.execute(text("SELECT postgis_lib_version()")).scalar()


@dataclass(frozen=True)
class Overview:
    """What is loaded: rows per layer, street kilometres, per-grid counts, the community."""

    counts: dict[str, int]
    street_km: float
    grids: list[Row]
    community: str | None


def overview(conn: Connection) -> Overview:
    """Counts per layer and per grid (buildings, buildings without leader, open hazards)."""
    counts = {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0)
              for t in LAYER_TABLES}
    km = conn.execute(text("SELECT coalesce(sum(length_m), 0) / 1000 FROM streets")).scalar()
    grids = conn.execute(text("""
        SELECT g.number, g.name, g.zone,
               (SELECT count(*) FROM buildings b WHERE b.grid_id = g.id) AS buildings,
               (SELECT count(*) FROM buildings b WHERE b.grid_id = g.id
                    AND b.leader_name IS NULL) AS no_leader,
               (SELECT count(*) FROM hazards h WHERE h.grid_id = g.id
                    AND h.status <> 'closed') AS open_hazards
        FROM grids g ORDER BY g.number""")).mappings().all()
    community = conn.execute(text("SELECT name FROM communities ORDER BY id LIMIT 1")).scalar()
    return Overview(counts, float(km or 0), list(grids), community)
