"""Closing a report in one step: invalid, not ours, or a duplicate of #N, from any open status,
with a reason and no satisfaction score; over the API, on the hazard's page, in Open311 and on
the dashboard (whose revisited share is not pulled down by such closures)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from geo_service.hazards import lifecycle, stats

ORIGIN = (106.8300, 27.5200)
DISMISSALS = ("invalid", "not_ours", "duplicate")


def report(client: FlaskClient, east: float = 0.0) -> int:
    answer = client.post("/api/hazards", json={
        "lon": ORIGIN[0] + east, "lat": ORIGIN[1], "category": "dirty_alley",
        "severity": "medium", "description": "背街小巷垃圾堆积", "confirm_duplicate": True})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def move(client: FlaskClient, hazard: int, *steps: dict[str, object]) -> None:
    for step in steps:
        answer = client.post(f"/api/hazards/{hazard}/events", json=step)
        assert answer.status_code == 201, answer.get_json()


TO_STATUS = {  # how to bring a new report to each open status
    "reported": (),
    "assigned": ({"action": "assign", "assignee": "金燕"},),
    "in_progress": ({"action": "assign", "assignee": "金燕"}, {"action": "start"}),
    "resolved": ({"action": "assign", "assignee": "金燕"}, {"action": "start"},
                 {"action": "resolve"}),
    "revisited": ({"action": "assign", "assignee": "金燕"}, {"action": "start"},
                  {"action": "resolve"}, {"action": "revisit", "satisfaction": 4}),
}


def test_every_open_status_offers_the_dismissals() -> None:
    for status in lifecycle.OPEN_STATUSES:
        assert set(DISMISSALS) <= set(lifecycle.allowed_actions(status, "grid")), status
    assert not set(DISMISSALS) & set(lifecycle.allowed_actions("closed", "grid"))


@pytest.mark.parametrize("status", list(TO_STATUS))
@pytest.mark.parametrize("action", DISMISSALS)
def test_close_in_one_step_over_the_api(staff_client: FlaskClient, engine: Engine,
                                        status: str, action: str) -> None:
    original = report(staff_client, east=0.01)
    hazard = report(staff_client)
    move(staff_client, hazard, *TO_STATUS[status])
    url = f"/api/hazards/{hazard}/events"
    no_reason = staff_client.post(url, json={"action": action, "duplicate_of": original})
    assert no_reason.status_code == 422 and no_reason.get_json()["error"]["field"] == "reason"
    if action == "duplicate":
        for wrong in (None, hazard, 999999):
            refused = staff_client.post(url, json={"action": action, "reason": "同一处",
                                                   "duplicate_of": wrong})
            assert refused.status_code == 422, wrong
            assert refused.get_json()["error"]["field"] == "duplicate_of"
    answer = staff_client.post(url, json={"action": action, "reason": "核实后处理",
                                          "duplicate_of": original, "satisfaction": 5})
    assert answer.status_code == 201, answer.get_json()
    event, item = answer.get_json()["event"], answer.get_json()["hazard"]
    assert item["status"] == "closed" and item["closed_as"] == action
    assert event["from_status"] == status and event["to_status"] == "closed"
    assert event["satisfaction"] is None  # never a score
    assert event["extra"]["reason"] == "核实后处理"
    if action == "duplicate":
        assert event["extra"]["duplicate_of"] == original and item["duplicate_of"] == original
    else:
        assert "duplicate_of" not in event["extra"] and item["duplicate_of"] is None
    assert item["allowed_actions"] == ["reopen"]
    again = staff_client.post(url, json={"action": action, "reason": "再次"})
    assert again.status_code == 409
    with engine.connect() as conn:
        scores = conn.execute(text("SELECT count(*) FROM hazard_events WHERE hazard_id = :h "
                                   "AND action = :a AND satisfaction IS NOT NULL"),
                              {"h": hazard, "a": action}).scalar_one()
    assert scores == 0


def test_the_public_cannot_close(client: FlaskClient, staff_client: FlaskClient) -> None:
    hazard = report(staff_client)
    answer = client.post(f"/api/hazards/{hazard}/events",
                         json={"action": "invalid", "reason": "x"})
    assert answer.status_code == 401


def test_close_on_the_page_and_the_timeline(staff_client: FlaskClient) -> None:
    original = report(staff_client, east=0.01)
    hazard = report(staff_client)
    page = staff_client.get(f"/hazards/{hazard}").get_data(as_text=True)
    for action in DISMISSALS:
        assert f'id="form-{action}"' in page
    assert 'name="duplicate_of"' in page and "作为重复关闭" in page and "作为无效关闭" in page
    missing = staff_client.post(f"/hazards/{hazard}/events",
                                data={"action": "duplicate", "reason": "同一处"})
    assert missing.status_code == 422 and "is-invalid" in missing.get_data(as_text=True)
    sent = staff_client.post(f"/hazards/{hazard}/events",
                             data={"action": "duplicate", "reason": "同一处垃圾",
                                   "duplicate_of": str(original)})
    assert sent.status_code == 303, sent.get_data(as_text=True)[:300]
    shown = staff_client.get(sent.headers["Location"]).get_data(as_text=True)
    timeline = shown[shown.index('id="hz-timeline"'):]
    assert 'data-action="duplicate"' in timeline
    assert "关闭原因" in timeline and "同一处垃圾" in timeline
    assert f'<a href="/hazards/{original}">#{original}</a>' in timeline
    assert re.search(r'id="hz-closed-as">作为重复关闭', shown)
    assert 'id="form-invalid"' not in shown  # closed: only reopen is left
    english = staff_client.get(f"/hazards/{hazard}?lang=en").get_data(as_text=True)
    assert "Duplicate of" in english and "Reason for closing" in english


def test_open311_says_how_it_was_closed(staff_client: FlaskClient) -> None:
    original = report(staff_client, east=0.01)
    closed = {}
    for n, action in enumerate(DISMISSALS):
        hazard = report(staff_client, east=0.001 * (n + 2))
        move(staff_client, hazard, {"action": action, "reason": "核实",
                                    "duplicate_of": original})
        closed[hazard] = action
    words = {"invalid": "已作为无效报告关闭。", "not_ours": "不属本社区处理范围，已关闭。",
             "duplicate": f"与 #{original} 重复，已关闭。"}
    for hazard, action in closed.items():
        found = staff_client.get(f"/open311/v2/requests/{hazard}.json").get_json()
        assert found[0]["status"] == "closed"
        assert found[0]["status_notes"].startswith(words[action]), found


def test_dismissals_leave_the_revisited_share_alone(staff_client: FlaskClient,
                                                    sample_db: str, engine: Engine) -> None:
    with engine.connect() as conn:
        before = stats.grid_stats(conn)["total"]
        open_ids = list(conn.execute(text(
            "SELECT id FROM hazards WHERE status = 'reported' ORDER BY id LIMIT 3")).scalars())
    assert before["revisited_share"] is not None and len(open_ids) == 3
    for hazard, action in zip(open_ids, DISMISSALS, strict=True):
        move(staff_client, hazard, {"action": action, "reason": "核实",
                                    "duplicate_of": open_ids[0] if hazard != open_ids[0]
                                    else open_ids[1]})
    with engine.connect() as conn:
        after = stats.grid_stats(conn)["total"]
    assert after["closed"] == before["closed"] + 3 and after["dismissed"] == 3
    assert after["revisited_share"] == before["revisited_share"]
    page = staff_client.get("/dashboard").get_data(as_text=True)
    total = re.search(r'<tr data-grid="total"[^>]*>(.*?)</tr>', page, re.S).group(1)
    share = re.search(r'data-col="revisited">([^<]+)<', total).group(1).strip()
    assert share == f"{100 * before['revisited_share']:.0f}%"
