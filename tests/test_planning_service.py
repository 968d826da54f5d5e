"""Planning functions on the database: a lamp breaks, a gap opens, its repair closes it; gaps_for.

The tests share one database with the sample (``url``, per module) and undo what they change.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import text

from geo_service.analysis.placement import covered_after
from geo_service.db.engine import engine_for
from geo_service.planning import PlanningError, Question, gap_report, gaps_for, place
from geo_service.planning.service import placement_model

LAMP = "TEST-LAMP"


@pytest.fixture(scope="module")
def url(module_sample_db: str) -> str:
    """The sample database shared by the tests of this module (they undo their changes)."""
    return module_sample_db


def set_status(engine, status: str) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        conn.execute(text("UPDATE lights SET status = :s WHERE source_id = :id"),
                      {"s": status, "id": LAMP})


def dark_m(engine, grid: int) -> float:  # noqa: ANN001
    return float(gap_report(engine, "lighting", [grid]).gaps["length_m"].sum())


def test_a_broken_lamp_opens_a_gap_that_its_repair_closes(url: str) -> None:
    engine = engine_for(url)
    with engine.connect() as conn:
        # a grid with no broken lamp, and its longest dark stretch
        grid = conn.execute(text("""
            SELECT g.number FROM grids g WHERE NOT EXISTS (
              SELECT 1 FROM lights l WHERE l.grid_id = g.id AND l.status = 'broken')
            ORDER BY g.number""")).scalars().all()
    candidates = [g for g in grid if g <= 4] or grid
    gaps = gaps_for(engine, "lighting", candidates[:1])
    number = candidates[0]
    longest = gaps.sort_values("length_m", ascending=False).iloc[0]
    assert longest["kind"] == "dark" and longest["length_m"] > 40
    middle = shapely.line_interpolate_point(longest.geometry, 0.5, normalized=True)

    before = dark_m(engine, number)
    with engine.begin() as conn:  # a new pole lamp in the middle of that dark stretch
        conn.execute(text(
            "INSERT INTO lights (source_id, height_m, intensity_cd, status, mount, geom) VALUES "
            "(:id, 6, 1500, 'working', 'pole', ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
            {"id": LAMP, "x": middle.x, "y": middle.y})
    lit = dark_m(engine, number)
    assert lit < before - 20  # a 6 m pole of 1,500 cd lights about 40 m of it

    set_status(engine, "broken")
    broken = dark_m(engine, number)
    assert broken == pytest.approx(before, abs=0.01)  # a broken lamp lights nothing

    # its repair is a candidate, and it closes exactly the gap the breakage opened
    model = placement_model(engine, "lights", [number])
    ids = list(model.problem.candidate_ids)
    assert f"repair-{LAMP}" in ids
    repair = ids.index(f"repair-{LAMP}")
    assert model.problem.cost[repair] == 600.0
    reopened = model.demand.eligible & covered_after(model.problem, [repair])
    assert model.demand.length[reopened].sum() == pytest.approx(before - lit, abs=1.0)
    # with 600 yuan only a repair is affordable: the repair is what the planner is told to do
    answer = place(engine, "lights", Question(budget=600), [number])
    assert list(answer.sites["candidate_id"]) == [f"repair-{LAMP}"]
    assert list(answer.sites["asset_id"]) == [LAMP]
    assert answer.totals["closed_m"] == pytest.approx(before - lit, abs=1.0)

    set_status(engine, "working")
    try:
        assert dark_m(engine, number) == pytest.approx(lit, abs=0.01)
        again = placement_model(engine, "lights", [number])
        assert f"repair-{LAMP}" not in list(again.problem.candidate_ids)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM lights WHERE source_id = :id"), {"id": LAMP})
    assert dark_m(engine, number) == pytest.approx(before, abs=0.01)


def test_gaps_for_the_collections_api(url: str) -> None:
    engine = engine_for(url)
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT number, id FROM grids")).all())
        lighting = gaps_for(conn, "lighting", [2, 3])
    assert isinstance(lighting, gpd.GeoDataFrame) and lighting.crs.to_epsg() == 4326
    assert set(lighting["grid"]) == {2, 3}
    assert set(lighting["grid_id"]) == {ids[2], ids[3]}
    for column in ("layer", "kind", "street_id", "street_class", "length_m", "open_hazards",
                   "priority", "weighted_m", "geometry"):
        assert column in lighting
    assert (np.diff(lighting["weighted_m"].to_numpy()) <= 1e-9).all()  # most important first
    by_id = gaps_for(engine, "lighting", [ids[2], ids[3]], by_id=True)
    assert len(by_id) == len(lighting)
    cams = gaps_for(engine, "cameras", [2])
    assert set(cams["layer"]) == {"cameras"} and set(cams["kind"]) <= {"unseen", "unknown"}
    # every street of every grid when none is chosen
    every = gaps_for(engine, "lighting")
    assert set(every["grid"].dropna()) >= {1, 2, 3, 4, 10, 26}
    with pytest.raises(PlanningError, match="no grid numbered 77"):
        gaps_for(engine, "lighting", [77])


def test_gaps_for_an_empty_database(engine) -> None:  # noqa: ANN001
    empty = gaps_for(engine, "cameras")
    assert len(empty) == 0 and "grid" in empty and empty.crs.to_epsg() == 4326


def test_a_new_hazard_raises_priority_and_invalidates_the_cache(url: str) -> None:
    engine = engine_for(url)
    first = gaps_for(engine, "lighting", [1])
    top = first[first["open_hazards"] == 0].iloc[0]
    point = shapely.line_interpolate_point(top.geometry, 0.5, normalized=True)
    with engine.begin() as conn:
        hazard = conn.execute(text(
            "INSERT INTO hazards (category, status, geom) VALUES "
            "('dispute', 'reported', ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"),
            {"x": point.x, "y": point.y}).scalar_one()
    try:
        second = gaps_for(engine, "lighting", [1])
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM hazards WHERE id = :id"), {"id": hazard})
    same = second[(second["street_id"] == top["street_id"])
                  & np.isclose(second["start_m"], top["start_m"])].iloc[0]
    assert same["open_hazards"] == 1 and same["disputes"] == 1
    assert same["priority"] == pytest.approx(top["priority"] * 2.0)  # 1 + 0.5 + 0.5
