"""One definition of overdue: the map, the hazard list (and its filter), the dashboard, Open311
and the CSV export count the same hazards, of two kinds with one word each.

Resolve overdue: reported, assigned or in progress and past ``due_at``. Revisit overdue:
resolved, not yet revisited, and past its last resolve plus ``REVISIT_DAYS[severity]``.
The expectation is computed here in Python from the raw rows.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from geo_service.config import PROJECT_ROOT
from geo_service.hazards import lifecycle
from geo_service.vocab import Severity

CATALOGUES = {lang: PROJECT_ROOT / "geo_service" / "translations" / lang / "LC_MESSAGES"
              / "messages.po" for lang in ("zh_CN", "en")}


def expected_kinds(engine: Engine) -> dict[int, str]:
    """Hazard id -> 'resolve' / 'revisit' for every overdue hazard, from the raw rows."""
    with engine.connect() as conn:
        now = conn.execute(text("SELECT now()")).scalar_one()
        rows = conn.execute(text("""
            SELECT h.id, h.status, h.severity, h.due_at,
                   (SELECT max(e.at) FROM hazard_events e
                    WHERE e.hazard_id = h.id AND e.action = 'resolve') AS resolved_at
            FROM hazards h""")).all()
    kinds = {}
    for r in rows:
        if r.status in ("reported", "assigned", "in_progress") and r.due_at < now:
            kinds[r.id] = "resolve"
        elif r.status == "resolved" and r.resolved_at is not None and (
                r.resolved_at + timedelta(days=lifecycle.REVISIT_DAYS[Severity(r.severity)])
                < now):
            kinds[r.id] = "revisit"
    return kinds


def test_map_list_dashboard_open311_and_export_agree(staff_client: FlaskClient,
                                                     sample_db: str, engine: Engine) -> None:
    want = expected_kinds(engine)
    assert "resolve" in want.values() and "revisit" in want.values()  # both kinds in the sample

    features = staff_client.get("/api/collections/hazards/items?limit=1000").get_json()
    on_map = {f["id"]: f["properties"]["overdue_kind"] for f in features["features"]
              if f["properties"]["overdue"]}
    assert on_map == want

    listed = staff_client.get("/api/hazards?overdue=true&limit=1000").get_json()
    assert listed["total"] == len(want)
    assert {h["id"]: h["overdue_kind"] for h in listed["hazards"]} == want
    not_overdue = staff_client.get("/api/hazards?overdue=false&limit=1").get_json()
    assert not_overdue["total"] + len(want) == len(features["features"])

    page = staff_client.get("/hazards?overdue=true").get_data(as_text=True)
    flagged = {int(i) for i in re.findall(r'<tr data-id="(\d+)" class="table-danger hz-overdue"',
                                          page)}
    assert flagged <= set(want) and flagged  # the first page of the list

    dashboard = staff_client.get("/dashboard").get_data(as_text=True)
    total_row = re.search(r'<tr data-grid="total"[^>]*>(.*?)</tr>', dashboard, re.S)
    assert total_row is not None
    cell = re.search(r'data-col="overdue">(\d+)<', total_row.group(1))
    assert cell is not None and int(cell.group(1)) == len(want)

    requests = staff_client.get("/open311/v2/requests.json?status=open").get_json()
    words = {"resolve": "办结逾期", "revisit": "回访逾期"}
    for item in requests:
        ident = int(item["service_request_id"])
        notes = item["status_notes"]
        if ident in want:
            assert words[want[ident]] in notes, item
        else:
            assert "逾期" not in notes, item

    exported = staff_client.get("/api/hazards?format=csv&lang=zh").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    column = next(c for c in rows[0] if c == "逾期")
    assert {int(r["编号"]) for r in rows if r[column] == "是"} == set(want)


def test_the_rule_in_python() -> None:
    due = datetime(2026, 8, 1, tzinfo=UTC)
    later = due + timedelta(days=1)
    resolved_at = due - timedelta(days=30)
    revisit_due = lifecycle.revisit_due_at(resolved_at, "medium")
    assert revisit_due == resolved_at + timedelta(days=lifecycle.REVISIT_DAYS[Severity.MEDIUM])
    assert lifecycle.overdue_kind("in_progress", due, None, later) == "resolve"
    assert lifecycle.overdue_kind("resolved", due, revisit_due, later) == "revisit"
    assert lifecycle.overdue_kind("resolved", due, None, later) is None  # never resolved
    assert lifecycle.overdue_kind("revisited", due, revisit_due, later) is None
    assert lifecycle.overdue_kind("closed", due, revisit_due, later) is None
    assert lifecycle.overdue_kind("reported", due, None, due - timedelta(seconds=1)) is None


def po_messages(path: Path) -> dict[str, str]:
    return dict(re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"', path.read_text("utf-8"), re.M))


def test_one_word_for_each_kind() -> None:
    zh = po_messages(CATALOGUES["zh_CN"])
    en = po_messages(CATALOGUES["en"])
    assert not [k for k, v in zh.items() if "超期" in v]  # 逾期 is the one word
    assert zh["overdue_resolve"] == "办结逾期" and zh["overdue_revisit"] == "回访逾期"
    assert en["overdue_resolve"] == "Resolve overdue"
    assert en["overdue_revisit"] == "Revisit overdue"
    layers = (PROJECT_ROOT / "layers" / "hazards.toml").read_text("utf-8")
    assert "超期" not in layers
