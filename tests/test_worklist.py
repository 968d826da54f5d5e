"""A grid worker's hazard page after an escalation beyond the grid level: no resolve, assign
or other action is shown to them any more (the community's staff still see theirs)."""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from geo_service.hazards import lifecycle


def forms_on(page_html: str) -> list[str]:
    return re.findall(r'<form method="post" action="/hazards/\d+/events" id="form-(\w+)"',
                      page_html)


def test_escalated_beyond_the_grid_shows_the_worker_no_action(login_as, staff_client,  # noqa: ANN001
                                                              sample_db: str,
                                                              engine: Engine) -> None:
    with engine.connect() as conn:
        hazard, grid = conn.execute(text(
            "SELECT h.id, g.number FROM hazards h JOIN grids g ON g.id = h.grid_id "
            "WHERE h.status = 'in_progress' AND h.level IN ('building', 'grid') "
            "ORDER BY h.id LIMIT 1")).one()
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
