"""The walkable street graph of chosen grids: streets read by :mod:`.store`, built by analysis."""

from __future__ import annotations

from collections.abc import Collection

import networkx as nx
from sqlalchemy import Connection

from geo_service.analysis.network import (
    DEFAULT_CRS,
    DEFAULT_MARGIN_M,
    CRSLike,
    street_graph,
)
from geo_service.patrol.store import missing_grids, read_streets


def load_network(conn: Connection, grids: list[int] | None = None,
                 margin_m: float = DEFAULT_MARGIN_M, *,
                 walkable: Collection[str] | None = None,
                 crs: CRSLike = DEFAULT_CRS, community_id: int | None = None
                 ) -> nx.MultiGraph:
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
        unknown = missing_grids(conn, grids, community_id)
        if unknown:
            raise ValueError(f"no grid numbered {', '.join(map(str, unknown))} in the database")
    streets = read_streets(conn, grids, margin_m, community_id)
    return street_graph(streets, walkable=walkable, crs=crs)
