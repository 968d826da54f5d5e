"""Hazard service: report, move through the loop, read, list. The web and the CLI call these.

Every function takes an open SQLAlchemy ``Connection`` and commits nothing: the caller owns the
transaction (``with engine.begin() as conn: ...``), so a report, its first event and the
asset it marks broken are stored together or not at all; :func:`submit_report` is that
transaction for a report with its photo. The SQL is in :mod:`geo_service.hazards.store`.
Times are timezone-aware; ``now`` may be passed for tests and replays.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import IO, Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine

from geo_service.config import Settings
from geo_service.hazards import lifecycle, store
from geo_service.hazards.errors import InvalidInput, KeyReused, NotFound
from geo_service.hazards.inputs import EventRequest, HazardFilter, HazardReport
from geo_service.hazards.messages import Word
from geo_service.hazards.records import (  # noqa: F401 - the service's reading API
    CreateResult,
    HazardPage,
    degrees_for,
    event_dict,
    ewkt,
    iso,
    serialize,
    utcnow,
)
from geo_service.hazards.store import (  # noqa: F401 - the service's reading API
    ASSETS,
    append_event,
    find_by_key,
    get_hazard,
    list_hazards,
    photo_name,
    sync_assets,
    where_clause,
)
from geo_service.notify import outbox
from geo_service.vocab import HazardStatus, Level

DUPLICATE_RADIUS_M = 25.0
BUILDING_RADIUS_M = 10.0


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


# -- reporting -------------------------------------------------------------------------------
def likely_duplicates(conn: Connection, geom: BaseGeometry, category: str, *,
                      radius_m: float = DUPLICATE_RADIUS_M,
                      now: datetime | None = None) -> list[dict[str, Any]]:
    """Open hazards of ``category`` within ``radius_m`` (geodesic), nearest first."""
    rows = store.nearby_open(conn, geom, category, radius_m)
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
        wkb = store.asset_wkb(conn, table, asset_id)
        if wkb is None:
            raise InvalidInput(column, "hz.no_asset", id=asset_id, kind=Word(word))
        if geom is None:
            geom = shapely.from_wkb(wkb)
        category = category or default_category.value
    if geom is None or category is None:  # parse_report guarantees both, or an asset
        raise InvalidInput("geometry", "hz.no_location")
    return geom, category


def replay(conn: Connection, report: HazardReport, *, now: datetime) -> CreateResult | None:
    """The hazard this client stored under the report's idempotency key (``replayed``), None
    when there is none; :class:`KeyReused` (422) when that report had another body."""
    known = find_by_key(conn, report.client, report.idempotency_key or "")
    if known is None:
        return None
    hazard_id, digest = known
    if digest is not None and report.digest is not None and digest != report.digest:
        raise KeyReused()
    return CreateResult("replayed", get_hazard(conn, hazard_id, now=now))


def create_hazard(conn: Connection, report: HazardReport, *,
                  now: datetime | None = None) -> CreateResult:
    """Store a new hazard with its 'report' event, unless it is a replay or a likely duplicate.

    The same idempotency key from the same client (``report.client``) with the same body
    returns the stored hazard (``replayed``) and never a second row, even under concurrent
    posts (unique client + key, ``ON CONFLICT DO NOTHING``); with another body it raises
    :class:`KeyReused`; another client's key is its own. An open hazard of the
    same category within 25 m makes the outcome ``duplicate`` and stores nothing, unless
    ``report.confirm_duplicate`` (then the report event lists them as ``possible_duplicates``).
    Sets grid (most overlap), building (containing or nearest within 10 m) and due time;
    marks a named light or camera broken.
    """
    now = now or utcnow()
    geom, category = resolve_assets(conn, report)
    # One report per category at a time: the duplicate check then sees every earlier report.
    store.lock_category(conn, category)
    if report.idempotency_key is not None and (known := replay(conn, report, now=now)):
        return known
    duplicates = likely_duplicates(conn, geom, category, now=now)
    if duplicates and not report.confirm_duplicate:
        return CreateResult("duplicate", None, duplicates)
    # stored anyway: the report event names them for staff (the hazard page shows it)
    flagged = {"possible_duplicates": [d["id"] for d in duplicates]} if duplicates else {}
    hazard_id = store.insert_hazard(conn, {
            "geom": ewkt(geom), "key": report.idempotency_key, "client": report.client,
            "digest": report.digest, "category": category,
            "description": report.description, "severity": report.severity,
            "status": HazardStatus.REPORTED.value, "level": Level.BUILDING.value,
            "reporter_name": report.reporter_name, "reporter_contact": report.reporter_contact,
            "light_id": report.light_id, "camera_id": report.camera_id, "photo": report.photo,
            "now": now, "due_at": lifecycle.due_at(now, report.severity),
            "channel": report.channel, "deg": degrees_for(geom, BUILDING_RADIUS_M),
            "building_m": BUILDING_RADIUS_M})
    if hazard_id is None:  # a concurrent post with the same key won
        known = replay(conn, report, now=now)
        if known is None:
            raise RuntimeError("idempotency conflict without a stored hazard")
        return known
    event_id = append_event(conn, hazard_id, now=now, actor=report.actor,
                            action=lifecycle.Action.REPORT,
                            from_status=None, to_status=HazardStatus.REPORTED.value,
                            from_level=None, to_level=Level.BUILDING.value, note=None,
                            satisfaction=None, extra={"channel": report.channel, **report.extra,
                                                      **flagged})
    outbox.record(conn, event_id)  # its notifications, in this transaction
    sync_assets(conn, hazard_id, report.light_id, report.camera_id, broken=True)
    return CreateResult("created", get_hazard(conn, hazard_id, now=now))


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
    row = store.lock_hazard(conn, hazard_id)
    if row is None:
        raise NotFound("hz.not_found", id=hazard_id)
    step = lifecycle.plan(row.status, row.level, row.assignee, request.action,
                          new_assignee=request.assignee, reason=request.reason,
                          satisfaction=request.satisfaction, to_level=request.level,
                          to_status=request.status, duplicate_of=request.duplicate_of)
    if step.action == lifecycle.Action.DUPLICATE:
        store.check_original(conn, hazard_id, request.duplicate_of)
    store.update_state(conn, hazard_id, status=step.to_status, level=step.to_level,
                       assignee=step.assignee, now=now)
    extra: dict[str, Any] = dict(step.extra)
    if step.action in (lifecycle.Action.ASSIGN, lifecycle.Action.REOPEN) and request.assignee:
        extra["assignee"] = request.assignee
    if step.action == lifecycle.Action.ESCALATE:
        extra["reason"] = request.reason
    event_id = append_event(
        conn, hazard_id, now=now, actor=request.actor, action=step.action,
        from_status=step.from_status, to_status=step.to_status, from_level=step.from_level,
        to_level=step.to_level,
        note=request.note or (request.reason if step.action == lifecycle.Action.ESCALATE
                              or step.action in lifecycle.DISMISSALS else None),
        satisfaction=request.satisfaction if step.action == lifecycle.Action.REVISIT else None,
        extra=extra or None)
    outbox.record(conn, event_id)  # its notifications, in this transaction
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
    from geo_service.hazards import landing, photos

    limit = photos.max_bytes(settings)
    folder = photos.uploads_dir(settings)
    stored: str | None = None
    try:
        if upload is not None:
            content = photos.read_limited(upload.stream, limit)
            if content or upload.filename:  # a form's empty file field means no photo
                stored = photos.save(content, photos.check(content, limit), folder)
                report = replace(report, photo=stored, digest=hashlib.sha256(
                    (report.digest or "").encode() + hashlib.sha256(content).digest())
                    .hexdigest())
        with engine.begin() as conn:
            landing.refuse_outside(conn, report.geometry, settings.report_margin_m)
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
