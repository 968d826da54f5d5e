"""Tests for geo_service.analysis.grid_check (pure functions, no database)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from pyproj import Transformer
from shapely.geometry import Polygon, box

from geo_service.analysis.grid_check import GridCheckReport, check_grids

ROOT = Path(__file__).resolve().parents[1]
GRIDS = ROOT / "data" / "grids.geojson"
BUILDINGS = ROOT / "data" / "sample" / "buildings.geojson"

# A point near the sample community, in EPSG:4545 metres; the crafted layout is drawn from it.
X0, Y0 = 384_000.0, 3_045_000.0


def _to_lonlat(poly: Polygon) -> Polygon:
    """Local metres around (X0, Y0) in EPSG:4545 -> a lon/lat polygon."""
    tr = Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)
    return Polygon(
        [tr.transform(x + X0, y + Y0) for x, y in poly.exterior.coords],
        [[tr.transform(x + X0, y + Y0) for x, y in ring.coords] for ring in poly.interiors],
    )


def _frame(items: list[tuple[str, int | str, Polygon]], column: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({column: [v for _, v, _ in items]},
                            geometry=[_to_lonlat(p) for _, _, p in items], crs="EPSG:4326")


@pytest.fixture
def bad_layout(tmp_path: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Six 100 m grids in two rows, drawn wrong on purpose, read back from a GeoJSON file.

    Row 0: 1 = [0,100], 2 = [90,200] (overlaps 1 by 10 x 100 = 1000 m2), 3 = [200,300].
    Row 1: 4 = [0,100], 5 = [100,200] with its lower-left corner [100,120] x [100,115] cut away
    (a 300 m2 hole enclosed by grids 2, 4 and 5), 6 = [200.3,300] (a 0.3 m wide gap along
    grid 5 for 100 m: a 30 m2 sliver that opens onto the outer edge).
    """
    five = box(100, 100, 200, 200).difference(box(100, 100, 120, 115))
    grids = [("g", 1, box(0, 0, 100, 100)), ("g", 2, box(90, 0, 200, 100)),
             ("g", 3, box(200, 0, 300, 100)), ("g", 4, box(0, 100, 100, 200)),
             ("g", 5, five), ("g", 6, box(200.3, 100, 300, 200))]
    buildings = [
        ("b", "K1", box(20, 20, 30, 32)),  # inside grid 1 only: fine
        ("b", "K2", box(245, 90, 255, 110)),  # half in grid 3, half in grid 6: split
        ("b", "K3", box(320, 20, 330, 30)),  # east of everything: in no grid
        ("b", "K4", box(60, 130, 99.5, 140)),  # inside grid 4, 0.5 m from its edge: fine
        ("b", "K5", box(95, 150, 105, 160)),  # 50% grid 4, 50% grid 5: split
        ("b", "K6", box(92, 170, 101, 180)),  # 1 m of 9 m (11%) over into grid 5: fine
    ]
    grid_path, bld_path = tmp_path / "grids.geojson", tmp_path / "buildings.geojson"
    _frame(grids, "number").to_file(grid_path, driver="GeoJSON")
    _frame(buildings, "source_id").to_file(bld_path, driver="GeoJSON")
    return gpd.read_file(grid_path), gpd.read_file(bld_path)


def test_crafted_overlap_hole_and_sliver_are_found(bad_layout) -> None:
    grids, buildings = bad_layout
    report = check_grids(grids, buildings)
    assert not report.ok

    assert [o.grids for o in report.overlaps] == [(1, 2)]
    assert report.overlaps[0].area_m2 == pytest.approx(1000.0, rel=1e-3)
    assert report.overlaps[0].width_m == pytest.approx(10.0, rel=1e-2)

    assert len(report.holes) == 1
    hole = report.holes[0]
    assert hole.area_m2 == pytest.approx(300.0, rel=1e-3)
    assert hole.grids == (2, 4, 5)

    assert len(report.slivers) == 1
    sliver = report.slivers[0]
    assert sliver.kind == "hole"
    assert set(sliver.grids) >= {5, 6}
    assert sliver.area_m2 == pytest.approx(30.0, abs=0.5)
    assert sliver.width_m == pytest.approx(0.3, abs=0.02)


def test_crafted_buildings_are_sorted_into_none_and_split(bad_layout) -> None:
    grids, buildings = bad_layout
    report = check_grids(grids, buildings)
    assert [b.source_id for b in report.buildings_outside] == ["K3"]
    assert report.buildings_outside[0].grids == ()
    assert report.buildings_outside[0].area_m2 == pytest.approx(100.0, rel=1e-3)
    split = {b.source_id: b for b in report.buildings_split}
    assert sorted(split) == ["K2", "K5"]
    assert split["K2"].grids in ((3, 6), (6, 3))
    assert split["K2"].shares[0] == pytest.approx(0.5, abs=0.02)


def test_lines_say_what_and_where(bad_layout) -> None:
    grids, buildings = bad_layout
    lines = check_grids(grids, buildings).lines()
    assert lines[0].startswith("grid check FAILED")
    text = "\n".join(lines)
    assert "overlap: grids 1 and 2 overlap by 1000.0 m2" in text
    assert "hole: 300.0 m2 covered by no grid" in text and "between grids 2, 4 and 5" in text
    assert "sliver:" in text and "0.30 m wide" in text
    assert "building K3 lies in no grid" in text
    assert "building K5 is split across grids" in text
    assert "(lon, lat)" in text


def test_outline_finds_edge_gaps() -> None:
    """A gap wider than gap_width_m at the outer edge is found only against a given outline."""
    grids = _frame([("g", 1, box(0, 0, 100, 100)), ("g", 2, box(105, 0, 200, 100))], "number")
    assert check_grids(grids).ok  # a 5 m notch open to the outside: not a hole by itself
    report = check_grids(grids, outline=_to_lonlat(box(0, 0, 200, 100)))
    assert [round(h.area_m2) for h in report.holes] == [500]
    assert report.holes[0].grids == (1, 2)


def test_invalid_and_duplicate_grids_are_reported() -> None:
    bowtie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    grids = _frame([("g", 1, bowtie), ("g", 1, box(200, 0, 300, 100))], "number")
    report = check_grids(grids)
    reasons = " ".join(i.reason for i in report.invalid)
    assert "invalid geometry" in reasons and "used 2 times" in reasons
    assert not report.ok


def test_sample_grids_and_buildings_are_clean() -> None:
    grids = gpd.read_file(GRIDS)
    buildings = gpd.read_file(BUILDINGS)
    assert len(grids) == 26
    report = check_grids(grids, buildings)
    assert report.ok, "\n".join(report.lines())
    assert report.n_buildings == len(buildings)
    assert report.lines() == [report.summary()]


def test_a_two_centimetre_shift_in_the_sample_is_caught() -> None:
    """Moving one grid by 2e-7 degrees (about 2 cm) leaves slivers on its sides."""
    grids = gpd.read_file(GRIDS)
    moved = grids.number == 5
    grids.loc[moved, "geometry"] = grids.loc[moved].geometry.translate(xoff=2e-7)
    report: GridCheckReport = check_grids(grids)
    assert not report.ok
    assert not report.overlaps and not report.holes
    assert report.slivers and all(5 in s.grids for s in report.slivers)
    assert {s.kind for s in report.slivers} == {"overlap", "hole"}
    assert all(s.width_m < 0.05 for s in report.slivers)
