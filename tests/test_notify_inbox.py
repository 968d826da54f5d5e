"""The in-app inbox: notifications of the signed-in user, the unread badge, marking read."""

from __future__ import annotations

import re

from sqlalchemy import Engine, text


def grid_point(engine: Engine, number: int) -> dict[str, float]:
    with engine.connect() as conn:
        lat, lon = conn.execute(text("SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_PointOnSurface("
                                     "geom) AS p FROM grids WHERE number = :n) s"),
                                {"n": number}).one()
    return {"lat": lat, "lon": lon}


def badge(client) -> int:  # noqa: ANN001
    page = client.get("/hazards/new").get_data(as_text=True)
    return int(re.search(r'id="nav-unread">(\d+)<', page).group(1))


def test_the_grid_worker_and_the_reporter_are_told_in_their_inbox(  # noqa: ANN001
        sample_db: str, engine: Engine, client, login_as) -> None:
    worker = login_as("grid_worker", grids=(1,))
    elsewhere = login_as("grid_worker", grids=(2,))
    resident = login_as("resident")
    assert badge(worker) == 0

    sent = resident.post("/api/hazards", json={"category": "dirty_alley",
                                               **grid_point(engine, 1)})
    assert sent.status_code == 201, sent.get_json()
    hazard = sent.get_json()["id"]
    inbox = worker.get("/api/notifications").get_json()
    assert inbox["unread"] == 1 and len(inbox["notifications"]) == 1
    first = inbox["notifications"][0]
    assert (first["kind"], first["hazard_id"], first["read"]) == ("new_report", hazard, False)
    assert first["subject"] == f"新隐患 #{hazard}：背街小巷脏乱"
    assert first["link"] == f"/hazards/{hazard}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", first["created_at"])
    assert worker.get("/api/notifications?lang=en").get_json()["notifications"][0][
        "subject"].startswith(f"New hazard #{hazard}")
    assert badge(worker) == 1
    assert elsewhere.get("/api/notifications").get_json() == {"notifications": [], "unread": 0}

    # the grid worker assigns: the resident who reported signed in is told of the status
    acted = worker.post(f"/api/hazards/{hazard}/events",
                        json={"action": "assign", "assignee": worker.username})
    assert acted.status_code == 201, acted.get_json()
    mine = resident.get("/api/notifications").get_json()
    assert [(n["kind"], n["hazard_id"]) for n in mine["notifications"]] == [("status", hazard)]
    assert "已分派" in mine["notifications"][0]["subject"]
    told = worker.get("/api/notifications").get_json()
    assert [n["kind"] for n in told["notifications"]] == ["assigned", "new_report"]  # newest first
    assert told["unread"] == 2

    # marking read: one's own only
    ident = told["notifications"][0]["id"]
    other = mine["notifications"][0]["id"]
    assert resident.post(f"/api/notifications/{ident}/read").status_code == 404
    answer = worker.post(f"/api/notifications/{ident}/read")
    assert answer.status_code == 200 and answer.get_json() == {"id": ident, "read": True,
                                                               "unread": 1}
    assert worker.post(f"/api/notifications/{other}/read").status_code == 404
    assert badge(worker) == 1
    page = worker.get("/notifications?lang=zh").get_data(as_text=True)
    assert f"隐患 #{hazard} 已指派给您" in page and "未读 1 条" in page


def test_the_public_has_no_inbox(app, client) -> None:  # noqa: ANN001
    assert client.get("/api/notifications").status_code == 401
    assert client.post("/api/notifications/1/read").status_code in (401, 403)
    assert 'id="nav-unread"' not in client.get("/hazards/new").get_data(as_text=True)
