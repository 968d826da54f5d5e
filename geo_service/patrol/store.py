"""Every SQL statement of the patrol log: roster, streets of the walkable network, tracks, walks.

The pure parts (GPX parsing, map matching, the graph) live in :mod:`geo_service.patrol.gpx`,
:mod:`geo_service.analysis`; :mod:`geo_service.patrol.service` holds the transactions.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.dialects.postgresql import insert as upsert

from geo_service.analysis.network import DEFAULT_MARGIN_M
from geo_service.analysis.rota import Member
from geo_service.models import PatrolMember, PatrolTrack, PatrolWalk
from geo_service.patrol.members import PatrolError, RosterSummary

TABLE = PatrolMember.__table__


def active_member_names(conn: Connection) -> list[str]:
    """Names of the active patrol members, alphabetically."""
    return list(conn.execute(text(
        "SELECT name FROM patrol_members WHERE active ORDER BY name")).scalars())


def track_walks(conn: Connection, track_id: int) -> dict[str, Any]:
    """The streets one track walked, as a GeoJSON FeatureCollection (in walking order)."""
    rows = conn.execute(text(
        "SELECT w.id, w.street_id, s.name, s.source_id, w.walked_m, w.walked_at, "
        "ST_AsGeoJSON(w.geom, 7) AS geometry FROM patrol_walks w LEFT JOIN streets s "
        "ON s.id = w.street_id WHERE w.track_id = :track ORDER BY w.walked_at, w.id"),
        {"track": track_id}).mappings().all()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r["id"], "geometry": json.loads(r["geometry"]),
         "properties": {"street_id": r["street_id"], "name": r["name"], "ref": r["source_id"],
                        "walked_m": round(r["walked_m"], 1),
                        "walked_at": r["walked_at"].isoformat()}} for r in rows]}


# -- roster -----------------------------------------------------------------------------------
def store_roster(conn: Connection, members: Iterable[Member]) -> RosterSummary:
    """Insert members or update their unit, phone and active flag, by name.

    Members missing from the list are left as they are (mark them inactive to retire them).
    """
    inserted = updated = total = 0
    for member in members:
        total += 1
        statement = upsert(TABLE).values(name=member.name, unit=member.unit,
                                         phone=member.phone, active=member.active)
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"unit": excluded.unit, "phone": excluded.phone, "active": excluded.active},
            where=(TABLE.c.unit.is_distinct_from(excluded.unit)
                   | TABLE.c.phone.is_distinct_from(excluded.phone)
                   | TABLE.c.active.is_distinct_from(excluded.active)),
        ).returning(text("(xmax = 0) AS inserted"))
        result = conn.execute(statement).first()
        if result is None:
            continue
        inserted += int(result.inserted)
        updated += int(not result.inserted)
    return RosterSummary(inserted, updated, total - inserted - updated)


def roster(conn: Connection, *, active_only: bool = True) -> list[Member]:
    """The roster, by unit then name (active members only unless asked)."""
    query = select(TABLE.c.name, TABLE.c.unit, TABLE.c.phone, TABLE.c.active)
    if active_only:
        query = query.where(TABLE.c.active)
    rows = conn.execute(query.order_by(TABLE.c.unit, TABLE.c.name)).all()
    return [Member(name, unit, phone, active) for name, unit, phone, active in rows]


def member_id(conn: Connection, member: str | int) -> int:
    """The id of a member given by name or id.

    Raises
    ------
    PatrolError
        When no such member is on the roster.
    """
    column = TABLE.c.id if isinstance(member, int) else TABLE.c.name
    found = conn.execute(select(TABLE.c.id).where(column == member)).scalar()
    if found is None:
        raise PatrolError(f"no patrol member {member!r} on the roster; load it first "
                          "(data/sample/roster.csv shows the columns: name, unit, phone)")
    return int(found)


# -- streets ----------------------------------------------------------------------------------
#: A bounding-box prefilter wider than any margin in metres up to about 70 degrees latitude.
_M_PER_DEGREE_MIN = 30_000.0

STREET_COLUMNS = ("s.id, s.source, s.target, s.length_m, s.street_class, s.name, s.lit, "
                  "g.number AS grid")


def read_streets(conn: Connection, grids: list[int] | None = None,
                 margin_m: float = DEFAULT_MARGIN_M, community_id: int | None = None
                 ) -> gpd.GeoDataFrame:
    """Streets of the chosen grids and those within ``margin_m`` metres of them (EPSG:4326).

    ``grid`` is the number of the street's grid; ``in_area`` is true for streets whose grid was
    chosen (all streets when ``grids`` is ``None``); ``community_id`` keeps one community's.
    """
    mine = "(CAST(:c AS integer) IS NULL OR s.community_id = :c)"
    if grids is None:
        sql = text(f"SELECT {STREET_COLUMNS}, true AS in_area, s.geom FROM streets s "
                   f"LEFT JOIN grids g ON g.id = s.grid_id WHERE {mine} ORDER BY s.id")
        params: dict[str, object] = {"c": community_id}
    else:
        sql = text(f"""
            WITH area AS (SELECT ST_Union(geom) AS geom FROM grids WHERE number = ANY(:numbers)
                          AND (CAST(:c AS integer) IS NULL OR community_id = :c))
            SELECT {STREET_COLUMNS}, coalesce(g.number = ANY(:numbers), false) AS in_area, s.geom
            FROM streets s LEFT JOIN grids g ON g.id = s.grid_id, area
            WHERE {mine} AND s.geom && ST_Expand(area.geom, :degrees)
              AND ST_DWithin(s.geom::geography, area.geom::geography, :margin)
            ORDER BY s.id""")
        params = {"numbers": [int(n) for n in grids], "margin": float(margin_m), "c": community_id,
                  "degrees": float(margin_m) / _M_PER_DEGREE_MIN}
    return gpd.read_postgis(sql, conn, geom_col="geom", params=params).rename_geometry(
        "geometry")


def missing_grids(conn: Connection, grids: list[int], community_id: int | None = None
                  ) -> list[int]:
    """The grid numbers asked for that are not in the database (or the community)."""
    known = set(conn.execute(text(
        "SELECT number FROM grids WHERE number = ANY(:n) "
        "AND (CAST(:c AS integer) IS NULL OR community_id = :c)"),
        {"n": [int(g) for g in grids], "c": community_id}).scalars())
    return sorted({int(g) for g in grids} - known)


def patrol_streets(conn: Connection, grids: Collection[int] | None,
                   classes: Collection[str], community_id: int | None = None
                   ) -> gpd.GeoDataFrame:
    """Streets of these classes (of the grids, by number, of the community when given): ids,
    grid number, length, line."""
    where = ("WHERE s.street_class = ANY(:classes) "
             "AND (CAST(:c AS integer) IS NULL OR s.community_id = :c)")
    params: dict[str, object] = {"classes": sorted(classes), "c": community_id}
    if grids is not None:
        where += " AND g.number = ANY(:grids)"
        params["grids"] = [int(g) for g in grids]
    sql = text(f"""
        SELECT s.id AS street_id, s.source_id, s.name, g.number AS grid, s.street_class,
               s.length_m, s.geom
        FROM streets s LEFT JOIN grids g ON g.id = s.grid_id {where} ORDER BY s.id""")
    return gpd.read_postgis(sql, conn, geom_col="geom", params=params).rename_geometry(
        "geometry")


def walk_stretches(conn: Connection, ids: list[int], tolerance_m: float) -> pd.DataFrame:
    """All walks on the streets, as stretches: street_id, start_m, end_m, walked_at."""
    own = pd.read_sql(text("""
        SELECT street_id, start_m, end_m, walked_at FROM patrol_walks
        WHERE street_id = ANY(:ids)"""), conn, params={"ids": ids})
    orphans = pd.read_sql(text("""
        SELECT s.id AS street_id, w.walked_at,
               ST_LineLocatePoint(s.geom, ST_StartPoint(p.geom)) * s.length_m AS a,
               ST_LineLocatePoint(s.geom, ST_EndPoint(p.geom)) * s.length_m AS b
        FROM patrol_walks w
        JOIN streets s ON s.id = ANY(:ids) AND s.geom && ST_Expand(w.geom, :degrees)
             AND ST_DWithin(s.geom::geography, w.geom::geography, :tol)
        CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(ST_Intersection(
             s.geom, ST_Buffer(w.geom::geography, :tol)::geometry), 2)) AS p
        WHERE w.street_id IS NULL AND ST_Length(p.geom::geography) > 3 * :tol"""), conn,
        params={"ids": ids, "tol": tolerance_m, "degrees": tolerance_m / 30_000.0})
    orphans["start_m"] = orphans[["a", "b"]].min(axis=1)
    orphans["end_m"] = orphans[["a", "b"]].max(axis=1)
    frame = pd.concat([own, orphans[own.columns]], ignore_index=True)
    frame["walked_at"] = pd.to_datetime(frame["walked_at"], utc=True)
    return frame


# -- hazards as patrol events ---------------------------------------------------------------
def read_events(conn: Connection, *, days: float | None = 365.0,
                now: datetime | None = None) -> gpd.GeoDataFrame:
    """Hazards and disputes reported within ``days`` (all when ``None``), any status.

    Resolved and closed ones count too: they show where trouble happens.
    """
    where, params = "", {}
    if days is not None:
        where = "WHERE reported_at >= :since"
        params = {"since": (now or datetime.now(UTC)) - timedelta(days=days)}
    return gpd.read_postgis(
        text(f"SELECT id, category, severity, status, reported_at, geom FROM hazards {where} "
             "ORDER BY id"), conn, geom_col="geom", params=params).rename_geometry("geometry")


# -- tracks -----------------------------------------------------------------------------------
def insert_track(conn: Connection, track: dict[str, Any], walks: Iterable[dict[str, Any]]) -> int:
    """Store a track and its walks in a savepoint (all or nothing); returns the track id."""
    rows = list(walks)
    with conn.begin_nested():
        track_id = conn.execute(insert(PatrolTrack.__table__).values(**track).returning(
            PatrolTrack.__table__.c.id)).scalar_one()
        if rows:
            conn.execute(insert(PatrolWalk.__table__),
                         [{"track_id": track_id, **walk} for walk in rows])
    return int(track_id)
