"""The hazard pages: ``/hazards/new``, ``/hazards/<id>`` and ``/hazards``.

The list, the reporter and the actions are for signed-in staff (``staff_client``, a community
admin; who else may see them is tested in ``test_role_matrix`` and ``test_privacy``); the report
form is for everyone, with the CSRF token of the form it sent.

Server side: the list's filters give exactly the rows SQL finds on the sample, its export links
carry the same filters and export exactly that set; the loop's forms offer only allowed actions
and show refusals; the report form works without JavaScript (idempotency key, duplicates, a
streetlight's "report broken"); whatever users typed is shown literally. In headless Chromium on a
phone-sized screen: report by tapping the map, a resend after a dropped answer stores one hazard,
a report within 25 m of an open one of its category brings up the duplicate prompt, assigning
grows the timeline, English with ``?lang=en``; nothing is loaded from outside.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import struct
import zlib
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers.accounts import make_user, sign_in
from markupsafe import escape
from sqlalchemy import Engine, text

from geo_service.config import Settings
from geo_service.db.engine import engine_for
from geo_service.hazards import lifecycle
from geo_service.hazards.store import overdue_sql

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
XSS_NAME = '"><img src=x onerror=alert(2)>王<b>五</b>'
ORIGIN = (106.8300, 27.5200)
FILTER_KEYS = {"grid", "category", "status", "level", "severity", "date_from", "date_to",
               "overdue"}


@pytest.fixture()
def app(db_url: str, tmp_path: Path) -> Flask:
    """The app without basemap tiles (the one outside service), uploads in a temp folder."""
    from geo_service.web.app import create_app

    settings = Settings(database_url=db_url, basemap="none", data_dir=tmp_path)
    application = create_app(settings, engine=engine_for(db_url))
    application.config["TESTING"] = True
    return application


# -- helpers -------------------------------------------------------------------------------------
def ids_on(page_html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', page_html)]


def overdue_on(page_html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr data-id="(\d+)" class="table-danger hz-overdue"',
                                       page_html)}


def list_all_pages(client: FlaskClient, query: str) -> tuple[list[int], set[int], str]:
    """Every id the list shows for ``query`` (following its pages), the overdue ones, page 1."""
    first = client.get(f"/hazards?{query}")
    assert first.status_code == 200, first.get_data(as_text=True)[:500]
    body = first.get_data(as_text=True)
    ids, overdue = ids_on(body), overdue_on(body)
    total = int(re.search(r'data-total="(\d+)"', body).group(1))
    page = body
    while 'id="page-next"' in page:
        href = html.unescape(re.search(r'id="page-next" href="([^"]+)"', page).group(1))
        page = client.get(href).get_data(as_text=True)
        ids += ids_on(page)
        overdue |= overdue_on(page)
    assert len(ids) == total == len(set(ids))
    return ids, overdue, body


def sql_ids(engine: Engine, where: str, **params: object) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text(
            f"SELECT h.id FROM hazards h LEFT JOIN grids g ON g.id = h.grid_id WHERE {where} "
            "ORDER BY h.reported_at DESC, h.id DESC"), params).scalars())


def export_href(page_html: str, fmt: str) -> str:
    return html.unescape(re.search(rf'id="export-{fmt}" href="([^"]+)"', page_html).group(1))


def csv_ids(body: bytes) -> set[int]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    return {int(r[0]) for r in rows[1:]}


def report(client: FlaskClient, **fields: object) -> dict:
    data = {"lon": ORIGIN[0], "lat": ORIGIN[1], "category": "dirty_alley",
            "severity": "medium", "description": "背街小巷垃圾堆积"} | fields
    answer = client.post("/api/hazards", json=data)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def png(width: int = 8, height: int = 8) -> bytes:
    """A small, real PNG image."""
    raw = b"".join(b"\x00" + bytes((40 * x) % 256 for x in range(3 * width))
                   for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def forms_on(page_html: str) -> list[str]:
    return re.findall(r'<form method="post" action="/hazards/\d+/events" id="form-(\w+)"',
                      page_html)


# -- the list and its exports ---------------------------------------------------------------------
def test_list_filters_and_exports_match_the_database(staff_client: FlaskClient, sample_db: str,
                                                     engine: Engine) -> None:
    client = staff_client  # the list is a staff page
    with engine.connect() as conn:
        busy_grid = conn.execute(text(
            "SELECT g.number FROM hazards h JOIN grids g ON g.id = h.grid_id "
            "GROUP BY g.number ORDER BY count(*) DESC, g.number LIMIT 1")).scalar_one()
    not_closed = "h.status <> 'closed'"
    overdue = overdue_sql("h", "now()")  # the one definition (its own test: overdue_one_truth)
    cases = [
        ("", "true", {}),
        (f"grid={busy_grid}", "g.number = :grid", {"grid": busy_grid}),
        ("category=parking", "h.category = 'parking'", {}),
        ("status=open", not_closed, {}),
        ("status=closed&level=grid", "h.status = 'closed' AND h.level = 'grid'", {}),
        ("date_from=2026-07-01&date_to=2026-08-15",
         "h.reported_at >= '2026-07-01T00:00+08:00' AND h.reported_at < '2026-08-16T00:00+08:00'",
         {}),
        ("overdue=true", overdue, {}),
        ("overdue=false", f"NOT ({overdue})", {}),
        (f"grid={busy_grid}&status=open&severity=&category=&overdue=",
         f"g.number = :grid AND {not_closed}", {"grid": busy_grid}),
    ]
    all_overdue = set(sql_ids(engine, overdue))
    assert all_overdue, "the sample has overdue hazards (its dates are in 2026)"
    for query, where, params in cases:
        expected = sql_ids(engine, where, **params)
        assert expected, query
        shown, flagged, body = list_all_pages(client, query)
        assert shown == expected, query  # exactly these rows, newest first
        assert flagged == set(expected) & all_overdue, query
        wanted = {(k, v) for k, v in parse_qsl(query) if v}
        for fmt in ("csv", "geojson"):
            href = export_href(body, fmt)
            assert urlsplit(href).path == "/api/hazards"
            carried = parse_qsl(urlsplit(href).query)
            assert {(k, v) for k, v in carried if k in FILTER_KEYS} == wanted, (query, href)
            assert ("format", fmt) in carried
            answer = client.get(href)
            assert answer.status_code == 200
            got = (csv_ids(answer.data) if fmt == "csv"
                   else {f["id"] for f in json.loads(answer.data)["features"]})
            assert got == set(expected), (query, fmt)

    # a broken filter is a message, not a crash; the form remembers what was chosen
    bad = client.get("/hazards?grid=abc")
    assert bad.status_code == 422 and 'id="hz-error"' in bad.get_data(as_text=True)
    chosen = client.get("/hazards?status=open&category=parking").get_data(as_text=True)
    assert '<option value="open" selected>' in chosen
    assert '<option value="parking" selected>停车难</option>' in chosen
    english = client.get("/hazards?lang=en&category=parking").get_data(as_text=True)
    assert "Export CSV" in english and "parking" in english and "lang=en" in export_href(
        english, "csv")


# -- what users typed ----------------------------------------------------------------------------
def test_user_text_is_shown_literally(app: Flask, client: FlaskClient) -> None:
    hazard = report(client, description=XSS, reporter_name=XSS_NAME, reporter_contact=XSS)
    client = app.test_client()  # staff see the reporter, the assignee and the actors
    sign_in(client, make_user(app, "community_admin", display_name=XSS))  # the actor's name
    client.post(f"/api/hazards/{hazard['id']}/events",
                json={"action": "assign", "assignee": XSS_NAME, "actor": "ignored", "note": XSS})
    for url in (f"/hazards/{hazard['id']}", "/hazards", "/hazards?lang=en"):
        answer = client.get(url)
        body = answer.get_data(as_text=True)
        assert answer.status_code == 200
        assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
        assert XSS not in body and XSS_NAME not in body and "<img src=x" not in body
        assert str(escape(XSS)) in body, url
        assert str(escape(XSS_NAME)) in body, url  # reporter (list) / assignee, reporter
    detail = client.get(f"/hazards/{hazard['id']}").get_data(as_text=True)
    assert detail.count(str(escape(XSS))) >= 4  # description, contact, actor, note
    # the map's configuration is JSON in a non-executed script element, with < escaped
    config = re.search(r'<script type="application/json" id="hz-config">(.*?)</script>',
                       detail, re.S).group(1)
    assert "<" not in config


# -- the loop on the hazard's page ---------------------------------------------------------------
def test_actions_follow_the_lifecycle(staff_client: FlaskClient, engine: Engine) -> None:
    client = staff_client  # actions are for staff in scope (a community admin: everywhere)
    hazard = report(client)
    url = f"/hazards/{hazard['id']}"
    page = client.get(url).get_data(as_text=True)
    assert forms_on(page) == ["assign", "escalate", "invalid", "not_ours", "duplicate"]
    assert re.search(r'<details open data-action="assign">', page)
    assert "已上报" in page and "背街小巷垃圾堆积" in page

    refused = client.post(f"{url}/events", data={"action": "start"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "未执行：当前状态为“已上报”，不能执行“开始处理”" in body
    missing = client.post(f"{url}/events", data={"action": "assign", "assignee": ""})
    assert missing.status_code == 422 and "缺少必填项：assignee" in missing.get_data(as_text=True)
    assert "is-invalid" in missing.get_data(as_text=True)

    steps = [
        {"action": "assign", "assignee": "金燕", "actor": "网格长"},
        {"action": "escalate", "level": "community", "reason": "涉及多栋楼，需社区协调"},
        {"action": "start", "note": "已到现场"},
        {"action": "resolve"},
        {"action": "revisit", "satisfaction": "4"},
        {"action": "close"},
        {"action": "reopen", "status": "assigned", "assignee": "李强"},
    ]
    for number, step in enumerate(steps, start=2):
        sent = client.post(f"{url}/events", data=step)
        assert sent.status_code == 303, sent.get_data(as_text=True)[:300]
        assert sent.headers["Location"].endswith(f"done={step['action']}#timeline")
        page = client.get(sent.headers["Location"]).get_data(as_text=True)
        with engine.connect() as conn:
            status, level = conn.execute(text("SELECT status, level FROM hazards WHERE id = :i"),
                                         {"i": hazard["id"]}).one()
        shown = forms_on(page)
        assert sorted(shown) == sorted(lifecycle.allowed_actions(status, level)), step
        assert shown[0] == {"assigned": "start", "in_progress": "resolve", "resolved": "revisit",
                            "revisited": "close", "closed": "reopen"}[status], step
        assert page.count('<li class="hz-ev-') == number
        assert 'id="hz-notice"' in page
    assert "涉及多栋楼，需社区协调" in page and "4 / 5" in page and "社区" in page
    assert "楼栋 → 社区" in page and "已办结 → 已分派" in page

    english = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert "Timeline" in english and "escalate" in english and "community" in english
    assert client.get("/hazards/999999").status_code == 404
    cross = client.post(f"{url}/events", data={"action": "start"},
                        headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403


# -- the report form without JavaScript ---------------------------------------------------------
def test_report_form_without_javascript(client: FlaskClient, engine: Engine) -> None:
    with engine.begin() as conn:
        light = conn.execute(text(
            "INSERT INTO lights (source_id, status, geom) VALUES "
            "('L-test-1', 'working', ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"),
            {"x": ORIGIN[0] + 0.001, "y": ORIGIN[1]}).scalar_one()
    form = client.get("/hazards/new").get_data(as_text=True)
    assert "上报隐患" in form and 'name="lat"' in form and 'accept="image/*"' in form
    assert "仅工作人员可见" in form and "停车难" in form
    key = re.search(r'name="idempotency_key" id="hz-key" value="([0-9a-f-]{36})"', form).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post("/hazards/new", data={"category": "parking"}).status_code == 403

    asset = client.get(f"/hazards/new?light={light}").get_data(as_text=True)
    assert "报告路灯 L-test-1 损坏" in asset
    assert f'name="light_id" value="{light}"' in asset
    assert '<option value="broken_light" selected>' in asset
    assert client.get("/hazards/new?camera=987654").status_code == 200

    fields = {"lat": str(ORIGIN[1]), "lon": str(ORIGIN[0]), "category": "fire_risk",
              "severity": "high", "description": "楼道堆放杂物", "reporter_name": "张三",
              "idempotency_key": key, "csrf_token": csrf}
    first = client.post("/hazards/new", data=fields)
    assert first.status_code == 303
    hazard_id = int(first.headers["Location"].rsplit("/", 1)[1])
    again = client.post("/hazards/new", data=fields)  # the same form sent twice
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hazards")).scalar_one() == 1

    near = fields | {"idempotency_key": "second-form", "lat": str(ORIGIN[1] + 0.0001)}
    prompt = client.post("/hazards/new", data=near)
    body = prompt.get_data(as_text=True)
    assert prompt.status_code == 409
    assert f'<a href="/hazards/{hazard_id}">' in body and 'id="hz-anyway"' in body
    assert 'value="楼道堆放杂物"' not in body and "楼道堆放杂物</textarea>" in body  # kept
    anyway = client.post("/hazards/new", data=near | {"confirm_duplicate": "true"})
    assert anyway.status_code == 303

    broken = client.post("/hazards/new", data={"light_id": str(light), "idempotency_key": "k3",
                                               "category": "broken_light", "csrf_token": csrf})
    assert broken.status_code == 303
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM lights WHERE id = :i"),
                            {"i": light}).scalar_one() == "broken"

    nowhere = client.post("/hazards/new", data={"category": "parking", "idempotency_key": "k4",
                                                "csrf_token": csrf})
    assert nowhere.status_code == 422
    assert "请提供位置" in nowhere.get_data(as_text=True)
    english = client.get("/hazards/new?lang=en").get_data(as_text=True)
    assert "Report a hazard" in english and "only staff see this" in english


# -- in the browser --------------------------------------------------------------------------------
def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM hazards")).scalar_one()


def test_report_on_a_phone_in_chromium(sample_db: str, live_server: str, engine: Engine,
                                       tmp_path: Path, staff_page) -> None:  # noqa: ANN001
    page = staff_page  # signed in as staff: the reporter and the actions show
    problems: list[str] = []
    dialogs: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_viewport_size({"width": 390, "height": 844})
    before = count(engine)

    # a flaky phone: the first post reaches the server, but its answer never comes back
    keys: list[str | None] = []

    def drop_first_answer(route) -> None:  # noqa: ANN001
        if route.request.method != "POST":
            route.fallback()
            return
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.fallback()

    page.route(lambda url: urlsplit(url).path == "/api/hazards", drop_first_answer)
    page.goto(f"{live_server}/hazards/new")
    page.wait_for_selector("#hz-form[data-ready]")
    page.wait_for_selector("#hz-map[data-grids='26']")  # the grids on the blank background
    assert page.locator("#hz-map .leaflet-tile").count() == 0
    box = page.locator("#hz-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.55)
    lat, lon = float(page.input_value("#hz-lat")), float(page.input_value("#hz-lon"))
    assert 27.5 < lat < 27.54 and 106.8 < lon < 106.85
    assert page.locator(".hz-pin").count() == 1
    page.select_option("#hz-category", "other")
    page.select_option("#hz-severity", "high")
    page.fill("#hz-description", XSS)
    page.fill("#hz-reporter-name", XSS_NAME)
    page.fill("#hz-reporter-contact", "139-0000-0000")
    page.set_input_files("#hz-photo", files=[{"name": "wall.png", "mimeType": "image/png",
                                              "buffer": png()}])
    page.screenshot(path="/tmp/report.png", full_page=True)

    page.click("#hz-submit")
    page.wait_for_selector("#hz-status .alert-warning")  # "the network dropped: send again"
    assert count(engine) == before + 1  # stored, though the phone does not know
    with page.expect_navigation(url=re.compile(r"/hazards/\d+$")):
        page.click("#hz-submit")
    assert len(keys) == 2 and keys[0] == keys[1] and re.fullmatch(r"[0-9a-f-]{36}", keys[0])
    assert count(engine) == before + 1  # the resend was a replay
    hazard_id = int(page.url.rsplit("/", 1)[1])
    with engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT category, severity, description, reporter_name, idempotency_key, "
            "ST_Y(geom) AS lat, ST_X(geom) AS lon FROM hazards WHERE id = :i"),
            {"i": hazard_id}).one()
    assert (stored.category, stored.severity, stored.description, stored.reporter_name,
            stored.idempotency_key) == ("other", "high", XSS, XSS_NAME, keys[0])
    assert abs(stored.lat - lat) < 1e-6 and abs(stored.lon - lon) < 1e-6
    assert len(list(Path(tmp_path, "uploads").iterdir())) == 1  # the replay kept no copy

    # the hazard's page: typed text shown as text, nothing run
    page.wait_for_selector("#hz-map[data-ready]")
    assert page.inner_text("#hz-description") == XSS
    assert page.inner_text("#hz-reporter-name") == XSS_NAME
    assert page.locator("img[src='x'], #hz-facts script, #hz-reporter b").count() == 0
    assert page.locator("#hz-timeline li").count() == 1
    assert page.locator("#hz-map .hz-pin").count() == 1
    page.wait_for_function("() => document.getElementById('hz-photo').naturalWidth === 8")

    # assign: the timeline grows
    page.fill("#assignee-assign", "金燕")
    actor = page.inner_text("#actor-assign")  # who acts: the signed-in user, not typed
    assert actor and page.locator("#form-assign input[name=actor]").count() == 0
    with page.expect_navigation():
        page.click("#form-assign button[type=submit]")
    assert page.locator("#hz-timeline li").count() == 2
    assert page.inner_text("#hz-status-badge") == "已分派"
    assert page.inner_text("#hz-assignee") == "金燕"
    assert actor in page.inner_text("#hz-timeline li:last-child")
    page.screenshot(path="/tmp/hazard.png", full_page=True)

    # the list shows the typed text literally too
    page.goto(f"{live_server}/hazards?category=other")
    row = page.locator(f"tr[data-id='{hazard_id}']")
    assert XSS in row.inner_text() and XSS_NAME in row.inner_text()
    assert page.locator("img[src='x']").count() == 0

    # a second report within 25 m, same category: the duplicate prompt, then "report anyway"
    page.unroute(lambda url: urlsplit(url).path == "/api/hazards")
    page.goto(f"{live_server}/hazards/new")
    page.wait_for_selector("#hz-form[data-ready]")
    page.fill("#hz-lat", f"{lat + 0.0001:.7f}")
    page.fill("#hz-lon", f"{lon:.7f}")
    page.press("#hz-lon", "Tab")
    page.select_option("#hz-category", "other")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#hz-submit")
    assert answer.value.status == 409
    page.wait_for_selector("#hz-duplicates:not(.d-none)")
    link = page.locator(f"#hz-duplicate-list a[href='/hazards/{hazard_id}']")
    assert link.count() == 1 and f"#{hazard_id}" in link.inner_text()
    assert XSS in page.inner_text("#hz-duplicate-list")
    assert count(engine) == before + 1
    with page.expect_navigation(url=re.compile(r"/hazards/\d+$")):
        page.click("#hz-anyway")
    assert count(engine) == before + 2 and int(page.url.rsplit("/", 1)[1]) != hazard_id

    # a whole dark alley: a line drawn by tapping along it, and "use my location"
    page.goto(f"{live_server}/hazards/new?lang=en")
    page.wait_for_selector("#hz-form[data-ready]")
    assert page.inner_text("h1") == "Report a hazard"
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation({"latitude": 27.52, "longitude": 106.83})
    page.click("#hz-locate")
    page.wait_for_function("() => document.getElementById('hz-lat').value !== ''")
    assert float(page.input_value("#hz-lat")) == pytest.approx(27.52)
    page.click("[data-mode=line]")
    box = page.locator("#hz-map").bounding_box()
    for fx, fy in ((0.2, 0.3), (0.4, 0.32), (0.6, 0.3)):
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    page.click("#hz-finish")
    line = json.loads(page.input_value("#hz-geometry"))
    assert line["type"] == "LineString" and len(line["coordinates"]) == 3
    page.select_option("#hz-category", "dim_lighting")
    with page.expect_navigation(url=re.compile(r"/hazards/\d+$")):
        page.click("#hz-submit")
    assert page.inner_text("h1").startswith("Hazard #")
    assert "Timeline" in page.inner_text("#timeline")
    assert page.locator("#hz-map path.leaflet-interactive").count() == 1
    with engine.connect() as conn:
        kind = conn.execute(text("SELECT GeometryType(geom) FROM hazards WHERE id = :i"),
                            {"i": int(page.url.rsplit("/", 1)[1])}).scalar_one()
    assert kind == "LINESTRING"

    # "report broken" from a streetlight's popup: the light's spot and category, prefilled
    with engine.connect() as conn:
        light, ref = conn.execute(text("SELECT id, source_id FROM lights "
                                       "WHERE status = 'working' ORDER BY id LIMIT 1")).one()
    page.goto(f"{live_server}/hazards/new?light={light}")
    page.wait_for_selector("#hz-form[data-ready]")
    assert ref in page.inner_text("#hz-asset")
    assert page.input_value("#hz-category") == "broken_light"
    assert page.locator(".hz-pin").count() == 1 and page.input_value("#hz-lat")
    with page.expect_navigation(url=re.compile(r"/hazards/\d+$")):
        page.click("#hz-submit")
    assert ref in page.inner_text("#hz-facts")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM lights WHERE id = :i"),
                            {"i": light}).scalar_one() == "broken"

    # the browser logs the dropped answer and the 409 it was meant to get; nothing else
    expected = {"Failed to load resource: net::ERR_CONNECTION_RESET",
                "Failed to load resource: the server responded with a status of 409 (CONFLICT)"}
    assert dialogs == [] and sorted(problems) == sorted(expected), problems
    assert page.outside_requests == []
