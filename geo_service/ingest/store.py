"""Write validated layers into PostGIS: upsert by source id, inside the caller's transaction.

Every function takes an open ``Connection`` so a caller can put several layers (the whole
sample) into one transaction; nothing here commits. Rows whose values did not change are not
touched, so loading the same file twice changes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Table, select, text
from sqlalchemy.dialects.postgresql import insert

from geo_service.ingest import LayerData, Problem, node_streets
from geo_service.ingest.communities import CommunityInfo, refresh_outline
from geo_service.ingest.problems import what_happened
from geo_service.models import (
    Building,
    Camera,
    Grid,
    Hazard,
    HazardEvent,
    Light,
    Street,
    StreetNode,
)

SRID = 4326

COLUMNS: dict[str, tuple[str, ...]] = {
    "grids": ("number", "code", "name", "zone", "party_group", "staff"),
    "buildings": ("source_id", "name", "address", "floors", "households", "kind", "compound",
                  "leader_name", "leader_phone"),
    "lights": ("source_id", "height_m", "intensity_cd", "power_w", "status", "mount",
               "installed_on"),
    "cameras": ("source_id", "heading_deg", "fov_deg", "range_m", "lens_mm", "status",
                "installed_on"),
    "hazards": ("source_id", "category", "description", "severity", "status", "level",
                "reported_at", "due_at", "reporter_name", "reporter_contact", "assignee"),
}
# On reload a hazard keeps the state the loop has moved it to; only these follow the file.
HAZARD_FILE_FIELDS = ("category", "description", "severity", "reporter_name",
                      "reporter_contact", "due_at")
# What an empty value means for a column that must not be empty.
FILL_EMPTY: dict[str, dict[str, Any]] = {
    "buildings": {"kind": "other"},
    "lights": {"status": "working"},
    "cameras": {"status": "working"},
    "hazards": {"category": "other", "severity": "medium", "status": "reported",
                "level": "building"},
}
DATE_COLUMNS = {"installed_on"}
TIME_COLUMNS = {"reported_at", "due_at"}
INTEGER_COLUMNS = {"number", "floors", "households"}


@dataclass
class LoadSummary:
    """What one layer's load did."""

    layer: str
    source: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    left_out: list[Problem] = field(default_factory=list)

    def lines(self, most: int = 10, report: str | None = None) -> list[str]:
        """Human-readable report lines: the counts, every kind of problem with how many, the
        first ``most`` problems, and where the full list is (``report``, a CSV path)."""
        head = (f"{self.layer}: {self.inserted} new, {self.updated} updated, "
                f"{self.unchanged} unchanged (from {self.source})")
        lines = [head, *(f"  {note}" for note in self.notes)]
        if self.problems:
            counts = Counter(what_happened(problem) for problem in self.problems)
            lines.append("  " + ", ".join(f"{n} {kind}{'s' if kind == 'warning' and n > 1 else ''}"
                                          for kind, n in sorted(counts.items())))
        if self.left_out:
            by_reason = Counter(p.reason.removeprefix("left out: ") for p in self.left_out)
            listed = "; ".join(f"{n} x {reason}" for reason, n in by_reason.most_common())
            lines.append(f"  {len(self.left_out)} source features left out ({listed})")
        lines += [f"  {problem}" for problem in self.problems[:most]]
        hidden = len(self.problems) - min(most, len(self.problems)) + len(self.left_out)
        if hidden:
            where = (f"all of them are in {report}" if report else
                     "add --report FILE.csv to list every one")
            lines.append(f"  ... {hidden} more not shown here; {where}")
        return lines


# -- value conversion ------------------------------------------------------------------------
def ewkt(geom: BaseGeometry) -> str:
    """EWKT at full precision, the form GeoAlchemy2 binds."""
    return f"SRID={SRID};{shapely.to_wkt(geom, rounding_precision=-1)}"


def as_multi(geom: BaseGeometry) -> BaseGeometry:
    """Polygon -> MultiPolygon; other geometries unchanged."""
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    return geom


def plain(column: str, value: Any) -> Any:
    """Convert a pandas cell to what the database column expects (NaN -> None)."""
    if value is None or (not isinstance(value, list | dict) and pd.isna(value)):
        return None
    if column in DATE_COLUMNS and not isinstance(value, date):
        return pd.Timestamp(value).date()
    if column in TIME_COLUMNS and not isinstance(value, datetime):
        stamp = pd.Timestamp(value)
        return (stamp if stamp.tzinfo else stamp.tz_localize("Asia/Shanghai")).to_pydatetime()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if column in INTEGER_COLUMNS:
        return int(value)
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def rows_of(frame: gpd.GeoDataFrame, layer: str, source: str, community_id: int
            ) -> list[dict[str, Any]]:
    """Records for insertion: the layer's columns, its geometry as EWKT, the file name and the
    community."""
    columns = [c for c in COLUMNS[layer] if c in frame.columns]
    fill = FILL_EMPTY.get(layer, {})
    loaded_at = datetime.now(UTC)
    rows = []
    for record, geom in zip(frame[columns].to_dict("records"), frame.geometry, strict=True):
        row = {c: plain(c, record[c]) for c in columns}
        row |= {c: value for c, value in fill.items() if row.get(c) is None}
        if layer == "hazards" and row.get("reported_at") is None:
            row["reported_at"] = loaded_at
        row["geom"] = ewkt(as_multi(geom) if geom.geom_type == "Polygon" else geom)
        row["source"] = source
        row["community_id"] = community_id
        rows.append(row)
    return rows


# -- generic upsert --------------------------------------------------------------------------
def upsert(conn: Connection, table: Table, rows: list[dict[str, Any]], key: str,
           update_columns: Iterable[str]) -> tuple[int, int]:
    """Insert rows or update those whose values differ, ``key`` unique within the rows'
    community; return (inserted, updated)."""
    if not rows:
        return 0, 0
    update_columns = [c for c in update_columns if c in rows[0] and c != key]
    statement = insert(table)
    excluded = statement.excluded
    changed = None
    for column in update_columns:
        differs = table.c[column].is_distinct_from(excluded[column])
        if column == "geom":
            differs = text(f"NOT ST_OrderingEquals({table.name}.geom, excluded.geom)")
        changed = differs if changed is None else changed | differs
    statement = statement.on_conflict_do_update(
        index_elements=["community_id", key],
        set_={c: excluded[c] for c in update_columns},
        where=changed,
    ).returning(text("(xmax = 0) AS inserted"))
    inserted = updated = 0
    for row in rows:
        result = conn.execute(statement, row).first()
        if result is None:
            continue
        inserted += int(result.inserted)
        updated += int(not result.inserted)
    return inserted, updated


# -- layers ----------------------------------------------------------------------------------
GRIDDED_TABLES = ("buildings", "streets", "lights", "cameras", "hazards")


def assign_grids(conn: Connection, community_id: int) -> None:
    """Give every feature of the community the grid of the community holding most of it
    (ties to the lower grid number).

    Features are thickened by about 0.1 m so that points, lines and areas are all measured by
    the area they share with each grid.
    """
    for table in GRIDDED_TABLES:
        conn.execute(text(f"""
            UPDATE {table} t SET grid_id = best.id FROM (
                SELECT DISTINCT ON (t2.id) t2.id AS item, g.id
                FROM {table} t2 JOIN grids g ON g.community_id = t2.community_id
                     AND ST_Intersects(g.geom, t2.geom)
                WHERE t2.community_id = :c
                ORDER BY t2.id, ST_Area(ST_Intersection(g.geom, ST_Buffer(t2.geom, 1e-6))) DESC,
                         g.number
            ) best
            WHERE t.id = best.item AND t.grid_id IS DISTINCT FROM best.id"""),
            {"c": community_id})


def store_grids(conn: Connection, data: LayerData, community: CommunityInfo) -> LoadSummary:
    """Upsert the community's grids by number (its outline is refreshed by the caller)."""
    rows = rows_of(data.frame, "grids", data.source, community.id)
    update = [*COLUMNS["grids"], "geom", "source"]
    inserted, updated = upsert(conn, Grid.__table__, rows, "number", update)
    summary = LoadSummary("grids", data.source, inserted, updated,
                          len(rows) - inserted - updated, list(data.problems))
    total = conn.execute(text("SELECT count(*) FROM grids WHERE community_id = :c"),
                         {"c": community.id}).scalar()
    summary.notes.append(f"{total} grids in the community")
    return summary


def store_points_or_polygons(conn: Connection, data: LayerData, community: CommunityInfo
                             ) -> LoadSummary:
    """Upsert buildings, lights or cameras of the community by source_id."""
    table = {"buildings": Building, "lights": Light, "cameras": Camera}[data.layer].__table__
    columns = COLUMNS[data.layer]
    rows = rows_of(data.frame, data.layer, data.source, community.id)
    inserted, updated = upsert(conn, table, rows, "source_id", [*columns, "geom", "source"])
    return LoadSummary(data.layer, data.source, inserted, updated,
                       len(rows) - inserted - updated, list(data.problems))


def store_hazards(conn: Connection, data: LayerData, community: CommunityInfo) -> LoadSummary:
    """Upsert hazards by source_id; append the file's history events not yet recorded."""
    rows = rows_of(data.frame, "hazards", data.source, community.id)
    histories = (data.frame["history"].tolist() if "history" in data.frame.columns
                 else [None] * len(rows))
    table = Hazard.__table__
    wanted = [row["source_id"] for row in rows]
    existing = dict(conn.execute(select(table.c.source_id, table.c.id)
                                 .where(table.c.source_id.in_(wanted))).all())
    inserted = updated = 0
    for row, history in zip(rows, histories, strict=True):
        hazard_id = existing.get(row["source_id"])
        if hazard_id is None:
            hazard_id = conn.execute(insert(table).values(**row).returning(table.c.id)).scalar()
            inserted += 1
        else:
            changes = {c: row[c] for c in (*HAZARD_FILE_FIELDS, "geom") if c in row}
            current = conn.execute(select(*(table.c[c] for c in changes if c != "geom"),
                                          table.c.geom.ST_AsEWKT().label("geom"))
                                   .where(table.c.id == hazard_id)).mappings().one()
            if any(current[c] != changes[c] for c in changes if c != "geom") or not same_geom(
                    conn, current["geom"], changes["geom"]):
                conn.execute(table.update().where(table.c.id == hazard_id)
                             .values(**changes, updated_at=text("now()")))
                updated += 1
        append_history(conn, hazard_id, history)
    return LoadSummary("hazards", data.source, inserted, updated,
                       len(rows) - inserted - updated, list(data.problems))


def same_geom(conn: Connection, a: str, b: str) -> bool:
    """True when two EWKT geometries are the same point for point."""
    return bool(conn.execute(text("SELECT ST_OrderingEquals(ST_GeomFromEWKT(:a), "
                                  "ST_GeomFromEWKT(:b))"), {"a": a, "b": b}).scalar())


def append_history(conn: Connection, hazard_id: int, history: Any) -> int:
    """Append the events of a file's history that the hazard does not have yet."""
    if history is None or (not isinstance(history, list | str) and pd.isna(history)):
        return 0
    events = json.loads(history) if isinstance(history, str) else list(history)
    table = HazardEvent.__table__
    known = {(at, action) for at, action in conn.execute(
        select(table.c.at, table.c.action).where(table.c.hazard_id == hazard_id)).all()}
    added = 0
    for event in events:
        at = plain("reported_at", event.get("at"))
        if (at, event.get("action")) in known:
            continue
        conn.execute(insert(table).values(
            hazard_id=hazard_id, at=at, actor=event.get("actor"), action=event.get("action"),
            from_status=event.get("from_status"), to_status=event.get("to_status"),
            from_level=event.get("from_level"), to_level=event.get("to_level"),
            note=event.get("note"), satisfaction=event.get("satisfaction")))
        added += 1
    return added


def store_streets(conn: Connection, data: LayerData, community: CommunityInfo, *,
                  snap_m: float = 0.5) -> LoadSummary:
    """Node the file's streets together with the community's stored streets around them, and
    update the graph there.

    Only the community's stored streets within :data:`NODING_MARGIN_DEG` of the file's extent
    (with the other parts of their source) are noded with it, in the community's metric CRS:
    streets of another community are not read, moved or measured again. Streets of other files
    nearby stay, split where the new ones cross them on the same level. A segment that comes out
    the same (source id and geometry) keeps its id, and so does every node at the same place,
    so what refers to street ids (patrol logs) survives a reload, and loading the same file twice
    changes nothing. Stored lengths are geodesic (on the WGS-84 ellipsoid), whatever CRS the
    noding ran in.
    """
    ids = [str(i) for i in data.frame["source_id"]]
    window = {**noding_window(data.frame), "c": community.id}
    kept = gpd.read_postgis(
        text("SELECT source_id, name, street_class, width_m, lit, level, source_file, geom "
             f"FROM streets WHERE community_id = :c AND NOT (source_id = ANY(:ids)) "
             f"AND {IN_WINDOW} "
             "ORDER BY source_id, part"),
        conn, geom_col="geom", params={"ids": ids, **window}).rename_geometry("geometry")
    incoming = data.frame.assign(source_file=data.source)
    if "level" not in incoming.columns:
        incoming = incoming.assign(level=0)
    columns = ["source_id", "name", "street_class", "width_m", "lit", "level", "source_file",
               "geometry"]
    combined = gpd.GeoDataFrame(pd.concat([kept[columns], incoming[columns]], ignore_index=True),
                                geometry="geometry", crs=SRID)
    network = node_streets(combined, metric_crs=community.metric_crs, snap_m=snap_m)
    segments = network.segments.sort_values(["source_id", "part"]).reset_index(drop=True)
    segments["part"] = segments.groupby("source_id").cumcount()
    segments["length_m"] = geodesic_lengths(segments.geometry.values)

    node_id = stored_node_ids(conn, network.nodes, community.id)
    known = {(source_id, shapely.from_wkb(bytes(wkb)).wkb): street_id
             for street_id, source_id, wkb in conn.execute(text(
                 "SELECT id, source_id, ST_AsBinary(geom) FROM streets WHERE community_id = :c "
                 f"AND (source_id = ANY(:ids) OR {IN_WINDOW})"),
                 {"ids": ids, **window}).all()}
    table = Street.__table__
    before = streets_fingerprint(conn, community.id)
    matched: list[tuple[int, dict[str, Any]]] = []
    new_rows = []
    for record in segments.to_dict("records"):
        row = {
            "source_id": str(record["source_id"]), "part": int(record["part"]),
            "name": plain("name", record["name"]), "street_class": record["street_class"],
            "width_m": plain("width_m", record["width_m"]), "lit": record["lit"],
            "level": int(record["level"]) if pd.notna(record["level"]) else 0,
            "length_m": float(record["length_m"]), "source": node_id[int(record["source"])],
            "target": node_id[int(record["target"])], "source_file": record["source_file"],
            "community_id": community.id,
            "geom": ewkt(record["geometry"])}
        street_id = known.get((row["source_id"], record["geometry"].wkb))
        if street_id is None:
            new_rows.append(row)
        else:
            matched.append((street_id, {k: v for k, v in row.items() if k != "geom"}))
    gone = set(known.values()) - {street_id for street_id, _ in matched}
    if gone:
        conn.execute(table.delete().where(table.c.id.in_(gone)))
    for street_id, attributes in matched:  # (community, source_id, part): checked at commit
        conn.execute(table.update().where(table.c.id == street_id)
                     .where(tuple_of(table, attributes).is_distinct_from(tuple_values(attributes)))
                     .values(**attributes))
    if new_rows:
        conn.execute(table.insert(), new_rows)
    conn.execute(text("DELETE FROM street_nodes n WHERE NOT EXISTS (SELECT 1 FROM streets s "
                      "WHERE s.source = n.id OR s.target = n.id)"))
    changed = streets_fingerprint(conn, community.id) != before
    previous_ids = {row[0] for row in before}
    new_ids = set(ids) - previous_ids
    old_ids = len(set(ids)) - len(new_ids)
    summary = LoadSummary("streets", data.source, inserted=len(new_ids),
                          updated=old_ids if changed else 0,
                          unchanged=0 if changed else old_ids,
                          problems=[*data.problems, *network.problems])
    total_km = float(segments["length_m"].sum()) / 1000
    summary.notes.append(
        f"street graph: {len(segments)} segments, {len(network.nodes)} nodes, "
        f"{total_km:.1f} km, {len(network.components)} connected piece(s)")
    return summary


#: Stored streets this close (degrees, about 200 m) to a new file's extent are noded with it.
NODING_MARGIN_DEG = 0.002
#: Every part of a source that has a part in the window (parts are numbered per source).
IN_WINDOW = ("source_id IN (SELECT source_id FROM streets WHERE community_id = :c AND "
             "geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326))")
GEOD = Geod(ellps="WGS84")


def noding_window(frame: gpd.GeoDataFrame) -> dict[str, float]:
    """The file's lon/lat extent widened by :data:`NODING_MARGIN_DEG`."""
    west, south, east, north = frame.to_crs(SRID).total_bounds
    return {"west": west - NODING_MARGIN_DEG, "south": south - NODING_MARGIN_DEG,
            "east": east + NODING_MARGIN_DEG, "north": north + NODING_MARGIN_DEG}


def geodesic_lengths(lines: Any) -> list[float]:
    """Length in metres of each lon/lat line on the WGS-84 ellipsoid."""
    return [float(GEOD.geometry_length(line)) for line in lines]


def stored_node_ids(conn: Connection, nodes: gpd.GeoDataFrame, community_id: int
                    ) -> dict[int, int]:
    """Map the noder's node ids to the community's stored ones: the same place keeps its id,
    new places get new ids from the sequence."""
    existing = {(x, y): node for node, x, y in conn.execute(text(
        "SELECT n.id, ST_X(n.geom), ST_Y(n.geom) FROM street_nodes n WHERE n.id IN ("
        "SELECT source FROM streets WHERE community_id = :c UNION "
        "SELECT target FROM streets WHERE community_id = :c)"), {"c": community_id}).all()}
    mapping: dict[int, int] = {}
    fresh = []
    for local, geom in zip(nodes.index, nodes.geometry, strict=True):
        stored = existing.get((geom.x, geom.y))
        if stored is None:
            fresh.append((int(local), geom))
        else:
            mapping[int(local)] = stored
    if fresh:
        inserted = conn.execute(
            StreetNode.__table__.insert().returning(StreetNode.__table__.c.id,
                                                    sort_by_parameter_order=True),
            [{"geom": ewkt(geom)} for _, geom in fresh]).scalars().all()
        mapping.update({local: int(new) for (local, _), new in zip(fresh, inserted, strict=True)})
    return mapping


def tuple_of(table: Table, values: dict[str, Any]) -> Any:
    """SQL tuple of the table's columns named in ``values``."""
    from sqlalchemy import tuple_

    return tuple_(*(table.c[name] for name in values))


def tuple_values(values: dict[str, Any]) -> Any:
    """SQL tuple of bound values, typed like the columns."""
    from sqlalchemy import literal, tuple_

    return tuple_(*(literal(value) for value in values.values()))


def streets_fingerprint(conn: Connection, community_id: int) -> list[tuple[Any, ...]]:
    """The community's stored graph as comparable tuples (did a reload change anything)."""
    return [tuple(r) for r in conn.execute(text(
        "SELECT source_id, part, name, street_class, width_m, lit, level, source, target, "
        "ST_AsEWKT(geom) FROM streets WHERE community_id = :c ORDER BY id"),
        {"c": community_id}).all()]


def store_layer(conn: Connection, data: LayerData, community: CommunityInfo) -> LoadSummary:
    """Store one layer into the community, re-assign its grids and refresh its outline; the
    caller owns the transaction."""
    if data.layer == "grids":
        summary = store_grids(conn, data, community)
    elif data.layer == "streets":
        summary = store_streets(conn, data, community)
    elif data.layer == "hazards":
        summary = store_hazards(conn, data, community)
    else:
        summary = store_points_or_polygons(conn, data, community)
    summary.left_out = list(data.left_out)
    refresh_outline(conn, community.id)
    assign_grids(conn, community.id)
    return summary


