"""``/plan/patrol`` in headless Chromium: choose grids and teams, plan, see K routes drawn with
direction arrows and numbered stops, follow the sheet; nothing leaves the machine."""

from __future__ import annotations

import dataclasses

import pytest
from helpers.accounts import make_user, sign_in_browser


@pytest.fixture()
def patrol_page(sample_db: str, app, page, live_server: str):  # noqa: ANN001, ANN201
    """A patrol member signed in on the live server, without basemap tiles."""
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], basemap="none")
    sign_in_browser(page, live_server, make_user(app, "patrol"))
    return page


def test_plan_three_teams_and_see_them_drawn(patrol_page, live_server: str) -> None:  # noqa: ANN001
    page = patrol_page
    page.set_viewport_size({"width": 1400, "height": 950})
    page.goto(f"{live_server}/plan/patrol")
    assert page.locator("h1").inner_text() == "巡逻路线规划"
    checked = page.eval_on_selector_all("input[name=grid]:checked", "l => l.map(i => i.value)")
    assert checked == ["1", "2", "3", "4"]
    page.uncheck("input[name=grid][value='4']")
    page.check("input[name=grid][value='4']")
    page.fill("#pp-teams", "3")
    assert "白龙警务室" in page.inner_text("#pp-start-text")
    page.click("#pp-submit")
    page.wait_for_selector("#pp-form[data-done]", timeout=60_000)
    result = page.eval_on_selector("#pp-result", "e => ({...e.dataset, hidden: e.hidden})")
    assert result["hidden"] is False and result["routes"] == "3"
    assert int(result["arrows"]) > 30 and int(result["stops"]) > 0
    assert page.locator("#pp-teams-table tbody tr").count() == 3
    assert page.locator("path.pp-route").count() == 3
    assert page.locator(".route-arrow").count() == int(result["arrows"])
    assert page.locator(".route-stop").count() == int(result["stops"])
    assert "比值" in page.inner_text("#pp-bound")
    page.wait_for_timeout(300)
    page.screenshot(path="/tmp/patrol.png", full_page=True)
    sheet = page.get_attribute("#pp-sheet", "href")
    gpx = page.get_attribute("#pp-gpx", "href")
    assert gpx.endswith(".gpx") and "/sheet" in sheet
    page.goto(f"{live_server}{sheet}")
    assert page.locator("section.team").count() == 3
    # a start picked on the map is sent with the next plan
    page.goto(f"{live_server}/plan/patrol?lang=en")
    page.click("#patrol-map", position={"x": 420, "y": 330})
    assert "Point picked on the map" in page.inner_text("#pp-start-text")
    page.select_option("#pp-points", "broken-lights")
    page.fill("#pp-teams", "1")
    page.click("#pp-submit")
    page.wait_for_selector("#pp-form[data-done]", timeout=60_000)
    assert page.eval_on_selector("#pp-result", "e => e.dataset.routes") == "1"
    assert page.outside_requests == []
