"""The data version behind a layer's tiles, and a tile's ETag.

Every write to a layer table lands in ``audit_log`` (row triggers, migration 0004), so the
newest audit id changes whenever any feature does; patrol plans are not audited, so the newest
plan id is added; a hazard's ``overdue`` turns true with time alone, so the hazards layer adds
how many are past due. One index look-up each: cheap enough for every tile request, so a
client's ``If-None-Match`` is answered 304 without building the tile.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import Connection, text

from geo_service.layers import Layer
from geo_service.tiles.fields import used_fields

TILE_FORMAT = "1"
"""Bumped when the tile SQL changes what a tile holds for the same data."""

_VERSION = text("SELECT concat_ws(':', (SELECT coalesce(max(id), 0) FROM audit_log), "
                "(SELECT coalesce(max(id), 0) FROM patrol_plans))")
_OVERDUE = text("SELECT count(*) FROM hazards WHERE due_at IS NOT NULL AND due_at < now()")


def data_version(conn: Connection, layer: Layer) -> str:
    """A string that changes whenever what the layer's tiles show may have changed."""
    version = str(conn.execute(_VERSION).scalar_one())
    if layer.collection == "hazards":
        version += f":{conn.execute(_OVERDUE).scalar_one()}"
    return version


def declaration_digest(layer: Layer) -> str:
    """Short hash of what of the declaration a tile depends on (collection and fields)."""
    described = json.dumps([layer.id, layer.collection, sorted(used_fields(layer))])
    return hashlib.sha256(described.encode()).hexdigest()[:8]


def tile_etag(version: str, layer: Layer, z: int, x: int, y: int) -> str:
    """The (strong) ETag value of a tile, without quotes."""
    key = f"{TILE_FORMAT}|{declaration_digest(layer)}|{version}|{z}/{x}/{y}"
    return hashlib.sha256(key.encode()).hexdigest()[:20]
