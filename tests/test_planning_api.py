"""``POST /api/plan/lights|cameras``, ``GET /api/plan/scenario|gaps|context``: answers, 400, 503."""

from __future__ import annotations

import time

import pytest
import shapely
from flask import Flask
from helpers.accounts import make_user, sign_in
from helpers.sample import grid_area
from shapely.geometry import shape

from geo_service.config import Settings
from geo_service.db.engine import engine_for
from geo_service.web import api_planning
from geo_service.web.app import create_app


@pytest.fixture(scope="module")
def url(module_sample_db: str) -> str:
    """The sample database shared by the tests of this module (they undo their changes)."""
    return module_sample_db


@pytest.fixture(scope="module")
def plan_app(url: str) -> Flask:
    application = create_app(Settings(database_url=url, basemap="none"), engine=engine_for(url))
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def api(plan_app: Flask):  # noqa: ANN201
    """A client signed in as a community admin (planning is for staff)."""
    client = plan_app.test_client()
    sign_in(client, make_user(plan_app, "community_admin"))
    return client


def sites_of(data: dict) -> list[dict]:
    return [f for f in data["features"] if f["properties"]["feature"] == "site"]


def test_plan_lights_by_count(api, url: str) -> None:  # noqa: ANN001
    response = api.post("/api/plan/lights", json={"count": 5, "grids": [2, 3]})
    assert response.status_code == 200
    data = response.get_json()
    assert data["type"] == "FeatureCollection"
    sites = sites_of(data)
    assert len(sites) == 5
    area = grid_area(url, (2, 3))
    assert all(area.covers(shape(s["geometry"])) for s in sites)
    stretches = [f for f in data["features"] if f["properties"]["feature"] == "stretch"]
    assert stretches and {s["properties"]["site_rank"] for s in stretches} <= set(range(1, 6))
    grids = {g["grid"]: g for g in data["summary"]["grids"]}
    assert set(grids) == {2, 3}
    for g in grids.values():
        assert g["share_after"] >= g["share_before"]
    assert data["summary"]["solver"]["method"] in ("milp-optimal", "greedy+swap",
                                                   "milp-timelimit")


def test_plan_cameras_by_budget_respects_it(api) -> None:  # noqa: ANN001
    response = api.post("/api/plan/cameras", json={"budget": 9000, "grids": [2]})
    assert response.status_code == 200
    data = response.get_json()
    cost = sum(s["properties"]["cost_yuan"] for s in sites_of(data))
    assert 0 < cost <= 9000
    assert data["summary"]["totals"]["cost_yuan"] == pytest.approx(cost)


@pytest.mark.parametrize(("body", "code", "field"), [
    ("not json", "bad_json", None),
    ([1, 2], "bad_json", None),
    ({}, "one_question", None),
    ({"count": 3, "budget": 100}, "one_question", None),
    ({"count": -1}, "bad_count", "count"),
    ({"count": 2.5}, "bad_count", "count"),
    ({"count": True}, "bad_count", "count"),
    ({"budget": "1000"}, "bad_number", "budget"),
    ({"budget": -5}, "bad_number", "budget"),
    ({"cover_priority": None, "count": None}, "one_question", None),
    ({"count": 3, "grids": "1,2"}, "bad_grids", "grids"),
    ({"count": 3, "grids": [0]}, "bad_grids", "grids"),
    ({"count": 3, "grids": [99]}, "unknown_grid", "grids"),
    ({"count": 3, "include_unknown": "yes"}, "bad_flag", "include_unknown"),
    ({"count": 3, "colour": "red"}, "unknown_field", "colour"),
])
def test_bad_requests_are_400_json(api, body, code: str, field: str | None) -> None:  # noqa: ANN001
    if isinstance(body, str):
        response = api.post("/api/plan/lights?lang=en", data=body,
                            content_type="application/json")
    else:
        response = api.post("/api/plan/lights?lang=en", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code and error.get("field") == field
    assert error["message"] == error["messages"]["en"] and error["messages"]["zh"]


def test_a_slow_plan_answers_503_instead_of_hanging(plan_app: Flask, api,  # noqa: ANN001
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        time.sleep(1.5)
        raise AssertionError("never waited for")

    monkeypatch.setattr(api_planning, "place", slow)
    plan_app.config["PLAN_TIME_LIMIT"] = 0.3
    try:
        start = time.perf_counter()
        response = api.post("/api/plan/lights", json={"count": 3})
        waited = time.perf_counter() - start
    finally:
        plan_app.config.pop("PLAN_TIME_LIMIT")
    assert response.status_code == 503 and waited < 1.2
    assert response.get_json()["error"]["code"] == "timeout"


def test_scenario_gaps_and_context(api) -> None:  # noqa: ANN001
    scenario = api.get("/api/plan/scenario?grid=2&grid=3")
    assert scenario.status_code == 200
    data = scenario.get_json()
    for key, k in (("lights", 12), ("cameras", 4)):
        part = data[key]
        assert part["k"] == k and len(part["actual_ids"]) == k and part["missing_ids"] == []
        assert 0 < part["actual_m"] <= part["best_m"] + 1e-6
        assert part["share_of_best"] == pytest.approx(part["actual_m"] / part["best_m"],
                                                      abs=1e-3)
        # the actual set is among the sets of its own kind: the best of them is no worse,
        # and no better than the best of any kind
        assert part["actual_m"] - 1e-6 <= part["best_same_kind_m"] <= part["best_m"] + 1e-6
        assert len(part["actual_sites"]) == k
    assert api.get("/api/plan/scenario?grid=x").status_code == 400

    gaps = api.get("/api/plan/gaps?kind=cameras&grid=2").get_json()
    assert gaps["features"] and {f["properties"]["grid"] for f in gaps["features"]} == {2}
    assert api.get("/api/plan/gaps?kind=patrol").status_code == 400

    context = api.get("/api/plan/context").get_json()
    assert len(context["grids"]["features"]) == 26
    assert len(context["buildings"]["features"]) > 400
    assert shapely.geometry.shape(context["lights"]["features"][0]["geometry"]).geom_type == \
        "Point"
