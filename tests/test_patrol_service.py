"""The one-call patrol actions the command line and the API use, on the sample community."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import networkx as nx
import pytest
from sqlalchemy import text

from geo_service.analysis.rota import RotaError
from geo_service.config import PROJECT_ROOT
from geo_service.db.engine import engine_for
from geo_service.patrol import TrackError, load_network
from geo_service.patrol.service import (
    gaps_geojson,
    gaps_report,
    hotspot_layer,
    load_roster_file,
    parse_unavailable,
    parse_zones,
    rota_for,
    summary_json,
    upload_track,
)
from geo_service.patrol.simulate import fixes_to_gpx, random_path, simulate_fixes

ROSTER = PROJECT_ROOT / "data" / "sample" / "roster.csv"
WALKED_ON = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)


def forget_roster(engine) -> None:  # noqa: ANN001
    """The sample brings its roster; these tests start from none."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM patrol_members"))


def test_roster_upload_gaps_and_hotspots(sample_db: str) -> None:
    engine = engine_for(sample_db)
    forget_roster(engine)
    first = load_roster_file(engine, ROSTER)
    again = load_roster_file(engine, ROSTER)
    assert (first.inserted, again.unchanged) == (19, 19)
    with engine.connect() as conn:
        network = load_network(conn, [2], 0.0)
    area = network.subgraph(max(nx.connected_components(network), key=len)).copy()
    path = random_path(area, 2, 600.0, leg_m=250.0)
    gpx = fixes_to_gpx(simulate_fixes(area, path, seed=3, start=WALKED_ON)).encode()
    summary = upload_track(engine, gpx, "赵明华", source_name="0501.gpx")
    assert {k for _, _, k in path} <= set(summary.street_ids)
    assert json.loads(summary_json(summary))["member"] == "赵明华"
    assert any("0501.gpx" in line for line in summary.lines())
    with pytest.raises(TrackError, match="empty.gpx"):
        upload_track(engine, b"", "赵明华", source_name="empty.gpx")

    now = WALKED_ON + timedelta(days=1)
    flat = gaps_report(engine, days=7, now=now)
    assert list(flat.grids["grid"]) == [1, 2, 3, 4]
    assert flat.grids["below_plan"].all()  # one short walk is not a weekly walk of every street
    assert not set(flat.streets["street_id"]) & {k for _, _, k in path}
    layer = json.loads(gaps_geojson(flat))
    assert len(layer["features"]) == len(flat.streets)
    assert {"street_id", "days_since", "last_walked_at", "grid"} <= set(
        layer["features"][0]["properties"])
    light = gaps_report(engine, days=7, now=now, planned=0.01)
    assert not light.grids.set_index("grid").loc[2, "below_plan"]
    planned = gaps_report(engine, days=7, now=now, planned="hotspots")
    assert (planned.streets["planned_per_week"] >= 1).all()
    assert any("grid 2" in line for line in planned.lines())

    hot = hotspot_layer(engine, days=None)
    assert hot.crs.to_epsg() == 4326
    assert {"street_id", "kde", "gi_z", "hot", "weekly"} <= set(hot.columns)
    assert hot["weekly"].between(1, 7).all()
    with engine.connect() as conn:
        hazards = conn.execute(text("SELECT count(*) FROM hazards")).scalar_one()
    assert hazards and hot["events"].sum() > 0


def test_rota_from_the_stored_roster(sample_db: str) -> None:
    engine = engine_for(sample_db)
    forget_roster(engine)
    with pytest.raises(ValueError, match="load a roster first"):
        rota_for(engine, parse_zones(), date(2026, 6, 1))
    load_roster_file(engine, ROSTER)
    zones = parse_zones(["1,2", "3+4"])
    assert [z.grids for z in zones] == [(1, 2), (3, 4)]
    assert [z.name_en for z in parse_zones(routes=3)] == ["Route 1", "Route 2", "Route 3"]
    assert len(parse_zones()) == 4
    rota = rota_for(engine, zones, date(2026, 6, 1), unavailable=["张建国:2026-06-02",
                                                                  "李志强:2026-06-03:2"])
    assert rota.weeks == 2 and len(rota.members) == 19
    assert not [a for a in rota.assignments if a.member == "张建国" and a.day == date(2026, 6, 2)]
    assert not [a for a in rota.assignments
                if a.member == "李志强" and a.day == date(2026, 6, 3) and a.shift == 1]
    with pytest.raises(RotaError):
        rota_for(engine, zones, date(2026, 6, 1), team_size=5)


def test_parse_unavailable() -> None:
    assert parse_unavailable(["张三:2026-06-01", "李四:2026-06-02:2"]) == [
        ("张三", date(2026, 6, 1)), ("李四", date(2026, 6, 2), 1)]
    with pytest.raises(ValueError, match="NAME:YYYY-MM-DD"):
        parse_unavailable(["张三"])
    with pytest.raises(ValueError, match="NAME:YYYY-MM-DD"):
        parse_unavailable(["张三:June"])
