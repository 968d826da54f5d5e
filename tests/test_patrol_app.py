"""The installable patrol app (/patrol): who may open it, its manifest and service worker, and,
in Debian's Chromium, that it draws its grids and streets after an offline reload and that
reports queued offline are stored exactly once when the network is back (twice sent, once
stored: the idempotency key); and that a shift's GPS track, recorded with watchPosition through
a reload, is uploaded once when the network is back.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from flask import Flask
from helpers.accounts import make_user, sign_in_browser
from sqlalchemy import text

from geo_service.web import patrol_app

CONFIG = re.compile(r'<script type="application/json" id="pa-config">(.*?)</script>', re.S)


def page_config(html: str) -> dict:
    """The JSON configuration the page hands its script."""
    return json.loads(CONFIG.search(html).group(1))


def test_page_is_for_patrol_members_and_staff(sample_db: str, login_as, client) -> None:  # noqa: ANN001
    assert login_as("patrol", grids=[1]).get("/patrol").status_code == 200
    assert login_as("community_admin").get("/patrol").status_code == 200
    assert login_as("resident").get("/patrol").status_code == 403
    answer = client.get("/patrol")
    assert answer.status_code in (302, 303, 401)
    if answer.status_code != 401:
        assert answer.headers["Location"].startswith("/login")


def test_page_names_the_members_grid_layers(sample_db: str, login_as, app: Flask) -> None:  # noqa: ANN001
    member = login_as("patrol", grids=[1])
    html = member.get("/patrol").get_data(as_text=True)
    config = page_config(html)
    assert config["grids"] == [1]
    assert set(config["data"]) == set(patrol_app.LAYERS)
    with app.config["ENGINE"].connect() as conn:
        box = conn.execute(text("SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), "
                                "ST_YMax(geom) FROM grids WHERE number = 1")).one()
    assert config["bbox"] == pytest.approx(list(box), abs=1e-5)
    grids = member.get(config["data"]["grids"]).get_json()
    streets = member.get(config["data"]["streets"]).get_json()
    assert 1 in [f["properties"].get("number") for f in grids["features"]]
    assert len(streets["features"]) > 0
    assert 'rel="manifest"' in html


def test_manifest_and_worker_use_only_files_the_app_serves(client) -> None:  # noqa: ANN001
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json(force=True)
    assert body["start_url"] == "/patrol" and body["display"] == "standalone"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200, icon["src"]
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    source = worker.get_data(as_text=True)
    config = json.loads(source.split("\n", 1)[0].removeprefix("self.PATROL_SW = ").rstrip(";"))
    assert "http" not in json.dumps(config)  # nothing from elsewhere
    for url in [*config["workbox"].values(), *config["shell"]]:
        assert client.get(url).status_code == 200, url
    assert "workbox.setConfig" in source and "importScripts" in source


# -- in the browser --------------------------------------------------------------------------
READY = "() => document.documentElement.dataset.patrolState === 'ready'"
CONTROLLED = ("() => navigator.serviceWorker.controller !== null"
              " && document.documentElement.dataset.offlineReady === 'yes'")
COUNTS = """() => { const d = document.getElementById('pa-map').dataset;
    return {grids: +d.grids, streets: +d.streets, buildings: +d.buildings, routes: +d.routes,
            paths: document.querySelectorAll('#pa-map path.leaflet-interactive').length}; }"""


class Hits:
    """WSGI wrapper counting the requests that reach the app (none may while offline)."""

    def __init__(self, wsgi) -> None:  # noqa: ANN001
        self.wsgi, self.paths = wsgi, []

    def __call__(self, environ, start_response):  # noqa: ANN001, ANN204
        self.paths.append(environ.get("PATH_INFO", ""))
        return self.wsgi(environ, start_response)


def waiting(n: int) -> str:
    """A predicate: the page says ``n`` reports wait."""
    return f"() => document.getElementById('pa-waiting').dataset.waiting === '{n}'"


def queue_report(page, x: float, y: float, category: str, description: str) -> None:  # noqa: ANN001
    """Tap the map at (x, y) of its box, fill the form and queue the report."""
    box = page.locator("#pa-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
    page.select_option("#pa-category", category)
    page.fill("#pa-description", description)
    page.click("#pa-queue-add")


def count_reports(app: Flask, description: str) -> int:
    with app.config["ENGINE"].connect() as conn:
        return conn.execute(text("SELECT count(*) FROM hazards WHERE description = :d"),
                            {"d": description}).scalar_one()


@pytest.mark.browser
def test_offline_reload_draws_and_queued_reports_are_stored_once(
        sample_db: str, app: Flask, live_server: str, browser, login_as) -> None:  # noqa: ANN001
    planned = login_as("patrol").post("/api/routes", json={"grids": [1], "teams": 1})
    assert planned.status_code == 201, planned.get_data(as_text=True)[:300]
    member = make_user(app, "patrol", grids=[1])
    context = browser.new_context(locale="zh-CN")
    outside: list[str] = []
    context.on("request", lambda r: outside.append(r.url)
               if not r.url.startswith((live_server, "data:", "blob:")) else None)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in_browser(page, live_server, member)
        outside.clear()  # the landing page's basemap tiles: not the patrol app's
        page.goto(f"{live_server}/patrol")
        page.wait_for_function(READY, timeout=30_000)
        page.wait_for_function(CONTROLLED, timeout=30_000)
        online = page.evaluate(COUNTS)
        assert online["grids"] >= 1 and online["streets"] > 0 and online["routes"] > 0, online

        hits = Hits(app.wsgi_app)
        app.wsgi_app = hits
        context.set_offline(True)
        page.reload()
        page.wait_for_function(READY, timeout=30_000)
        offline = page.evaluate(COUNTS)
        assert offline == online
        assert offline["paths"] >= offline["grids"] + offline["streets"]

        first, second = f"离线上报一 {uuid.uuid4().hex[:6]}", f"离线上报二 {uuid.uuid4().hex[:6]}"
        queue_report(page, 0.35, 0.35, "dirty_alley", first)
        page.wait_for_function(waiting(1))
        queue_report(page, 0.65, 0.6, "leaking_drain", second)
        page.wait_for_function(waiting(2))
        page.click("#pa-sync")  # offline: nothing leaves, both keep waiting
        page.wait_for_function("() => Number(document.documentElement.dataset.syncs || 0) >= 1")
        assert page.locator("#pa-waiting").get_attribute("data-waiting") == "2"
        assert hits.paths == [], hits.paths  # everything came from the phone
        assert count_reports(app, first) == count_reports(app, second) == 0

        context.set_offline(False)  # the 'online' event sends the queue
        page.wait_for_function("() => { const d = document.getElementById('pa-waiting')"
                               ".dataset; return d.waiting === '0' && d.sent === '2'; }",
                               timeout=30_000)
        assert count_reports(app, first) == 1 and count_reports(app, second) == 1

        syncs = int(page.evaluate("() => document.documentElement.dataset.syncs"))
        page.evaluate("() => patrolQueue.markAllWaiting()")  # replay the whole queue
        page.click("#pa-sync")
        page.wait_for_function(f"() => Number(document.documentElement.dataset.syncs) > {syncs}")
        page.wait_for_function("() => document.getElementById('pa-waiting').dataset.sent === '2'")
        assert count_reports(app, first) == 1 and count_reports(app, second) == 1
        assert page.locator("#pa-queue-list li[data-state=sent]").count() == 2
        assert errors == [] and outside == []
    finally:
        context.close()


def street_walk(app: Flask, fixes: int) -> list[tuple[float, float]]:
    """``fixes`` points (lat, lon) along the longest street of grid 1, start to end."""
    with app.config["ENGINE"].connect() as conn:
        return [tuple(row) for row in conn.execute(text(
            "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_LineInterpolatePoint(line, f) AS p, f FROM"
            " (SELECT ST_GeometryN(ST_LineMerge(s.geom), 1) AS line FROM streets s, grids g"
            "  WHERE g.number = 1 AND ST_Intersects(s.geom, g.geom)"
            "  ORDER BY ST_Length(s.geom::geography) DESC LIMIT 1) l,"
            " generate_series(0, :n - 1) i, LATERAL (SELECT i::float / (:n - 1) AS f) x) y"
            " ORDER BY f"), {"n": fixes})]


def walk_to(page, context, lat: float, lon: float, points: int) -> None:  # noqa: ANN001
    """Move the emulated phone and wait until the page has kept ``points`` fixes."""
    context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 5})
    page.wait_for_function(
        f"() => document.getElementById('pa-track').dataset.points === '{points}'",
        timeout=20_000)


@pytest.mark.browser
def test_track_survives_a_reload_and_is_uploaded_once(
        sample_db: str, app: Flask, live_server: str, browser) -> None:  # noqa: ANN001
    with app.config["ENGINE"].connect() as conn:  # a track is recorded for a roster member
        name = conn.execute(text("SELECT name FROM patrol_members ORDER BY id LIMIT 1")
                            ).scalar_one()
    member = make_user(app, "patrol", grids=[1], display_name=name)
    walk = street_walk(app, 6)
    context = browser.new_context(locale="zh-CN", permissions=["geolocation"],
                                  geolocation={"latitude": walk[0][0],
                                               "longitude": walk[0][1]})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in_browser(page, live_server, member)
        page.goto(f"{live_server}/patrol")
        page.wait_for_function(READY, timeout=30_000)
        page.wait_for_function(CONTROLLED, timeout=30_000)
        page.click("#pa-track-toggle")
        page.wait_for_function("() => document.getElementById('pa-track').dataset.points"
                               " === '1'", timeout=20_000)
        for n, (lat, lon) in enumerate(walk[1:3], start=2):
            walk_to(page, context, lat, lon, n)
        shift = page.evaluate("() => patrolTrack.active().id")

        page.reload()  # mid-shift: the fixes stay, the recording goes on
        page.wait_for_function(READY, timeout=30_000)
        assert page.locator("#pa-track").get_attribute("data-recording") == "yes"
        # the 3 fixes kept, and the position where the page came back
        page.wait_for_function("() => document.getElementById('pa-track').dataset.points"
                               " === '4'", timeout=20_000)
        for n, (lat, lon) in enumerate(walk[3:], start=5):
            walk_to(page, context, lat, lon, n)

        context.set_offline(True)
        page.click("#pa-track-toggle")  # end of shift: the track waits
        page.wait_for_function(waiting(1))
        context.set_offline(False)
        page.wait_for_function("() => document.getElementById('pa-waiting').dataset.sent"
                               " === '1'", timeout=30_000)
        source = f"shift-{shift}.gpx"
        with app.config["ENGINE"].connect() as conn:
            stored = conn.execute(text("SELECT count(*), max(point_count), max(walked_m) "
                                       "FROM patrol_tracks WHERE source_file = :f"),
                                  {"f": source}).one()
        assert stored[0] == 1 and stored[1] == 7 and stored[2] > 0, stored
        page.click("#pa-sync")  # nothing waits: nothing is sent again
        page.wait_for_function("() => /./.test(document.getElementById('pa-sync-status')"
                               ".textContent)")
        with app.config["ENGINE"].connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM patrol_tracks WHERE source_file = :f"),
                                {"f": source}).scalar_one() == 1
        assert errors == []
    finally:
        context.close()
