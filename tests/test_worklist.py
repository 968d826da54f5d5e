"""A grid worker's hazard page after an escalation beyond the grid level: no resolve, assign
or other action is shown to them any more (the community's staff still see theirs)."""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from geo_service.hazards import lifecycle
from geo_service.hazards.store import overdue_sql


def forms_on(page_html: str) -> list[str]:
    return re.findall(r'<form method="post" action="/hazards/\d+/events" id="form-(\w+)"',
                      page_html)


def a_hazard_the_grid_owns(engine: Engine) -> tuple[int, int]:
    """An in-progress hazard at building or grid level: its id and its grid's number."""
    with engine.connect() as conn:
        hazard, grid = conn.execute(text(
            "SELECT h.id, g.number FROM hazards h JOIN grids g ON g.id = h.grid_id "
            "WHERE h.status = 'in_progress' AND h.level IN ('building', 'grid') "
            "ORDER BY h.id LIMIT 1")).one()
    return hazard, grid


def test_escalated_beyond_the_grid_shows_the_worker_no_action(login_as, staff_client,  # noqa: ANN001
                                                              sample_db: str,
                                                              engine: Engine) -> None:
    hazard, grid = a_hazard_the_grid_owns(engine)
    worker = login_as("grid_worker", grids=(grid,))
    before = forms_on(worker.get(f"/hazards/{hazard}").get_data(as_text=True))
    assert "resolve" in before and "assign" in before
    answer = staff_client.post(f"/api/hazards/{hazard}/events",
                               json={"action": "escalate", "level": "community",
                                     "reason": "需社区协调"})
    assert answer.status_code == 201
    after = worker.get(f"/hazards/{hazard}").get_data(as_text=True)
    assert forms_on(after) == []
    assert "resolve" not in forms_on(after) and "assign" not in forms_on(after)
    staff = forms_on(staff_client.get(f"/hazards/{hazard}").get_data(as_text=True))
    assert "resolve" in staff and "assign" in staff


def test_actions_for_a_role() -> None:
    assert lifecycle.actions_for("in_progress", "community", "grid_worker") == []
    assert lifecycle.actions_for("in_progress", "grid", "grid_worker") == \
        lifecycle.allowed_actions("in_progress", "grid")
    assert lifecycle.actions_for("in_progress", "grid", "building_leader") == []
    assert lifecycle.actions_for("in_progress", "subdistrict", "community_admin") == \
        lifecycle.allowed_actions("in_progress", "subdistrict")


def listed_ids(page_html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', page_html)]


def test_a_grid_workers_default_list_is_their_grids_overdue_first(login_as, sample_db: str,  # noqa: ANN001
                                                                  engine: Engine) -> None:
    with engine.connect() as conn:
        grid = conn.execute(text(
            "SELECT g.number FROM hazards h JOIN grids g ON g.id = h.grid_id "
            "WHERE h.status <> 'closed' GROUP BY g.number ORDER BY count(*) DESC, g.number "
            "LIMIT 1")).scalar_one()
        rows = conn.execute(text(
            "SELECT h.id, h.due_at, " + overdue_sql("h", "now()") + " AS late FROM hazards h "
            "JOIN grids g ON g.id = h.grid_id WHERE g.number = :n AND h.status <> 'closed'"),
            {"n": grid}).all()
    want = [r.id for r in sorted(rows, key=lambda r: (not r.late, r.due_at, r.id))]
    assert len(rows) > 1 and any(r.late for r in rows)
    worker = login_as("grid_worker", grids=(grid,))
    home = worker.get("/hazards")
    assert home.status_code == 303
    assert home.headers["Location"] == f"/hazards?grid={grid}&status=open"
    page = worker.get(home.headers["Location"]).get_data(as_text=True)
    assert 'id="hz-my-grids"' in page and f"（{grid}）" in page  # the filter is visible
    assert listed_ids(page) == want  # overdue first, then by due time
    cleared = worker.get("/hazards?grid=&status=open")  # and can be cleared
    assert cleared.status_code == 200
    everyone = cleared.get_data(as_text=True)
    assert 'id="hz-my-grids"' not in everyone and len(listed_ids(everyone)) > len(want)


def test_escalated_beyond_the_grid_the_api_refuses_the_worker_too(login_as, staff_client,  # noqa: ANN001
                                                                  sample_db: str,
                                                                  engine: Engine) -> None:
    hazard, grid = a_hazard_the_grid_owns(engine)
    worker = login_as("grid_worker", grids=(grid,))
    escalated = staff_client.post(f"/api/hazards/{hazard}/events",
                                  json={"action": "escalate", "level": "community",
                                        "reason": "需社区协调"})
    assert escalated.status_code == 201
    refused = worker.post(f"/api/hazards/{hazard}/events",
                          json={"action": "resolve", "note": "已修好"})
    assert refused.status_code == 403
    with engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM hazards WHERE id = :id"),
                              {"id": hazard}).scalar_one()
    assert status == "in_progress"
    assert worker.get(f"/hazards/{hazard}").status_code == 200  # still sees it
