"""Reading the layers a planning question needs from PostGIS (all the SQL of the package).

The layers' types and the pure rules over them are in :mod:`geo_service.planning.layers`.

The streets are those of the chosen grids (every street when no grid is chosen). Lamps, cameras,
buildings and hazards are read with a margin around those streets: a lamp or camera outside a
grid still lights or sees inside it, a building outside still hides things, a hazard just
outside still raises a gap's priority.

Grids are chosen by their **number** (the ``--grid N`` of the command line, ``?grid=N`` of the
map), not by their database id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import geopandas as gpd
import shapely
from sqlalchemy import Connection, Engine, text

from geo_service.planning.layers import Layers, PlanningError, choose_crs

#: Metres read around the chosen streets: the reach of the brightest lamp the model allows
#: (``LightingParams.max_reach_m`` = 150 m) plus room for the camera evidence radius (100 m).
MARGIN_M = 200.0

DATA_VERSION = text("""
    SELECT concat_ws(';',
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM grids),
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM streets),
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM lights),
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM cameras),
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM buildings),
      (SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM hazards))
""")


def connection_of(conn_or_engine: Connection | Engine):  # noqa: ANN201
    """A context manager giving a connection for an engine, or the connection itself."""
    if isinstance(conn_or_engine, Engine):
        return conn_or_engine.connect()
    return _Borrowed(conn_or_engine)


class _Borrowed:
    """``with`` on a connection we do not own: neither closes nor commits it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        return None


def data_version(conn: Connection) -> str:
    """A string that changes whenever any layer changes (row counts and newest xmin)."""
    return conn.execute(DATA_VERSION).scalar_one()


def grid_ids(conn: Connection, numbers: Iterable[int] | None,
             community_id: int | None = None) -> list[int]:
    """Database ids of the grids with these numbers (of the community, when given);
    :class:`PlanningError` for unknown ones."""
    wanted = sorted({int(n) for n in numbers or ()})
    if not wanted:
        return []
    found = dict(conn.execute(text(
        "SELECT number, id FROM grids WHERE number = ANY(:n) "
        "AND (CAST(:c AS integer) IS NULL OR community_id = :c)"),
        {"n": wanted, "c": community_id}).all())
    missing = [n for n in wanted if n not in found]
    if missing:
        raise PlanningError("unknown_grid", f"no grid numbered {', '.join(map(str, missing))}",
                            grids=missing)
    return [found[n] for n in wanted]


def grids_by_community(conn: Connection, ids: Sequence[int]) -> dict[int | None, list[int]]:
    """Grid database ids grouped by their community (``None``: of no community)."""
    groups: dict[int | None, list[int]] = {}
    for grid_id, community in conn.execute(text(
            "SELECT id, community_id FROM grids WHERE id = ANY(:ids) ORDER BY id"),
            {"ids": list(ids)}).all():
        groups.setdefault(community, []).append(int(grid_id))
    return groups


def _read(conn: Connection, sql: str, params: dict[str, object]) -> gpd.GeoDataFrame:
    frame = gpd.read_postgis(text(sql), conn, geom_col="geom", params=params)
    if frame.crs is None:
        frame = frame.set_crs(4326)
    return frame.rename_geometry("geometry")


def read_layers(conn: Connection, grids: Sequence[int] | None = None, *,
                metric_crs: str | None = None, margin_m: float = MARGIN_M,
                by_id: bool = False, community_id: int | None = None) -> Layers:
    """Read the layers for the chosen grids (numbers; database ids with ``by_id``) of the
    community (every stored street for ``None``). Lamps, cameras, buildings and hazards near
    those streets are read whatever community they belong to: light crosses the border.

    Raises
    ------
    PlanningError
        ``unknown_grid`` for a number that names no grid, ``no_streets`` when the chosen grids
        hold no street.
    """
    ids = (sorted({int(g) for g in grids or ()}) if by_id
           else grid_ids(conn, grids, community_id))
    mine = "(CAST(:c AS integer) IS NULL OR s.community_id = :c)"
    where = f"WHERE s.grid_id = ANY(:ids) AND {mine}" if ids else f"WHERE {mine}"
    streets = _read(conn, f"""
        SELECT s.id, s.source_id, s.name, s.street_class, s.lit, s.grid_id, g.number AS grid,
               s.geom
        FROM streets s LEFT JOIN grids g ON g.id = s.grid_id {where} ORDER BY s.id""",
                    {"ids": ids, "c": community_id})
    if streets.empty:
        raise PlanningError("no_streets", "no streets in the chosen grids" if ids else
                            "no streets loaded; load some with: geo-service load streets FILE")
    grid_where = ("WHERE id = ANY(:ids)" if ids else
                  "WHERE CAST(:c AS integer) IS NULL OR community_id = :c")
    grid_frame = _read(conn, f"SELECT id, number, name, zone, geom FROM grids {grid_where} "
                       "ORDER BY number", {"ids": ids, "c": community_id})
    west, south, east, north = streets.total_bounds
    dlat = margin_m / 111_320.0
    dlon = dlat / max(math.cos(math.radians((south + north) / 2)), 0.01)
    box = {"x0": west - dlon, "y0": south - dlat, "x1": east + dlon, "y1": north + dlat}
    near = "WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) ORDER BY id"
    lights = _read(conn, "SELECT id, source_id, height_m, intensity_cd, status, mount, "
                   f"grid_id, geom FROM lights {near}", box)
    cameras = _read(conn, "SELECT id, source_id, heading_deg, fov_deg, range_m, lens_mm, "
                    f"status, grid_id, geom FROM cameras {near}", box)
    buildings = _read(conn, f"SELECT id, source_id, geom FROM buildings {near}", box)
    hazards = _read(conn, f"SELECT id, category, status, grid_id, geom FROM hazards {near}", box)
    area = shapely.union_all(grid_frame.geometry.to_numpy()) if len(grid_frame) else None
    numbers = tuple(sorted(int(n) for n in grid_frame["number"])) if ids else ()
    return Layers(streets=streets, lights=lights, cameras=cameras, buildings=buildings,
                  hazards=hazards, grids=grid_frame, grid_numbers=numbers, area=area,
                  crs=choose_crs(streets, metric_crs))
