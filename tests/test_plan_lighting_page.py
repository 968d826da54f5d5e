"""``/plan/lighting`` in headless Chromium: gaps layer, per-grid table, set K, see the new sites
and the stretches they cover, the preset scenario; no request leaves the machine; text escaped.
Planning is for staff: the tests sign in as a community admin (``login_as``, ``staff_page``).
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from flask import Flask
from sqlalchemy import text

from geo_service.db.engine import engine_for

XSS = '<img src=x onerror="window.__xss=1">'


@pytest.fixture()
def plan_app(sample_db: str, app: Flask) -> Flask:
    """The app on the sample, without basemap tiles (they are the one outside service)."""
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], basemap="none")
    return app


def test_planning_page_server_side(plan_app: Flask, login_as) -> None:  # noqa: ANN001
    client = login_as("community_admin")
    zh = client.get("/plan/lighting")
    assert zh.status_code == 200
    html = zh.get_data(as_text=True)
    assert "照明与监控规划" in html and 'id="grid-table"' in html
    assert html.count("<tr data-grid=") == 26
    assert "/vendor/leaflet@" in html and "https://" not in html.split("<body>")[1]
    policy = zh.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "img-src 'self' data:;" in policy
    en = client.get("/plan/lighting?lang=en").get_data(as_text=True)
    assert "Lighting and camera planning" in en and "Share lit" in en
    assert 'href="/plan/lighting"' in en  # in the navigation bar


def test_planning_page_in_chromium(plan_app: Flask, sample_db: str, live_server: str,
                                   staff_page, login_as) -> None:  # noqa: ANN001
    page = staff_page
    engine = engine_for(sample_db)
    with engine.begin() as conn:  # a broken lamp with a hostile id, alone in grid 1
        conn.execute(text("UPDATE lights SET status = 'working' WHERE grid_id = "
                          "(SELECT id FROM grids WHERE number = 1)"))
        conn.execute(text("UPDATE grids SET name = :n WHERE number = 1"), {"n": XSS})
    gap = json.loads(login_as("community_admin").get("/api/plan/gaps?kind=lighting&grid=1")
                     .get_data(as_text=True))["features"][0]
    x, y = gap["geometry"]["coordinates"][len(gap["geometry"]["coordinates"]) // 2]
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO lights (source_id, status, geom) VALUES "
            "(:id, 'broken', ST_SetSRID(ST_MakePoint(:x, :y), 4326))"), {"id": XSS, "x": x, "y": y})

    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/plan/lighting?lang=en")
    page.wait_for_selector("path.plan-gap", state="attached", timeout=20_000)
    assert page.locator("#plan-legend").is_visible()
    page.wait_for_selector("#plan-scenario[data-loaded]", timeout=30_000)
    scenario = page.locator("#scenario-table tbody").inner_text()
    assert "12 (12)" in scenario and "4 (4)" in scenario

    # K = 7 lights in grids 2 and 3
    page.select_option("#plan-question", "count")
    page.fill("#plan-value", "7")
    page.check("input[name=grid][value='2']")
    page.check("input[name=grid][value='3']")
    with page.expect_response("**/api/plan/lights") as answer:
        page.click("#plan-submit")
    data = answer.value.json()
    page.wait_for_selector("#plan-form[data-done]")
    stretches = [f for f in data["features"] if f["properties"]["feature"] == "stretch"]
    assert page.locator(".leaflet-marker-icon.plan-site").count() == 7
    assert page.locator("path.plan-stretch").count() == len(stretches) > 0
    assert page.locator("#plan-sites tbody tr").count() == 7
    assert page.locator("#plan-before-after tbody tr").count() == 2
    totals = page.locator("#plan-totals").inner_text()
    assert totals.startswith("7 sites") and "of gap closed" in totals
    page.locator(".leaflet-marker-icon.plan-site").first.click()
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "Cost (yuan)" in popup and "Gap closed (m)" in popup
    page.screenshot(path="/tmp/plan.png", full_page=True)

    # 600 yuan in grid 1 buys the repair of the hostile-named lamp: shown as text, not HTML
    page.uncheck("input[name=grid][value='2']")
    page.uncheck("input[name=grid][value='3']")
    page.check("input[name=grid][value='1']")
    page.select_option("#plan-question", "budget")
    page.fill("#plan-value", "600")
    page.evaluate("document.getElementById('plan-form').removeAttribute('data-done')")
    page.click("#plan-submit")
    page.wait_for_selector("#plan-form[data-done]")
    assert page.locator(".leaflet-marker-icon.plan-site.is-repair").count() == 1
    cell = page.locator("#plan-sites tbody tr td").nth(1)
    assert XSS in cell.inner_text()
    assert page.locator("#plan-sites img, #grid-table img").count() == 0
    assert page.evaluate("window.__xss") is None
    assert XSS in page.locator("#grid-table").inner_text()

    # cameras: the gaps switch to camera gaps
    page.check("#asset-cameras")
    page.wait_for_selector("path.plan-gap-unseen", state="attached", timeout=20_000)
    assert page.locator(".leaflet-marker-icon.plan-site").count() == 0

    assert errors == []
    assert page.outside_requests == []


def test_planning_page_without_data(app: Flask, login_as) -> None:  # noqa: ANN001
    client = login_as("community_admin")
    html = client.get("/plan/lighting?lang=en").get_data(as_text=True)
    assert "No streets are loaded yet." in html and 'id="grid-table"' not in html
    response = client.post("/api/plan/lights", json={"count": 3})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "no_streets"
