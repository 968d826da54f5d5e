"""Daily reminders of overdue hazards: the assignee and one level up, once a day."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine, text

from geo_service.auth import accounts
from geo_service.hazards import service
from geo_service.hazards.inputs import parse_event, parse_report
from geo_service.hazards.records import utcnow
from geo_service.hazards.store import overdue_sql
from geo_service.notify import messages, reminders

PASSWORD = "correct horse battery staple"


def account(conn, name: str, role: str, email: str | None, grids=()) -> int:  # noqa: ANN001
    ident = accounts.create_user(conn, name, PASSWORD, role, grids=grids)
    conn.execute(text("UPDATE users SET email = :e WHERE id = :i"), {"e": email, "i": ident})
    return ident


def reminded(engine: Engine, hazard: int) -> list[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT u.username, n.channel, n.params->>'day' FROM notifications n "
            "JOIN users u ON u.id = n.user_id WHERE n.kind = 'overdue' AND n.hazard_id = :h "
            "ORDER BY n.params->>'day', u.username, n.channel"), {"h": hazard})]


def test_an_overdue_hazard_reminds_the_assignee_and_one_level_up(sample_db: str,
                                                                  engine: Engine) -> None:
    now = utcnow()
    with engine.begin() as conn:
        account(conn, "zhou", "grid_worker", "zhou@example.org", grids=(1,))
        account(conn, "wu", "grid_worker", None, grids=(2,))
        account(conn, "zheng", "community_admin", "zheng@example.org")
        lat, lon = conn.execute(text("SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_PointOnSurface("
                                     "geom) AS p FROM grids WHERE number = 1) s")).one()
        hazard = service.create_hazard(conn, parse_report(
            {"category": "fire_risk", "severity": "urgent", "lat": lat, "lon": lon}),
            now=now - timedelta(days=3)).hazard["id"]
        fresh = service.create_hazard(conn, parse_report(
            {"category": "parking", "severity": "urgent", "lat": lat, "lon": lon}),
            now=now).hazard["id"]
        service.apply_event(conn, hazard, parse_event({"action": "assign", "assignee": "zhou"}),
                            now=now - timedelta(days=2))
        service.apply_event(conn, hazard, parse_event({"action": "escalate", "reason": "难",
                                                       "level": "grid"}),
                            now=now - timedelta(days=2))
    today = now.astimezone(reminders.LOCAL_TZ).date().isoformat()
    with engine.begin() as conn:
        assert reminders.record_overdue(conn, now) > 0
    # assigned to zhou at the grid level: zhou, and the community (one level up)
    assert reminded(engine, hazard) == [("zheng", "email", today), ("zheng", "inbox", today),
                                        ("zhou", "email", today), ("zhou", "inbox", today)]
    assert reminded(engine, fresh) == []  # not due yet
    with engine.begin() as conn:
        assert reminders.record_overdue(conn, now + timedelta(minutes=5)) == 0  # once a day
    with engine.begin() as conn:
        reminders.record_overdue(conn, now + timedelta(days=1))
    assert len(reminded(engine, hazard)) == 8  # and again the next day
    with engine.connect() as conn:
        row = conn.execute(text("SELECT params FROM notifications WHERE kind = 'overdue' "
                                "AND channel = 'inbox' AND hazard_id = :h LIMIT 1"),
                           {"h": hazard}).scalar_one()
    assert messages.subject("overdue", row) == f"隐患 #{hazard} 已逾期"
    assert "已逾期（办结期限 " in messages.text("overdue", row)


def test_the_worker_writes_reminders_with_remind(sample_db: str, engine: Engine, cli) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        account(conn, "feng", "community_admin", None)
        account(conn, "chu", "subdistrict", None)
        above_building = conn.execute(text(
            f"SELECT count(*) FROM hazards h WHERE {overdue_sql('h', 'now()')} "
            "AND level <> 'building'")).scalar_one()
    assert above_building > 0  # the sample has overdue hazards above the building level
    plain = cli("worker", "--once")
    assert plain.exit_code == 0 and "overdue reminders" not in plain.output
    ran = cli("worker", "--once", "--remind")
    assert ran.exit_code == 0, ran.output
    with engine.connect() as conn:
        told = conn.execute(text(
            "SELECT count(DISTINCT n.hazard_id) FILTER (WHERE h.level <> 'building'), "
            f"count(*) FILTER (WHERE NOT {overdue_sql('h', 'now()')}) "
            "FROM notifications n JOIN hazards h ON h.id = n.hazard_id "
            "WHERE n.kind = 'overdue'")).one()
    # the community admin or the subdistrict hears of every one above the building level,
    # and of nothing that is not overdue
    assert tuple(told) == (above_building, 0)
    written = int(re.search(r"overdue reminders written: (\d+)", ran.output).group(1))
    with engine.connect() as conn:
        assert written == conn.execute(text(
            "SELECT count(*) FROM notifications WHERE kind = 'overdue'")).scalar_one()
    again = cli("worker", "--once", "--remind")
    assert "overdue reminders written: 0" in again.output
