"""``/dashboard``: the per-grid numbers equal those computed here from the sample's rows, and the
charts are drawn by the locally served Chart.js without an error, in Chinese and English.
The dashboard is a staff page: the tests read it signed in (``staff_client``, ``staff_page``)."""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from geo_service.config import Settings
from geo_service.db.engine import engine_for
from geo_service.hazards import lifecycle
from geo_service.vocab import Severity

RESOLVED = {"resolved", "revisited", "closed"}


@pytest.fixture()
def app(db_url: str, tmp_path: Path) -> Flask:
    """The app without basemap tiles."""
    from geo_service.web.app import create_app

    application = create_app(Settings(database_url=db_url, basemap="none", data_dir=tmp_path),
                             engine=engine_for(db_url))
    application.config["TESTING"] = True
    return application


def add_edge_cases(engine: Engine) -> None:
    """A closed hazard never revisited (grid 2) and a hazard outside every grid, escalated."""
    start = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:
        grid_2 = conn.execute(text("SELECT id FROM grids WHERE number = 2")).scalar_one()
        closed = conn.execute(text("""
            INSERT INTO hazards (category, severity, status, level, reported_at, due_at,
                                 updated_at, grid_id, geom)
            VALUES ('parking', 'low', 'closed', 'building', :t, :due, :t, :g,
                    (SELECT ST_PointOnSurface(geom) FROM grids WHERE id = :g))
            RETURNING id"""), {"t": start, "due": start + timedelta(days=15),
                               "g": grid_2}).scalar_one()
        outside = conn.execute(text("""
            INSERT INTO hazards (category, severity, status, level, reported_at, due_at,
                                 updated_at, grid_id, geom)
            VALUES ('other', 'medium', 'reported', 'grid', :t, :due, :t, NULL,
                    ST_SetSRID(ST_MakePoint(100.0, 20.0), 4326))
            RETURNING id"""), {"t": start, "due": start + timedelta(days=7)}).scalar_one()
        events = [
            (closed, 0, "report", None, "reported"), (closed, 5, "assign", "reported", "assigned"),
            (closed, 30, "start", "assigned", "in_progress"),
            (closed, 50, "resolve", "in_progress", "resolved"),
            (closed, 60, "close", "resolved", "closed"),
            (outside, 0, "report", None, "reported"),
            (outside, 2, "escalate", "reported", "reported"),
        ]
        for hazard, hours, action, before, after in events:
            conn.execute(text("""
                INSERT INTO hazard_events (hazard_id, at, action, from_status, to_status)
                VALUES (:h, :at, :a, :f, :s)"""),
                {"h": hazard, "at": start + timedelta(hours=hours), "a": action, "f": before,
                 "s": after})


def overdue(hazard: Any, events: list[Any], now: datetime) -> bool:
    """Past the resolve due (not yet resolved) or the revisit due (resolved, not revisited)."""
    if hazard.status in ("reported", "assigned", "in_progress"):
        return hazard.due_at is not None and hazard.due_at < now
    resolves = [e.at for e in events if e.action == "resolve"]
    if hazard.status != "resolved" or not resolves:
        return False
    days = lifecycle.REVISIT_DAYS[Severity(hazard.severity)]
    return max(resolves) + timedelta(days=days) < now


def dismissed(events: list[Any]) -> bool:
    """Closed in one step (invalid, not ours, duplicate): left out of the revisited share."""
    closing = [e for e in events if e.action in ("close", *lifecycle.DISMISSALS)]
    return bool(closing) and max(closing, key=lambda e: e.at).action in lifecycle.DISMISSALS


def expected(engine: Engine) -> dict[str, dict[str, object]]:
    """The dashboard's numbers, from the raw rows, by grid number ('none' outside, 'total')."""
    with engine.connect() as conn:
        hazards = conn.execute(text(
            "SELECT h.id, g.number, h.status, h.severity, h.reported_at, h.due_at FROM hazards h "
            "LEFT JOIN grids g ON g.id = h.grid_id")).all()
        events = conn.execute(text("SELECT hazard_id, action, at FROM hazard_events")).all()
        numbers = list(conn.execute(text("SELECT number FROM grids")).scalars())
        now = conn.execute(text("SELECT now()")).scalar_one()
    by_hazard = defaultdict(list)
    for e in events:
        by_hazard[e.hazard_id].append(e)
    groups: dict[str, list] = {str(n): [] for n in numbers}
    groups["total"] = []
    for h in hazards:
        groups.setdefault("none" if h.number is None else str(h.number), []).append(h)
        groups["total"].append(h)
    out = {}
    for key, members in groups.items():
        closed = [h for h in members if h.status == "closed"]
        looped = [h for h in closed if not dismissed(by_hazard[h.id])]
        revisited = [h for h in looped if any(e.action == "revisit" for e in by_hazard[h.id])]
        durations = []
        for h in members:
            resolves = [e.at for e in by_hazard[h.id] if e.action == "resolve"]
            if h.status in RESOLVED and resolves:
                durations.append((max(resolves) - h.reported_at).total_seconds() / 86400)
        out[key] = {
            "open": sum(h.status != "closed" for h in members),
            "closed": len(closed),
            "overdue": sum(overdue(h, by_hazard[h.id], now) for h in members),
            "median": statistics.median(durations) if durations else None,
            "resolved": len(durations),
            "revisited": len(revisited) / len(looped) if looped else None,
            "escalations": sum(e.action == "escalate" for h in members
                               for e in by_hazard[h.id]),
        }
    return out


def table(page_html: str) -> dict[str, dict[str, str]]:
    rows = {}
    for key, cells in re.findall(r'<tr data-grid="(\w+)"[^>]*>(.*?)</tr>', page_html, re.S):
        rows[key] = {col: re.sub(r"<[^>]+>", "", value).strip() for col, value in
                     re.findall(r'data-col="(\w+)">(.*?)</td>', cells, re.S)}
    return rows


def test_dashboard_numbers_equal_the_database(staff_client: FlaskClient, sample_db: str,
                                              engine: Engine) -> None:
    client = staff_client
    add_edge_cases(engine)
    want = expected(engine)
    assert 0 < want["2"]["revisited"] < 1  # the edge case makes the share discriminating
    assert want["total"]["escalations"] > 0 and want["none"]["escalations"] == 1
    answer = client.get("/dashboard")
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    shown = table(body)
    assert set(shown) == set(want)  # every grid, the hazards outside grids, the total
    for key, w in want.items():
        row = shown[key]
        assert int(row["open"]) == w["open"], key
        assert int(row["closed"]) == w["closed"], key
        assert int(row["overdue"]) == w["overdue"], key
        assert int(row["resolved"]) == w["resolved"], key
        assert int(row["escalations"]) == w["escalations"], key
        assert row["median"] == ("–" if w["median"] is None else f"{w['median']:.1f}"), key
        assert row["revisited"] == ("–" if w["revisited"] is None
                                    else f"{100 * w['revisited']:.0f}%"), key

    # the charts get the same numbers, in the table's order
    chart = json.loads(re.search(r'<script type="application/json" id="dash-config">(.*?)'
                                 r"</script>", body, re.S).group(1))
    order = [k for k in shown if k != "total"]
    assert chart["open"] == [want[k]["open"] for k in order]
    assert chart["closed"] == [want[k]["closed"] for k in order]
    assert chart["escalations"] == [want[k]["escalations"] for k in order]
    for got, key in zip(chart["median"], order, strict=True):
        assert got == (None if want[key]["median"] is None
                       else pytest.approx(want[key]["median"], abs=0.006)), key
    for got, key in zip(chart["revisited"], order, strict=True):
        assert got == (None if want[key]["revisited"] is None
                       else pytest.approx(100 * want[key]["revisited"], abs=0.06)), key

    # filtered by category: only that category counts
    parking = table(client.get("/dashboard?category=parking").get_data(as_text=True))
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM hazards WHERE category = 'parking'")).scalar()
    assert int(parking["total"]["open"]) + int(parking["total"]["closed"]) == n
    assert client.get("/dashboard?date_from=nonsense").status_code == 422


def test_dashboard_charts_in_chromium(sample_db: str, live_server: str,
                                      staff_page) -> None:  # noqa: ANN001
    page = staff_page
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
            else None)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/dashboard")
    page.wait_for_selector("#dash-charts[data-ready='4']")
    assert page.inner_text("h1") == "隐患处置统计"
    for name in ("counts", "median", "revisited", "escalations"):
        canvas = page.locator(f"#chart-{name}")
        box = canvas.bounding_box()
        assert box["width"] > 200 and box["height"] > 200, name
        assert page.evaluate(f"() => Chart.getChart('chart-{name}') !== undefined"), name
    drawn_open = page.evaluate("() => Chart.getChart('chart-counts').data.datasets[0].data")
    table_open = [int(v) for v in page.locator("#dash-table tbody td[data-col=open]")
                  .all_inner_texts()]
    assert drawn_open == table_open and sum(table_open) > 0
    # the canvas is really painted: some pixels are not transparent
    painted = page.evaluate("""() => {
        const c = document.getElementById('chart-counts');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) { n++; } } return n; }""")
    assert painted > 1000
    page.screenshot(path="/tmp/dashboard.png", full_page=True)

    page.goto(f"{live_server}/dashboard?lang=en")
    page.wait_for_selector("#dash-charts[data-ready='4']")
    assert page.inner_text("h1") == "How hazards are handled"
    assert page.evaluate("() => Chart.getChart('chart-counts').data.datasets[0].label") == "Open"
    assert "Grid 1" in page.inner_text("#dash-table")
    assert problems == []
    assert page.outside_requests == []
