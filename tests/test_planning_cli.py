"""``geo-service gaps`` and ``geo-service place`` on the sample community (one database per module).

The analysis itself is tested in test_lighting/test_cameras/test_gaps/test_placement; here the
commands are driven end to end: what they read from PostGIS, what they print, and whether what
they recommend holds when it is built (the new lamps are stored and the gaps recomputed).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely
from click.testing import CliRunner, Result
from helpers.sample import grid_area
from shapely.geometry import shape
from sqlalchemy import text

from geo_service.cli import main
from geo_service.db.engine import engine_for
from geo_service.planning import gap_report
from geo_service.planning.service import placement_model

TRADE_CITY = ("--grid", "1", "--grid", "2", "--grid", "3", "--grid", "4")


@pytest.fixture(scope="module")
def url(module_sample_db: str) -> str:
    """The sample database shared by the tests of this module."""
    return module_sample_db


@pytest.fixture(scope="module")
def run(url: str):  # noqa: ANN201
    """``geo-service ...`` in-process on the module's database; stdout and stderr apart."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), env={"DATABASE_URL": url}, catch_exceptions=False)

    return invoke


def summary_rows(stderr: str) -> dict[str, list[str]]:
    """Rows of a stderr table keyed by their first cell (grid number or "all")."""
    rows = {}
    for line in stderr.splitlines():
        cells = line.split()
        if cells and re.fullmatch(r"\d+|all", cells[0]) and len(cells) >= 6:
            rows[cells[0]] = cells[1:]
    return rows


def number(cell: str) -> float:
    return float(cell.replace(",", "").rstrip("%"))


@pytest.fixture(scope="module")
def lighting_gaps_run(run) -> Result:  # noqa: ANN001
    return run("gaps", "lighting", *TRADE_CITY)


def test_gaps_lighting_on_four_grids_prints_geojson_and_a_summary(
        lighting_gaps_run: Result) -> None:
    result = lighting_gaps_run
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["type"] == "FeatureCollection" and data["features"]
    grids = {f["properties"]["grid"] for f in data["features"]}
    assert grids == {1, 2, 3, 4}
    for feature in data["features"]:
        props = feature["properties"]
        assert feature["geometry"]["type"] == "LineString"
        assert props["layer"] == "lighting" and props["kind"] in ("dark", "unknown")
        assert props["length_m"] >= 1.0 and props["priority"] > 0
        assert props["lit"] != "yes"  # a lit=yes tag is lit evidence: never a gap
        assert shape(feature["geometry"]).length > 0
    # the sample's lamp layer is the community's own inventory: shortfalls are dark, not unknown
    assert data["summary"]["data_complete"] is True
    assert data["summary"]["metric_crs"] == "EPSG:4545"

    rows = summary_rows(result.stderr)
    assert set(rows) == {"1", "2", "3", "4", "all"}
    assert "share lit" in result.stderr and "unknown m" in result.stderr
    by_grid = {g["grid"]: g for g in data["summary"]["grids"]}
    for grid in ("1", "2", "3", "4"):
        length, lit, unlit, share, dark, unknown = (number(c) for c in rows[grid][:6])
        assert lit + unlit == pytest.approx(length, abs=0.15)
        assert share == pytest.approx(100 * lit / length, abs=0.06)
        assert unknown == 0.0 and dark <= unlit + 0.05
        stretches = sum(f["properties"]["length_m"] for f in data["features"]
                        if f["properties"]["grid"] == int(grid))
        assert dark == pytest.approx(stretches, abs=0.5)
        assert by_grid[int(grid)]["dark_m"] == pytest.approx(dark, abs=0.06)
    assert number(rows["all"][0]) == pytest.approx(
        sum(number(rows[g][0]) for g in "1234"), abs=0.3)
    # the per-tag agreement of model and lit tag
    assert re.search(r"lit=yes\s+[\d,.]+ m tagged: agree \d+\.\d%", result.stderr)
    assert re.search(r"lit=no\s+[\d,.]+ m tagged: agree \d+\.\d%", result.stderr)


def test_gaps_cameras_and_out_file(run, tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "cams.geojson"
    result = run("gaps", "cameras", "--grid", "2", "--out", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {f["properties"]["kind"] for f in data["features"]} == {"unseen"}
    row = summary_rows(result.stderr)["2"]
    seen, unseen = number(row[1]), number(row[2])
    assert 0 < seen < unseen  # C01-C03 stand in grid 2


@pytest.fixture(scope="module")
def place_run(run) -> Result:  # noqa: ANN001
    return run("place", "lights", "--count", "12", *TRADE_CITY)


def test_place_lights_count_12_on_four_grids(place_run: Result, url: str) -> None:
    result = place_run
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    sites = [f for f in data["features"] if f["properties"]["feature"] == "site"]
    stretches = [f for f in data["features"] if f["properties"]["feature"] == "stretch"]
    assert len(sites) == 12 and stretches
    area = grid_area(url, (1, 2, 3, 4))
    for site in sites:
        props = site["properties"]
        assert props["kind"] in ("pole", "wall", "repair")
        assert props["grid"] in (1, 2, 3, 4)
        assert area.covers(shape(site["geometry"]))
        assert props["added_m"] > 0
    assert [s["properties"]["rank"] for s in sites] == list(range(1, 13))
    summary = data["summary"]
    totals = summary["totals"]
    assert totals["sites"] == 12
    assert totals["cost_yuan"] == pytest.approx(sum(s["properties"]["cost_yuan"] for s in sites))
    assert totals["closed_m"] == pytest.approx(sum(s["properties"]["added_m"] for s in sites),
                                               abs=0.1)
    closing = sum(s["properties"]["length_m"] for s in stretches if s["properties"]["closes_gap"])
    assert totals["closed_m"] == pytest.approx(closing, abs=0.5)
    assert summary["solver"]["method"] == "milp-optimal" and summary["solver"]["gap"] < 1e-6
    for row in summary["grids"]:
        assert row["covered_m_after"] >= row["covered_m_before"]
        assert row["gap_m_after"] == pytest.approx(row["gap_m_before"] - row["closed_m"], abs=0.01)
    assert sum(r["closed_m"] for r in summary["grids"]) == pytest.approx(totals["closed_m"],
                                                                        abs=0.05)
    # the summary on stderr
    assert "12 sites" in result.stderr and "cost 42,000 yuan" in result.stderr
    assert re.search(r"solver: milp-optimal", result.stderr)
    assert set(summary_rows(result.stderr)) >= {"1", "2", "3", "4"}


def test_the_recommended_lamps_once_built_close_what_was_promised(
        place_run: Result, lighting_gaps_run: Result, url: str) -> None:
    data = json.loads(place_run.stdout)
    sites = [f for f in data["features"] if f["properties"]["feature"] == "site"]
    promised = data["summary"]["totals"]["closed_m"]
    before = gap_report(engine_for(url), "lighting", [1, 2, 3, 4], cache=False)
    engine = engine_for(url)
    with engine.begin() as conn:
        for site in sites:
            p = site["properties"]
            lon, lat = site["geometry"]["coordinates"]
            conn.execute(text(
                "INSERT INTO lights (source_id, height_m, intensity_cd, status, mount, geom) "
                "VALUES (:sid, :h, :i, 'working', :mount, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                {"sid": f"NEW-{p['rank']}", "h": p["height_m"], "i": p["intensity_cd"],
                 "mount": "wall" if p["kind"] == "wall" else "pole", "x": lon, "y": lat})
    try:
        after = gap_report(engine, "lighting", [1, 2, 3, 4], cache=False)
        dark_before = before.gaps["length_m"].sum()
        dark_after = after.gaps["length_m"].sum()
        # built lamps add their light up, so they close at least what each was credited with
        # (up to the 1 m minimum gap length at the ends of cut stretches)
        assert dark_before - dark_after >= promised - 2.0 * len(sites)
        assert dark_before - dark_after <= promised * 1.25
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM lights WHERE source_id LIKE 'NEW-%'"))


def test_budget_is_respected_through_the_command_line(run) -> None:  # noqa: ANN001
    result = run("place", "lights", "--budget", "8000", "--grid", "2", "--grid", "3")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    sites = [f for f in data["features"] if f["properties"]["feature"] == "site"]
    cost = sum(s["properties"]["cost_yuan"] for s in sites)
    assert 0 < cost <= 8000
    assert data["summary"]["totals"]["cost_yuan"] == pytest.approx(cost)
    assert f"cost {cost:,.0f} yuan" in result.stderr
    # with more money at least as much is closed
    more = json.loads(run("place", "lights", "--budget", "16000", "--grid", "2", "--grid",
                          "3").stdout)
    assert more["summary"]["totals"]["cost_yuan"] <= 16000
    assert more["summary"]["totals"]["covered_weight"] >= (
        data["summary"]["totals"]["covered_weight"] - 1e-6)


def test_cover_priority_and_cameras(run) -> None:  # noqa: ANN001
    result = run("place", "cameras", "--count", "3", "--grid", "2")
    assert result.exit_code == 0, result.stderr
    sites = [f for f in json.loads(result.stdout)["features"]
             if f["properties"]["feature"] == "site"]
    assert len(sites) == 3
    assert all(0 <= s["properties"]["heading_deg"] < 360 for s in sites)
    assert all(s["properties"]["fov_deg"] == pytest.approx(68.0) for s in sites)
    cover = run("place", "lights", "--cover-priority", "5", "--grid", "2")
    assert cover.exit_code == 0, cover.stderr
    data = json.loads(cover.stdout)
    # every dark stretch of priority >= 5 that some site can reach is closed
    assert data["summary"]["question"] == {"kind": "cover_priority", "value": 5.0}
    assert data["summary"]["totals"]["sites"] >= 1
    assert "cover priority >= 5" in cover.stderr


def test_wrong_questions_are_refused(run) -> None:  # noqa: ANN001
    both = run("place", "lights", "--count", "3", "--budget", "100")
    assert both.exit_code == 2 and "exactly one" in both.stderr
    none = run("place", "cameras")
    assert none.exit_code == 2
    unknown = run("gaps", "lighting", "--grid", "99")
    assert unknown.exit_code == 1 and "no grid numbered 99" in unknown.stderr


def test_preset_scenario(run) -> None:  # noqa: ANN001
    result = run("place", "scenario", "--grid", "2", "--grid", "3")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "12 lights (L279, L280" in out and "4 cameras (C01, C02, C03, C04)" in out
    actual = [number(v) for v in re.findall(r"actual set closes:\s+([\d,.]+) m", out)]
    best = [number(v) for v in re.findall(r"best \d+ close:\s+([\d,.]+) m", out)]
    share = [number(v) for v in re.findall(r"actual = ([\d.]+)% of the best", out)]
    assert len(actual) == len(best) == len(share) == 2
    for a, b, s in zip(actual, best, share, strict=True):
        assert 0 < a <= b + 1e-6
        assert s == pytest.approx(100 * a / b, abs=0.06)


def test_sites_never_leave_the_chosen_grids_even_with_a_margin_of_lamps(
        run, url: str) -> None:  # noqa: ANN001
    result = run("place", "lights", "--count", "5", "--grid", "7")
    data = json.loads(result.stdout)
    area = grid_area(url, (7,))
    points = [shape(f["geometry"]) for f in data["features"]
              if f["properties"]["feature"] == "site"]
    assert len(points) == 5 and all(area.covers(p) for p in points)
    assert np.all([f["properties"]["grid"] == 7 for f in data["features"]
                   if f["properties"]["feature"] == "stretch"])
    # no candidate at all stands outside, though lamps and walls outside are read (the margin)
    for asset in ("lights", "cameras"):
        model = placement_model(engine_for(url), asset, [7])
        sites = model.sites.to_crs(4326).geometry.to_numpy()
        assert len(sites) > 20 and shapely.covers(area, sites).all()
        assert len(model.state.coverage.segments) < 100
    layers = placement_model(engine_for(url), "lights", [7]).state.coverage.lamps
    assert not shapely.covers(area, layers.to_crs(4326).geometry.to_numpy()).all()
