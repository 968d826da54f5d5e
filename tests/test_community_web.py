"""Web requests per community: the planning API, the patrol routes API and the gaps collection
plan in the chosen community (``community`` = name or id, default the only one or the setting)
and in its own metric CRS; a second community changes none of the first's figures."""

from __future__ import annotations

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
