"""Loading files through the command line into a real PostGIS: all or nothing, idempotent."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from sqlalchemy import text

TABLES = ("grids", "buildings", "streets", "street_nodes", "lights", "cameras", "hazards",
          "hazard_events", "communities", "subdistricts")


def snapshot(engine) -> dict[str, str]:
    """A digest of every table's rows: equal digests mean nothing changed."""
    with engine.connect() as conn:
        return {t: conn.execute(text(
            "SELECT count(*) || ':' || "
            "coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
            f" FROM {t} t")).scalar() for t in TABLES}


def count(engine, table: str, where: str = "true") -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar()


def site_file(package: str, *parts: str) -> Path:
    """A data file shipped inside a test dependency (which must be installed)."""
    module = importlib.import_module(package)
    return Path(module.__file__).parent.joinpath(*parts)


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def point(lon: float, lat: float, **props) -> dict:
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


@pytest.fixture()
def sample_loaded(cli, engine):
    result = cli("load", "sample")
    assert result.exit_code == 0, result.output
    return result


def test_load_sample_stores_every_layer_and_reports_it(sample_loaded, engine) -> None:
    out = sample_loaded.output
    assert "grids:" in out and "26 grids in the community" in out
    assert count(engine, "grids") == 26
    assert count(engine, "buildings") >= 300
    assert count(engine, "streets") > 100
    assert count(engine, "lights") >= 12 and count(engine, "cameras") >= 4
    with engine.connect() as conn:
        statuses = set(conn.execute(text("SELECT DISTINCT status FROM hazards")).scalars())
    assert statuses == {"reported", "assigned", "in_progress", "resolved", "revisited", "closed"}
    assert count(engine, "hazard_events") > count(engine, "hazards")
    # every building and street got the grid it overlaps most
    assert count(engine, "buildings", "grid_id IS NULL") == 0
    assert count(engine, "communities", "outline IS NOT NULL") == 1


def test_loading_the_sample_twice_changes_nothing(sample_loaded, cli, engine) -> None:
    before = snapshot(engine)
    again = cli("load", "sample")
    assert again.exit_code == 0, again.output
    assert snapshot(engine) == before
    assert "0 new, 0 updated" in again.output


def test_sample_street_network_is_connected_after_noding(sample_loaded, engine) -> None:
    with engine.connect() as conn:
        pieces = conn.execute(text(
            "SELECT count(DISTINCT component) FROM pgr_connectedComponents("
            "'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost "
            "FROM streets')")).scalar()
    assert pieces == 1


def test_check_grids_passes_on_the_sample(sample_loaded, cli) -> None:
    result = cli("check", "grids")
    assert result.exit_code == 0, result.output
    assert "26 grids" in result.output


def test_check_grids_finds_overlap_and_hole(cli, tmp_path: Path) -> None:
    def square(x0: float, y0: float, size: float) -> list:
        return [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]

    x0, y0, d = 106.83, 27.52, 0.002

    def grid(number: int, ring: list) -> dict:
        return {"type": "Feature", "properties": {"number": number},
                "geometry": {"type": "Polygon", "coordinates": ring}}

    def bar(y: float) -> list:
        return [[[x0, y], [x0 + 3 * d, y], [x0 + 3 * d, y + d], [x0, y + d], [x0, y]]]

    features = [
        grid(1, square(x0, y0 - d, d)),
        grid(2, square(x0 + 0.75 * d, y0 - d, d)),  # overlaps grid 1 by a quarter
        # grids 3 to 6 ring a hole the size of one square
        grid(3, bar(y0)),
        grid(4, square(x0, y0 + d, d)),
        grid(5, square(x0 + 2 * d, y0 + d, d)),
        grid(6, bar(y0 + 2 * d)),
    ]
    path = write_geojson(tmp_path / "bad_grids.geojson", features)
    loaded = cli("load", "grids", str(path))
    assert loaded.exit_code == 0, loaded.output
    result = cli("check", "grids")
    assert result.exit_code == 1, result.output
    lines = result.output.lower().splitlines()
    overlaps = [line for line in lines if line.startswith("overlap")]
    holes = [line for line in lines if line.startswith("hole")]
    assert len(overlaps) == 1 and "grids 1 and 2" in overlaps[0]
    assert len(holes) == 1
    assert not [line for line in lines if line.startswith("sliver")]


def test_rejected_feature_names_file_feature_and_reason_and_stores_nothing(
        sample_loaded, cli, engine, tmp_path: Path) -> None:
    before = snapshot(engine)
    path = write_geojson(tmp_path / "lamps.geojson", [
        point(106.8301, 27.5201, source_id="NEW1", status="working"),
        point(106.8302, 27.5202, source_id="NEW2", status="shiny"),
        point(27.5203, 106.8303, source_id="NEW3", status="working"),
        {"type": "Feature", "properties": {"source_id": "NEW4"}, "geometry": None},
    ])
    result = cli("load", "lights", str(path))
    assert result.exit_code != 0
    message = str(result.exception) + result.output
    assert "lamps.geojson" in message
    assert "NEW2" in message and "status" in message and "shiny" in message
    assert "NEW3" in message and "swapped" in message
    assert "NEW4" in message
    assert snapshot(engine) == before


def test_skip_invalid_stores_the_valid_features(sample_loaded, cli, engine, tmp_path) -> None:
    path = write_geojson(tmp_path / "lamps.geojson", [
        point(106.8301, 27.5201, source_id="NEW1", status="working"),
        point(106.8302, 27.5202, source_id="NEW2", status="shiny"),
    ])
    result = cli("load", "lights", str(path), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert count(engine, "lights", "source_id = 'NEW1'") == 1
    assert count(engine, "lights", "source_id = 'NEW2'") == 0
    assert "NEW2" in result.output


def test_feature_far_outside_the_community_is_rejected(sample_loaded, cli, engine,
                                                        tmp_path) -> None:
    near = [point(106.8301 + i * 1e-4, 27.5201, source_id=f"C-near{i}") for i in range(5)]
    path = write_geojson(tmp_path / "cams.geojson", [
        *near, point(106.95, 27.60, source_id="C-far")])
    result = cli("load", "cameras", str(path))
    assert result.exit_code != 0
    assert "C-far" in str(result.exception) + result.output
    assert count(engine, "cameras", "source_id LIKE 'C-near%'") == 0


def test_csv_in_gcj02_is_stored_in_wgs84(cli, engine, tmp_path: Path) -> None:
    import numpy as np

    from geo_service.ingest import wgs84_to_gcj02

    true_lon, true_lat = np.array([106.8312]), np.array([27.5198])
    gcj_lon, gcj_lat = wgs84_to_gcj02(true_lon, true_lat)
    path = tmp_path / "lamps.csv"
    path.write_text(f"编号,经度,纬度,状态\nL-gcj,{gcj_lon[0]:.9f},{gcj_lat[0]:.9f},正常\n",
                    encoding="utf-8")
    assumed = cli("load", "lights", str(path))  # degree columns are read as WGS-84 ...
    assert assumed.exit_code == 0 and "--crs gcj02" in assumed.output  # ... with the hint
    result = cli("load", "lights", str(path), "--crs", "gcj02")
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        metres = conn.execute(text(
            "SELECT ST_Distance(geom::geography, "
            "ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography) "
            "FROM lights WHERE source_id = 'L-gcj'"),
            {"x": true_lon[0], "y": true_lat[0]}).scalar()
        status = conn.execute(text("SELECT status FROM lights")).scalar()
    assert metres < 0.5
    assert status == "working"


def test_load_osm_pbf_stores_buildings_and_a_noded_street_graph(cli, engine) -> None:
    path = site_file("pyrosm", "data", "test.osm.pbf")
    result = cli("load", "osm", str(path))
    assert result.exit_code == 0, result.output
    assert "buildings:" in result.output and "street graph:" in result.output
    assert count(engine, "buildings") > 1000
    assert count(engine, "streets") > 500
    assert count(engine, "streets", "lit = 'no'") > 0  # the extract tags three driveways
    with engine.connect() as conn:
        dangling = conn.execute(text(
            "SELECT count(*) FROM streets s LEFT JOIN street_nodes n ON n.id = s.source "
            "WHERE n.id IS NULL")).scalar()
        off_node = conn.execute(text(
            "SELECT count(*) FROM streets s JOIN street_nodes n ON n.id = s.source "
            "WHERE NOT ST_DWithin(ST_StartPoint(s.geom)::geography, n.geom::geography, 0.01)"
        )).scalar()
    assert dangling == 0 and off_node == 0


def test_load_gpkg_layers_in_web_mercator(cli, engine) -> None:
    path = site_file("momepy", "datasets", "bubenec.gpkg")
    buildings = cli("load", "buildings", str(path), "--source-layer", "buildings")
    assert buildings.exit_code == 0, buildings.output
    streets = cli("load", "streets", str(path), "--source-layer", "streets")
    assert streets.exit_code == 0, streets.output
    assert count(engine, "buildings") == 144
    with engine.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT ST_X(ST_Centroid(ST_Collect(geom))), ST_Y(ST_Centroid(ST_Collect(geom))) "
            "FROM buildings")).one()
    assert 14.3 < lon < 14.5 and 50.05 < lat < 50.15  # Prague, Bubeneč


def test_load_shapefile_in_state_plane_feet(cli, engine) -> None:
    folder = site_file("libpysal", "examples", "geodanet")
    streets = cli("load", "streets", str(folder / "streets.shp"))
    assert streets.exit_code == 0, streets.output
    crimes = cli("load", "hazards", str(folder / "crimes.shp"))
    assert crimes.exit_code == 0, crimes.output
    assert count(engine, "hazards") == 287
    with engine.connect() as conn:
        lon, lat = conn.execute(text(
            "SELECT ST_X(ST_Centroid(ST_Collect(geom))), ST_Y(ST_Centroid(ST_Collect(geom))) "
            "FROM streets")).one()
    assert -112.1 < lon < -111.8 and 33.3 < lat < 33.5  # Tempe, Arizona


def test_reloading_a_changed_file_updates_by_source_id(cli, engine, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "lamps.geojson", [
        point(106.8301, 27.5201, source_id="L1", status="working", height_m=6),
        point(106.8302, 27.5202, source_id="L2", status="working", height_m=6),
    ])
    assert cli("load", "lights", str(path)).exit_code == 0
    write_geojson(path, [
        point(106.8301, 27.5201, source_id="L1", status="broken", height_m=6),
        point(106.8302, 27.5202, source_id="L2", status="working", height_m=6),
    ])
    result = cli("load", "lights", str(path))
    assert result.exit_code == 0, result.output
    assert "0 new, 1 updated, 1 unchanged" in result.output
    assert count(engine, "lights") == 2
    assert count(engine, "lights", "status = 'broken'") == 1


@pytest.mark.slow  # runs the console script in subprocesses (~20 s)
def test_console_script_reports_bad_input_without_a_traceback(db_url, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    script = Path(sys.executable).parent / "geo-service"
    path = write_geojson(tmp_path / "lamps.geojson", [
        point(106.8302, 27.5202, source_id="L-bad", height_m=-3)])
    env = {**os.environ, "DATABASE_URL": db_url}
    cases = ((["load", "lights", str(path)], ("L-bad", "height_m")),
             (["load", "lights", str(tmp_path / "missing.geojson")], ("not found",)))
    for args, expected in cases:
        done = subprocess.run([str(script), *args], capture_output=True, text=True, env=env,
                              timeout=120)
        assert done.returncode == 2
        assert all(word in done.stderr for word in expected), done.stderr
        assert "Traceback" not in done.stderr


def test_new_street_file_is_noded_into_the_graph_and_other_ids_survive(
        sample_loaded, cli, engine, tmp_path: Path) -> None:
    with engine.connect() as conn:
        before = dict(conn.execute(text(
            "SELECT id, source_id || ':' || part FROM streets")).all())
        # a short lane crossing the middle of the longest alley at right angles
        alley, x, y, dx, dy = conn.execute(text(
            "SELECT source_id, ST_X(c), ST_Y(c), ST_X(e) - ST_X(s), ST_Y(e) - ST_Y(s) FROM ("
            " SELECT source_id, ST_LineInterpolatePoint(geom, 0.5) c, ST_StartPoint(geom) s,"
            " ST_EndPoint(geom) e FROM streets WHERE street_class = 'alley'"
            " ORDER BY length_m DESC LIMIT 1) a")).one()
    scale = 3e-4 / max(abs(dx), abs(dy))
    lane = {"type": "Feature", "properties": {"source_id": "NEW-LANE", "class": "footway"},
            "geometry": {"type": "LineString", "coordinates": [
                [x - dy * scale, y + dx * scale], [x + dy * scale, y - dx * scale]]}}
    path = write_geojson(tmp_path / "lane.geojson", [lane])
    result = cli("load", "streets", str(path))
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        after = dict(conn.execute(text("SELECT id, source_id || ':' || part FROM streets")).all())
        lane_parts = conn.execute(text(
            "SELECT count(*) FROM streets WHERE source_id = 'NEW-LANE' "
            "AND source_file = 'lane.geojson'")).scalar()
        alley_parts = conn.execute(text(
            "SELECT count(*) FROM streets WHERE source_id = :s"), {"s": alley}).scalar()
        files = set(conn.execute(text("SELECT DISTINCT source_file FROM streets")).scalars())
    assert lane_parts == 2  # split where it crosses the alley
    assert alley_parts == sum(1 for v in before.values() if v.startswith(f"{alley}:")) + 1
    untouched = {k: v for k, v in before.items() if not v.startswith(f"{alley}:")}
    assert all(after.get(k) == v for k, v in untouched.items())
    assert files == {"streets.geojson", "lane.geojson"}
