"""Export every table of the database into one GeoPackage and restore it, exactly.

Layout of the file: one layer per table, named like the table. Tables with a geometry are
feature layers (geometry as written by PostGIS, so coordinates round-trip bit for bit; the
hazards layer is of the generic type since hazards mix points, lines and areas); the others are
attribute-only layers. Integers, floats and booleans keep their types; timestamps are ISO 8601
text in UTC (a GeoPackage datetime would lose the zone), JSON columns are JSON text, dates and
everything else are the database's own text form. A ``backup_manifest`` layer (key, value)
holds the schema revision, row counts, column types, next ids, creation time and tool version.
The hazards' photos (files under ``<data_dir>/uploads``) travel in a ``hazard_photos`` layer
(name, SHA-256, base64 content).

A restore goes into an empty database of the same schema revision (``replace=True`` empties it
first), in one transaction: the same ids, sequences carried over, the audit and append-only
triggers off while the rows go in (so the restored history is not logged twice and the
append-only tables can be filled), tables in foreign-key order with every constraint checked
at once. Any error rolls everything back and names the layer and the row.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from graphlib import CycleError, TopologicalSorter
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.errors
import pyogrio.raw
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from geo_service.hazards.photos import NAME as PHOTO_NAME

MANIFEST = "backup_manifest"
PHOTOS = "hazard_photos"
PHOTO_BATCH = 20
FORMAT = "geo-service backup"
FORMAT_VERSION = "1"
CHUNK = 500  # rows per INSERT
INTEGER_TYPES = {"int2", "int4", "int8"}
REAL_TYPES = {"float4", "float8"}
TIME_TYPES = {"timestamptz", "timestamp"}
GPKG_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon",
              "MULTIPOINT": "MultiPoint", "MULTILINESTRING": "MultiLineString",
              "MULTIPOLYGON": "MultiPolygon", "GEOMETRYCOLLECTION": "GeometryCollection"}

GDAL_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
               pyogrio.errors.FieldError, pyogrio.errors.FeatureError,
               pyogrio.errors.GeometryError, pyogrio.errors.CRSError)

Progress = Callable[[str], None] | None


class BackupError(RuntimeError):
    """An export or restore cannot be done; the message says why (and where, for a restore)."""


# -- what the database holds ----------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """A column: its name, its type as the database writes it, and its kind of value."""

    name: str
    sql_type: str  # with modifiers: geometry(Point,4326), character varying(100)
    base_type: str  # without: geometry, character varying
    kind: str  # integer, real, boolean, time, geometry or text


@dataclass(frozen=True)
class Table:
    """A data table: columns, primary key and its (first) geometry column."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    geometry: str | None = None
    srid: int = 0
    geometry_type: str = "Unknown"

    @property
    def fields(self) -> list[Column]:
        """The columns stored as attributes (all but the layer's geometry)."""
        return [c for c in self.columns if c.name != self.geometry]


def quote(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def kind_of(typname: str) -> str:
    """How a column's values travel: integer, real, boolean, time, geometry or text."""
    if typname in INTEGER_TYPES:
        return "integer"
    if typname in REAL_TYPES:
        return "real"
    if typname == "bool":
        return "boolean"
    if typname in TIME_TYPES:
        return "time"
    if typname == "geometry":
        return "geometry"
    return "text"


def data_tables(conn: Connection) -> list[Table]:
    """Every table of the current schema except Alembic's and those of extensions (PostGIS's
    ``spatial_ref_sys``), parents before children."""
    names = conn.execute(text("""
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
          AND c.relname <> 'alembic_version'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY c.relname""")).scalars().all()
    edges = conn.execute(text("""
        SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
        WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace""")).all()
    sorter: TopologicalSorter[str] = TopologicalSorter({name: set() for name in names})
    for child, parent in edges:
        if child != parent and child in names and parent in names:
            sorter.add(child, parent)
    try:
        order = list(sorter.static_order())
    except CycleError as error:
        raise BackupError(f"tables refer to each other in a cycle: {error.args[1]}") from None
    return [describe(conn, name) for name in order]


def describe(conn: Connection, name: str) -> Table:
    """One table's columns, key and geometry column.

    The layer's geometry is the first geometry column with a declared SRID; any other
    geometry column travels as EWKB text (which keeps each value's own SRID).
    """
    rows = conn.execute(text("""
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), format_type(a.atttypid, NULL),
               t.typname,
               CASE WHEN t.typname = 'geometry' THEN postgis_typmod_type(a.atttypmod) END,
               CASE WHEN t.typname = 'geometry' THEN postgis_typmod_srid(a.atttypmod) END
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attgenerated = ''
        ORDER BY a.attnum"""), {"t": quote(name)}).all()
    key = tuple(conn.execute(text("""
        SELECT a.attname FROM pg_index i
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = CAST(:t AS regclass) AND i.indisprimary
        ORDER BY array_position(i.indkey::int2[], a.attnum)"""), {"t": quote(name)}).scalars())
    layer_geometry = next((r for r in rows if r[3] == "geometry" and r[5]), None)
    geometry_name = layer_geometry[0] if layer_geometry is not None else None
    columns = tuple(
        Column(n, sql_type, base,
               "text" if typname == "geometry" and n != geometry_name else kind_of(typname))
        for n, sql_type, base, typname, _, _ in rows)
    key = key or tuple(c.name for c in columns)
    if layer_geometry is None:
        return Table(name, columns, key)
    kind = str(layer_geometry[4]).upper()
    return Table(name, columns, key, layer_geometry[0], int(layer_geometry[5]),
                 GPKG_TYPES.get(kind, "Unknown"))


def schema_revision(conn: Connection) -> str:
    """The Alembic revision the database is at ('' when not migrated)."""
    found = conn.execute(text(
        "SELECT string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version")).scalar()
    return found or ""


def next_ids(conn: Connection, table: Table) -> dict[str, int]:
    """The value each serial column of ``table`` would take next."""
    found = {}
    for column in table.columns:
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                {"t": quote(table.name), "c": column.name}).scalar()
        if sequence:
            last, called = conn.execute(
                text(f"SELECT last_value, is_called FROM {sequence}")).one()
            found[column.name] = int(last) + (1 if called else 0)
    return found


def tool_version() -> str:
    """This package's version."""
    try:
        return metadata.version("geo-service")
    except metadata.PackageNotFoundError:
        return "unknown"


# -- export ---------------------------------------------------------------------------------
@dataclass
class BackupSummary:
    """What an export wrote or a restore read."""

    path: Path
    revision: str
    rows: dict[str, int] = field(default_factory=dict)
    created_at: str = ""
    replaced: dict[str, int] = field(default_factory=dict)
    photos: int | None = None

    def details(self) -> dict[str, Any]:
        """What the audit log keeps about the export or restore."""
        return {"file": str(self.path), "schema_revision": self.revision,
                "backup_created_at": self.created_at, "rows": self.rows,
                "photos": self.photos, "replaced_rows": self.replaced}

    def lines(self) -> list[str]:
        """Human-readable report."""
        total = sum(self.rows.values())
        lines = [f"{name}: {count}" for name, count in self.rows.items()]
        if self.photos is not None:
            lines.append(f"photos: {self.photos}")
        if self.replaced:
            gone = sum(self.replaced.values())
            lines.append(f"replaced {gone} rows that were in the database")
        return [*lines, f"{total} rows in {len(self.rows)} tables, schema revision "
                        f"{self.revision}, backup made {self.created_at} ({self.path})"]


def select_for_export(table: Table) -> str:
    """SELECT of a table's rows in key order, each value in the form it is stored in."""
    parts = []
    for column in table.columns:
        name = quote(column.name)
        if column.name == table.geometry:
            parts.append(f"ST_AsBinary({name})")
        elif column.kind in ("integer", "real", "boolean"):
            parts.append(name)
        elif column.kind == "time":
            parts.append(f"to_jsonb({name}) #>> '{{}}'")  # ISO 8601 with offset
        else:
            parts.append(f"CAST({name} AS text)")
    order = ", ".join(quote(k) for k in table.key)
    return f"SELECT {', '.join(parts)} FROM {quote(table.name)} ORDER BY {order}"


def field_array(column: Column, values: list[Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """A column's values as a typed array and a null mask (floats that a GeoPackage cannot
    hold, NaN and infinities, make the column text)."""
    mask = np.array([v is None for v in values], dtype=bool)
    if column.kind == "integer":
        return np.array([0 if v is None else v for v in values], dtype=np.int64), mask
    if column.kind == "boolean":
        return np.array([bool(v) for v in values], dtype=bool), mask
    if column.kind == "real":
        if all(v is None or math.isfinite(v) for v in values):
            return np.array([0.0 if v is None else v for v in values], dtype=np.float64), mask
        values = [None if v is None else float_text(v) for v in values]
    return np.array(values, dtype=object), None


def float_text(value: float) -> str:
    """A float in a form PostgreSQL reads back exactly (NaN, Infinity included)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def write_layer(path: Path, table: Table, rows: Sequence[Sequence[Any]]) -> None:
    """Write one table's rows as a layer of the GeoPackage at ``path``."""
    positions = {c.name: i for i, c in enumerate(table.columns)}
    fields = table.fields
    arrays, masks = [], []
    for column in fields:
        values = [row[positions[column.name]] for row in rows]
        array, mask = field_array(column, values)
        arrays.append(array)
        masks.append(mask)
    options: dict[str, Any] = {}
    geometry = None
    if table.geometry:
        at = positions[table.geometry]
        geometry = np.array([None if r[at] is None else bytes(r[at]) for r in rows], dtype=object)
        options = {"geometry_type": table.geometry_type, "promote_to_multi": False,
                   "crs": f"EPSG:{table.srid}" if table.srid else None,
                   "layer_options": {"GEOMETRY_NAME": table.geometry}}
    pyogrio.raw.write(path, geometry, arrays, [c.name for c in fields], field_mask=masks,
                      layer=table.name, driver="GPKG", **options)


def write_manifest(path: Path, manifest: dict[str, str]) -> None:
    """The ``backup_manifest`` layer: one (key, value) row per fact."""
    keys = np.array(list(manifest), dtype=object)
    values = np.array(list(manifest.values()), dtype=object)
    pyogrio.raw.write(path, None, [keys, values], ["key", "value"], layer=MANIFEST,
                      driver="GPKG")


def export_database(engine: Engine, path: Path, *, photos_dir: Path | None = None,
                    progress: Progress = None) -> BackupSummary:
    """Write every data table (and, from ``photos_dir``, the hazards' photos) into the
    GeoPackage ``path``, replaced atomically.

    All tables are read in one read-only snapshot, so the file is consistent even while the
    service keeps writing. The export itself is recorded in the audit log.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: no folder {path.parent}")
    partial = path.with_name(f".{path.stem}.{os.getpid()}.part.gpkg")
    created = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        partial.unlink(missing_ok=True)
        with engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                                postgresql_readonly=True) as conn:
            conn.execute(text("SET LOCAL TimeZone = 'UTC'"))
            summary = BackupSummary(path, schema_revision(conn), created_at=created)
            tables = data_tables(conn)
            manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                        "schema_revision": summary.revision, "created_at": created,
                        "tool_version": tool_version(),
                        "database": str(conn.execute(text(
                            "SELECT current_setting('server_version') || ' / PostGIS ' "
                            "|| postgis_lib_version()")).scalar()),
                        "tables": json.dumps([t.name for t in tables])}
            for table in tables:
                rows = conn.execute(text(select_for_export(table))).all()
                if progress:
                    progress(f"exporting {len(rows)} rows of {table.name} ...")
                write_layer(partial, table, rows)
                summary.rows[table.name] = len(rows)
                manifest[f"rows.{table.name}"] = str(len(rows))
                manifest[f"columns.{table.name}"] = json.dumps(
                    {c.name: c.sql_type for c in table.columns})
                for column, value in next_ids(conn, table).items():
                    manifest[f"next_id.{table.name}.{column}"] = str(value)
            if photos_dir is not None:
                names = photo_names(conn)
                written, missing = write_photos(partial, Path(photos_dir), names)
                summary.photos = written
                manifest |= {"photos": str(written), "photos_missing": json.dumps(missing)}
                if missing and progress:
                    progress(f"warning: {len(missing)} photos named by hazards are not in "
                             f"{photos_dir}: {', '.join(missing[:5])}")
            write_manifest(partial, manifest)
            conn.rollback()
        os.replace(partial, path)
    except (OSError, *GDAL_ERRORS) as error:
        raise BackupError(f"cannot write {path}: {error}") from None
    except DBAPIError as error:
        raise BackupError(f"cannot read the database: {database_message(error)}") from None
    finally:
        partial.unlink(missing_ok=True)
    with engine.begin() as conn:
        insert_record(conn, "export", summary.details(), note=f"exported to {path.name}")
    return summary


def insert_record(conn: Connection, action: str, details: dict[str, Any], note: str) -> None:
    """An audit row for an export (who took the data) or a restore (who replaced it), in the
    caller's transaction."""
    conn.execute(text(
        "INSERT INTO audit_log (actor, user_id, action, table_name, after, note) "
        "VALUES (audit_actor(), audit_user_id(), :action, 'backup', CAST(:details AS jsonb), "
        ":note)"), {"action": action, "details": json.dumps(details), "note": note})


# -- photos ---------------------------------------------------------------------------------
def photo_names(conn: Connection) -> list[str]:
    """The stored photo names the hazards refer to (only well-formed ones: no paths)."""
    names = conn.execute(text("SELECT DISTINCT photo FROM hazards WHERE photo IS NOT NULL "
                              "ORDER BY photo")).scalars().all()
    return [name for name in names if PHOTO_NAME.match(name)]


def write_photos(path: Path, folder: Path, names: Sequence[str]) -> tuple[int, list[str]]:
    """Append the photo files to the ``hazard_photos`` layer, a few at a time (memory stays
    small); returns (photos written, names not found)."""
    found = [name for name in names if (folder / name).is_file()]
    missing = [name for name in names if name not in found]
    for start in range(0, max(len(found), 1), PHOTO_BATCH):
        batch = found[start:start + PHOTO_BATCH]
        contents = [(folder / name).read_bytes() for name in batch]
        pyogrio.raw.write(
            path, None,
            [np.array(batch, dtype=object),
             np.array([hashlib.sha256(c).hexdigest() for c in contents], dtype=object),
             np.array([base64.b64encode(c).decode("ascii") for c in contents], dtype=object)],
            ["name", "sha256", "content_base64"], layer=PHOTOS, driver="GPKG",
            append=start > 0)
    return len(found), missing


def read_photos(path: Path, manifest: dict[str, str]) -> list[tuple[int, str, bytes]]:
    """The ``hazard_photos`` layer as (row, name, content), each checked."""
    _, fids, _, (names, digests, contents) = pyogrio.raw.read(
        path, layer=PHOTOS, read_geometry=False, return_fids=True)
    if str(len(fids)) != manifest.get("photos"):
        raise BackupError(f"{path.name}, layer {PHOTOS}: {len(fids)} photos, the manifest says "
                          f"{manifest.get('photos')}; the file is damaged or incomplete")
    photos = []
    for fid, name, digest, content in zip(fids, names, digests, contents, strict=True):
        where = f"layer {PHOTOS}, row {int(fid)} ({name})"
        if not isinstance(name, str) or not PHOTO_NAME.match(name):
            raise BackupError(f"{where}: not a stored photo's name; nothing was restored")
        try:
            data = base64.b64decode(content or "", validate=True)
        except ValueError:
            raise BackupError(f"{where}: the content is not base64; nothing was restored") \
                from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise BackupError(f"{where}: the content does not match its SHA-256; "
                              "nothing was restored")
        photos.append((int(fid), name, data))
    return photos


def put_photos(folder: Path, photos: Sequence[tuple[int, str, bytes]],
               created: list[Path]) -> None:
    """Write the photos not yet in ``folder``, noting each new file in ``created``; a file
    of the same name with other content is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    for fid, name, data in photos:
        target = folder / name
        if target.exists():
            if target.read_bytes() != data:
                raise BackupError(f"layer {PHOTOS}, row {fid}: {target} exists with other "
                                  "content; nothing was restored")
            continue
        partial = target.with_name(f".{name}.part")
        partial.write_bytes(data)
        os.replace(partial, target)
        created.append(target)


# -- restore --------------------------------------------------------------------------------
@dataclass
class Layer:
    """A layer read back: rows as text values keyed by column, and each row's feature id."""

    table: Table
    rows: list[dict[str, str | None]]
    fids: list[int]

    def label(self, index: int) -> str:
        """``row 3 (id=17)``: the row's number in the layer and its key."""
        row = self.rows[index]
        key = ", ".join(f"{k}={row.get(k)}" for k in self.table.key)
        return f"row {self.fids[index]} ({key})"


def read_manifest(path: Path) -> dict[str, str]:
    """The manifest of a backup file; :class:`BackupError` when it is not one."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    except GDAL_ERRORS as error:
        raise BackupError(f"{path} is not a GeoPackage: {error}") from None
    if MANIFEST not in layers:
        raise BackupError(f"{path} has no {MANIFEST} layer: not a geo-service backup")
    try:
        _, _, _, fields = pyogrio.raw.read(path, layer=MANIFEST, read_geometry=False)
        manifest = {str(k): v for k, v in zip(*fields, strict=True)}
    except (*GDAL_ERRORS, TypeError, ValueError) as error:
        raise BackupError(f"{path}: the {MANIFEST} layer cannot be read ({error})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: the {MANIFEST} layer is not a geo-service backup's")
    manifest["_layers"] = json.dumps(sorted(layers))
    return manifest


def as_text(column: Column, value: Any) -> str | None:
    """A value read from the GeoPackage as text the column's type reads back exactly."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if column.kind == "integer" and not isinstance(value, str):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{column.name}: {value!r} is not a whole number")
        return str(int(value))
    if column.kind == "boolean" and not isinstance(value, str):
        return "true" if value else "false"
    if isinstance(value, float):
        return float_text(value)
    return str(value)


def read_layer(path: Path, table: Table, manifest: dict[str, str]) -> Layer:
    """One table's layer as rows of text, checked against the table and the manifest."""
    where = f"{path.name}, layer {table.name}"
    meta, fids, geometry, arrays = pyogrio.raw.read(path, layer=table.name, return_fids=True,
                                                    read_geometry=bool(table.geometry))
    names = [str(n) for n in meta["fields"]]
    expected = [c.name for c in table.fields]
    if sorted(names) != sorted(expected):
        raise BackupError(f"{where}: columns {sorted(names)} differ from the table's "
                          f"{sorted(expected)}")
    stated = manifest.get(f"rows.{table.name}")
    count = len(fids) if fids is not None else len(arrays[0]) if arrays else 0
    if stated is None or int(stated) != count:
        raise BackupError(f"{where}: {count} rows, the manifest says {stated}; "
                          "the file is damaged or incomplete")
    by_name = dict(zip(names, arrays, strict=True))
    fid_list = [int(f) for f in fids] if fids is not None else list(range(1, count + 1))
    layer = Layer(table, [], fid_list)
    for i in range(count):
        row: dict[str, str | None] = {}
        try:
            for column in table.fields:
                row[column.name] = as_text(column, by_name[column.name][i])
        except ValueError as error:
            raise BackupError(f"{where}, row {fid_list[i]}: {error}; nothing was restored") \
                from None
        if table.geometry:
            wkb = geometry[i]
            row[table.geometry] = (None if wkb is None
                                   else f"SRID={table.srid};{bytes(wkb).hex()}")
        layer.rows.append(row)
    return layer


def insert_statement(table: Table) -> Any:
    """INSERT of rows given as a JSON array of objects of text values (typed by the table)."""
    names = [c.name for c in table.columns]
    casts = ", ".join(f"CAST(r.{quote(c.name)} AS {c.base_type})" for c in table.columns)
    spec = ", ".join(f"{quote(n)} text" for n in names)
    return text(f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) "
                f"SELECT {casts} FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({spec})")


def database_message(error: DBAPIError) -> str:
    """The database's message for an error, with its detail line."""
    diag = getattr(error.orig, "diag", None)
    primary = getattr(diag, "message_primary", None) or str(error.orig).splitlines()[0]
    detail = getattr(diag, "message_detail", None)
    return f"{primary} ({detail})" if detail else primary


def insert_layer(conn: Connection, layer: Layer) -> None:
    """Insert a layer's rows; a refused chunk is retried row by row to name the bad row."""
    statement = insert_statement(layer.table)
    for start in range(0, len(layer.rows), CHUNK):
        chunk = layer.rows[start:start + CHUNK]
        try:
            with conn.begin_nested():
                conn.execute(statement, {"rows": json.dumps(chunk)})
            continue
        except DBAPIError as error:
            first = error
        for offset, row in enumerate(chunk):
            try:
                with conn.begin_nested():
                    conn.execute(statement, {"rows": json.dumps([row])})
            except DBAPIError as error:
                raise BackupError(f"layer {layer.table.name}, {layer.label(start + offset)}: "
                                  f"{database_message(error)}; nothing was restored") from None
        raise BackupError(f"layer {layer.table.name}, rows {layer.fids[start]}-"
                          f"{layer.fids[start + len(chunk) - 1]}: {database_message(first)}; "
                          "nothing was restored")


def check_schema(conn: Connection, path: Path, manifest: dict[str, str]) -> list[Table]:
    """The database's tables, after checking they are those the backup was made of."""
    revision = schema_revision(conn)
    theirs = manifest.get("schema_revision", "")
    if theirs != revision:
        raise BackupError(
            f"{path.name} was made at schema revision {theirs or '(none)'} but this database "
            f"is at {revision or '(none)'}; restore it with the geo-service version that made "
            f"it ({manifest.get('tool_version', 'unknown')}), then upgrade")
    tables = data_tables(conn)
    listed = set(json.loads(manifest.get("tables", "[]")))
    layers = set(json.loads(manifest["_layers"]))
    ours = {t.name for t in tables}
    if listed != ours or not ours <= layers:
        missing = sorted((ours - listed) | (ours - layers))
        extra = sorted(listed - ours)
        raise BackupError(f"{path.name} does not match this database's tables "
                          f"(missing: {missing or 'none'}, unknown: {extra or 'none'})")
    for table in tables:
        stated = json.loads(manifest.get(f"columns.{table.name}", "{}"))
        actual = {c.name: c.sql_type for c in table.columns}
        if stated != actual:
            raise BackupError(f"{path.name}, layer {table.name}: the backup's columns "
                              f"{stated} differ from the table's {actual}")
    return tables


def occupied(conn: Connection, tables: Sequence[Table]) -> dict[str, int]:
    """Row counts of the tables that hold any rows."""
    counts = {t.name: conn.execute(text(f"SELECT count(*) FROM {quote(t.name)}")).scalar_one()
              for t in tables}
    return {name: n for name, n in counts.items() if n}


def reset_sequences(conn: Connection, table: Table, manifest: dict[str, str]) -> None:
    """Set each serial column's sequence past both the backup's next id and the rows."""
    for column in table.columns:
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                {"t": quote(table.name), "c": column.name}).scalar()
        if not sequence:
            continue
        stated = int(manifest.get(f"next_id.{table.name}.{column.name}", "1"))
        conn.execute(text(
            f"SELECT setval(CAST(:s AS regclass), greatest(:n, "
            f"(SELECT coalesce(max({quote(column.name)}), 0) + 1 FROM {quote(table.name)})), "
            "false)"), {"s": sequence, "n": stated})


def restore_database(engine: Engine, path: Path, *, replace: bool = False,
                     photos_dir: Path | None = None, progress: Progress = None) -> BackupSummary:
    """Load a backup made by :func:`export_database` into this database, in one transaction,
    and its photos into ``photos_dir`` (files already there are kept).

    Refuses a file of another schema revision, and a database holding any rows unless
    ``replace`` (then everything in it is deleted first, in the same transaction). Raises
    :class:`BackupError` naming the layer and row that failed; nothing is changed then.
    """
    path = Path(path)
    manifest = read_manifest(path)
    with engine.connect() as conn:
        tables = check_schema(conn, path, manifest)
    layers = []
    for table in tables:
        if progress:
            progress(f"reading {manifest.get(f'rows.{table.name}')} rows of {table.name} ...")
        try:
            layers.append(read_layer(path, table, manifest))
        except GDAL_ERRORS as error:
            raise BackupError(f"{path.name}, layer {table.name}: cannot be read ({error}); "
                              "nothing was restored") from None
    has_photos = PHOTOS in json.loads(manifest["_layers"])
    try:
        photos = read_photos(path, manifest) if photos_dir is not None and has_photos else []
    except GDAL_ERRORS as error:
        raise BackupError(f"{path.name}, layer {PHOTOS}: cannot be read ({error}); "
                          "nothing was restored") from None
    summary = BackupSummary(path, manifest["schema_revision"],
                            created_at=manifest.get("created_at", ""),
                            photos=len(photos) if photos_dir is not None else None)
    created: list[Path] = []
    try:
        with engine.begin() as conn:
            restore_tables(conn, tables, layers, manifest, summary, replace=replace,
                           progress=progress)
            insert_record(conn, "restore", summary.details(),
                          note=f"restored from {path.name}")
            if photos_dir is not None:
                put_photos(Path(photos_dir), photos, created)
    except BaseException as error:
        for photo in created:  # the rows did not stay: neither do the files
            photo.unlink(missing_ok=True)
        if isinstance(error, DBAPIError):  # e.g. not the tables' owner, or the commit failed
            raise BackupError(f"the database refused the restore: {database_message(error)}; "
                              "nothing was restored") from None
        if isinstance(error, OSError):
            raise BackupError(f"cannot write the photos: {error}; nothing was restored") \
                from None
        raise
    return summary


def restore_tables(conn: Connection, tables: Sequence[Table], layers: Sequence[Layer],
                   manifest: dict[str, str], summary: BackupSummary, *, replace: bool,
                   progress: Progress = None) -> None:
    """Empty check, triggers off, rows in, triggers on, sequences set, counts checked."""
    names = ", ".join(quote(t.name) for t in tables)
    conn.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))
    summary.replaced = occupied(conn, tables)
    if summary.replaced and not replace:
        held = ", ".join(f"{name} {n}" for name, n in summary.replaced.items())
        raise BackupError(f"the database is not empty ({held} rows); restore into an "
                          "empty database, or add --replace to delete all of it first; "
                          "nothing was restored")
    conn.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    for table in tables:
        conn.execute(text(f"ALTER TABLE {quote(table.name)} DISABLE TRIGGER USER"))
    if summary.replaced:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
    for layer in layers:
        if progress:
            progress(f"restoring {len(layer.rows)} rows of {layer.table.name} ...")
        insert_layer(conn, layer)
        summary.rows[layer.table.name] = len(layer.rows)
    for table in tables:
        conn.execute(text(f"ALTER TABLE {quote(table.name)} ENABLE TRIGGER USER"))
        reset_sequences(conn, table, manifest)
    stored = {t.name: conn.execute(text(f"SELECT count(*) FROM {quote(t.name)}")).scalar()
              for t in tables}
    if stored != summary.rows:
        raise BackupError(f"restored counts {stored} differ from the file's {summary.rows}; "
                          "nothing was restored")
