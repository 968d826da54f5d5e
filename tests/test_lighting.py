"""Lighting model on crafted layouts whose lit lengths are solved by hand from E = I*h/(h²+d²)^1.5.

All layouts sit in EPSG:4545 around (500000, 3000000); lengths are metres.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box
from shapely.ops import substring

from geo_service.analysis._segments import Vertices, sample_lines
from geo_service.analysis.lighting import (
    LightingParams,
    coverage_pairs,
    illuminance,
    lamp_reach,
    light_coverage,
    tag_agreement,
)

CRS = "EPSG:4545"
X0, Y0 = 500_000.0, 3_000_000.0
#: Fine sampling so a boundary falls within 0.05 m of its sample.
FINE = LightingParams(spacing_m=0.1, cutoff_lux=1e-9, max_reach_m=500.0)


def at(x: float, y: float) -> tuple[float, float]:
    """A point of the local layout."""
    return X0 + x, Y0 + y


def streets(*rows: tuple[str, float, float, float, float], lit: str = "unknown",
            grid: list[int | None] | None = None) -> gpd.GeoDataFrame:
    """Streets from (class, x1, y1, x2, y2) rows."""
    return gpd.GeoDataFrame(
        {"id": range(1, len(rows) + 1), "street_class": [r[0] for r in rows],
         "lit": lit, "grid_id": grid if grid is not None else [None] * len(rows)},
        geometry=[LineString([at(r[1], r[2]), at(r[3], r[4])]) for r in rows], crs=CRS)


def lamps(*rows: tuple[float, float, float | None, float | None, str, str]) -> gpd.GeoDataFrame:
    """Lamps from (x, y, height_m, intensity_cd, status, mount) rows."""
    return gpd.GeoDataFrame(
        {"id": range(1, len(rows) + 1), "height_m": [r[2] for r in rows],
         "intensity_cd": [r[3] for r in rows], "status": [r[4] for r in rows],
         "mount": [r[5] for r in rows]},
        geometry=[Point(at(r[0], r[1])) for r in rows], crs=CRS)


def buildings(*rects: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """Footprints from (xmin, ymin, xmax, ymax) rows."""
    return gpd.GeoDataFrame(geometry=[box(*at(r[0], r[1]), *at(r[2], r[3])) for r in rects],
                            crs=CRS)


def half_lit(intensity: float, height: float, offset: float, minimum: float) -> float:
    """Half the lit length on a straight street ``offset`` m from the lamp's foot.

    E >= minimum  <=>  h² + d² <= (I*h/minimum)^(2/3), with d² = offset² + x².
    """
    return math.sqrt((intensity * height / minimum) ** (2 / 3) - height**2 - offset**2)


def test_point_source_law_and_reach() -> None:
    assert illuminance(1500.0, 6.0, 0.0) == pytest.approx(1500.0 / 36.0)
    assert illuminance(1500.0, 6.0, 8.0) == pytest.approx(1500.0 * 6.0 / 1000.0)
    reach = lamp_reach(np.array([1500.0]), np.array([6.0]), 1.0)[0]
    assert illuminance(1500.0, 6.0, reach) == pytest.approx(1.0)


def test_lit_length_beside_a_straight_street_matches_the_analytic_length() -> None:
    layout = streets(("residential", 0, 0, 100, 0), grid=[7])
    # given in EPSG:4326: the model must bring it back to metres itself
    cov = light_coverage(layout.to_crs("EPSG:4326"),
                         lamps((50, 5, 6.0, 1500.0, "working", "pole")).to_crs("EPSG:4326"),
                         crs=CRS, params=FINE)
    x = half_lit(1500.0, 6.0, 5.0, 1.0)  # 19.28 m each side
    seg = cov.segments.iloc[0]
    assert seg["length_m"] == pytest.approx(100.0, abs=1e-6)
    assert seg["lit_m"] == pytest.approx(2 * x, abs=0.1)
    assert seg["unlit_m"] == pytest.approx(100.0 - 2 * x, abs=0.1)
    assert seg["share_lit"] == pytest.approx(2 * x / 100.0, abs=1e-3)
    # average of E over the street: I*h * [x / (a² sqrt(a² + x²))] from -50 to 50, a² = h² + y²
    a2 = 36.0 + 25.0
    assert seg["avg_lux"] == pytest.approx(1500.0 * 6.0 * 2 * 50 / (a2 * math.sqrt(a2 + 2500))
                                           / 100.0, rel=1e-3)
    assert seg["min_lux"] == pytest.approx(illuminance(1500.0, 6.0, math.hypot(50, 5)), rel=1e-2)
    dark = cov.dark.sort_values("start_m")
    assert len(dark) == 2
    assert dark["end_m"].iloc[0] == pytest.approx(50 - x, abs=0.06)
    assert dark["start_m"].iloc[1] == pytest.approx(50 + x, abs=0.06)
    assert dark["length_m"].sum() == pytest.approx(100 - 2 * x, abs=0.1)
    grid = cov.grids.set_index("grid_id").loc[7]
    assert grid["lit_m"] == pytest.approx(2 * x, abs=0.1)


def test_missing_lamp_data_uses_the_mount_defaults() -> None:
    layout = streets(("residential", 0, 0, 100, 0), ("residential", 0, 200, 100, 200))
    cov = light_coverage(layout, lamps((50, 5, None, None, "working", "pole"),
                                       (50, 205, None, None, "working", "wall")),
                         crs=CRS, params=FINE)
    pole, wall = cov.segments["lit_m"]
    assert pole == pytest.approx(2 * half_lit(1500.0, 6.0, 5.0, 1.0), abs=0.1)
    assert wall == pytest.approx(2 * half_lit(600.0, 3.5, 5.0, 1.0), abs=0.1)


def test_a_wall_between_a_lamp_and_the_next_alley_keeps_that_alley_dark() -> None:
    layout = streets(("alley", 0, 0, 100, 0), ("alley", 0, 10, 100, 10))
    lamp = lamps((50, 2, 6.0, 1500.0, "working", "pole"))
    wall = buildings((0, 4, 100, 7))
    open_ = light_coverage(layout, lamp, crs=CRS, params=FINE).segments
    walled = light_coverage(layout, lamp, wall, crs=CRS, params=FINE).segments
    own = 2 * half_lit(1500.0, 6.0, 2.0, 1.0)
    assert open_["lit_m"].iloc[1] == pytest.approx(2 * half_lit(1500.0, 6.0, 8.0, 1.0), abs=0.1)
    assert walled["lit_m"].iloc[0] == pytest.approx(own, abs=0.1)
    assert walled["lit_m"].iloc[1] == 0.0
    assert walled["avg_lux"].iloc[1] == 0.0


def test_a_wall_lamp_lights_its_own_side_only() -> None:
    layout = streets(("alley", 0, 0, 100, 0), ("alley", 0, 10, 100, 10))
    lamp = lamps((50, 4, 3.5, 600.0, "working", "wall"))  # on the building's south face
    cov = light_coverage(layout, lamp, buildings((0, 4, 100, 7)), crs=CRS, params=FINE)
    assert cov.segments["lit_m"].iloc[0] == pytest.approx(2 * half_lit(600.0, 3.5, 4.0, 1.0),
                                                          abs=0.1)
    assert cov.segments["lit_m"].iloc[1] == 0.0


def test_a_broken_lamp_lights_nothing_and_its_repair_closes_the_gap() -> None:
    layout = streets(("alley", 0, 0, 100, 0))
    broken = light_coverage(layout, lamps((50, 5, 6.0, 1500.0, "broken", "pole")),
                            crs=CRS, params=FINE)
    repaired = light_coverage(layout, lamps((50, 5, 6.0, 1500.0, "working", "pole")),
                              crs=CRS, params=FINE)
    x = half_lit(1500.0, 6.0, 5.0, 1.0)
    assert broken.segments["lit_m"].iloc[0] == 0.0
    assert broken.dark["length_m"].sum() == pytest.approx(100.0)
    assert repaired.dark["length_m"].sum() == pytest.approx(100.0 - 2 * x, abs=0.1)


def test_planned_lamps_shine_only_in_after_scenarios() -> None:
    layout = streets(("alley", 0, 0, 100, 0))
    plan = lamps((50, 5, 6.0, 1500.0, "planned", "pole"))
    before = light_coverage(layout, plan, crs=CRS, params=FINE)
    after = light_coverage(layout, plan, crs=CRS,
                           params=LightingParams(spacing_m=0.1, include_planned=True))
    assert before.segments["lit_m"].iloc[0] == 0.0
    assert after.segments["lit_m"].iloc[0] == pytest.approx(2 * half_lit(1500.0, 6.0, 5.0, 1.0),
                                                            abs=0.1)


def test_class_targets_decide_what_counts_as_lit() -> None:
    layout = streets(("residential", 0, 0, 100, 0), ("main", 0, 200, 100, 200))
    cov = light_coverage(layout, lamps((50, 5, 6.0, 1500.0, "working", "pole"),
                                       (50, 205, 6.0, 1500.0, "working", "pole")),
                         crs=CRS, params=FINE)
    residential, main = cov.segments["lit_m"]
    assert residential == pytest.approx(2 * half_lit(1500.0, 6.0, 5.0, 1.0), abs=0.1)
    assert main == pytest.approx(2 * half_lit(1500.0, 6.0, 5.0, 3.0), abs=0.1)  # P1 minimum 3 lx


def test_street_facing_walls_next_to_dark_street_are_reported() -> None:
    layout = streets(("alley", 0, 0, 100, 0))
    lamp = lamps((50, -5, 6.0, 1500.0, "working", "pole"))
    params = LightingParams(spacing_m=0.1, wall_spacing_m=0.1, cutoff_lux=1e-9)
    cov = light_coverage(layout, lamp, buildings((20, 2, 80, 10)), crs=CRS, params=params)
    x = half_lit(1500.0, 6.0, 5.0, 1.0)
    # south face from x=20 to 80 minus the lit middle, plus 3 m (y 2..5) of each side wall
    expected = 2 * (30.0 - x) + 2 * 3.0
    assert cov.dark_walls["length_m"].sum() == pytest.approx(expected, abs=0.3)
    assert set(cov.dark_walls["building_id"]) == {0}


def test_tag_agreement_per_tag_value() -> None:
    tagged_yes = streets(("residential", 0, 0, 100, 0), lit="yes")
    tagged_no = streets(("residential", 0, 500, 100, 500), lit="no")
    layout = gpd.GeoDataFrame(
        pd.concat([tagged_yes, tagged_no], ignore_index=True), crs=CRS)
    cov = light_coverage(layout, lamps((50, 5, 6.0, 1500.0, "working", "pole")),
                         crs=CRS, params=FINE)
    report = tag_agreement(cov).set_index("tag")
    x = half_lit(1500.0, 6.0, 5.0, 1.0)
    assert report.loc["yes", "tagged_m"] == pytest.approx(100.0)
    assert report.loc["yes", "share_agree"] == pytest.approx(2 * x / 100.0, abs=1e-3)
    assert report.loc["no", "share_agree"] == pytest.approx(1.0)
    assert report.loc["no", "with_lamp_data_m"] == 0.0


def test_coverage_pairs_match_a_plain_distance_check() -> None:
    rng = np.random.default_rng(4)
    segs = np.array([LineString(rng.uniform(0, 500, (2, 2))) for _ in range(60)])
    points = np.array([Point(p) for p in rng.uniform(0, 500, (40, 2))])
    expected = sorted((i, j) for i, s in enumerate(segs) for j, p in enumerate(points)
                      if s.distance(p) <= 40.0)
    assert [tuple(p) for p in coverage_pairs(segs, points, 40.0)] == expected


def test_vectorised_samples_and_substrings_match_shapely() -> None:
    rng = np.random.default_rng(9)
    lines = np.array([LineString(np.cumsum(rng.uniform(-20, 20, (rng.integers(2, 7), 2)), 0))
                      for _ in range(50)] + [box(0, 0, 10, 5).exterior])
    vertices = Vertices.of(lines)
    samples = sample_lines(lines, 1.5)
    expected = shapely.line_interpolate_point(lines[samples.line], samples.along)
    assert np.allclose(samples.xy, shapely.get_coordinates(expected))
    assert np.allclose(vertices.length, shapely.length(lines))
    line = rng.integers(0, len(lines), 300)
    cuts = np.sort(rng.uniform(0, 1, (300, 2)), axis=1) * vertices.length[line][:, None]
    cuts[:10, 0] = 0.0
    cuts[10:20, 1] = vertices.length[line[10:20]]
    mine = vertices.substrings(line, cuts[:, 0], cuts[:, 1])
    theirs = [substring(lines[i], s, e) for i, (s, e) in zip(line, cuts, strict=True)]
    assert all(a.equals_exact(b, 1e-9) or a.equals(b) for a, b in zip(mine, theirs, strict=True))
    assert np.allclose(shapely.length(mine), cuts[:, 1] - cuts[:, 0])
