"""``geo-service export`` / ``restore``: every table out into one GeoPackage and back, exactly.

The source is the sample community after a hazard went round its whole loop, a patrol track
was uploaded and accounts were made; its backup is restored into empty databases and compared
table by table, row by row (geometries as EWKB bytes and with ST_OrderingEquals).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import networkx as nx
import psycopg
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, text

from geo_service.audit import acting_as
from geo_service.db.engine import engine_for
from geo_service.hazards.inputs import EventRequest
from geo_service.hazards.service import apply_event, get_hazard
from geo_service.load import load_sample
from geo_service.patrol import load_network
from geo_service.patrol.service import upload_track
from geo_service.patrol.simulate import fixes_to_gpx, random_path, simulate_fixes

LOOP = [EventRequest("assign", actor="grid 2", assignee="王网格"),
        EventRequest("start", actor="王网格"),
        EventRequest("resolve", actor="王网格", note="修好了"),
        EventRequest("revisit", actor="alice", satisfaction=4),
        EventRequest("close", actor="alice")]


PHOTO = "0123456789abcdef0123456789abcdef.jpg"
PHOTO_BYTES = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


def run_cli(url: str, *args: str, data_dir: Path | None = None) -> Result:
    """``geo-service ARGS`` in-process against the database at ``url`` (photos under
    ``data_dir/uploads``)."""
    from geo_service.cli import main

    env = {"DATABASE_URL": url}
    if data_dir is not None:
        env["GEO_SERVICE_DATA_DIR"] = str(data_dir)
    return CliRunner().invoke(main, list(args), env=env)


def make_database(template_url: str, name: str) -> str:
    """A database copied from the migrated test template; returns its URL."""
    server, template = template_url.rsplit("/", 1)
    admin = server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"{server}/{name}"


def drop_database(url: str) -> None:
    """Drop a database made by :func:`make_database`."""
    engine_for(url).dispose()
    server, name = url.rsplit("/", 1)
    admin = server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill(engine: Engine, sample_dir: Path) -> int:
    """The sample, accounts, one hazard's whole loop, a patrol track, awkward values; returns
    the walked hazard's id."""
    load_sample(engine, sample_dir, community_name="白龙社区")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, role, phone) VALUES "
            "(7, 'alice', '爱丽丝', 'scrypt:32768:8:1$salt$0123abcd', 'grid_worker', '138'), "
            "(8, 'bob', NULL, 'scrypt:32768:8:1$salt$4567ef01', 'community_admin', NULL)"))
        conn.execute(text("SELECT setval('users_id_seq', 8)"))
        conn.execute(text(
            "INSERT INTO api_tokens (user_id, name, token_sha256, last_used_at) VALUES "
            "(8, 'open311', repeat('ab', 32), '2026-05-02 08:00:00.123456+08')"))
        conn.execute(text("INSERT INTO user_grids VALUES (7, (SELECT id FROM grids LIMIT 1))"))
        conn.execute(text(
            "INSERT INTO user_buildings VALUES (7, (SELECT min(id) FROM buildings))"))
        # floats that decimal text would not carry exactly, and ones a GeoPackage cannot hold
        conn.execute(text("UPDATE lights SET height_m = 0.1 + 0.2 WHERE id = (SELECT min(id) "
                          "FROM lights)"))
        conn.execute(text("UPDATE cameras SET lens_mm = 'NaN' WHERE id = (SELECT min(id) "
                          "FROM cameras)"))
        conn.execute(text("UPDATE cameras SET lens_mm = '-Infinity' WHERE id = (SELECT max(id) "
                          "FROM cameras)"))
        hazard = conn.execute(text("SELECT min(id) FROM hazards WHERE status = 'reported'")) \
            .scalar_one()
        conn.execute(text("UPDATE hazards SET photo = :p WHERE id = :h"),
                     {"p": PHOTO, "h": hazard})
    with acting_as("user:alice", 7):
        for request in LOOP:
            with engine.begin() as conn:
                apply_event(conn, hazard, request)
    with engine.begin() as conn:  # JSON null is not SQL NULL
        conn.execute(text("INSERT INTO hazard_events (hazard_id, action, actor, extra) "
                          "VALUES (:h, 'note', 'alice', 'null'::jsonb)"), {"h": hazard})
    with engine.connect() as conn:
        network = load_network(conn, [2], 0.0)
    area = network.subgraph(max(nx.connected_components(network), key=len)).copy()
    gpx = fixes_to_gpx(simulate_fixes(area, random_path(area, 2, 600.0, leg_m=250.0), seed=3))
    upload_track(engine, gpx.encode(), "赵明华", source_name="0501.gpx")
    return hazard


@pytest.fixture(scope="module")
def source(template_url: str, sample_dir: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A filled database and its backup file (shared: tests must not change either)."""
    url = make_database(template_url, f"geo_test_src_{uuid.uuid4().hex[:10]}")
    try:
        hazard = fill(engine_for(url), sample_dir)
        folder = tmp_path_factory.mktemp("backup")
        (folder / "data" / "uploads").mkdir(parents=True)
        (folder / "data" / "uploads" / PHOTO).write_bytes(PHOTO_BYTES)
        path = folder / "baseline.gpkg"
        result = run_cli(url, "export", str(path), data_dir=folder / "data")
        assert result.exit_code == 0, result.output
        yield SimpleNamespace(url=url, path=path, hazard=hazard, output=result.output)
    finally:
        drop_database(url)


# -- comparing databases ---------------------------------------------------------------------
def table_names(engine: Engine) -> list[str]:
    """Every data table (independently of the code under test)."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name NOT IN "
            "('alembic_version', 'spatial_ref_sys') ORDER BY 1")).scalars().all()


def table_rows(engine: Engine, table: str) -> list[tuple[str, str | None]]:
    """A table's rows as (JSON of the non-geometry columns, hex EWKB of the geometry),
    sorted; the text form of the values is PostgreSQL's own (floats exact, times in UTC)."""
    with engine.connect() as conn:
        conn.execute(text("SET LOCAL TimeZone = 'UTC'"))
        geoms = conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = :t AND udt_name = 'geometry'"), {"t": table}).scalars().all()
        ewkb = (f"encode(ST_AsEWKB(t.{geoms[0]}), 'hex')" if geoms else "NULL")
        strip = "".join(f" - '{g}'" for g in geoms)
        rows = conn.execute(text(
            f"SELECT (to_jsonb(t){strip})::text, {ewkb} FROM {table} t")).all()
    return sorted((doc, geom) for doc, geom in rows)


def same_geometries(source: Engine, restored: Engine, table: str) -> bool:
    """ST_OrderingEquals, in the source database, for every restored geometry by id."""
    with restored.connect() as conn:
        pairs = conn.execute(text(f"SELECT id, encode(ST_AsEWKB(geom), 'hex') FROM {table}")) \
            .all()
    with source.connect() as conn:
        equal = conn.execute(text(
            f"SELECT count(*) FROM {table} t JOIN unnest(CAST(:ids AS int[]), "
            "CAST(:geoms AS text[])) AS r(id, g) ON r.id = t.id "
            "WHERE ST_OrderingEquals(t.geom, r.g::geometry)"),
            {"ids": [p[0] for p in pairs], "geoms": [p[1] for p in pairs]}).scalar_one()
        total = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    return equal == total == len(pairs)


def audit_rows(engine: Engine, *, leave_out: str) -> list[tuple[str, str | None]]:
    """The audit log without its ``leave_out`` backup entries (export or restore)."""
    return [row for row in table_rows(engine, "audit_log")
            if not (json.loads(row[0])["table_name"] == "backup"
                    and json.loads(row[0])["action"] == leave_out)]


def counts(engine: Engine) -> dict[str, int]:
    """Rows per data table."""
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in table_names(engine)}


def assert_equal_databases(source: Engine, restored: Engine) -> None:
    """Every table equal row by row (the audit log apart from export/restore entries)."""
    tables = table_names(source)
    assert tables == table_names(restored)
    for table in tables:
        if table == "audit_log":
            continue
        theirs, ours = table_rows(source, table), table_rows(restored, table)
        assert len(theirs) == len(ours), table
        assert theirs == ours, f"{table} differs after the round trip"
    assert audit_rows(source, leave_out="export") == audit_rows(restored, leave_out="restore")


# -- tests -----------------------------------------------------------------------------------
def test_export_writes_every_table_as_a_layer_with_a_manifest(source: SimpleNamespace) -> None:
    import pyogrio

    layers = dict(pyogrio.list_layers(source.path))
    tables = table_names(engine_for(source.url))
    assert set(layers) == {*tables, "backup_manifest", "hazard_photos"}
    assert layers["hazards"] == "Unknown"  # points, lines and areas together
    assert layers["lights"] == "Point" and layers["buildings"] == "MultiPolygon"
    assert layers["users"] is None and layers["hazard_events"] is None  # attribute tables
    with sqlite3.connect(source.path) as db:
        manifest = dict(db.execute("SELECT key, value FROM backup_manifest"))
        assert manifest["schema_revision"] == engine_for(source.url).connect().execute(
            text("SELECT version_num FROM alembic_version")).scalar()
        counted = counts(engine_for(source.url))
        counted["audit_log"] -= 1  # the export's own entry comes after the snapshot
        assert {t: int(manifest[f"rows.{t}"]) for t in tables} == counted
        # timestamps keep their zone as ISO text; JSON stays JSON text
        at, extra = db.execute("SELECT at, extra FROM hazard_events WHERE extra IS NOT NULL "
                               "ORDER BY fid LIMIT 1").fetchone()
        assert at.endswith("+00:00") and "T" in at
        assert isinstance(json.loads(extra), dict)
        assert db.execute("SELECT count(*) FROM users WHERE password_hash LIKE 'scrypt:%'") \
            .fetchone()[0] == 2
    assert "rows in" in source.output


def test_export_then_restore_gives_equal_tables_and_histories(source: SimpleNamespace,
                                                              db_url: str,
                                                              tmp_path: Path) -> None:
    result = run_cli(db_url, "restore", str(source.path), data_dir=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "uploads" / PHOTO).read_bytes() == PHOTO_BYTES
    original, restored = engine_for(source.url), engine_for(db_url)
    assert_equal_databases(original, restored)
    with original.connect() as conn:
        spatial = conn.execute(text(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'geom' AND udt_name = 'geometry'")).scalars().all()
    assert {"grids", "buildings", "streets", "lights", "hazards", "patrol_tracks"} <= set(spatial)
    for table in spatial:
        assert same_geometries(original, restored, table), table
    with original.connect() as a, restored.connect() as b:
        theirs = get_hazard(a, source.hazard, private=True)
        ours = get_hazard(b, source.hazard, private=True)
        assert [e["action"] for e in ours["events"]] == [
            "report", "assign", "start", "resolve", "revisit", "close", "note"]
        assert ours == theirs
        assert b.execute(text("SELECT count(*) FROM patrol_walks")).scalar_one() > 0
        entries = b.execute(text("SELECT actor, after FROM audit_log WHERE action = 'restore'"))\
            .all()
    assert len(entries) == 1 and entries[0].actor.startswith("cli:")
    assert entries[0].after["rows"]["hazard_events"] == counts(restored)["hazard_events"]


def test_restored_sequences_continue_after_the_restored_ids(source: SimpleNamespace,
                                                            db_url: str) -> None:
    assert run_cli(db_url, "restore", str(source.path)).exit_code == 0
    restored = engine_for(db_url)
    with restored.begin() as conn:
        before = conn.execute(text("SELECT max(id) FROM hazard_events")).scalar_one()
        event = apply_event(conn, source.hazard, EventRequest("reopen", actor="alice",
                                                              assignee="王网格"))["event"]
        user = conn.execute(text("INSERT INTO users (username, password_hash, role) "
                                 "VALUES ('carol', 'x', 'resident') RETURNING id")).scalar_one()
    assert event["id"] == before + 1
    assert user == 9  # the source's sequence had reached 8


def test_restore_refuses_a_database_with_data_and_changes_nothing(source: SimpleNamespace,
                                                                  db_url: str) -> None:
    assert run_cli(db_url, "restore", str(source.path)).exit_code == 0
    restored = engine_for(db_url)
    with restored.begin() as conn:
        conn.execute(text("UPDATE lights SET status = 'broken' WHERE id = 3"))
    before = {t: table_rows(restored, t) for t in table_names(restored)}
    refused = run_cli(db_url, "restore", str(source.path))
    assert refused.exit_code != 0
    assert "not empty" in refused.output and "--replace" in refused.output
    assert "nothing was restored" in refused.output
    assert {t: table_rows(restored, t) for t in table_names(restored)} == before

    replaced = run_cli(db_url, "restore", "--replace", str(source.path))
    assert replaced.exit_code == 0, replaced.output
    assert "replaced" in replaced.output
    for table in table_names(restored):
        if table != "audit_log":
            assert table_rows(restored, table) == table_rows(engine_for(source.url), table)
    with restored.connect() as conn:
        status = conn.execute(text("SELECT status FROM lights WHERE id = 3")).scalar_one()
        restores = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'restore'"))\
            .scalar_one()
    assert status == table_status(engine_for(source.url), 3)
    assert restores == 1  # the replaced log went with the rest; this restore is logged


def table_status(engine: Engine, light: int) -> str:
    """A light's status."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT status FROM lights WHERE id = :id"),
                            {"id": light}).scalar_one()


def corrupt(path: Path, target: Path, sql: str, *params: Any) -> Path:
    """A copy of a backup with one change made directly in its SQLite tables."""
    shutil.copy(path, target)
    with sqlite3.connect(target) as db:
        # the GeoPackage's R-tree triggers call these SpatiaLite functions
        db.create_function("ST_IsEmpty", 1, lambda geom: 0)
        for name in ("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            db.create_function(name, 1, lambda geom: 0.0)
        changed = db.execute(sql, params).rowcount
    assert changed == 1
    return target


@pytest.mark.parametrize(("sql", "where", "why"), [
    ('UPDATE hazard_events SET "at" = \'not a time\' WHERE fid = 3',
     "layer hazard_events, row 3 (id=3)", "timestamp"),
    ("UPDATE lights SET status = 'exploded' WHERE fid = 5",
     "layer lights, row 5 (id=5)", "ck_lights_status_allowed"),
    ("UPDATE hazards SET grid_id = 9999 WHERE fid = 2",
     "layer hazards, row 2 (id=2)", "fk_hazards_grid_id_grids"),
    ("UPDATE users SET username = NULL WHERE fid = 1",
     "layer users, row 1 (id=7)", "null value"),
])
def test_a_bad_row_rolls_the_whole_restore_back_and_is_named(
        source: SimpleNamespace, db_url: str, tmp_path: Path, sql: str, where: str,
        why: str) -> None:
    bad = corrupt(source.path, tmp_path / "bad.gpkg", sql)
    result = run_cli(db_url, "restore", str(bad))
    assert result.exit_code != 0
    assert where in result.output and why in result.output
    assert "nothing was restored" in result.output
    assert set(counts(engine_for(db_url)).values()) == {0}


def test_a_geometry_of_the_wrong_type_is_refused(source: SimpleNamespace, db_url: str,
                                                 tmp_path: Path) -> None:
    with sqlite3.connect(source.path) as db:
        line = db.execute("SELECT geom FROM streets WHERE fid = 1").fetchone()[0]
    bad = corrupt(source.path, tmp_path / "bad.gpkg",
                  "UPDATE lights SET geom = ? WHERE fid = 4", line)
    result = run_cli(db_url, "restore", str(bad))
    assert result.exit_code != 0
    assert "layer lights, row 4 (id=4)" in result.output and "LineString" in result.output
    assert set(counts(engine_for(db_url)).values()) == {0}


def test_restore_refuses_another_schema_revision(source: SimpleNamespace, db_url: str,
                                                 tmp_path: Path) -> None:
    old = corrupt(source.path, tmp_path / "old.gpkg",
                  "UPDATE backup_manifest SET value = '0002' WHERE key = 'schema_revision'")
    result = run_cli(db_url, "restore", str(old))
    assert result.exit_code != 0
    assert "schema revision 0002" in result.output and "this database is at" in result.output
    assert set(counts(engine_for(db_url)).values()) == {0}


def test_restore_refuses_files_that_are_no_backup(db_url: str, tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    plain = tmp_path / "plain.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(1, 2)], crs=4326).to_file(plain)
    result = run_cli(db_url, "restore", str(plain))
    assert result.exit_code != 0 and "not a geo-service backup" in result.output
    text_file = tmp_path / "notes.gpkg"
    text_file.write_text("hello")
    result = run_cli(db_url, "restore", str(text_file))
    assert result.exit_code != 0 and "not a GeoPackage" in result.output
    missing = run_cli(db_url, "restore", str(tmp_path / "nowhere.gpkg"))
    assert missing.exit_code != 0 and "no such file" in missing.output


def test_a_truncated_layer_is_refused(source: SimpleNamespace, db_url: str,
                                      tmp_path: Path) -> None:
    short = corrupt(source.path, tmp_path / "short.gpkg",
                    "DELETE FROM hazard_events WHERE fid = (SELECT max(fid) FROM hazard_events)")
    result = run_cli(db_url, "restore", str(short))
    assert result.exit_code != 0 and "layer hazard_events" in result.output
    assert "the manifest says" in result.output


def test_export_of_an_empty_database_restores_to_an_empty_one(db_url: str, template_url: str,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    assert run_cli(db_url, "export", str(path)).exit_code == 0
    other = make_database(template_url, f"geo_test_empty_{uuid.uuid4().hex[:10]}")
    try:
        result = run_cli(other, "restore", str(path))
        assert result.exit_code == 0, result.output
        restored = counts(engine_for(other))
        assert restored.pop("audit_log") == 1  # the restore itself
        assert set(restored.values()) == {0}
    finally:
        drop_database(other)


def test_photos_are_checked_and_never_written_outside_the_uploads(
        source: SimpleNamespace, db_url: str, tmp_path: Path) -> None:
    evil = corrupt(source.path, tmp_path / "evil.gpkg",
                   "UPDATE hazard_photos SET name = '../../escaped.jpg'")
    result = run_cli(db_url, "restore", str(evil), data_dir=tmp_path / "data")
    assert result.exit_code != 0 and "layer hazard_photos, row 1" in result.output
    altered = corrupt(source.path, tmp_path / "altered.gpkg",
                      "UPDATE hazard_photos SET content_base64 = 'AAAA'")
    result = run_cli(db_url, "restore", str(altered), data_dir=tmp_path / "data")
    assert result.exit_code != 0 and "SHA-256" in result.output
    assert not (tmp_path / "escaped.jpg").exists() and not (tmp_path / "data").exists()
    assert set(counts(engine_for(db_url)).values()) == {0}


def test_a_failed_restore_leaves_no_photo_behind(source: SimpleNamespace, db_url: str,
                                                 tmp_path: Path) -> None:
    other, content = "f" * 32 + ".png", b"\x89PNG\r\n\x1a\n" + b"0" * 64
    two = corrupt(source.path, tmp_path / "two.gpkg",
                  "INSERT INTO hazard_photos (name, sha256, content_base64) VALUES (?, ?, ?)",
                  other, hashlib.sha256(content).hexdigest(),
                  base64.b64encode(content).decode())
    with sqlite3.connect(two) as db:
        db.execute("UPDATE backup_manifest SET value = '2' WHERE key = 'photos'")
    uploads = tmp_path / "data" / "uploads"
    uploads.mkdir(parents=True)
    (uploads / other).write_bytes(b"someone else's picture")
    result = run_cli(db_url, "restore", str(two), data_dir=tmp_path / "data")
    assert result.exit_code != 0 and "exists with other content" in result.output
    assert sorted(p.name for p in uploads.iterdir()) == [other]  # the first photo went again
    assert (uploads / other).read_bytes() == b"someone else's picture"
    assert set(counts(engine_for(db_url)).values()) == {0}
