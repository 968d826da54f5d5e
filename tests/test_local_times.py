"""Times a person reads are in the community's time zone (Asia/Shanghai), never UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text

from geo_service.i18n import local_time


def test_a_stored_utc_time_reads_eight_hours_later() -> None:
    assert local_time(datetime(2026, 6, 13, 10, 0, tzinfo=UTC)) == "2026-06-13 18:00"
    assert local_time(datetime(2026, 6, 13, 20, 30)) == "2026-06-14 04:30"  # naive = UTC
    assert local_time(None, empty="–") == "–"


def test_the_route_sheet_shows_when_the_plan_was_made_in_local_time(
        sample_db: str, login_as) -> None:  # noqa: ANN001
    patrol = login_as("patrol")
    answer = patrol.post("/api/routes", json={"grids": [1], "teams": 1})
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    plan = answer.get_json()["plan"]
    with create_engine(sample_db).connect() as conn:
        made = conn.execute(text("SELECT created_at FROM patrol_plans WHERE id = :id"),
                            {"id": plan}).scalar_one()
    sheet = patrol.get(f"/routes/{plan}/sheet").get_data(as_text=True)
    shanghai = (made.astimezone(UTC) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    utc = made.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    assert shanghai in sheet and utc not in sheet
