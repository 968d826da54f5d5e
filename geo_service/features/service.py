"""Answers of the collections API: pages of items, one item, extents; the computed collections.

The gaps collection is planning's :func:`geo_service.planning.service.coverage_gaps` for the
grids in view (the same stretches ``/plan/lighting`` and ``geo-service gaps`` show, one cache);
the routes collection is the newest stored patrol plan.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy import Connection

from geo_service.features import store
from geo_service.features.catalog import PRECISION, Bbox, Collection
from geo_service.features.geojson import Feature, frame_features, row_features, value

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def gaps(conn: Connection, bbox: Bbox | None, metric_crs: str | None) -> gpd.GeoDataFrame:
    """Gaps of the grids crossing ``bbox`` (all grids without one) that cross it."""
    from geo_service.planning.service import coverage_gaps

    found = coverage_gaps(conn, store.grid_ids_in(conn, bbox), metric_crs=metric_crs)
    if bbox is not None and len(found):
        found = found[found.intersects(shapely.box(*bbox))]
    return found.reset_index(drop=True)


def routes(conn: Connection, bbox: Bbox | None, metric_crs: str | None) -> gpd.GeoDataFrame:
    """The newest stored plan's routes (lines, ``kind`` route) and stops (``kind`` stop)."""
    from geo_service.patrol_routes.store import routes_layer

    return routes_layer(conn, bbox)


def routes_status(conn: Connection) -> dict[str, Any]:
    """``computed`` (a plan is stored) and the newest ``plan`` id."""
    from geo_service.patrol_routes.store import latest_plan_id

    plan = latest_plan_id(conn)
    out: dict[str, Any] = {"computed": plan is not None, "plan": plan}
    if plan is None:
        out["note_key"] = "coll_routes_empty"
    return out


PROVIDERS = {"gaps": gaps, "routes": routes}
STATUS = {"routes_status": routes_status}


def extras(conn: Connection, coll: Collection) -> dict[str, Any]:
    """Extra members of the description: the fixed ones, then the current status."""
    return {**coll.extra, **(STATUS[coll.status](conn) if coll.status else {})}


def extent(conn: Connection, coll: Collection) -> dict[str, Any]:
    """OGC extent: the bounding box of the data (and the time span of hazards)."""
    table = coll.table or coll.extent_table
    box: tuple[Any, ...] = (None,)
    if coll.id == "routes":
        from geo_service.patrol_routes.store import routes_extent

        box = routes_extent(conn) or (None,)
    elif table:
        box = store.table_box(conn, table)
    out: dict[str, Any] = {"spatial": {
        "bbox": [[round(v, PRECISION) for v in box]] if box[0] is not None else [],
        "crs": CRS84}}
    if coll.temporal and coll.table:
        first, last = store.time_span(conn, coll.table, coll.temporal)
        out["temporal"] = {"interval": [[value(first, "datetime"), value(last, "datetime")]],
                           "trs": GREGORIAN}
    return out


def page(conn: Connection, coll: Collection, bbox: Bbox | None, limit: int, offset: int,
         metric_crs: str | None = None) -> tuple[list[Feature], int]:
    """A page of features in ``bbox`` and how many match in all."""
    if coll.table:
        rows, matched = store.table_rows(conn, coll, bbox, limit, offset)
        return row_features(coll, rows), matched
    assert coll.provider is not None
    frame = PROVIDERS[coll.provider](conn, bbox, metric_crs)
    return frame_features(coll, frame.iloc[offset:offset + limit]), len(frame)


def feature(conn: Connection, coll: Collection, fid: str,
            metric_crs: str | None = None) -> Feature | None:
    """One feature by id, or ``None``."""
    if coll.table:
        try:
            key = int(fid)
        except ValueError:
            return None
        features = row_features(coll, store.table_row(conn, coll, key))
    else:
        assert coll.provider is not None
        frame = PROVIDERS[coll.provider](conn, None, metric_crs)
        features = frame_features(coll, frame[frame["id"].astype(str) == fid])
    return features[0] if features else None
