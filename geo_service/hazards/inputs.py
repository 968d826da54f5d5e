"""Untrusted request data (JSON, forms, query strings) -> typed, checked requests.

Every problem raises :class:`~geo_service.hazards.errors.InvalidInput` naming the field, so
no malformed value reaches the database. Form fields arrive as strings, JSON values with their
own types; both are accepted where the meaning is clear (``"4"`` and ``4`` for a number).
Text PostgreSQL cannot store (NUL, a lone UTF-16 surrogate such as ``"\\ud800"`` in JSON) is
refused by :func:`refuse_unstorable_text`, which every way in (JSON API, Open311, the pages)
runs over the whole request before anything else.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from geo_service.hazards.errors import InvalidInput
from geo_service.hazards.lifecycle import OPEN_STATUSES, Action
from geo_service.vocab import HazardCategory, HazardStatus, Level, Severity

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
GEOMETRY_DEPTH = {"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3,
                  "Polygon": 3, "MultiPolygon": 4}
MAX_POSITIONS = 10_000
MAX_DESCRIPTION = 5_000
MAX_NAME = 100
MAX_NOTE = 2_000
INT_MAX = 2**31 - 1
TRUE = {"true", "1", "yes", "on"}
FALSE = {"false", "0", "no", "off", ""}


@dataclass(frozen=True)
class HazardReport:
    """A checked report of a new hazard."""

    geometry: BaseGeometry | None
    category: str | None
    description: str | None = None
    severity: str = Severity.MEDIUM.value
    reporter_name: str | None = None
    reporter_contact: str | None = None
    light_id: int | None = None
    camera_id: int | None = None
    photo: str | None = None
    idempotency_key: str | None = None
    confirm_duplicate: bool = False
    actor: str | None = None
    channel: str = "api"
    extra: dict[str, Any] = field(default_factory=dict)
    client: str = ""  # whose idempotency key it is: user:<id>, token:<id>, addr:<address>
    digest: str | None = None  # SHA-256 of the body (:func:`body_digest`)


@dataclass(frozen=True)
class EventRequest:
    """A checked request to move a hazard through its loop."""

    action: str
    actor: str | None = None
    note: str | None = None
    assignee: str | None = None
    level: str | None = None
    reason: str | None = None
    satisfaction: int | None = None
    status: str | None = None  # where ``reopen`` goes: in_progress (default) or assigned
    duplicate_of: int | None = None  # the original, for ``duplicate``


@dataclass(frozen=True)
class HazardFilter:
    """Which hazards a list or an export holds (empty lists mean any)."""

    ids: tuple[int, ...] = ()
    grids: tuple[int, ...] = ()  # grid numbers
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    date_from: datetime | None = None  # reported at or after
    date_to: datetime | None = None  # reported before
    updated_from: datetime | None = None
    overdue: bool | None = None
    bbox: tuple[float, float, float, float] | None = None


# -- text that cannot be stored ----------------------------------------------------------------
def unstorable(value: str) -> bool:
    """Whether ``value`` holds NUL or a lone surrogate (neither fits in PostgreSQL text)."""
    return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)


def refuse_unstorable_text(data: Any, field: str = "body") -> None:
    """Walk a request's fields (nested lists and objects too) and raise a 400
    :class:`InvalidInput` naming the top-level field whose text holds NUL or a lone surrogate
    (``body`` when it is a field name itself)."""
    if isinstance(data, str):
        if unstorable(data):
            raise InvalidInput(field, "hz.bad_text", malformed=True)
    elif isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str) and unstorable(key):
                raise InvalidInput(field, "hz.bad_text", malformed=True)
            refuse_unstorable_text(value, str(key) if field == "body" else field)
    elif isinstance(data, list | tuple):
        for item in data:
            refuse_unstorable_text(item, field)


def to_page(value: Any, name: str = "page", *, high: int = INT_MAX) -> int | None:
    """A page, offset or limit number of a query string: a whole number in ``[1, high]``
    (or ``[0, high]`` for ``offset``); anything else is a 400 naming it."""
    try:
        return to_int(value, name, low=0 if name == "offset" else 1, high=high)
    except InvalidInput as error:
        params = {k: v for k, v in error.params.items() if k != "field"}
        raise InvalidInput(name, error.key, malformed=True, **params) from None


# -- single values ----------------------------------------------------------------------------
def text(data: Mapping[str, Any], name: str, *, limit: int = MAX_NAME,
         required: bool = False) -> str | None:
    """A text field, stripped; blank means absent; NUL or a lone surrogate is a 400."""
    value = data.get(name)
    if value is None:
        if required:
            raise InvalidInput(name, "hz.required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(name, "hz.not_text")
    refuse_unstorable_text(str(value), name)
    value = str(value).strip()
    if not value:
        if required:
            raise InvalidInput(name, "hz.blank")
        return None
    if len(value) > limit:
        raise InvalidInput(name, "hz.too_long", limit=limit)
    return value


def integer(data: Mapping[str, Any], name: str, *, low: int = 1, high: int = INT_MAX,
            required: bool = False) -> int | None:
    """A whole number in ``[low, high]`` (``"4"`` and ``4.0`` accepted)."""
    return to_int(data.get(name), name, low=low, high=high, required=required)


def to_int(value: Any, name: str, *, low: int = 1, high: int = INT_MAX,
           required: bool = False) -> int | None:
    """Convert one value to a whole number in ``[low, high]``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(name, "hz.required")
        return None
    if isinstance(value, bool):
        raise InvalidInput(name, "hz.not_int")
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidInput(name, "hz.not_int")
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip(), 10)
        except ValueError:
            raise InvalidInput(name, "hz.not_int") from None
    if not isinstance(value, int):
        raise InvalidInput(name, "hz.not_int")
    if not low <= value <= high:
        raise InvalidInput(name, "hz.int_range", low=low, high=high)
    return value


def number(value: Any, name: str) -> float:
    """A finite number (``"27.5"`` accepted)."""
    if isinstance(value, bool) or value is None:
        raise InvalidInput(name, "hz.not_number")
    try:
        result = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise InvalidInput(name, "hz.not_number") from None
    if not math.isfinite(result):
        raise InvalidInput(name, "hz.not_number")
    return result


def boolean(data: Mapping[str, Any], name: str, default: bool = False) -> bool:
    """A true/false field (``true``, ``1``, ``yes``, ``on`` and their opposites)."""
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and str(value).strip().lower() in TRUE | FALSE:
        return str(value).strip().lower() in TRUE
    raise InvalidInput(name, "hz.not_bool")


def choice(value: Any, name: str, enum: type[StrEnum], extra: tuple[str, ...] = ()) -> str:
    """One value of a vocabulary."""
    allowed = [m.value for m in enum] + list(extra)
    if not isinstance(value, str) or value.strip() not in allowed:
        shown = value if isinstance(value, str | int | float) else type(value).__name__
        raise InvalidInput(name, "hz.one_of", value=str(shown)[:50], allowed=allowed)
    return value.strip()


def when(value: Any, name: str, *, end: bool = False) -> datetime:
    """An ISO 8601 date or date-time; dates and naive times are local (Asia/Shanghai).

    With ``end``, a bare date means the end of that day (the next day's start).
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(name, "hz.bad_date")
    raw = value.strip()
    if "T" in raw and raw.count(" ") == 1:  # a '+' in a query string that arrived as a space
        raw = raw.replace(" ", "+")
    try:
        if len(raw) == 10:
            start = datetime.combine(date.fromisoformat(raw), time(), LOCAL_TZ)
            stamp = start + timedelta(days=1) if end else start
        else:
            stamp = datetime.fromisoformat(raw)
            stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=LOCAL_TZ)
        stamp.astimezone(UTC)  # out of range once in UTC (year 1 or 9999)?
    except (ValueError, OverflowError):
        raise InvalidInput(name, "hz.bad_date") from None
    return stamp


# -- geometry --------------------------------------------------------------------------------
def check_positions(coords: Any, depth: int, name: str, counter: list[int]) -> None:
    """Walk GeoJSON coordinates: nested lists of [lon, lat(, z)] of finite, in-range numbers."""
    if not isinstance(coords, list):
        raise InvalidInput(name, "hz.bad_geometry", reason="coordinates")
    if depth == 1:
        if len(coords) not in (2, 3):
            raise InvalidInput(name, "hz.bad_geometry", reason="position")
        lon, lat = (number(c, name) for c in coords[:2])
        if not -180 <= lon <= 180:
            raise InvalidInput(name, "hz.lon_range")
        if not -90 <= lat <= 90:
            raise InvalidInput(name, "hz.lat_range")
        counter[0] += 1
        if counter[0] > MAX_POSITIONS:
            raise InvalidInput(name, "hz.too_long", limit=MAX_POSITIONS)
        return
    for item in coords:
        check_positions(item, depth - 1, name, counter)


def check_rings(coords: list[Any], kind: str, name: str) -> None:
    """Polygon rings must be closed (first position = last) with at least 4 positions
    (RFC 7946, 3.1.6); shapely would silently close them."""
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    for polygon in polygons:
        for ring in polygon:
            if len(ring) < 4:
                raise InvalidInput(name, "hz.bad_geometry", reason="ring of fewer than 4 "
                                                                   "positions")
            if [number(c, name) for c in ring[0]] != [number(c, name) for c in ring[-1]]:
                raise InvalidInput(name, "hz.bad_geometry", reason="ring not closed")


def geometry(value: Any, name: str = "geometry") -> BaseGeometry:
    """A GeoJSON geometry (object, Feature or JSON text) in EPSG:4326 -> valid 2D shapely."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            raise InvalidInput(name, "hz.bad_geometry", reason="JSON") from None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict):
        raise InvalidInput(name, "hz.bad_geometry", reason="GeoJSON")
    kind = value.get("type")
    if kind not in GEOMETRY_DEPTH:
        raise InvalidInput(name, "hz.geometry_kind", kind=str(kind)[:40])
    check_positions(value.get("coordinates"), GEOMETRY_DEPTH[kind], name, [0])
    check_rings(value["coordinates"], kind, name)
    try:
        geom = shapely.force_2d(shape(value))
    except (ShapelyError, ValueError, TypeError, IndexError, KeyError, AttributeError):
        raise InvalidInput(name, "hz.bad_geometry", reason=kind) from None
    if geom.is_empty:
        raise InvalidInput(name, "hz.bad_geometry", reason="empty")
    if not geom.is_valid:
        raise InvalidInput(name, "hz.bad_geometry", reason=explain_validity(geom)[:100])
    return geom


def location(data: Mapping[str, Any]) -> BaseGeometry | None:
    """``geometry``, or a point from ``lat`` and ``lon`` (``lng``/``long`` too); None if absent."""
    if data.get("geometry") not in (None, ""):
        return geometry(data["geometry"])
    lon_key = next((k for k in ("lon", "lng", "long") if data.get(k) not in (None, "")), None)
    has_lat = data.get("lat") not in (None, "")
    if lon_key is None and not has_lat:
        return None
    if lon_key is None or not has_lat:
        raise InvalidInput("lon" if lon_key is None else "lat", "hz.required")
    lat, lon = number(data["lat"], "lat"), number(data[lon_key], lon_key)
    if not -90 <= lat <= 90:
        raise InvalidInput("lat", "hz.lat_range")
    if not -180 <= lon <= 180:
        raise InvalidInput(lon_key, "hz.lon_range")
    return shapely.Point(lon, lat)


# -- whole requests ------------------------------------------------------------------------------
NOT_IN_DIGEST = frozenset({"idempotency_key", "csrf_token"})


def body_digest(data: Mapping[str, Any], extra: Mapping[str, Any] | None = None,
                photo: bytes | None = None) -> str:
    """SHA-256 (hex) of a report's fields as sent (key order and JSON spacing aside; the
    idempotency key and CSRF token left out), its extra fields and its photo's bytes."""
    fields = {k: v for k, v in data.items() if k not in NOT_IN_DIGEST}
    canonical = json.dumps([fields, dict(extra or {})], sort_keys=True, ensure_ascii=True,
                           separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode("ascii"))
    if photo:
        digest.update(hashlib.sha256(photo).digest())
    return digest.hexdigest()


def parse_report(data: Mapping[str, Any], *, idempotency_key: str | None = None,
                 channel: str = "api", extra: dict[str, Any] | None = None,
                 actor: str | None = None, client: str = "") -> HazardReport:
    """Check a report. A location is needed unless a light or camera is named. ``actor``
    (who reports, :func:`geo_service.auth.policy.actor_of`) never comes from ``data``;
    ``client`` scopes the idempotency key."""
    light_id = integer(data, "light_id")
    camera_id = integer(data, "camera_id")
    geom = location(data)
    if geom is None and light_id is None and camera_id is None:
        raise InvalidInput("geometry", "hz.no_location")
    category = data.get("category")
    if category in (None, "") and light_id is None and camera_id is None:
        raise InvalidInput("category", "hz.required")
    key = idempotency_key if idempotency_key is not None else data.get("idempotency_key")
    return HazardReport(
        geometry=geom,
        category=None if category in (None, "") else choice(category, "category",
                                                            HazardCategory),
        description=text(data, "description", limit=MAX_DESCRIPTION),
        severity=(choice(data["severity"], "severity", Severity)
                  if data.get("severity") not in (None, "") else Severity.MEDIUM.value),
        reporter_name=text(data, "reporter_name"),
        reporter_contact=text(data, "reporter_contact"),
        light_id=light_id,
        camera_id=camera_id,
        idempotency_key=text({"idempotency_key": key}, "idempotency_key"),
        confirm_duplicate=boolean(data, "confirm_duplicate"),
        actor=actor,
        channel=channel,
        extra=dict(extra or {}),
        client=client,
        digest=body_digest(data, extra),
    )


def parse_event(data: Mapping[str, Any], *, actor: str | None = None) -> EventRequest:
    """Check an event request's values (the lifecycle checks whether it is allowed); ``actor``
    is who acts (:func:`geo_service.auth.policy.actor_of`), never a field of ``data``."""
    action = data.get("action")
    if action in (None, ""):
        raise InvalidInput("action", "hz.required")
    allowed = tuple(a.value for a in Action if a != Action.REPORT)
    if not isinstance(action, str) or action.strip() not in allowed:
        raise InvalidInput("action", "hz.one_of", value=str(action)[:50], allowed=list(allowed))
    level = data.get("level")
    status = data.get("status")
    return EventRequest(
        action=action.strip(),
        actor=actor,
        note=text(data, "note", limit=MAX_NOTE),
        assignee=text(data, "assignee"),
        level=None if level in (None, "") else choice(level, "level", Level),
        reason=text(data, "reason", limit=MAX_NOTE),
        satisfaction=integer(data, "satisfaction", low=1, high=5),
        status=None if status in (None, "") else choice(status, "status", HazardStatus),
        duplicate_of=integer(data, "duplicate_of"),
    )


def values_of(args: Mapping[str, Any], name: str) -> list[str]:
    """All values of a query parameter: repeated (``?a=1&a=2``) or comma-separated."""
    raw = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]
    out: list[str] = []
    for item in raw:
        if item is None:
            continue
        if not isinstance(item, str):
            raise InvalidInput(name, "hz.not_text")
        out.extend(part.strip() for part in item.split(",") if part.strip())
    return out


def parse_filters(args: Mapping[str, Any]) -> HazardFilter:
    """Filters from query parameters: ``id``, ``grid`` (numbers), ``category``, ``status``
    (``open`` = every status but closed), ``level``, ``severity``, ``date_from``/``date_to``
    (reported; dates are whole local days), ``overdue`` (true/false), ``bbox`` (w,s,e,n)."""
    statuses: list[str] = []
    for value in values_of(args, "status"):
        if value == "open":
            statuses.extend(s.value for s in OPEN_STATUSES)
        else:
            statuses.append(choice(value, "status", HazardStatus, ("open",)))
    date_from = values_of(args, "date_from")
    date_to = values_of(args, "date_to")
    overdue = values_of(args, "overdue")
    return HazardFilter(
        ids=tuple(to_int(v, "id") for v in values_of(args, "id")),
        grids=tuple(to_int(v, "grid") for v in values_of(args, "grid")),
        categories=tuple(choice(v, "category", HazardCategory)
                         for v in values_of(args, "category")),
        statuses=tuple(dict.fromkeys(statuses)),
        levels=tuple(choice(v, "level", Level) for v in values_of(args, "level")),
        severities=tuple(choice(v, "severity", Severity) for v in values_of(args, "severity")),
        date_from=when(date_from[0], "date_from") if date_from else None,
        date_to=when(date_to[0], "date_to", end=True) if date_to else None,
        overdue=boolean({"overdue": overdue[0]}, "overdue") if overdue else None,
        bbox=parse_bbox(values_of(args, "bbox")),
    )


def parse_bbox(parts: list[str]) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in degrees, or None."""
    if not parts:
        return None
    if len(parts) != 4:
        raise InvalidInput("bbox", "hz.bad_bbox")
    west, south, east, north = (number(p, "bbox") for p in parts)
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidInput("bbox", "hz.bad_bbox")
    return west, south, east, north
