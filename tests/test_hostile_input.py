"""Hostile input, tried and refused.

* XSS in every text field of every write endpoint is stored verbatim, comes back verbatim in
  JSON and escaped (as text, never as markup) in the hazard page and the list;
* SQL injection in bbox, limit, offset and every filter answers 4xx and changes nothing;
* path traversal in the photo route, /vendor/ and /static/ is refused;
* oversized and wrong-type photos are refused (413 / 422) and leave nothing behind;
* malformed GeoJSON (unclosed rings, NaN, nested garbage, a million coordinates) is refused.

(CSRF probes belong to the accounts tests.)
"""

from __future__ import annotations

import http.client
import json
import random
import re
import struct
import time
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers.accounts import make_user, sign_in
from markupsafe import escape
from sqlalchemy import Engine, text

from geo_service.config import Settings
from geo_service.db.engine import engine_for
from geo_service.web import vendor
from geo_service.web.app import create_app

POINT = {"lat": 27.5200, "lon": 106.8300}
PHOTO_LIMIT = 4000
XSS = [
    "<script>alert('{f}')</script>",
    "\"><img src=x onerror=alert('{f}')>",
    "</script><svg/onload=alert('{f}')>{{{{7*7}}}}",
    "javascript:alert('{f}')//<a href=\"javascript:alert(1)\">x</a>",
    "'';!--\"<XSS>=&{{()}} {f} <!-- <iframe src=//evil>",
]
SQLI = [
    "1; DROP TABLE hazards; --",
    "' OR '1'='1",
    "1 OR 1=1",
    "1) UNION SELECT id, reporter_contact FROM hazards --",
    "'; SELECT pg_sleep(3); --",
    "106.8,27.5,106.9,27.6); DELETE FROM hazards; --",
    "$$; TRUNCATE hazards; $$",
    "1e999",
    "\x00",
]


@pytest.fixture()
def app(db_url: str, tmp_path: Path) -> Flask:
    """The app with uploads in a temporary folder and a small photo limit."""
    settings = Settings(database_url=db_url, data_dir=tmp_path,
                        extra={"max_photo_bytes": str(PHOTO_LIMIT)})
    application = create_app(settings, engine=engine_for(db_url))
    application.config["TESTING"] = True
    return application


def counts(engine: Engine) -> dict[str, int]:
    """Rows in every table."""
    with engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' ORDER BY table_name")).scalars().all()
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                for t in tables}


def png(width: int = 2, height: int = 2, noise: bool = False) -> bytes:
    rng = random.Random(3)
    raw = b"".join(b"\x00" + bytes(rng.randrange(256) if noise else 90
                                   for _ in range(3 * width)) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def csrf_from(client: FlaskClient, path: str) -> str:
    """The CSRF token of a page's form (the public gets one with its session too)."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return found.group(1) if found else ""


# -- XSS -------------------------------------------------------------------------------------------
def test_xss_in_every_text_field(app: Flask, staff_client: FlaskClient, engine: Engine) -> None:
    public = app.test_client()
    for number, template in enumerate(XSS):
        def x(field: str, template: str = template) -> str:
            return template.format(f=field)

        point = {"lat": 27.5200 + number * 0.001, "lon": 106.8300}
        # the JSON API: every field of a report
        report = point | {"category": "dirty_alley", "description": x("description"),
                          "reporter_name": x("name")[:100], "reporter_contact": x("contact")[:100],
                          "actor": x("actor")[:100], "confirm_duplicate": True}
        created = public.post("/api/hazards", json=report)
        assert created.status_code == 201, created.get_data(as_text=True)
        hazard = created.get_json()
        assert hazard["description"] == x("description")
        ident = hazard["id"]
        # the loop: assignee, note, reason; the actor is the signed-in user (here with a
        # hostile display name), never the body's "actor"
        acting, paging = app.test_client(), app.test_client()
        sign_in(acting, make_user(app, "community_admin", display_name=x("actor1")[:100]))
        sign_in(paging, make_user(app, "community_admin", display_name=x("pageactor")[:100]))
        steps = [{"action": "assign", "assignee": x("assignee")[:100], "note": x("note"),
                  "actor": x("fake1")[:100]},
                 {"action": "escalate", "reason": x("reason"), "actor": x("fake2")[:100]}]
        for step in steps:
            moved = acting.post(f"/api/hazards/{ident}/events", json=step)
            assert moved.status_code == 201, moved.get_data(as_text=True)
            event = moved.get_json()["event"]
            assert event["actor"] == x("actor1")[:100]
            assert (event["note"] or "") in (step.get("note", ""), step.get("reason", ""))
        # the hazard page's action forms
        acted = paging.post(f"/hazards/{ident}/events", data={
            "action": "start", "note": x("pagenote"), "actor": x("fake3")[:100]})
        assert acted.status_code == 303, acted.get_data(as_text=True)[:300]
        # Open311: description, address, names, email, phone; media_url must be http(s)
        o311 = {"service_code": "fire_risk", "lat": str(point["lat"] + 0.0004),
                "long": str(point["lon"]), "description": x("o311"),
                "address_string": x("address"), "first_name": x("first")[:45],
                "last_name": x("last")[:45], "email": x("email")[:48], "phone": x("phone")[:48],
                "confirm_duplicate": "true"}
        made = public.post("/open311/v2/requests.json", data=o311)
        assert made.status_code == 201, made.get_data(as_text=True)
        rid = made.get_json()[0]["service_request_id"]
        bad_media = public.post("/open311/v2/requests.json",
                                data=o311 | {"media_url": "javascript:alert(1)"})
        assert bad_media.status_code == 400
        got = public.get(f"/open311/v2/requests/{rid}.json").get_json()[0]
        assert got["description"] == x("o311") and got["address"] == x("address")
        # the page form (no JavaScript), from a browser with its session and CSRF token
        browser = app.test_client()
        token = csrf_from(browser, "/hazards/new")
        form = {"lat": str(point["lat"] + 0.0008), "lon": str(point["lon"]),
                "category": "parking", "description": x("form"), "reporter_name": x("fn")[:100],
                "reporter_contact": x("fc")[:100], "csrf_token": token,
                "confirm_duplicate": "true"}
        posted = browser.post("/hazards/new", data=form)
        assert posted.status_code == 303, posted.get_data(as_text=True)[:500]
        form_id = int(posted.headers["Location"].rsplit("/", 1)[1].split("?")[0])

        # stored verbatim
        with engine.connect() as conn:
            row = conn.execute(text("SELECT description, reporter_name, reporter_contact "
                                    "FROM hazards WHERE id = :id"), {"id": ident}).one()
            assert tuple(row) == (x("description"), x("name")[:100], x("contact")[:100])
            notes = conn.execute(text("SELECT actor, note, extra FROM hazard_events WHERE "
                                      "hazard_id = :id ORDER BY id"), {"id": ident}).all()
            assert [n.actor for n in notes] == ["public", x("actor1")[:100],
                                                x("actor1")[:100], x("pageactor")[:100]]
            assert notes[3].note == x("pagenote")
            assert notes[1].note == x("note") and notes[1].extra["assignee"] == x("assignee")[:100]
            assert notes[2].extra["reason"] == x("reason")
            o311_row = conn.execute(text("SELECT description, reporter_name, reporter_contact "
                                         "FROM hazards WHERE id = :id"), {"id": int(rid)}).one()
            assert o311_row.description == x("o311")
            assert o311_row.reporter_name == f"{x('first')[:45]} {x('last')[:45]}"
            form_row = conn.execute(text("SELECT description FROM hazards WHERE id = :id"),
                                    {"id": form_id}).scalar_one()
            assert form_row == x("form")
        # verbatim in JSON (staff see every field)
        full = staff_client.get(f"/api/hazards/{ident}").get_json()
        assert full["description"] == x("description")
        assert full["assignee"] == x("assignee")[:100]
        assert [e["note"] for e in full["events"]][1] == x("note")
        # escaped in the pages, for staff (who see the private fields) and the public
        shown = {"description": x("description"), "assignee": x("assignee")[:100],
                 "note": x("note"), "reason": x("reason"), "actor1": x("actor1")[:100],
                 "pagenote": x("pagenote"), "pageactor": x("pageactor")[:100],
                 "name": x("name")[:100], "contact": x("contact")[:100]}
        for reader in (staff_client, public):
            for url in (f"/hazards/{ident}", f"/hazards/{ident}?lang=en"):
                page = reader.get(url)
                if page.status_code != 200:
                    assert reader is public and page.status_code in (302, 303, 401, 403)
                    continue
                html = page.get_data(as_text=True)
                for field, value in shown.items():
                    assert value not in html, (field, url)
                    if reader is staff_client:
                        assert str(escape(value)) in html, (field, url)
        for url in ("/hazards", "/hazards?lang=en", f"/hazards?id={ident},{form_id}"):
            page = staff_client.get(url)
            assert page.status_code == 200
            html = page.get_data(as_text=True)
            for value in (x("description"), x("form"), x("assignee")[:100], x("fn")[:100]):
                assert value not in html
            assert str(escape(x("form"))) in html


def test_xss_is_only_text_in_chromium(sample_db: str, app: Flask, live_server: str,
                                      staff_page) -> None:  # noqa: ANN001
    """In a real browser the stored payloads are text nodes: no element, no dialog."""
    client = app.test_client()
    payload = "\"><img src=x id=pwn onerror=\"window.__xss=1\"><script>window.__xss=2</script>"
    made = client.post("/api/hazards", json=POINT | {"category": "fire_risk",
                                                     "description": payload,
                                                     "confirm_duplicate": True})
    assert made.status_code == 201
    ident = made.get_json()["id"]
    dialogs: list[str] = []
    staff_page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for url in (f"/hazards/{ident}", "/hazards"):
        staff_page.goto(live_server + url)
        staff_page.wait_for_load_state("load")
        assert staff_page.evaluate("window.__xss === undefined")
        assert staff_page.locator("#pwn").count() == 0
        assert staff_page.get_by_text(payload, exact=False).count() >= 1
    staff_page.goto(f"{live_server}/hazards/{ident}")
    assert staff_page.text_content("#hz-description").strip() == payload
    assert not dialogs
    # only the basemap's tiles were asked for outside (and refused by the fixture)
    assert all(u.startswith("https://tile.openstreetmap.org/")
               for u in staff_page.outside_requests)


# -- SQL injection ---------------------------------------------------------------------------------
def sqli_requests() -> list[str]:
    """GET paths with an injection in one parameter each."""
    paths: list[str] = []
    for payload in SQLI:
        q = quote(payload, safe="")
        for name in ("bbox", "grid", "category", "status", "level", "severity", "date_from",
                     "date_to", "overdue", "id", "limit", "offset", "format"):
            paths.append(f"/api/hazards?{name}={q}")
        for name in ("grid", "category", "status", "date_from", "date_to", "bbox"):
            paths.append(f"/hazards?{name}={q}")
            paths.append(f"/dashboard?{name}={q}")
        for name in ("bbox", "limit", "offset"):
            paths.append(f"/api/collections/hazards/items?{name}={q}")
            paths.append(f"/api/collections/gaps/items?{name}={q}")
        for name in ("service_request_id", "service_code", "status", "start_date", "end_date"):
            paths.append(f"/open311/v2/requests.json?{name}={q}")
        paths += [f"/api/collections/{q}", f"/api/collections/{q}/items",
                  f"/api/collections/hazards/items/{q}", f"/api/hazards/{q}",
                  f"/api/hazards/{q}/photo", f"/open311/v2/requests/{q}.json",
                  f"/map?grid={q}", f"/api/plan/gaps?grid={q}",
                  f"/api/plan/gaps?kind={q}"]
    return paths


def test_sql_injection_is_refused_and_changes_nothing(sample_db: str, staff_client: FlaskClient,
                                                      client: FlaskClient,
                                                      engine: Engine) -> None:
    staff_client.post("/api/hazards", json=POINT | {"category": "other"})
    before = counts(engine)
    assert before["hazards"] > 0 and before["grids"] > 0
    slow = []
    for path in sqli_requests():
        for reader in (staff_client, client):
            started = time.monotonic()
            got = reader.get(path)
            if time.monotonic() - started > 2.5:
                slow.append(path)
            if reader is client and got.status_code in (302, 303, 401, 403):
                continue  # a staff page: the public is sent to sign in first
            assert 400 <= got.status_code < 500, (path, got.status_code,
                                                  got.get_data(as_text=True)[:200])
            assert "syntax error" not in got.get_data(as_text=True)
    assert not slow, slow  # pg_sleep never ran
    # and in the bodies of writes
    for payload in SQLI:
        for body in ({"category": payload} | POINT, {"lat": payload, "lon": 106.83,
                                                     "category": "other"},
                     {"light_id": payload}, {"geometry": payload, "category": "other"},
                     {"severity": payload} | POINT | {"category": "other"}):
            got = client.post("/api/hazards", json=body)
            assert 400 <= got.status_code < 500, (body, got.status_code)
        got = client.post("/open311/v2/requests.json", data={
            "service_code": payload, "lat": "27.52", "long": "106.83"})
        assert got.status_code == 400
        got = staff_client.post("/api/hazards/1/events", json={"action": payload})
        assert 400 <= got.status_code < 500
    assert counts(engine) == before


# -- path traversal --------------------------------------------------------------------------------
def test_path_traversal_in_photo_route(app: Flask, client: FlaskClient, engine: Engine) -> None:
    for ident in ("..%2f..%2f..%2fetc%2fpasswd", "../../etc/passwd", "1%00.png",
                  "%2e%2e%2f%2e%2e%2fpg%2fcluster.json", "..\\..\\windows\\win.ini", "1/../../2"):
        got = client.get(f"/api/hazards/{ident}/photo")
        assert got.status_code in (404, 405, 308), (ident, got.status_code)
        assert b"root:" not in got.data and b"password" not in got.data
    made = client.post("/api/hazards", json=POINT | {"category": "other"})
    ident = made.get_json()["id"]
    secret = Path(app.config["SETTINGS"].data_dir) / "secret.txt"
    secret.write_text("top secret")
    for name in ("../../../../../../etc/passwd", "../secret.txt", "/etc/passwd",
                 "..%2fsecret.txt", "0123456789abcdef0123456789abcdef.png/../../secret.txt"):
        with engine.begin() as conn:  # a tampered row must not lead out of uploads/
            conn.execute(text("UPDATE hazards SET photo = :p WHERE id = :id"),
                         {"p": name, "id": ident})
        got = client.get(f"/api/hazards/{ident}/photo")
        assert got.status_code == 404, name
        assert b"root:" not in got.data and b"top secret" not in got.data


def test_path_traversal_in_vendor_and_static(client: FlaskClient, live_server: str) -> None:
    leaflet = f"leaflet@{vendor.SOURCES['leaflet'].version}"
    local = f"local@{vendor.SOURCES['local'].version}"
    assert client.get(f"/vendor/{leaflet}/dist/leaflet.js").status_code == 200
    tries = [f"/vendor/{leaflet}/dist/../package.json",
             f"/vendor/{leaflet}/dist/../../../package.json",
             f"/vendor/{leaflet}/dist/..%2fpackage.json",
             f"/vendor/{leaflet}/dist/%2e%2e/package.json",
             f"/vendor/{leaflet}/dist/....//package.json",
             f"/vendor/{leaflet}/dist/..\\package.json",
             f"/vendor/{leaflet}/dist/%00/../package.json",
             f"/vendor/{leaflet}/../../etc/passwd",
             f"/vendor/{leaflet}//etc/passwd",
             f"/vendor/{local}/../app.py",
             f"/vendor/{local}/.%2e/app.py",
             "/vendor/..%2f..%2f..%2fetc%2fpasswd",
             "/vendor/folium@0/../../etc/passwd",
             "/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e/app.py",
             "/static//etc/passwd"]
    for path in tries:
        got = client.get(path)
        if got.status_code == 308:  # "//" merged: the redirect stays inside, then 404
            assert got.headers["Location"].split("//")[-1].count("..") == 0
            got = client.get(got.headers["Location"])
        assert got.status_code in (400, 404), (path, got.status_code)
        assert b'"name": "leaflet"' not in got.data and b"root:" not in got.data
        assert b"def create_app" not in got.data and b"import" not in got.data[:200]
    # the same, raw over HTTP (no client normalises the dots away)
    host, port = live_server.removeprefix("http://").split(":")
    for path in tries:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", path)
        answer = conn.getresponse()
        body = answer.read()
        conn.close()
        assert answer.status in (308, 400, 404), (path, answer.status)
        assert b'"name": "leaflet"' not in body and b"root:" not in body
        assert b"def create_app" not in body


# -- photos ----------------------------------------------------------------------------------------
def test_oversized_and_wrong_type_photos(app: Flask, client: FlaskClient, engine: Engine) -> None:
    uploads = Path(app.config["SETTINGS"].data_dir) / "uploads"
    before = counts(engine)
    fields = {"lat": "27.52", "lon": "106.83", "category": "other"}
    big = png(60, 60, noise=True)
    assert len(big) > PHOTO_LIMIT
    got = client.post("/api/hazards", data=fields | {"photo": (big_io(big), "big.png")},
                      content_type="multipart/form-data")
    assert got.status_code == 413 and got.get_json()["error"]["field"] == "photo"
    huge = b"\xff\xd8\xff" + b"\x00" * (6 * 2**20)  # over the whole body limit
    got = client.post("/api/hazards", data=fields | {"photo": (big_io(huge), "huge.jpg")},
                      content_type="multipart/form-data")
    assert got.status_code == 413 and got.is_json
    wrong = [(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,", "x.gif"),
             (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "x.svg"),
             (b"<html><script>alert(1)</script></html>", "photo.jpg"),
             (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "fake.png"),
             (b"\xff\xd8\xff\xe0" + b"not a jpeg" * 20, "fake.jpg"),
             (b"RIFF\x10\x00\x00\x00WEBPVP8 garbage", "fake.webp"),
             (b"MZ\x90\x00" + b"\x00" * 100, "setup.exe"),
             (b"", "empty.png")]
    for content, name in wrong:
        got = client.post("/api/hazards", data=fields | {"photo": (big_io(content), name)},
                          content_type="multipart/form-data")
        assert got.status_code == 422, (name, got.status_code)
        assert got.get_json()["error"]["field"] == "photo"
    # the form without JavaScript refuses the same way, as a page
    browser = app.test_client()
    token = csrf_from(browser, "/hazards/new")
    for content, name in ((big, "big.png"), (wrong[1][0], "x.svg"), (huge, "huge.jpg")):
        got = browser.post("/hazards/new", data=fields | {"csrf_token": token,
                                                         "photo": (big_io(content), name)},
                          content_type="multipart/form-data")
        assert got.status_code in (413, 422), (name, got.status_code)
        assert got.mimetype == "text/html" and 'id="hz-photo"' in got.get_data(as_text=True)
    assert counts(engine) == before
    assert not uploads.exists() or not any(uploads.iterdir())  # nothing left behind
    ok = client.post("/api/hazards", data=fields | {"photo": (big_io(png()), "ok.png")},
                     content_type="multipart/form-data")
    assert ok.status_code == 201 and ok.get_json()["has_photo"]


def big_io(content: bytes):  # noqa: ANN201
    import io

    return io.BytesIO(content)


# -- malformed GeoJSON -----------------------------------------------------------------------------
A, B, C, D = [106.830, 27.520], [106.831, 27.520], [106.831, 27.521], [106.830, 27.521]
MALFORMED = [
    ("unclosed ring", {"type": "Polygon", "coordinates": [[A, B, C, D]]}),
    ("unclosed ring, multi", {"type": "MultiPolygon", "coordinates": [[[A, B, C, D]]]}),
    ("unclosed hole", {"type": "Polygon", "coordinates": [
        [A, B, C, D, A], [[106.8302, 27.5202], [106.8304, 27.5202], [106.8304, 27.5204]]]}),
    ("ring of 3", {"type": "Polygon", "coordinates": [[A, B, A]]}),
    ("bow tie", {"type": "Polygon", "coordinates": [[A, C, B, D, A]]}),
    ("hole outside", {"type": "Polygon", "coordinates": [
        [A, B, C, D, A], [[106.84, 27.53], [106.841, 27.53], [106.841, 27.531], [106.84, 27.53]]]}),
    ("zero area", {"type": "Polygon", "coordinates": [[A, A, A, A]]}),
    ("NaN", '{"type": "Point", "coordinates": [NaN, 27.52]}'),
    ("Infinity", '{"type": "Point", "coordinates": [106.83, Infinity]}'),
    ("1e999", '{"type": "Point", "coordinates": [1e999, 27.52]}'),
    ("-0 lat NaN in ring", '{"type": "Polygon", "coordinates": [[[106.83, NaN], [106.831, 27.52],'
                           ' [106.831, 27.521], [106.83, NaN]]]}'),
    ("nested garbage", {"type": "Point", "coordinates": [[[[[[106.83, 27.52]]]]]]}),
    ("object coordinates", {"type": "LineString", "coordinates": {"0": A, "1": B}}),
    ("string coordinates", {"type": "Point", "coordinates": "106.83,27.52"}),
    ("null coordinates", {"type": "Point", "coordinates": None}),
    ("no type", {"coordinates": A}),
    ("lower-case type", {"type": "point", "coordinates": A}),
    ("geometry collection", {"type": "GeometryCollection", "geometries": [
        {"type": "Point", "coordinates": A}]}),
    ("feature collection", {"type": "FeatureCollection", "features": []}),
    ("feature without geometry", {"type": "Feature", "geometry": None, "properties": {}}),
    ("booleans", {"type": "Point", "coordinates": [True, False]}),
    ("four numbers", {"type": "Point", "coordinates": [106.83, 27.52, 1, 2]}),
    ("empty", {"type": "MultiPoint", "coordinates": []}),
    ("out of range", {"type": "LineString", "coordinates": [A, [190.0, 95.0]]}),
    ("deep text", "[" * 50_000 + "]" * 50_000),
    ("JSON in JSON garbage", '{"type": "Point", "coordinates": [106.83, 27.52]'),
    ("too many positions", {"type": "MultiPoint", "coordinates": [A] * 10_001}),
]


@pytest.mark.parametrize(("name", "geometry"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_geojson_is_refused(client: FlaskClient, engine: Engine, name: str,
                                      geometry: object) -> None:
    before = counts(engine)
    if isinstance(geometry, str) and ("NaN" in geometry or "Infinity" in geometry
                                      or "1e999" in geometry):
        raw = '{"category": "other", "geometry": ' + geometry + "}"
        got = client.post("/api/hazards", data=raw, content_type="application/json")
    else:
        got = client.post("/api/hazards", json={"category": "other", "geometry": geometry})
    assert 400 <= got.status_code < 500, (name, got.status_code, got.data[:200])
    assert got.get_json()["error"]["field"] in ("geometry", "body")
    # the same geometry as a form field (GeoJSON text)
    as_text = geometry if isinstance(geometry, str) else json.dumps(geometry)
    got = client.post("/api/hazards", data={"category": "other", "geometry": as_text})
    assert 400 <= got.status_code < 500, (name, got.status_code, got.data[:200])
    assert counts(engine) == before


def test_a_million_coordinates_and_deep_bodies(db_url: str, tmp_path: Path, client: FlaskClient,
                                               engine: Engine) -> None:
    before = counts(engine)
    million = json.dumps({"category": "other", "geometry": {
        "type": "MultiPoint", "coordinates": [A] * 1_000_000}})
    started = time.monotonic()
    got = client.post("/api/hazards", data=million, content_type="application/json")
    assert got.status_code == 413  # over the body limit: refused before it is parsed
    # with room for it (a large photo limit), the position count refuses it
    roomy = create_app(Settings(database_url=db_url, data_dir=tmp_path,
                                extra={"max_photo_bytes": str(64 * 2**20)}),
                       engine=engine_for(db_url))
    roomy.config["TESTING"] = True
    got = roomy.test_client().post("/api/hazards", data=million,
                                   content_type="application/json")
    assert got.status_code == 422 and got.get_json()["error"]["field"] == "geometry"
    assert time.monotonic() - started < 30
    deep = '{"category": "other", "geometry": ' + "[" * 200_000 + "]" * 200_000 + "}"
    got = client.post("/api/hazards", data=deep, content_type="application/json")
    assert got.status_code == 400 and got.get_json()["error"]["field"] == "body"
    for bad in (b"[1, 2", b'"just text"', b"null", b"[]", b'{"a": ' * 1000, b'"\xed\xa0\x80"',
                b"\xff\xfe{}"):
        got = client.post("/api/hazards", data=bad, content_type="application/json")
        assert got.status_code == 400, (bad[:20], got.status_code)
    got = client.post("/open311/v2/requests.json", data={"service_code": "other",
                                                         "lat": "NaN", "long": "106.83"})
    assert got.status_code == 400
    got = client.post("/open311/v2/requests.json", data={"service_code": "other",
                                                         "lat": "27.5", "long": "inf"})
    assert got.status_code == 400
    assert counts(engine) == before
