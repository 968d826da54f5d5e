"""Read the walkable street graph of chosen grids from PostGIS (the SQL half of the network)."""

from __future__ import annotations

from collections.abc import Collection

import geopandas as gpd
import networkx as nx
from sqlalchemy import Connection, text

from geo_service.analysis.network import (
    DEFAULT_CRS,
    DEFAULT_MARGIN_M,
    CRSLike,
    street_graph,
)

#: A bounding-box prefilter wider than any margin in metres up to about 70 degrees latitude.
_M_PER_DEGREE_MIN = 30_000.0

STREET_COLUMNS = ("s.id, s.source, s.target, s.length_m, s.street_class, s.name, s.lit, "
                  "g.number AS grid")


def read_streets(conn: Connection, grids: list[int] | None = None,
                 margin_m: float = DEFAULT_MARGIN_M) -> gpd.GeoDataFrame:
    """Streets of the chosen grids and those within ``margin_m`` metres of them (EPSG:4326).

    ``grid`` is the number of the street's grid; ``in_area`` is true for streets whose grid was
    chosen (all streets when ``grids`` is ``None``).
    """
    if grids is None:
        sql = text(f"SELECT {STREET_COLUMNS}, true AS in_area, s.geom FROM streets s "
                   "LEFT JOIN grids g ON g.id = s.grid_id ORDER BY s.id")
        params: dict[str, object] = {}
    else:
        sql = text(f"""
            WITH area AS (SELECT ST_Union(geom) AS geom FROM grids WHERE number = ANY(:numbers))
            SELECT {STREET_COLUMNS}, coalesce(g.number = ANY(:numbers), false) AS in_area, s.geom
            FROM streets s LEFT JOIN grids g ON g.id = s.grid_id, area
            WHERE s.geom && ST_Expand(area.geom, :degrees)
              AND ST_DWithin(s.geom::geography, area.geom::geography, :margin)
            ORDER BY s.id""")
        params = {"numbers": [int(n) for n in grids], "margin": float(margin_m),
                  "degrees": float(margin_m) / _M_PER_DEGREE_MIN}
    return gpd.read_postgis(sql, conn, geom_col="geom", params=params).rename_geometry(
        "geometry")


def missing_grids(conn: Connection, grids: list[int]) -> list[int]:
    """The grid numbers asked for that are not in the database."""
    known = set(conn.execute(text("SELECT number FROM grids WHERE number = ANY(:n)"),
                             {"n": [int(g) for g in grids]}).scalars())
    return sorted({int(g) for g in grids} - known)


def load_network(conn: Connection, grids: list[int] | None = None,
                 margin_m: float = DEFAULT_MARGIN_M, *,
                 walkable: Collection[str] | None = None,
                 crs: CRSLike = DEFAULT_CRS) -> nx.MultiGraph:
    """The walkable street graph of ``grids`` (all streets for ``None``) plus a margin.

    Parameters
    ----------
    conn
        Open connection.
    grids
        Grid numbers; streets of other grids within ``margin_m`` are included with
        ``in_area=False`` so routes may use them.
    margin_m
        Margin in metres (geodesic, ``ST_DWithin`` on geography).
    walkable
        Street classes walked (default: all).
    crs
        Metric CRS of the graph.

    Raises
    ------
    ValueError
        When a grid number is unknown.
    """
    if grids is not None:
        unknown = missing_grids(conn, grids)
        if unknown:
            raise ValueError(f"no grid numbered {', '.join(map(str, unknown))} in the database")
    streets = read_streets(conn, grids, margin_m)
    return street_graph(streets, walkable=walkable, crs=crs)
