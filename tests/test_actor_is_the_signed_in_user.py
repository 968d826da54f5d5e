"""Who an action is recorded under is who is signed in (``public`` without an account): an
``actor`` in a JSON body, a form or an Open311 post is ignored everywhere, and the timeline
shows the real actor. A GPS track is stored for the member who uploads it unless they lead
the patrol team (then they may name a member)."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from helpers.accounts import make_user, sign_in
from sqlalchemy import text

from geo_service.db.engine import engine_for

POINT = {"lon": 106.8300, "lat": 27.5200, "category": "dirty_alley", "confirm_duplicate": True}
FAKE = "社区书记"


def timeline(staff: FlaskClient, hazard_id: int) -> list[tuple[str, str]]:
    """``(action, actor)`` of every event, as staff see them."""
    events = staff.get(f"/api/hazards/{hazard_id}").get_json()["events"]
    return [(e["action"], e["actor"]) for e in events]


def test_a_body_actor_is_not_recorded_on_the_api(client: FlaskClient, app: Flask,
                                                 staff_client: FlaskClient) -> None:
    anonymous = client.post("/api/hazards", json=POINT | {"actor": FAKE}).get_json()["id"]
    assert timeline(staff_client, anonymous) == [("report", "public")]
    resident = app.test_client()
    sign_in(resident, make_user(app, "resident", display_name="居民小李"))
    own = resident.post("/api/hazards", json=POINT | {"actor": FAKE}).get_json()["id"]
    assert timeline(staff_client, own) == [("report", "居民小李")]
    worker = app.test_client()
    sign_in(worker, make_user(app, "community_admin", display_name="网格员小王"))
    for body in ({"action": "assign", "assignee": "金燕", "actor": FAKE},
                 {"action": "start", "actor": ""}):
        answer = worker.post(f"/api/hazards/{anonymous}/events", json=body)
        assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
        assert answer.get_json()["event"]["actor"] == "网格员小王"
    assert timeline(staff_client, anonymous) == [
        ("report", "public"), ("assign", "网格员小王"), ("start", "网格员小王")]
    assert FAKE.encode() not in staff_client.get(f"/api/hazards/{anonymous}").data


def test_a_form_actor_is_not_recorded_on_the_pages(client: FlaskClient, app: Flask,
                                                   staff_client: FlaskClient) -> None:
    page = client.get("/hazards/new").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    posted = client.post("/hazards/new", data={
        "lat": "27.5200", "lon": "106.8300", "category": "parking", "actor": FAKE,
        "csrf_token": csrf})
    assert posted.status_code == 303, posted.get_data(as_text=True)[:300]
    hazard_id = int(posted.headers["Location"].rsplit("/", 1)[1])
    acted = staff_client.post(f"/hazards/{hazard_id}/events",
                              data={"action": "assign", "assignee": "金燕", "actor": FAKE})
    assert acted.status_code == 303
    assert timeline(staff_client, hazard_id) == [("report", "public"),
                                                 ("assign", staff_client.username)]
    html = staff_client.get(f"/hazards/{hazard_id}").get_data(as_text=True)
    assert FAKE not in html and staff_client.username in html


def test_an_open311_actor_is_not_recorded(client: FlaskClient,
                                          staff_client: FlaskClient) -> None:
    answer = client.post("/open311/v2/requests.json", data={
        "service_code": "dim_lighting", "lat": "27.52", "long": "106.83", "actor": FAKE,
        "description": "楼梯间灯不亮"})
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    hazard_id = int(answer.get_json()[0]["service_request_id"])
    assert timeline(staff_client, hazard_id) == [("report", "public")]


def test_a_track_is_stored_for_its_uploader(sample_db: str, app: Flask) -> None:
    from geo_service.patrol import load_network
    from geo_service.patrol.simulate import fixes_to_gpx, random_path, simulate_fixes

    engine = engine_for(sample_db)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO patrol_members (name, unit) VALUES "
                          "('张建国', '派出所'), ('李明', '派出所') ON CONFLICT DO NOTHING"))
        graph = load_network(conn, [1, 2, 3, 4])
    track = fixes_to_gpx(simulate_fixes(graph, random_path(graph, seed=4, length_m=400), seed=4))

    def upload(client: FlaskClient, member: str) -> str:
        answer = client.post("/api/patrol/tracks", data={
            "member": member, "grid": ["1", "2", "3", "4"],
            "track": (io.BytesIO(track.encode()), "walk.gpx")},
            content_type="multipart/form-data")
        assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
        with engine.connect() as conn:
            return conn.execute(text(
                "SELECT m.name FROM patrol_tracks t JOIN patrol_members m ON m.id = t.member_id "
                "WHERE t.id = :id"), {"id": answer.get_json()["track_id"]}).scalar_one()

    member = app.test_client()
    sign_in(member, make_user(app, "patrol", display_name="张建国"))
    field = re.search(r'<input[^>]*id="pp-member"[^>]*>',
                      member.get("/plan/patrol").get_data(as_text=True), re.S).group(0)
    assert "readonly" in field and 'value="张建国"' in field  # the page says whose track
    assert upload(member, "李明") == "张建国"  # a member uploads only their own walks
    assert upload(member, "") == "张建国"
    lead = app.test_client()
    sign_in(lead, make_user(app, "community_admin", display_name="队长"))
    field = re.search(r'<input[^>]*id="pp-member"[^>]*>',
                      lead.get("/plan/patrol").get_data(as_text=True), re.S).group(0)
    assert "readonly" not in field
    assert upload(lead, "李明") == "李明"  # the team's lead may upload for a member
