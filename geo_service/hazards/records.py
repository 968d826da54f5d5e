"""Hazard rows as JSON-ready dicts, and the result types of the service (no SQL here)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from geo_service.hazards import lifecycle
from geo_service.hazards.inputs import LOCAL_TZ


@dataclass
class CreateResult:
    """What a report came to: ``created``, ``replayed`` (same idempotency key) or
    ``duplicate`` (likely duplicates found and not confirmed; nothing stored)."""

    outcome: str
    hazard: dict[str, Any] | None = None
    duplicates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class HazardPage:
    """One page of a hazard list and how many match in all."""

    items: list[dict[str, Any]]
    total: int


# -- helpers ---------------------------------------------------------------------------------
def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the community's offset (+08:00), to the second."""
    return None if value is None else value.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def ewkt(geom: BaseGeometry) -> str:
    """EWKT at full precision."""
    return f"SRID=4326;{shapely.to_wkt(geom, rounding_precision=-1)}"


def degrees_for(geom: BaseGeometry, metres: float) -> float:
    """A margin in degrees surely covering ``metres`` around ``geom`` (index prefilter)."""
    lat = max(abs(geom.bounds[1]), abs(geom.bounds[3]))
    return metres / (111_320.0 * max(math.cos(math.radians(lat)), 0.01)) * 1.2 + 1e-7


def serialize(row: Any, *, private: bool, now: datetime) -> dict[str, Any]:
    """A hazard row as a JSON-ready dict; reporter name/contact only when ``private``."""
    extra = row.report_extra or {}
    kind = lifecycle.overdue_kind(row.status, row.due_at, row.revisit_due_at, now)
    item: dict[str, Any] = {
        "id": row.id,
        "source_id": row.source_id,
        "category": row.category,
        "severity": row.severity,
        "status": row.status,
        "level": row.level,
        "description": row.description,
        "assignee": row.assignee,
        "grid_id": row.grid_id,
        "grid_number": row.grid_number,
        "building_id": row.building_id,
        "light_id": row.light_id,
        "camera_id": row.camera_id,
        "has_photo": row.photo is not None,
        "media_url": extra.get("media_url"),
        "address": extra.get("address_string"),
        "satisfaction": row.satisfaction,
        "reported_at": iso(row.reported_at),
        "due_at": iso(row.due_at),
        "updated_at": iso(row.updated_at),
        "open": lifecycle.is_open(row.status),
        "revisit_due_at": iso(row.revisit_due_at),
        "overdue": kind is not None,
        "overdue_kind": None if kind is None else kind.value,
        "allowed_actions": lifecycle.allowed_actions(row.status, row.level),
        # how a closed hazard was closed: close (after its revisit), invalid, not_ours, duplicate
        "closed_as": (row.closing or {}).get("action"),
        "duplicate_of": (row.closing or {}).get("duplicate_of"),
        "lon": row.lon,
        "lat": row.lat,
        "geometry": row.geometry,
    }
    if private:
        item |= {"reporter_name": row.reporter_name, "reporter_contact": row.reporter_contact,
                 "photo": row.photo, "channel": row.channel}
    return item


def event_dict(row: Any, *, hide_actor: str | None = None) -> dict[str, Any]:
    """An event row as a JSON-ready dict (the reporter's name hidden from the report event)."""
    actor = row.actor
    if hide_actor is not None and row.action == lifecycle.Action.REPORT and actor == hide_actor:
        actor = None
    return {"id": row.id, "at": iso(row.at), "actor": actor, "action": row.action,
            "from_status": row.from_status, "to_status": row.to_status,
            "from_level": row.from_level, "to_level": row.to_level, "note": row.note,
            "satisfaction": row.satisfaction, "extra": row.extra or {}}
