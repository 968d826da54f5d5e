"""GeoJSON features of the collections: database rows and computed frames, values as JSON."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo_service.analysis.cameras import camera_sector
from geo_service.features.catalog import PRECISION, Collection
from geo_service.features.store import Row

Feature = dict[str, Any]


def value(raw: Any, kind: str) -> Any:
    """A database value as JSON."""
    if raw is None:
        return None
    if kind == "point":
        return json.loads(raw)["coordinates"]
    if isinstance(raw, Decimal):
        return float(raw)
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    return raw


def add_sectors(features: list[Feature]) -> None:
    """Each camera's ``sector``: the polygon it looks at (``None`` without a point)."""
    for feature in features:
        props, geometry = feature["properties"], feature["geometry"]
        if not geometry or geometry.get("type") != "Point":
            props["sector"] = None
            continue
        lon, lat = geometry["coordinates"][:2]
        props["sector"] = camera_sector(lon, lat, props.get("heading_deg"),
                                        props.get("fov_deg"), props.get("range_m"),
                                        props.get("lens_mm"))


AFTER = {"add_sectors": add_sectors}


def row_features(coll: Collection, rows: list[Row]) -> list[Feature]:
    """Features of table rows (as :func:`geo_service.features.store.table_rows` reads them)."""
    features = []
    for row in rows:
        props = {name: value(row[name], coll.fields[name].kind) for name in coll.public}
        features.append({"type": "Feature", "id": row["__id"],
                         "geometry": json.loads(row["__geometry"]) if row["__geometry"] else None,
                         "properties": props})
    if coll.after:
        AFTER[coll.after](features)
    return features


def frame_features(coll: Collection, frame: gpd.GeoDataFrame) -> list[Feature]:
    """Features of a computed frame (an ``id`` column, the public columns, a geometry)."""
    features = []
    names = coll.public
    for row, geom in zip(frame.itertuples(index=False), frame.geometry, strict=True):
        props = {}
        for name in names:
            item = getattr(row, name)
            if isinstance(item, np.generic):
                item = item.item()
            if isinstance(item, float) and not math.isfinite(item):
                item = None
            props[name] = item
        geometry = json.loads(shapely.to_geojson(shapely.set_precision(geom, 10 ** -PRECISION)))
        features.append({"type": "Feature", "id": row.id, "geometry": geometry,
                         "properties": props})
    return features
