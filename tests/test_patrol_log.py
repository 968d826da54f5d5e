"""The patrol log on a real PostGIS: tracks matched and stored, walks, gaps against plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import networkx as nx
import pytest
from sqlalchemy import text

from geo_service.analysis.rota import read_roster
from geo_service.config import PROJECT_ROOT
from geo_service.db.engine import engine_for
from geo_service.patrol import (
    PatrolError,
    TrackError,
    load_network,
    patrol_gaps,
    record_track,
    store_roster,
)
from geo_service.patrol.simulate import fixes_to_gpx, random_path, simulate_fixes

GRIDS = [1, 2, 3, 4]
WALKED_ON = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)
NOW = WALKED_ON + timedelta(days=2)


@pytest.fixture()
def patrol_db(sample_db: str):  # noqa: ANN201
    """Sample community, roster loaded; yields (engine, network of grids 1-4)."""
    engine = engine_for(sample_db)
    with engine.begin() as conn:
        store_roster(conn, read_roster(PROJECT_ROOT / "data" / "sample" / "roster.csv"))
        network = load_network(conn, GRIDS, 100.0)
    return engine, network


def in_grid_path(network: nx.MultiGraph, seed: int = 3, length_m: float = 800.0,
                 grid: int = 1):  # noqa: ANN201
    """A walk whose every street lies in one grid."""
    area = network.edge_subgraph(
        [(u, v, k) for u, v, k, g in network.edges(keys=True, data="grid") if g == grid])
    biggest = max(nx.connected_components(area), key=len)
    return random_path(area.subgraph(biggest).copy(), seed, length_m, leg_m=300.0)


def counts(engine) -> tuple[int, int]:  # noqa: ANN001
    with engine.connect() as conn:
        return (conn.execute(text("SELECT count(*) FROM patrol_tracks")).scalar_one(),
                conn.execute(text("SELECT count(*) FROM patrol_walks")).scalar_one())


def test_record_track_stores_the_streets_walked(patrol_db) -> None:  # noqa: ANN001
    engine, network = patrol_db
    path = in_grid_path(network)
    fixes = simulate_fixes(network, path, seed=7, start=WALKED_ON)
    gpx = fixes_to_gpx(fixes).encode()
    with engine.begin() as conn:
        summary = record_track(conn, gpx, "张建国", network=network, source_name="walk.gpx")
    path_ids = {k for _, _, k in path}
    length = sum({k: network.edges[u, v, k]["length_m"] for u, v, k in path}.values())
    assert summary.streets >= len(path_ids)
    assert summary.covered_km * 1000 == pytest.approx(length, rel=0.08)
    assert summary.walked_km * 1000 == pytest.approx(
        sum(network.edges[e]["length_m"] for e in path), rel=0.15)
    assert summary.timed and summary.started_at == WALKED_ON
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT w.street_id, w.walked_at, w.left_at, w.end_m - w.start_m AS stretch, "
            "ST_Length(w.geom::geography) AS geom_m, s.length_m "
            "FROM patrol_walks w JOIN streets s ON s.id = w.street_id "
            "WHERE w.track_id = :t ORDER BY w.walked_at, w.id"),
            {"t": summary.track_id}).mappings().all()
        track = conn.execute(text(
            "SELECT point_count, source_file, m.name FROM patrol_tracks t "
            "JOIN patrol_members m ON m.id = t.member_id WHERE t.id = :t"),
            {"t": summary.track_id}).one()
    assert track == (len(fixes), "walk.gpx", "张建国")
    walked = {row["street_id"] for row in rows}
    assert path_ids <= walked  # the ids are the streets table's ids
    covered = sum(row["stretch"] for row in rows if row["street_id"] in path_ids)
    assert covered >= 0.95 * length
    extra = sum(row["stretch"] for row in rows if row["street_id"] not in path_ids)
    assert extra < 0.05 * length
    for row in rows:
        assert WALKED_ON <= row["walked_at"] <= row["left_at"]
        assert row["geom_m"] == pytest.approx(row["stretch"], rel=0.02, abs=0.5)
    assert [r["walked_at"] for r in rows] == sorted(r["walked_at"] for r in rows)


def test_gaps_exclude_walked_streets_and_flag_grids_below_plan(patrol_db) -> None:  # noqa: ANN001
    engine, network = patrol_db
    path = in_grid_path(network)
    gpx = fixes_to_gpx(simulate_fixes(network, path, seed=7, start=WALKED_ON)).encode()
    with engine.begin() as conn:
        record_track(conn, gpx, "李志强", network=network)
    path_ids = {k for _, _, k in path}
    with engine.connect() as conn:
        gaps = patrol_gaps(conn, days=7, grids=GRIDS, now=NOW, planned=0.05)
        in_grids = set(conn.execute(text(
            "SELECT s.id FROM streets s JOIN grids g ON g.id = s.grid_id "
            "WHERE g.number = ANY(:g)"), {"g": GRIDS}).scalars())
        later = patrol_gaps(conn, days=1, grids=GRIDS, now=NOW, planned=0.05)
    gap_ids = set(gaps.streets["street_id"])
    assert not gap_ids & path_ids  # walked streets are not gaps
    assert gap_ids <= in_grids
    assert len(in_grids - gap_ids - path_ids) <= 3  # at most a few stretches walked past
    never = gaps.streets["days_since"].isna()
    assert never.all() and gaps.streets["last_walked_at"].isna().all()
    assert set(gaps.streets["grid"]) == set(GRIDS)
    table = gaps.grids.set_index("grid")
    assert list(table.index) == GRIDS
    assert table.loc[1, "walked_km"] > 0.5 and not table.loc[1, "below_plan"]
    for grid in (2, 3, 4):
        assert table.loc[grid, "walked_km"] < 0.05
        assert table.loc[grid, "below_plan"]
    assert table.loc[1, "planned_per_week"] == pytest.approx(0.05)
    assert table.loc[1, "walks_per_week"] > 0.05
    # with the flat default of one walk a week, grid 1 is below plan too
    with engine.connect() as conn:
        flat = patrol_gaps(conn, days=7, grids=GRIDS, now=NOW)
    assert flat.grids["below_plan"].all()
    # out of the window: every street is a gap again, walked two days ago
    assert path_ids <= set(later.streets["street_id"])
    again = later.streets.set_index("street_id").loc[sorted(path_ids), "days_since"]
    assert ((again > 1.9) & (again < 2.1)).all()
    assert later.grids["below_plan"].all()


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty"),
    (b"this is not xml", "not a GPX file"),
    (b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
     b'<wpt lat="27.52" lon="106.83"/></gpx>', "no track or route points"),
    (b'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
     b'<trkpt lat="27.52" lon="106.83"/></trkseg></trk></gpx>', "at least two"),
])
def test_bad_gpx_is_refused_naming_the_file_and_nothing_is_stored(
        patrol_db, content: bytes, reason: str) -> None:  # noqa: ANN001
    engine, network = patrol_db
    with pytest.raises(TrackError) as error, engine.begin() as conn:
        record_track(conn, content, "张建国", network=network, source_name="phone-0501.gpx")
    assert "phone-0501.gpx" in str(error.value)
    assert reason in str(error.value)
    assert counts(engine) == (0, 0)


def test_unknown_member_is_refused_and_nothing_is_stored(patrol_db) -> None:  # noqa: ANN001
    engine, network = patrol_db
    gpx = fixes_to_gpx(simulate_fixes(network, in_grid_path(network), seed=1)).encode()
    with pytest.raises(PatrolError, match="no patrol member"), engine.begin() as conn:
        record_track(conn, gpx, "无名氏", network=network)
    assert counts(engine) == (0, 0)


def test_route_only_gpx_is_accepted_and_dated(patrol_db) -> None:  # noqa: ANN001
    engine, network = patrol_db
    path = in_grid_path(network, seed=5)
    gpx = fixes_to_gpx(simulate_fixes(network, path, seed=2), route=True).encode()
    with engine.begin() as conn:
        summary = record_track(conn, gpx, "王海波", network=network, source_name="plan.gpx",
                               started_at=WALKED_ON)
    assert not summary.timed
    assert summary.started_at == summary.ended_at == WALKED_ON
    assert {k for _, _, k in path} <= set(summary.street_ids)
    with engine.connect() as conn:
        times = set(conn.execute(text("SELECT walked_at FROM patrol_walks")).scalars())
    assert times == {WALKED_ON}


def test_walks_outlive_a_street_reload(patrol_db) -> None:  # noqa: ANN001
    engine, network = patrol_db
    path = in_grid_path(network)
    gpx = fixes_to_gpx(simulate_fixes(network, path, seed=7, start=WALKED_ON)).encode()
    with engine.begin() as conn:
        record_track(conn, gpx, "张建国", network=network)
    street = path[len(path) // 2][2]
    with engine.begin() as conn:  # the street comes back from a reload under a new id
        new_id = conn.execute(text("""
            INSERT INTO streets (source_id, part, name, street_class, width_m, lit, length_m,
                                 source, target, grid_id, source_file, geom)
            SELECT source_id, part + 1000, name, street_class, width_m, lit, length_m, source,
                   target, grid_id, source_file, geom FROM streets WHERE id = :id
            RETURNING id"""), {"id": street}).scalar_one()
        conn.execute(text("DELETE FROM streets WHERE id = :id"), {"id": street})
    with engine.connect() as conn:
        orphaned = conn.execute(text(
            "SELECT count(*) FROM patrol_walks WHERE street_id IS NULL")).scalar_one()
        gaps = patrol_gaps(conn, days=7, grids=GRIDS, now=NOW)
    assert orphaned >= 1
    assert new_id not in set(gaps.streets["street_id"])
