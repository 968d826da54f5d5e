"""Every SQL statement about hazards: reading, filtering, storing reports and events, assets.

:mod:`geo_service.hazards.service` holds the transactions that use these (a report, its first
event and the asset it marks broken together); rows become dicts in :mod:`.records`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from geo_service.hazards import lifecycle
from geo_service.hazards.errors import InvalidInput, NotFound
from geo_service.hazards.inputs import HazardFilter
from geo_service.hazards.records import HazardPage, degrees_for, event_dict, ewkt, serialize, utcnow
from geo_service.vocab import HazardCategory

LOCK_NAMESPACE = 3110  # pg_advisory_xact_lock(namespace, hashtext(category))
ASSETS = {"light_id": ("lights", "hz.light", HazardCategory.BROKEN_LIGHT),
          "camera_id": ("cameras", "hz.camera", HazardCategory.BROKEN_CAMERA)}



# -- overdue, the SQL form of :func:`lifecycle.overdue_kind` -----------------------------------
def _values(statuses: tuple[str, ...]) -> str:
    return ", ".join(f"'{s}'" for s in statuses)


def revisit_due_sql(alias: str = "h") -> str:
    """SQL for a hazard's revisit due time: its last resolve plus ``REVISIT_DAYS``."""
    days = " ".join(f"WHEN '{sev.value}' THEN {n}" for sev, n in lifecycle.REVISIT_DAYS.items())
    return (f"((SELECT max(e.at) FROM hazard_events e WHERE e.hazard_id = {alias}.id "
            f"AND e.action = 'resolve') + make_interval(days => CASE {alias}.severity {days} "
            "END))")


def overdue_kind_sql(alias: str = "h", now: str = ":now") -> str:
    """SQL for ``'resolve'``, ``'revisit'`` or NULL (not overdue), as in :mod:`.lifecycle`."""
    return (f"(CASE WHEN {alias}.status IN ({_values(lifecycle.RESOLVE_DUE_STATUSES)}) "
            f"AND {alias}.due_at < {now} THEN '{lifecycle.Overdue.RESOLVE}' "
            f"WHEN {alias}.status IN ({_values(lifecycle.REVISIT_DUE_STATUSES)}) "
            f"AND {revisit_due_sql(alias)} < {now} THEN '{lifecycle.Overdue.REVISIT}' END)")


def overdue_sql(alias: str = "h", now: str = ":now") -> str:
    """SQL that is true exactly for overdue hazards (never NULL)."""
    return f"({overdue_kind_sql(alias, now)} IS NOT NULL)"


HAZARD_SQL = """
SELECT h.id, h.source_id, h.category, h.description, h.severity, h.status, h.level,
       h.assignee, h.grid_id, g.number AS grid_number, h.building_id, h.light_id, h.camera_id,
       h.photo, h.reporter_name, h.reporter_contact, h.reported_at, h.due_at, h.updated_at,
       h.source AS channel, """ + revisit_due_sql("h") + """ AS revisit_due_at,
       ST_AsGeoJSON(h.geom, 8)::json AS geometry,
       ST_X(ST_PointOnSurface(h.geom)) AS lon, ST_Y(ST_PointOnSurface(h.geom)) AS lat,
       (SELECT e.satisfaction FROM hazard_events e WHERE e.hazard_id = h.id
            AND e.action = 'revisit' ORDER BY e.at DESC, e.id DESC LIMIT 1) AS satisfaction,
       (SELECT e.extra FROM hazard_events e WHERE e.hazard_id = h.id
            AND e.action = 'report' ORDER BY e.at, e.id LIMIT 1) AS report_extra,
       (SELECT jsonb_build_object('action', e.action, 'duplicate_of', e.extra->'duplicate_of')
        FROM hazard_events e WHERE e.hazard_id = h.id AND h.status = 'closed'
            AND e.to_status = 'closed' ORDER BY e.at DESC, e.id DESC LIMIT 1) AS closing
FROM hazards h LEFT JOIN grids g ON g.id = h.grid_id
"""
EVENT_SQL = """
SELECT id, at, actor, action, from_status, to_status, from_level, to_level, note,
       satisfaction, extra
FROM hazard_events WHERE hazard_id = :id ORDER BY at, id
"""

ASSET_TABLES = ("lights", "cameras")


def _table(table: str) -> str:
    if table not in ASSET_TABLES:
        raise ValueError(f"not an asset table: {table!r}")
    return table


def asset(conn: Connection, table: str, ident: int) -> dict[str, Any] | None:
    """A light or camera: ``id``, ``source_id``, ``status``, ``lon``, ``lat`` (or ``None``)."""
    row = conn.execute(text(
        f"SELECT id, source_id, status, ST_X(geom) AS lon, ST_Y(geom) AS lat "
        f"FROM {_table(table)} WHERE id = :id"), {"id": ident}).mappings().first()
    return dict(row) if row is not None else None


def asset_ref(conn: Connection, table: str, ident: int) -> str | None:
    """The ``source_id`` of a light or camera (``None`` when it has none or is gone)."""
    return conn.execute(text(f"SELECT source_id FROM {_table(table)} WHERE id = :id"),
                        {"id": ident}).scalar()


# -- reading ----------------------------------------------------------------------------------
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
    overdue = overdue_sql("h")
    if filters.overdue is True:
        parts.append(overdue)
    elif filters.overdue is False:
        parts.append(f"NOT {overdue}")
    if filters.bbox is not None:
        parts.append("h.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326) "
                     "AND ST_Intersects(h.geom, ST_MakeEnvelope(:w, :s, :e, :n, 4326))")
        params |= dict(zip("wsen", filters.bbox, strict=True))
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


ORDERS = {"newest": "h.reported_at DESC, h.id DESC",
          # a worklist: overdue first, then the nearest due time
          "work": f"{overdue_sql('h')} DESC, h.due_at ASC NULLS LAST, h.id"}


def list_hazards(conn: Connection, filters: HazardFilter | None = None, *,
                 limit: int | None = 100, offset: int = 0, now: datetime | None = None,
                 private: bool = False, order: str = "newest") -> HazardPage:
    """Hazards matching ``filters``, newest report first (``order="work"``: overdue first,
    then by due time); ``limit=None`` means all."""
    now = now or utcnow()
    where, params = where_clause(filters or HazardFilter(), now)
    total = conn.execute(text(f"SELECT count(*) FROM hazards h{where}"), params).scalar_one()
    page = f" LIMIT {int(limit)}" if limit is not None else ""
    rows = conn.execute(text(f"{HAZARD_SQL}{where} ORDER BY {ORDERS[order]}"
                             f"{page} OFFSET {int(offset)}"), params)
    return HazardPage([serialize(r, private=private, now=now) for r in rows], total)


def photo_name(conn: Connection, hazard_id: int) -> str:
    """The stored name of a hazard's photo; :class:`NotFound` when it has none."""
    row = conn.execute(text("SELECT photo FROM hazards WHERE id = :id"), {"id": hazard_id}).first()
    if row is None:
        raise NotFound("hz.not_found", id=hazard_id)
    if row.photo is None:
        raise NotFound("hz.no_photo")
    return row.photo


# -- reporting ----------------------------------------------------------------------------------
def nearby_open(conn: Connection, geom: BaseGeometry, category: str,
                radius_m: float) -> list[Any]:
    """``(id, distance_m)`` of open hazards of ``category`` within ``radius_m``, nearest first."""
    return list(conn.execute(text("""
        WITH src AS (SELECT ST_GeomFromEWKT(:geom) AS geom)
        SELECT h.id, ST_Distance(h.geom::geography, src.geom::geography) AS distance_m
        FROM hazards h, src
        WHERE h.category = :category AND h.status <> 'closed'
          AND h.geom && ST_Expand(src.geom, :deg)
          AND ST_DWithin(h.geom::geography, src.geom::geography, :radius)
        ORDER BY distance_m, h.id LIMIT 10"""),
        {"geom": ewkt(geom), "category": category, "radius": radius_m,
         "deg": degrees_for(geom, radius_m)}).all())


def asset_wkb(conn: Connection, table: str, ident: int) -> bytes | None:
    """The WKB point of a light or camera, ``None`` when there is no such asset."""
    row = conn.execute(text(f"SELECT ST_AsBinary(geom) AS wkb FROM {_table(table)} "
                            "WHERE id = :id"), {"id": ident}).first()
    return None if row is None else bytes(row.wkb)


def lock_category(conn: Connection, category: str) -> None:
    """One report per category at a time (a transaction-scoped advisory lock)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:category))"),
                 {"ns": LOCK_NAMESPACE, "category": category})


INSERT_SQL = """
    WITH src AS (SELECT ST_GeomFromEWKT(:geom) AS geom)
    INSERT INTO hazards (idempotency_key, idempotency_client, idempotency_digest, category,
                         description, severity, status, level, reporter_name,
                         reporter_contact, light_id, camera_id, photo,
                         reported_at, due_at, updated_at, source, geom, grid_id, building_id)
    SELECT :key, :client, :digest, :category, :description, :severity, :status, :level,
           :reporter_name, :reporter_contact, :light_id, :camera_id, :photo, :now, :due_at, :now,
           :channel, src.geom,
           (SELECT g.id FROM grids g WHERE ST_Intersects(g.geom, src.geom)
            ORDER BY ST_Area(ST_Intersection(g.geom, ST_Buffer(src.geom, 1e-6))) DESC,
                     g.number LIMIT 1),
           (SELECT b.id FROM buildings b
            WHERE b.geom && ST_Expand(src.geom, :deg)
              AND ST_DWithin(b.geom::geography, src.geom::geography, :building_m)
            ORDER BY ST_Distance(b.geom::geography, src.geom::geography), b.id LIMIT 1)
    FROM src
    ON CONFLICT (idempotency_client, idempotency_key) DO NOTHING
    RETURNING id"""


def insert_hazard(conn: Connection, values: dict[str, Any]) -> int | None:
    """Insert a hazard (grid by most overlap, building within ``building_m``); its id, or
    ``None`` when a hazard with the same idempotency key exists."""
    return conn.execute(text(INSERT_SQL), values).scalar()


def find_by_key(conn: Connection, client: str, key: str) -> tuple[int, str | None] | None:
    """Id and body digest of the hazard ``client`` stored under an idempotency key, if any."""
    row = conn.execute(text("SELECT id, idempotency_digest FROM hazards "
                            "WHERE idempotency_client = :client AND idempotency_key = :key"),
                       {"client": client, "key": key}).first()
    return None if row is None else (row.id, row.idempotency_digest)


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


# -- the loop -----------------------------------------------------------------------------------
def lock_hazard(conn: Connection, hazard_id: int) -> Any:
    """The hazard's state row, locked ``FOR UPDATE``; ``None`` when there is none."""
    return conn.execute(text("SELECT id, status, level, assignee, light_id, camera_id "
                             "FROM hazards WHERE id = :id FOR UPDATE"), {"id": hazard_id}).first()


def check_original(conn: Connection, hazard_id: int, original: int | None) -> None:
    """A duplicate points to another hazard that exists (:class:`InvalidInput` otherwise)."""
    found = conn.execute(text("SELECT 1 FROM hazards WHERE id = :id"), {"id": original}).first()
    if original == hazard_id or found is None:
        raise InvalidInput("duplicate_of", "hz.duplicate_of_unknown", id=original)


def update_state(conn: Connection, hazard_id: int, *, status: str, level: str,
                 assignee: str | None, now: datetime) -> None:
    """Set a hazard's status, level and assignee."""
    conn.execute(text("UPDATE hazards SET status = :status, level = :level, "
                      "assignee = :assignee, updated_at = :now WHERE id = :id"),
                 {"status": status, "level": level, "assignee": assignee, "now": now,
                  "id": hazard_id})
