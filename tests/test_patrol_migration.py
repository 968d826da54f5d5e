"""Migration 0002 (patrol log): upgrades from 0001, matches the models, downgrades cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from geo_service.db.engine import alembic_config, engine_for
from geo_service.models import Base

PATROL_TABLES = {"patrol_members", "patrol_tracks", "patrol_walks"}


def gist_tables(engine) -> set[str]:  # noqa: ANN001
    with engine.connect() as conn:
        return set(conn.execute(text(
            "SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist%'")).scalars())


def revision(engine) -> str:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_0002_downgrades_to_0001_and_upgrades_again(sample_db: str) -> None:
    engine = engine_for(sample_db)
    cfg = alembic_config(sample_db)
    assert set(inspect(engine).get_table_names()) >= PATROL_TABLES
    with engine.connect() as conn:
        streets = conn.execute(text("SELECT count(*) FROM streets")).scalar_one()
    command.downgrade(cfg, "0001")
    engine.dispose()
    assert revision(engine) == "0001"
    assert not PATROL_TABLES & set(inspect(engine).get_table_names())
    assert not PATROL_TABLES & gist_tables(engine)
    with engine.connect() as conn:  # the rest of the data is untouched
        assert conn.execute(text("SELECT count(*) FROM streets")).scalar_one() == streets
    command.upgrade(cfg, "0002")
    engine.dispose()
    assert revision(engine) == "0002"
    assert set(inspect(engine).get_table_names()) >= PATROL_TABLES
    assert {"patrol_tracks", "patrol_walks"} <= gist_tables(engine)  # one GiST index each
    with engine.connect() as conn:
        indexes = conn.execute(text(
            "SELECT tablename, count(*) FROM pg_indexes WHERE indexdef LIKE '%USING gist%' "
            "AND tablename LIKE 'patrol_%' GROUP BY tablename")).all()
    assert dict(indexes) == {"patrol_tracks": 1, "patrol_walks": 1}


def test_0002_matches_the_patrol_models(db_url: str) -> None:
    engine = engine_for(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        diff = compare_metadata(context, Base.metadata)

    patrol = [change for change in diff if "patrol_" in repr(change)]
    assert patrol == []


def test_walks_keep_their_geometry_when_a_street_is_deleted(db_url: str) -> None:
    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO street_nodes (id, geom) VALUES "
            "(1, ST_GeomFromText('POINT(106.83 27.52)', 4326)), "
            "(2, ST_GeomFromText('POINT(106.831 27.52)', 4326))"))
        conn.execute(text(
            "INSERT INTO streets (id, source_id, street_class, length_m, source, target, geom) "
            "VALUES (7, 's', 'alley', 98.7, 1, 2, "
            "ST_GeomFromText('LINESTRING(106.83 27.52, 106.831 27.52)', 4326))"))
        conn.execute(text(
            "INSERT INTO patrol_members (id, name, unit) VALUES (1, '张建国', '派出所')"))
        conn.execute(text(
            "INSERT INTO patrol_tracks (id, member_id, started_at, ended_at, source_file, "
            "point_count, geom) VALUES (1, 1, now(), now(), 't.gpx', 2, "
            "ST_GeomFromText('LINESTRING(106.83 27.52, 106.831 27.52)', 4326))"))
        conn.execute(text(
            "INSERT INTO patrol_walks (track_id, street_id, walked_at, left_at, walked_m, "
            "start_m, end_m, geom) VALUES (1, 7, now(), now(), 98.7, 0, 98.7, "
            "ST_GeomFromText('LINESTRING(106.83 27.52, 106.831 27.52)', 4326))"))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM streets WHERE id = 7"))
        conn.execute(text("DELETE FROM patrol_members WHERE id = 1"))
    with engine.connect() as conn:
        walk = conn.execute(text(
            "SELECT street_id, ST_AsText(geom) FROM patrol_walks")).one()
        member = conn.execute(text("SELECT member_id FROM patrol_tracks")).scalar_one()
    assert walk == (None, "LINESTRING(106.83 27.52,106.831 27.52)")
    assert member is None
    with engine.begin() as conn:  # deleting the track takes its walks with it
        conn.execute(text("DELETE FROM patrol_tracks"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM patrol_walks")).scalar_one() == 0
