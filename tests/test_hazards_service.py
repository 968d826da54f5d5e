"""The hazard service against a real PostGIS: the loop, history, idempotency, duplicates,
report-broken, overdue, filters and exports."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
import shapely
from pyproj import Geod
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from geo_service.hazards import service
from geo_service.hazards.errors import InvalidInput, KeyReused, NotFound, TransitionRefused
from geo_service.hazards.inputs import (
    EventRequest,
    HazardFilter,
    parse_filters,
    parse_report,
)
from geo_service.hazards.store import overdue_sql

GEOD = Geod(ellps="WGS84")
ORIGIN = (106.8300, 27.5200)  # near the sample community, away from its sample hazards


def offset(point: tuple[float, float], metres: float, azimuth: float = 90.0
           ) -> tuple[float, float]:
    """The point ``metres`` from ``point`` towards ``azimuth`` (geodesic)."""
    lon, lat, _ = GEOD.fwd(point[0], point[1], azimuth, metres)
    return lon, lat


def report(point: tuple[float, float] = ORIGIN, *, actor: str | None = None,  # noqa: ANN201
           **fields: object):
    """A checked report at ``point`` by ``actor`` (who acts is never a field)."""
    data: dict[str, object] = {"lon": point[0], "lat": point[1], "category": "fire_risk",
                               "description": "楼道堆放杂物"} | fields
    return parse_report(data, actor=actor)


def create(engine: Engine, rep, **kwargs: object) -> service.CreateResult:  # noqa: ANN001
    with engine.begin() as conn:
        return service.create_hazard(conn, rep, **kwargs)


def act(engine: Engine, hazard_id: int, action: str, **fields: object) -> dict:
    with engine.begin() as conn:
        return service.apply_event(conn, hazard_id, EventRequest(action=action, **fields))


def count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


# -- the loop -----------------------------------------------------------------------------------
def test_whole_loop_with_history(engine: Engine) -> None:
    created = create(engine, report(actor="楼栋长王芳"))
    assert created.outcome == "created"
    hazard_id = created.hazard["id"]
    steps = [("assign", {"assignee": "金燕", "actor": "网格员"}, "assigned"),
             ("start", {"actor": "金燕"}, "in_progress"),
             ("resolve", {"actor": "金燕", "note": "已清理"}, "resolved"),
             ("revisit", {"actor": "金燕", "satisfaction": 2}, "revisited"),
             ("reopen", {"actor": "金燕", "note": "回访不满意"}, "in_progress"),
             ("resolve", {"actor": "金燕"}, "resolved"),
             ("revisit", {"actor": "金燕", "satisfaction": 5}, "revisited"),
             ("close", {"actor": "金燕"}, "closed"),
             ("reopen", {"status": "assigned", "assignee": "李志"}, "assigned")]
    for action, fields, status in steps:
        result = act(engine, hazard_id, action, **fields)
        assert result["hazard"]["status"] == status
        assert result["event"]["action"] == action and result["event"]["to_status"] == status
    with engine.connect() as conn:
        hazard = service.get_hazard(conn, hazard_id)
    assert [e["action"] for e in hazard["events"]] == ["report"] + [s[0] for s in steps]
    assert [e["to_status"] for e in hazard["events"]] == ["reported"] + [s[2] for s in steps]
    # from_status of each event is the previous event's to_status
    events = hazard["events"]
    assert all(a["to_status"] == b["from_status"] for a, b in zip(events, events[1:], strict=False))
    assert hazard["assignee"] == "李志"
    assert [e["satisfaction"] for e in events if e["action"] == "revisit"] == [2, 5]
    assert hazard["satisfaction"] == 5


def test_refused_transition_changes_nothing(engine: Engine) -> None:
    hazard_id = create(engine, report()).hazard["id"]
    for action, fields in (("start", {}), ("resolve", {}), ("close", {}),
                           ("revisit", {"satisfaction": 3}), ("reopen", {})):
        with pytest.raises(TransitionRefused) as refused:
            act(engine, hazard_id, action, **fields)
        assert refused.value.allowed == ["assign", "escalate", "invalid", "not_ours",
                                         "duplicate"]
    with pytest.raises(InvalidInput) as missing:  # assign without a name
        act(engine, hazard_id, "assign")
    assert missing.value.field == "assignee"
    assert count(engine, "SELECT count(*) FROM hazard_events WHERE hazard_id = :i",
                 i=hazard_id) == 1
    assert count(engine, "SELECT count(*) FROM hazards WHERE status = 'reported'") == 1
    with pytest.raises(NotFound):
        act(engine, 999_999, "start")


def test_escalation_chain_with_reasons(engine: Engine) -> None:
    hazard_id = create(engine, report()).hazard["id"]
    act(engine, hazard_id, "assign", assignee="楼栋长")
    reasons = ["楼栋无法协调", "需要社区出面", "需街道协调多部门"]
    for reason in reasons:
        act(engine, hazard_id, "escalate", reason=reason, actor="x")
    with pytest.raises(TransitionRefused):
        act(engine, hazard_id, "escalate", reason="no higher")
    with engine.connect() as conn:
        hazard = service.get_hazard(conn, hazard_id)
    escalations = [e for e in hazard["events"] if e["action"] == "escalate"]
    assert [(e["from_level"], e["to_level"]) for e in escalations] == [
        ("building", "grid"), ("grid", "community"), ("community", "subdistrict")]
    assert [e["extra"]["reason"] for e in escalations] == reasons
    assert [e["note"] for e in escalations] == reasons
    assert all(e["from_status"] == e["to_status"] == "assigned" for e in escalations)
    assert hazard["level"] == "subdistrict"
    with pytest.raises(InvalidInput) as no_reason:
        act(engine, create(engine, report(offset(ORIGIN, 500))).hazard["id"], "escalate")
    assert no_reason.value.field == "reason"


def test_history_is_append_only(engine: Engine) -> None:
    hazard_id = create(engine, report()).hazard["id"]
    with engine.connect() as conn:
        before = conn.execute(text("SELECT id, at, action, to_status, note FROM hazard_events "
                                   "ORDER BY id")).all()
    act(engine, hazard_id, "assign", assignee="a")
    act(engine, hazard_id, "assign", assignee="b")  # re-assign appends, never rewrites
    act(engine, hazard_id, "start")
    with engine.connect() as conn:
        after = conn.execute(text("SELECT id, at, action, to_status, note FROM hazard_events "
                                  "ORDER BY id")).all()
        xmins = conn.execute(text("SELECT id, xmin::text FROM hazard_events ORDER BY id")).all()
    assert after[:len(before)] == before and len(after) == len(before) + 3
    for statement in ("UPDATE hazard_events SET note = 'x'", "DELETE FROM hazard_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:  # no row version changed either
        assert conn.execute(text("SELECT id, xmin::text FROM hazard_events ORDER BY id")
                            ).all() == xmins


def test_concurrent_events_are_serialised(engine: Engine) -> None:
    hazard_id = create(engine, report()).hazard["id"]
    act(engine, hazard_id, "assign", assignee="a")
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def start() -> None:
        barrier.wait()
        try:
            act(engine, hazard_id, "start")
            outcomes.append("ok")
        except TransitionRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 7
    assert count(engine, "SELECT count(*) FROM hazard_events WHERE action = 'start'") == 1


# -- idempotency and duplicates -------------------------------------------------------------------
def test_same_key_twice_stores_once(engine: Engine) -> None:
    first = create(engine, report(idempotency_key="phone-42"))
    again = create(engine, report(idempotency_key="phone-42"))
    with pytest.raises(KeyReused):  # the same key with another body is refused
        create(engine, report(offset(ORIGIN, 300), idempotency_key="phone-42",
                              category="parking"))
    assert (first.outcome, again.outcome) == ("created", "replayed")
    assert again.hazard["id"] == first.hazard["id"]
    assert again.hazard["category"] == "fire_risk"
    assert count(engine, "SELECT count(*) FROM hazards") == 1
    assert count(engine, "SELECT count(*) FROM hazard_events") == 1


@pytest.mark.parametrize("categories", [["fire_risk"], ["fire_risk", "parking"]])
def test_twenty_concurrent_posts_same_key(engine: Engine, categories: list[str]) -> None:
    barrier = threading.Barrier(20)
    results: list[service.CreateResult] = []
    failures: list[BaseException] = []

    def post(i: int) -> None:
        rep = report(idempotency_key="flaky-phone", category=categories[i % len(categories)])
        barrier.wait()
        try:
            results.append(create(engine, rep))
        except BaseException as error:  # noqa: BLE001
            failures.append(error)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the posts with the winner's body replay it; those with another body are refused
    assert all(isinstance(f, KeyReused) for f in failures)
    assert len(failures) == (0 if len(categories) == 1 else 10)
    assert sorted(r.outcome for r in results) == ["created"] + ["replayed"] * (
        19 - len(failures))
    assert len({r.hazard["id"] for r in results}) == 1
    assert count(engine, "SELECT count(*) FROM hazards") == 1
    assert count(engine, "SELECT count(*) FROM hazard_events") == 1


def test_concurrent_reports_of_one_spot_store_one(engine: Engine) -> None:
    """Ten phones report the same thing at once (no shared key): one stored, nine duplicates."""
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def post(i: int) -> None:
        rep = report(offset(ORIGIN, i), idempotency_key=f"phone-{i}")
        barrier.wait()
        outcomes.append(create(engine, rep).outcome)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created"] + ["duplicate"] * 9
    assert count(engine, "SELECT count(*) FROM hazards") == 1


def test_duplicate_within_25m_needs_confirmation(engine: Engine) -> None:
    first = create(engine, report()).hazard
    near = offset(ORIGIN, 20, 30)
    dup = create(engine, report(near))
    assert dup.outcome == "duplicate" and dup.hazard is None
    assert [d["id"] for d in dup.duplicates] == [first["id"]]
    assert 19 < dup.duplicates[0]["distance_m"] < 21
    assert count(engine, "SELECT count(*) FROM hazards") == 1
    confirmed = create(engine, report(near, confirm_duplicate="true"))
    assert confirmed.outcome == "created"
    far = create(engine, report(offset(ORIGIN, 40, 200)))
    assert far.outcome == "created"
    other_category = create(engine, report(near, category="parking"))
    assert other_category.outcome == "created"
    assert count(engine, "SELECT count(*) FROM hazards") == 4


def test_closed_hazards_are_not_duplicates(engine: Engine) -> None:
    hazard_id = create(engine, report()).hazard["id"]
    for action, fields in (("assign", {"assignee": "a"}), ("start", {}), ("resolve", {}),
                           ("revisit", {"satisfaction": 4}), ("close", {})):
        act(engine, hazard_id, action, **fields)
    assert create(engine, report(offset(ORIGIN, 5))).outcome == "created"


def test_duplicate_check_for_lines_and_areas(engine: Engine) -> None:
    a, b = ORIGIN, offset(ORIGIN, 80)
    line = {"type": "LineString", "coordinates": [list(a), list(b)]}
    stored = create(engine, report(geometry=line, category="dim_lighting")).hazard
    assert stored["geometry"]["type"] == "LineString"
    mid_beside = offset(offset(ORIGIN, 40), 15, 0)  # 15 m north of the alley's middle
    dup = create(engine, report(mid_beside, category="dim_lighting"))
    assert dup.outcome == "duplicate"
    ring = [list(offset(ORIGIN, 300)), list(offset(offset(ORIGIN, 300), 30, 0)),
            list(offset(offset(ORIGIN, 330), 30, 0)), list(offset(ORIGIN, 330)),
            list(offset(ORIGIN, 300))]
    area = create(engine, report(geometry={"type": "Polygon", "coordinates": [ring]},
                                 category="dirty_alley")).hazard
    assert area["geometry"]["type"] == "Polygon"


# -- where a hazard is -----------------------------------------------------------------------------
def test_grid_and_building_are_set(sample_db: str, engine: Engine) -> None:
    with engine.connect() as conn:
        building = conn.execute(text(
            "SELECT b.id, g.number, ST_X(ST_PointOnSurface(b.geom)) AS x, "
            "ST_Y(ST_PointOnSurface(b.geom)) AS y FROM buildings b "
            "JOIN grids g ON ST_Contains(g.geom, ST_PointOnSurface(b.geom)) "
            "ORDER BY b.id LIMIT 1")).first()
        lonely = conn.execute(text("""
            SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (
              SELECT ST_PointOnSurface(g.geom) AS p FROM grids g) q
            WHERE NOT EXISTS (SELECT 1 FROM buildings b
                              WHERE ST_DWithin(b.geom::geography, q.p::geography, 15))
            LIMIT 1""")).first()
    inside = create(engine, report((building.x, building.y), category="peeling_wall")).hazard
    assert inside["building_id"] == building.id and inside["grid_number"] == building.number
    assert lonely is not None
    alone = create(engine, report((lonely.x, lonely.y), category="peeling_wall")).hazard
    assert alone["building_id"] is None and alone["grid_number"] is not None
    with engine.connect() as conn:
        nearest = conn.execute(text(
            "SELECT b.id FROM buildings b ORDER BY b.geom::geography <-> "
            "ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography LIMIT 1"),
            {"x": lonely.x, "y": lonely.y}).scalar()
        gap = conn.execute(text(
            "SELECT ST_Distance(b.geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)"
            "::geography) FROM buildings b WHERE b.id = :id"),
            {"x": lonely.x, "y": lonely.y, "id": nearest}).scalar()
        edge = conn.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_ClosestPoint(b.geom, "
            "ST_SetSRID(ST_MakePoint(:x, :y), 4326)) AS p FROM buildings b WHERE b.id = :id) q"),
            {"x": lonely.x, "y": lonely.y, "id": nearest}).first()
    assert gap > 15
    # 6 m outside the nearest building's wall, towards the lonely point: that building
    _, azimuth, _ = GEOD.inv(edge[0], edge[1], lonely.x, lonely.y)
    _, back, _ = GEOD.inv(lonely.x, lonely.y, edge[0], edge[1])
    near = offset((edge[0], edge[1]), 6, azimuth)
    close = create(engine, report(near, category="leaking_drain")).hazard
    assert close["building_id"] == nearest
    assert back is not None


def test_private_fields_only_on_request(engine: Engine) -> None:
    hazard_id = create(engine, report(reporter_name="张三", reporter_contact="13900000000",
                                      actor="张三")).hazard["id"]
    with engine.connect() as conn:
        public = service.get_hazard(conn, hazard_id)
        private = service.get_hazard(conn, hazard_id, private=True)
        listed = service.list_hazards(conn).items
    assert "reporter_contact" not in public and "reporter_name" not in public
    assert "13900000000" not in repr(public) and "张三" not in repr(public)
    assert "13900000000" not in repr(listed) and "张三" not in repr(listed)
    assert private["reporter_name"] == "张三"
    assert private["reporter_contact"] == "13900000000"
    assert private["events"][0]["actor"] == "张三"


# -- report broken -----------------------------------------------------------------------------
def asset_status(engine: Engine, table: str, asset_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT status FROM {table} WHERE id = :i"),
                            {"i": asset_id}).scalar_one()


def test_report_broken_light_until_resolved(sample_db: str, engine: Engine) -> None:
    with engine.connect() as conn:
        light = conn.execute(text("SELECT id, ST_X(geom) AS x, ST_Y(geom) AS y FROM lights "
                                  "WHERE status = 'working' ORDER BY id LIMIT 1")).first()
    created = create(engine, parse_report({"light_id": light.id}))
    hazard = created.hazard
    assert created.outcome == "created"
    assert hazard["category"] == "broken_light" and hazard["light_id"] == light.id
    assert hazard["geometry"]["coordinates"] == pytest.approx([light.x, light.y])
    assert asset_status(engine, "lights", light.id) == "broken"
    act(engine, hazard["id"], "assign", assignee="电工")
    act(engine, hazard["id"], "start")
    assert asset_status(engine, "lights", light.id) == "broken"
    act(engine, hazard["id"], "resolve")
    assert asset_status(engine, "lights", light.id) == "working"
    act(engine, hazard["id"], "reopen")
    assert asset_status(engine, "lights", light.id) == "broken"
    act(engine, hazard["id"], "resolve")
    act(engine, hazard["id"], "revisit", satisfaction=5)
    act(engine, hazard["id"], "close")
    assert asset_status(engine, "lights", light.id) == "working"


def test_report_broken_camera_and_shared_asset(sample_db: str, engine: Engine) -> None:
    with engine.connect() as conn:
        camera = conn.execute(text("SELECT id, ST_X(geom) AS x, ST_Y(geom) AS y FROM cameras "
                                   "WHERE status = 'working' ORDER BY id LIMIT 1")).first()
    first = create(engine, parse_report({"camera_id": camera.id})).hazard
    assert first["category"] == "broken_camera"
    assert asset_status(engine, "cameras", camera.id) == "broken"
    # a second report of the same camera (confirmed) keeps it broken after the first is fixed
    second = create(engine, parse_report({"camera_id": camera.id, "confirm_duplicate": True,
                                          "description": "又坏了"})).hazard
    for hazard_id in (first["id"], second["id"]):
        act(engine, hazard_id, "assign", assignee="a")
        act(engine, hazard_id, "start")
    act(engine, first["id"], "resolve")
    assert asset_status(engine, "cameras", camera.id) == "broken"
    act(engine, second["id"], "resolve")
    assert asset_status(engine, "cameras", camera.id) == "working"


def test_report_broken_unknown_asset(engine: Engine) -> None:
    with pytest.raises(InvalidInput) as unknown:
        create(engine, parse_report({"light_id": 12345}))
    assert unknown.value.field == "light_id"
    assert count(engine, "SELECT count(*) FROM hazards") == 0


# -- overdue, lists and exports ---------------------------------------------------------------
def test_overdue_flag(engine: Engine) -> None:
    now = datetime.now(UTC)
    old = create(engine, report(severity="urgent"), now=now - timedelta(days=2)).hazard
    fresh = create(engine, report(offset(ORIGIN, 100), severity="urgent")).hazard
    slow = create(engine, report(offset(ORIGIN, 200), severity="low"),
                  now=now - timedelta(days=14)).hazard
    with engine.connect() as conn:
        assert service.get_hazard(conn, old["id"])["overdue"] is True
        assert service.get_hazard(conn, fresh["id"])["overdue"] is False
        assert service.get_hazard(conn, slow["id"])["overdue"] is False
        assert service.get_hazard(conn, slow["id"], now=now + timedelta(days=2))["overdue"]
        overdue = service.list_hazards(conn, HazardFilter(overdue=True)).items
        on_time = service.list_hazards(conn, HazardFilter(overdue=False)).items
    assert [h["id"] for h in overdue] == [old["id"]]
    assert {h["id"] for h in on_time} == {fresh["id"], slow["id"]}
    for action, fields in (("assign", {"assignee": "a"}), ("start", {}), ("resolve", {}),
                           ("revisit", {"satisfaction": 4}), ("close", {})):
        act(engine, old["id"], action, **fields)
    with engine.connect() as conn:
        assert service.get_hazard(conn, old["id"])["overdue"] is False


FILTER_CASES = [
    ({}, "TRUE"),
    ({"status": "open"}, "h.status <> 'closed'"),
    ({"status": "closed,resolved"}, "h.status IN ('closed', 'resolved')"),
    ({"category": "dim_lighting"}, "h.category = 'dim_lighting'"),
    ({"level": "community,subdistrict"}, "h.level IN ('community', 'subdistrict')"),
    ({"grid": "1,2,3,4"}, "g.number IN (1, 2, 3, 4)"),
    ({"overdue": "true"}, overdue_sql("h", "now()")),  # the one definition
    ({"overdue": "false", "status": "open"},
     f"h.status <> 'closed' AND NOT {overdue_sql('h', 'now()')}"),
    ({"date_from": "2026-07-01", "date_to": "2026-07-31"},
     "h.reported_at >= '2026-07-01T00:00:00+08:00' "
     "AND h.reported_at < '2026-08-01T00:00:00+08:00'"),
    ({"bbox": "106.826,27.519,106.831,27.524"},
     "ST_Intersects(h.geom, ST_MakeEnvelope(106.826, 27.519, 106.831, 27.524, 4326))"),
    ({"grid": "2", "category": "parking,dispute", "status": "open"},
     "g.number = 2 AND h.category IN ('parking', 'dispute') AND h.status <> 'closed'"),
]


@pytest.fixture()
def listed(sample_db: str, engine: Engine) -> Engine:
    """The sample (whose open hazards are all past due by now) plus two fresh reports."""
    create(engine, report(severity="low", category="dispute"))
    create(engine, report(offset(ORIGIN, 100), severity="urgent", category="parking"))
    return engine


def expected_ids(engine: Engine, condition: str) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(text(
            f"SELECT h.id FROM hazards h LEFT JOIN grids g ON g.id = h.grid_id WHERE {condition}"
        )).scalars())


def test_filters_and_exports_hold_exactly_the_filtered_set(listed: Engine) -> None:
    sizes = []
    for args, condition in FILTER_CASES:
        expected = expected_ids(listed, condition)
        sizes.append(len(expected))
        filters = parse_filters(args)
        with listed.connect() as conn:
            page = service.list_hazards(conn, filters, limit=1000)
            small = service.list_hazards(conn, filters, limit=3, offset=1)
            rows = list(csv.reader(io.StringIO(
                service.export_csv(conn, filters).decode("utf-8-sig"))))
            collection = service.export_geojson(conn, filters)
        assert {h["id"] for h in page.items} == expected, args
        assert page.total == len(expected), args
        assert small.total == len(expected), args
        assert len(small.items) == min(3, max(len(expected) - 1, 0)), args
        assert {int(r[0]) for r in rows[1:]} == expected, args
        assert len(rows) == len(expected) + 1, args
        assert {f["id"] for f in collection["features"]} == expected, args
        assert len(collection["features"]) == len(expected), args
    # every filter keeps some hazards and drops others, so none of the checks is vacuous
    assert sizes[0] == 54
    assert all(0 < n < sizes[0] for n in sizes[1:]), sizes


def test_csv_is_excel_friendly(engine: Engine) -> None:
    create(engine, report(description="=HYPERLINK(\"http://x\") 电线乱拉", severity="high"))
    with engine.connect() as conn:
        body = service.export_csv(conn)
        english = service.export_csv(conn, lang="en")
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "类别", "严重程度"]
    assert rows[1][1:3] == ["消防隐患", "严重"]
    assert rows[1][7].startswith("'=HYPERLINK")  # a formula stays text
    assert shapely.from_wkt(rows[1][-1]).geom_type == "Point"
    assert english.decode("utf-8-sig").splitlines()[0].startswith("id,category,severity")
