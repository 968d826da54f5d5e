"""The collections and their public fields (the one list of what the map may publish).

Table collections name a PostGIS table and an SQL expression per property over ``t`` (the
table) and ``g`` (its grid); computed ones (gaps, routes) name a provider in
:mod:`geo_service.features.service`. No collection carries a field of
:data:`geo_service.auth.privacy.PERSONAL_FIELDS` (checked at import): buildings say
``has_leader`` instead of the leader's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import geopandas as gpd
from sqlalchemy import Connection

from geo_service.auth.privacy import PERSONAL_FIELDS
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

PRECISION = 7  # decimals of GeoJSON coordinates (about 1 cm)
CLOSED_STATUSES = (HazardStatus.CLOSED.value,)
DONE_STATUSES = (HazardStatus.RESOLVED.value, HazardStatus.REVISITED.value,
                 HazardStatus.CLOSED.value)
GAP_LAYERS = ("lighting", "cameras")
GAP_KINDS = ("dark", "unseen", "unknown")

Bbox = tuple[float, ...]
Provider = Callable[[Connection, Bbox | None, str | None], gpd.GeoDataFrame]


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


def _computed(kind: str = "string", vocab: type[StrEnum] | None = None) -> Field:
    return Field("", kind, vocab)


GRID = Field("g.number", "integer")
OPEN = f"status NOT IN ({', '.join(repr(s) for s in CLOSED_STATUSES)})"


@dataclass(frozen=True)
class Collection:
    """One collection: a table (``table``, with extra ``joins``) or a computed ``provider``.

    ``provider`` is the name of a provider in :mod:`geo_service.features.service` (named, not
    imported, so the catalogue stays a plain definition); ``after`` names a post-processing
    step of :mod:`geo_service.features.geojson`; ``status`` names a function giving the
    current extra members of the description.
    """

    id: str
    title_key: str
    description_key: str
    fields: dict[str, Field]
    table: str | None = None
    grid_join: bool = True
    joins: str = ""
    provider: str | None = None
    after: str | None = None
    temporal: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    status: str | None = None
    extent_table: str | None = None

    @property
    def public(self) -> list[str]:
        """Names of the properties read from a row or frame (all but computed geometries)."""
        return [name for name, spec in self.fields.items() if spec.kind != "geometry"]


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
        "community": Field("(SELECT c.name FROM communities c WHERE c.id = t.community_id)"),
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
    Collection("cameras", "cameras", "coll_cameras", table="cameras", after="add_sectors",
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
    Collection("routes", "routes", "coll_routes", provider="routes", status="routes_status",
               fields={
                   "kind": _computed(),
                   "plan": _computed("integer"),
                   "team": _computed("integer"),
                   "day": _computed("integer"),
                   "shift": _computed("integer"),
                   "length_m": _computed("number"),
                   "minutes": _computed("number"),
                   "repeated_m": _computed("number"),
                   "stop": _computed("integer"),
                   "stop_label": _computed(),
                   "label": _computed(),
                   "detail": _computed(),
               }),
    Collection("gaps", "gaps", "coll_gaps", provider="gaps", extent_table="streets", fields={
        "layer": _computed(),
        "kind": _computed(),
        "street_id": _computed("integer"),
        "street_class": _computed("string", StreetClass),
        "lit": _computed("string", Lit),
        "grid": _computed("integer"),
        "length_m": _computed("number"),
        "open_hazards": _computed("integer"),
        "disputes": _computed("integer"),
        "priority": _computed("number"),
        "weighted_m": _computed("number"),
    }),
)}

VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("gaps", "layer"): GAP_LAYERS, ("gaps", "kind"): GAP_KINDS,
    ("routes", "kind"): ("route", "stop"),
}
"""Allowed values of computed string properties (table ones take theirs from ``vocab``)."""

assert not any(PERSONAL_FIELDS & set(c.fields) for c in COLLECTIONS.values())


def find(cid: str) -> Collection | None:
    """The collection with this id, or ``None``."""
    return COLLECTIONS.get(cid)


def schema() -> dict[str, dict[str, FieldInfo]]:
    """Public fields of every collection, for validating layer declarations."""
    out: dict[str, dict[str, FieldInfo]] = {}
    for cid, coll in COLLECTIONS.items():
        fields: dict[str, FieldInfo] = {}
        for name, spec in coll.fields.items():
            values = tuple(m.value for m in spec.vocab) if spec.vocab else None
            fields[name] = (spec.kind, VALUES.get((cid, name), values))
        out[cid] = fields
    return out
