"""The patrol commands end to end on the sample: roster, a walked track, gaps, hotspots, rota."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from geo_service.config import PROJECT_ROOT
from geo_service.db.engine import engine_for
from geo_service.patrol.network import load_network
from geo_service.patrol.simulate import fixes_to_gpx, random_path, simulate_fixes


@pytest.fixture()
def sample_cli(cli, sample_db):  # noqa: ANN001, ANN201
    """The cli fixture, on a database holding the sample."""
    return cli


def test_roster_track_and_patrol_gaps(sample_cli, sample_db: str, tmp_path: Path) -> None:
    roster = sample_cli("patrol", "roster", str(PROJECT_ROOT / "data" / "sample" / "roster.csv"))
    assert roster.exit_code == 0, roster.output
    assert "0 new, 0 updated, 19 unchanged" in roster.output  # the sample brought them

    before = sample_cli("gaps", "patrol", "--grid", "1", "--days", "7")
    assert before.exit_code == 0, before.output
    unwalked_before = json.loads(before.stdout)["features"]

    engine = engine_for(sample_db)
    with engine.connect() as conn:
        network = load_network(conn, [1], 100)
        member = conn.execute(text("SELECT name FROM patrol_members ORDER BY id LIMIT 1")).scalar()
    path = random_path(network, seed=7, length_m=600)
    gpx = tmp_path / "walk.gpx"
    walked_at = datetime.now(UTC) - timedelta(hours=2)
    fixes = simulate_fixes(network, path, seed=7, start=walked_at)
    gpx.write_text(fixes_to_gpx(fixes), encoding="utf-8")
    track = sample_cli("patrol", "track", str(gpx), "--member", member)
    assert track.exit_code == 0, track.output
    assert "walk.gpx" in track.output, track.output

    after = sample_cli("gaps", "patrol", "--grid", "1", "--days", "7")
    assert after.exit_code == 0, after.output
    unwalked_after = json.loads(after.stdout)["features"]
    walked = {edge[2] for edge in path}
    assert len(unwalked_after) < len(unwalked_before)
    assert not walked & {f["properties"]["street_id"] for f in unwalked_after}
    assert "not walked" in after.stderr


def test_bad_track_is_refused_and_nothing_stored(sample_cli, sample_db: str,
                                                 tmp_path: Path) -> None:
    sample_cli("patrol", "roster", str(PROJECT_ROOT / "data" / "sample" / "roster.csv"))
    bad = tmp_path / "broken.gpx"
    bad.write_text("<gpx><trk><trkseg><trkpt lat='x'")
    result = sample_cli("patrol", "track", str(bad), "--member", "nobody-here")
    assert result.exit_code != 0
    with engine_for(sample_db).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM patrol_tracks")).scalar() == 0


def test_rota_rotates_every_member_through_every_zone(sample_cli, tmp_path: Path) -> None:
    sample_cli("patrol", "roster", str(PROJECT_ROOT / "data" / "sample" / "roster.csv"))
    html, csv = tmp_path / "rota.html", tmp_path / "rota.csv"
    result = sample_cli("patrol", "rota", "--start", "2026-12-07", "--html", str(html),
                        "--csv", str(csv), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "<table" in html.read_text(encoding="utf-8")
    import csv as csv_module

    rows = list(csv_module.DictReader(csv.read_text(encoding="utf-8-sig").splitlines()))
    zone_key = next(k for k in rows[0] if "zone" in k.lower())
    member_key = next(k for k in rows[0] if "member" in k.lower())
    zones_of: dict[str, set[str]] = {}
    for row in rows:
        zones_of.setdefault(row[member_key], set()).add(row[zone_key])
    all_zones = {row[zone_key] for row in rows}
    assert len(zones_of) == 19
    assert all(zones == all_zones for zones in zones_of.values())


def test_hotspots_layer_is_geojson(sample_cli) -> None:
    result = sample_cli("patrol", "hotspots")
    assert result.exit_code == 0, result.output
    layer = json.loads(result.stdout)
    assert layer["features"] and {"weekly", "gi_z"} <= set(layer["features"][0]["properties"])
