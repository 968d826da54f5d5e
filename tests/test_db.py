"""The schema: migration from empty, constraints that keep bad rows out, append-only history."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from geo_service.db.engine import engine_for, migrate


def test_migration_from_empty_creates_every_table_with_spatial_indexes(db_url: str) -> None:
    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(db_url)
    migrate(db_url)  # a second run is a no-op
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    assert {"communities", "subdistricts", "grids", "buildings", "streets", "street_nodes",
            "lights", "cameras", "hazards", "hazard_events"} <= tables
    with engine.connect() as conn:
        gist = conn.execute(text(
            "SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist%'")).scalars().all()
        extensions = conn.execute(text("SELECT extname FROM pg_extension")).scalars().all()
    assert {"grids", "buildings", "streets", "street_nodes", "lights", "cameras",
            "hazards"} <= set(gist)
    assert {"postgis", "pgrouting"} <= set(extensions)


@pytest.mark.parametrize(("statement", "constraint"), [
    ("INSERT INTO lights (source_id, status, geom) VALUES ('x', 'shiny', "
     "ST_GeomFromText('POINT(106.83 27.52)', 4326))", "ck_lights_status_allowed"),
    ("INSERT INTO grids (number, geom) VALUES (1, ST_Multi(ST_GeomFromText("
     "'POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))', 4326)))", "ck_grids_geom_valid"),
    ("INSERT INTO streets (source_id, street_class, lit, length_m, source, target, geom) VALUES "
     "('s', 'motorway', 'yes', 1, 1, 1, ST_GeomFromText('LINESTRING(0 0, 1 1)', 4326))",
     "ck_streets_street_class_allowed"),
])
def test_constraints_refuse_bad_rows(engine, statement: str, constraint: str) -> None:
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text(statement))
    assert constraint in str(caught.value)


def test_geometry_in_another_srid_is_refused(engine) -> None:
    with pytest.raises(DBAPIError, match="SRID"), engine.begin() as conn:
        conn.execute(text("INSERT INTO lights (source_id, status, geom) VALUES ('x', 'working', "
                          "ST_GeomFromText('POINT(500000 3000000)', 4545))"))


def test_hazard_history_is_append_only(engine) -> None:
    with engine.begin() as conn:
        hazard = conn.execute(text(
            "INSERT INTO hazards (category, geom) VALUES ('parking', "
            "ST_GeomFromText('POINT(106.83 27.52)', 4326)) RETURNING id")).scalar()
        conn.execute(text("INSERT INTO hazard_events (hazard_id, action, to_status) "
                          "VALUES (:h, 'report', 'reported')"), {"h": hazard})
    for change in ("UPDATE hazard_events SET note = 'rewritten'", "DELETE FROM hazard_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(change))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hazard_events")).scalar() == 1


def test_audit_log_is_append_only(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (actor, action, table_name, row_id) "
                          "VALUES ('admin', 'update', 'lights', '1')"))
    for change in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(change))
