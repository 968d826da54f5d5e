"""Hazard service: report, move through the loop, read, list. The web and the CLI call these.

Every function takes an open SQLAlchemy ``Connection`` and commits nothing: the caller owns the
transaction (``with engine.begin() as conn: ...``), so a report, its first event and the
asset it marks broken are stored together or not at all. Times are timezone-aware; ``now`` may
be passed for tests and replays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import IO, Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from geo_service.config import Settings
from geo_service.hazards import lifecycle
from geo_service.hazards.errors import InvalidInput, NotFound
from geo_service.hazards.inputs import LOCAL_TZ, EventRequest, HazardFilter, HazardReport
from geo_service.hazards.messages import Word
from geo_service.vocab import HazardCategory, HazardStatus, Level

DUPLICATE_RADIUS_M = 25.0
BUILDING_RADIUS_M = 10.0
LOCK_NAMESPACE = 3110  # pg_advisory_xact_lock(namespace, hashtext(category))
ASSETS = {"light_id": ("lights", "hz.light", HazardCategory.BROKEN_LIGHT),
          "camera_id": ("cameras", "hz.camera", HazardCategory.BROKEN_CAMERA)}

HAZARD_SQL = """
SELECT h.id, h.source_id, h.category, h.description, h.severity, h.status, h.level,
       h.assignee, h.grid_id, g.number AS grid_number, h.building_id, h.light_id, h.camera_id,
       h.photo, h.reporter_name, h.reporter_contact, h.reported_at, h.due_at, h.updated_at,
       h.source AS channel, ST_AsGeoJSON(h.geom, 8)::json AS geometry,
       ST_X(ST_PointOnSurface(h.geom)) AS lon, ST_Y(ST_PointOnSurface(h.geom)) AS lat,
       (SELECT e.satisfaction FROM hazard_events e WHERE e.hazard_id = h.id
            AND e.action = 'revisit' ORDER BY e.at DESC, e.id DESC LIMIT 1) AS satisfaction,
       (SELECT e.extra FROM hazard_events e WHERE e.hazard_id = h.id
            AND e.action = 'report' ORDER BY e.at, e.id LIMIT 1) AS report_extra
FROM hazards h LEFT JOIN grids g ON g.id = h.grid_id
"""
EVENT_SQL = """
SELECT id, at, actor, action, from_status, to_status, from_level, to_level, note,
       satisfaction, extra
FROM hazard_events WHERE hazard_id = :id ORDER BY at, id
"""


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
        "overdue": lifecycle.is_overdue(row.status, row.due_at, now),
        "allowed_actions": lifecycle.allowed_actions(row.status, row.level),
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


# -- reading ---------------------------------------------------------------------------------
def get_hazard(conn: Connection, hazard_id: int, *, private: bool = False,
               now: datetime | None = None, events: bool = True) -> dict[str, Any]:
    """One hazard with its events in order and its overdue flag; :class:`NotFound` if none.

    Reporter name and contact (and the photo's stored name) are left out unless ``private``.
    """
    row = conn.execute(text(HAZARD_SQL + " WHERE h.id = :id"), {"id": hazard_id}).first()
    if row is None:
        raise NotFound("hz.not_found", id=hazard_id)
    item = serialize(row, private=private, now=now or utcnow())
    if events:
        hide = None if private else row.reporter_name
        item["events"] = [event_dict(e, hide_actor=hide)
                          for e in conn.execute(text(EVENT_SQL), {"id": hazard_id})]
    return item


def where_clause(filters: HazardFilter, now: datetime) -> tuple[str, dict[str, Any]]:
    """SQL conditions (on alias ``h``) and parameters for ``filters``."""
    parts: list[str] = []
    params: dict[str, Any] = {"now": now}
    lists = {"ids": ("h.id", filters.ids), "categories": ("h.category", filters.categories),
             "statuses": ("h.status", filters.statuses), "levels": ("h.level", filters.levels),
             "severities": ("h.severity", filters.severities)}
    for name, (column, values) in lists.items():
        if values:
            parts.append(f"{column} = ANY(:{name})")
            params[name] = list(values)
    if filters.grids:
        parts.append("h.grid_id IN (SELECT id FROM grids WHERE number = ANY(:grids))")
        params["grids"] = list(filters.grids)
    if filters.date_from is not None:
        parts.append("h.reported_at >= :date_from")
        params["date_from"] = filters.date_from
    if filters.date_to is not None:
        parts.append("h.reported_at < :date_to")
        params["date_to"] = filters.date_to
    if filters.updated_from is not None:
        parts.append("h.updated_at >= :updated_from")
        params["updated_from"] = filters.updated_from
    overdue = "(h.status <> 'closed' AND h.due_at IS NOT NULL AND h.due_at < :now)"
    if filters.overdue is True:
        parts.append(overdue)
    elif filters.overdue is False:
        parts.append(f"NOT {overdue}")
    if filters.bbox is not None:
        parts.append("h.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326) "
                     "AND ST_Intersects(h.geom, ST_MakeEnvelope(:w, :s, :e, :n, 4326))")
        params |= dict(zip("wsen", filters.bbox, strict=True))
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def list_hazards(conn: Connection, filters: HazardFilter | None = None, *,
                 limit: int | None = 100, offset: int = 0, now: datetime | None = None,
                 private: bool = False) -> HazardPage:
    """Hazards matching ``filters``, newest report first; ``limit=None`` means all."""
    now = now or utcnow()
    where, params = where_clause(filters or HazardFilter(), now)
    total = conn.execute(text(f"SELECT count(*) FROM hazards h{where}"), params).scalar_one()
    page = f" LIMIT {int(limit)}" if limit is not None else ""
    rows = conn.execute(text(f"{HAZARD_SQL}{where} ORDER BY h.reported_at DESC, h.id DESC"
                             f"{page} OFFSET {int(offset)}"), params)
    return HazardPage([serialize(r, private=private, now=now) for r in rows], total)


def export_csv(conn: Connection, filters: HazardFilter | None = None, *, lang: str = "zh",
               now: datetime | None = None) -> bytes:
    """Exactly the filtered hazards as CSV, UTF-8 with a BOM (Excel reads the Chinese)."""
    from geo_service.hazards.export import to_csv

    return to_csv(list_hazards(conn, filters, limit=None, now=now).items, lang)


def export_geojson(conn: Connection, filters: HazardFilter | None = None, *,
                   now: datetime | None = None) -> dict[str, Any]:
    """Exactly the filtered hazards as a GeoJSON FeatureCollection."""
    from geo_service.hazards.export import to_geojson

    return to_geojson(list_hazards(conn, filters, limit=None, now=now).items)


def photo_name(conn: Connection, hazard_id: int) -> str:
    """The stored name of a hazard's photo; :class:`NotFound` when it has none."""
    row = conn.execute(text("SELECT photo FROM hazards WHERE id = :id"), {"id": hazard_id}).first()
    if row is None:
        raise NotFound("hz.not_found", id=hazard_id)
    if row.photo is None:
        raise NotFound("hz.no_photo")
    return row.photo


# -- reporting -------------------------------------------------------------------------------
def likely_duplicates(conn: Connection, geom: BaseGeometry, category: str, *,
                      radius_m: float = DUPLICATE_RADIUS_M,
                      now: datetime | None = None) -> list[dict[str, Any]]:
    """Open hazards of ``category`` within ``radius_m`` (geodesic), nearest first."""
    rows = conn.execute(text("""
        WITH src AS (SELECT ST_GeomFromEWKT(:geom) AS geom)
        SELECT h.id, ST_Distance(h.geom::geography, src.geom::geography) AS distance_m
        FROM hazards h, src
        WHERE h.category = :category AND h.status <> 'closed'
          AND h.geom && ST_Expand(src.geom, :deg)
          AND ST_DWithin(h.geom::geography, src.geom::geography, :radius)
        ORDER BY distance_m, h.id LIMIT 10"""),
        {"geom": ewkt(geom), "category": category, "radius": radius_m,
         "deg": degrees_for(geom, radius_m)}).all()
    if not rows:
        return []
    found = list_hazards(conn, HazardFilter(ids=tuple(r.id for r in rows)), limit=None,
                         now=now).items
    by_id = {item["id"]: item for item in found}
    return [by_id[r.id] | {"distance_m": round(r.distance_m, 1)} for r in rows]


def resolve_assets(conn: Connection, report: HazardReport) -> tuple[BaseGeometry, str]:
    """Check the named light/camera exist; fill the location and category from them."""
    geom, category = report.geometry, report.category
    for column, (table, word, default_category) in ASSETS.items():
        asset_id = getattr(report, column)
        if asset_id is None:
            continue
        row = conn.execute(text(f"SELECT ST_AsBinary(geom) AS wkb FROM {table} WHERE id = :id"),
                           {"id": asset_id}).first()
        if row is None:
            raise InvalidInput(column, "hz.no_asset", id=asset_id, kind=Word(word))
        if geom is None:
            geom = shapely.from_wkb(bytes(row.wkb))
        category = category or default_category.value
    if geom is None or category is None:  # parse_report guarantees both, or an asset
        raise InvalidInput("geometry", "hz.no_location")
    return geom, category


def create_hazard(conn: Connection, report: HazardReport, *,
                  now: datetime | None = None) -> CreateResult:
    """Store a new hazard with its 'report' event, unless it is a replay or a likely duplicate.

    The same idempotency key returns the stored hazard (``replayed``) and never a second row,
    even under concurrent posts (unique key + ``ON CONFLICT DO NOTHING``). An open hazard of the
    same category within 25 m makes the outcome ``duplicate`` and stores nothing, unless
    ``report.confirm_duplicate``. Sets grid (most overlap), building (containing or nearest
    within 10 m) and due time; marks a named light or camera broken.
    """
    now = now or utcnow()
    geom, category = resolve_assets(conn, report)
    # One report per category at a time: the duplicate check then sees every earlier report.
    conn.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:category))"),
                 {"ns": LOCK_NAMESPACE, "category": category})
    if report.idempotency_key is not None:
        known = find_by_key(conn, report.idempotency_key)
        if known is not None:
            return CreateResult("replayed", get_hazard(conn, known, now=now))
    if not report.confirm_duplicate:
        duplicates = likely_duplicates(conn, geom, category, now=now)
        if duplicates:
            return CreateResult("duplicate", None, duplicates)
    hazard_id = conn.execute(text("""
        WITH src AS (SELECT ST_GeomFromEWKT(:geom) AS geom)
        INSERT INTO hazards (idempotency_key, category, description, severity, status, level,
                             reporter_name, reporter_contact, light_id, camera_id, photo,
                             reported_at, due_at, updated_at, source, geom, grid_id, building_id)
        SELECT :key, :category, :description, :severity, :status, :level, :reporter_name,
               :reporter_contact, :light_id, :camera_id, :photo, :now, :due_at, :now,
               :channel, src.geom,
               (SELECT g.id FROM grids g WHERE ST_Intersects(g.geom, src.geom)
                ORDER BY ST_Area(ST_Intersection(g.geom, ST_Buffer(src.geom, 1e-6))) DESC,
                         g.number LIMIT 1),
               (SELECT b.id FROM buildings b
                WHERE b.geom && ST_Expand(src.geom, :deg)
                  AND ST_DWithin(b.geom::geography, src.geom::geography, :building_m)
                ORDER BY ST_Distance(b.geom::geography, src.geom::geography), b.id LIMIT 1)
        FROM src
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id"""), {
            "geom": ewkt(geom), "key": report.idempotency_key, "category": category,
            "description": report.description, "severity": report.severity,
            "status": HazardStatus.REPORTED.value, "level": Level.BUILDING.value,
            "reporter_name": report.reporter_name, "reporter_contact": report.reporter_contact,
            "light_id": report.light_id, "camera_id": report.camera_id, "photo": report.photo,
            "now": now, "due_at": lifecycle.due_at(now, report.severity),
            "channel": report.channel, "deg": degrees_for(geom, BUILDING_RADIUS_M),
            "building_m": BUILDING_RADIUS_M}).scalar()
    if hazard_id is None:  # a concurrent post with the same key won
        known = find_by_key(conn, report.idempotency_key or "")
        if known is None:
            raise RuntimeError("idempotency conflict without a stored hazard")
        return CreateResult("replayed", get_hazard(conn, known, now=now))
    append_event(conn, hazard_id, now=now, actor=report.actor, action=lifecycle.Action.REPORT,
                 from_status=None, to_status=HazardStatus.REPORTED.value, from_level=None,
                 to_level=Level.BUILDING.value, note=None, satisfaction=None,
                 extra={"channel": report.channel, **report.extra})
    sync_assets(conn, hazard_id, report.light_id, report.camera_id, broken=True)
    return CreateResult("created", get_hazard(conn, hazard_id, now=now))


def find_by_key(conn: Connection, key: str) -> int | None:
    """The hazard stored under an idempotency key, if any."""
    return conn.execute(text("SELECT id FROM hazards WHERE idempotency_key = :key"),
                        {"key": key}).scalar()


def append_event(conn: Connection, hazard_id: int, *, now: datetime, **values: Any) -> int:
    """Insert one history event (the table refuses updates and deletes)."""
    statement = text("""
        INSERT INTO hazard_events (hazard_id, at, actor, action, from_status, to_status,
                                   from_level, to_level, note, satisfaction, extra)
        VALUES (:hazard_id, :at, :actor, :action, :from_status, :to_status, :from_level,
                :to_level, :note, :satisfaction, :extra)
        RETURNING id""").bindparams(bindparam("extra", type_=JSONB(none_as_null=True)))
    values["action"] = str(values["action"])
    return conn.execute(statement, {"hazard_id": hazard_id, "at": now, **values}).scalar_one()


def sync_assets(conn: Connection, hazard_id: int, light_id: int | None, camera_id: int | None,
                *, broken: bool) -> None:
    """Mark the hazard's light/camera broken, or working again when no other hazard that
    keeps it broken remains."""
    for column, asset_id in (("light_id", light_id), ("camera_id", camera_id)):
        if asset_id is None:
            continue
        table = ASSETS[column][0]
        if broken:
            conn.execute(text(f"UPDATE {table} SET status = 'broken' "
                              "WHERE id = :id AND status = 'working'"), {"id": asset_id})
        else:
            conn.execute(text(f"""
                UPDATE {table} SET status = 'working'
                WHERE id = :id AND status = 'broken' AND NOT EXISTS (
                    SELECT 1 FROM hazards h WHERE h.{column} = :id AND h.id <> :hazard
                      AND h.status = ANY(:keeping))"""),
                {"id": asset_id, "hazard": hazard_id,
                 "keeping": [s.value for s in lifecycle.ASSET_BROKEN_STATUSES]})


# -- the loop --------------------------------------------------------------------------------
def apply_event(conn: Connection, hazard_id: int, request: EventRequest, *,
                now: datetime | None = None) -> dict[str, Any]:
    """Check an action against the lifecycle, update the hazard and append the event.

    The hazard row is locked (``FOR UPDATE``) so concurrent changes are serialised; a refused
    action raises :class:`TransitionRefused` and changes nothing. Resolving (or closing) a
    hazard tied to a light or camera sets that asset working again; reopening marks it broken.
    Returns ``{"event": ..., "hazard": ...}``.
    """
    now = now or utcnow()
    row = conn.execute(text("SELECT id, status, level, assignee, light_id, camera_id "
                            "FROM hazards WHERE id = :id FOR UPDATE"), {"id": hazard_id}).first()
    if row is None:
        raise NotFound("hz.not_found", id=hazard_id)
    step = lifecycle.plan(row.status, row.level, row.assignee, request.action,
                          new_assignee=request.assignee, reason=request.reason,
                          satisfaction=request.satisfaction, to_level=request.level,
                          to_status=request.status)
    conn.execute(text("UPDATE hazards SET status = :status, level = :level, "
                      "assignee = :assignee, updated_at = :now WHERE id = :id"),
                 {"status": step.to_status, "level": step.to_level, "assignee": step.assignee,
                  "now": now, "id": hazard_id})
    extra: dict[str, Any] = {}
    if step.action in (lifecycle.Action.ASSIGN, lifecycle.Action.REOPEN) and request.assignee:
        extra["assignee"] = request.assignee
    if step.action == lifecycle.Action.ESCALATE:
        extra["reason"] = request.reason
    event_id = append_event(
        conn, hazard_id, now=now, actor=request.actor, action=step.action,
        from_status=step.from_status, to_status=step.to_status, from_level=step.from_level,
        to_level=step.to_level,
        note=request.note or (request.reason if step.action == lifecycle.Action.ESCALATE
                              else None),
        satisfaction=request.satisfaction if step.action == lifecycle.Action.REVISIT else None,
        extra=extra or None)
    was, becomes = (lifecycle.asset_broken(step.from_status),
                    lifecycle.asset_broken(step.to_status))
    if was != becomes:
        sync_assets(conn, hazard_id, row.light_id, row.camera_id, broken=becomes)
    hazard = get_hazard(conn, hazard_id, now=now)
    event = next(e for e in hazard["events"] if e["id"] == event_id)
    return {"event": event, "hazard": hazard}


# -- the report transaction ---------------------------------------------------------------------
@dataclass(frozen=True)
class PhotoUpload:
    """A photo sent with a report: its byte stream and the file name the client gave."""

    stream: IO[bytes]
    filename: str | None = None


@dataclass
class Submission:
    """A report's outcome with the hazard and likely duplicates as the reporter may see them."""

    outcome: str
    hazard: dict[str, Any] | None
    duplicates: list[dict[str, Any]]


def submit_report(engine: Engine, report: HazardReport, *, settings: Settings,
                  user: Any = None, upload: PhotoUpload | None = None) -> Submission:
    """Store a report with its photo (JSON API, the report page and Open311 call this).

    The photo is checked and saved first; the hazard, its first event and the signed-in
    reporter are stored in one transaction. The photo is removed again when the transaction
    fails or stores nothing (a replay, a likely duplicate). What comes back is cut down to
    what ``user`` may see (:mod:`geo_service.auth.privacy`).
    """
    from geo_service.auth import privacy
    from geo_service.auth.accounts import mark_reporter
    from geo_service.hazards import photos

    limit = photos.max_bytes(settings)
    folder = photos.uploads_dir(settings)
    stored: str | None = None
    try:
        if upload is not None:
            content = photos.read_limited(upload.stream, limit)
            if content or upload.filename:  # a form's empty file field means no photo
                stored = photos.save(content, photos.check(content, limit), folder)
                report = replace(report, photo=stored)
        with engine.begin() as conn:
            result = create_hazard(conn, report)
            if result.outcome == "created":
                mark_reporter(conn, result.hazard["id"], user)
            duplicates = privacy.view_all(conn, result.duplicates, user)
            hazard = (privacy.view_one(conn, result.hazard, user)
                      if result.hazard is not None else None)
    except BaseException:
        photos.discard(folder, stored)
        raise
    if result.outcome != "created":
        photos.discard(folder, stored)
    return Submission(result.outcome, hazard, duplicates)
