"""The map and hazard pages in headless Chromium, every request outside the app blocked and no
basemap: what tests/test_map_page.py and tests/test_hazard_pages.py leave open.

- Each sample layer, viewed at its minimum zoom or closer over a part of the community, draws
  exactly the features the database holds in the box fetched for that view (same ids, same
  number of SVG shapes), and every feature in the view itself is among them.
- No request fails (no response >= 400, no failed request, no console error) on any page here.
- A hazard reported by tapping the map on /hazards/new shows up on /map: one more marker, and
  its popup shows what was typed.
- The loop walked to closed with the hazard page's forms: each step lands in the timeline, and
  escalating moves the level badge to the next level.
- /map, /hazards, /dashboard and /hazards/new speak Chinese by default and English with
  ?lang=en.
- Descriptions ``<img src=x onerror=...>`` and ``<script>...</script>`` run nothing on the map,
  in the map popup, the list, the hazard page or the duplicate prompt.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from helpers.accounts import make_user, sign_in, sign_in_browser
from sqlalchemy import Engine, text

from geo_service.config import Settings
from geo_service.db.engine import engine_for

READY = "document.documentElement.dataset.mapState === 'ready'"
LAYERS = ("grids", "buildings", "streets", "lights", "cameras", "hazards")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
IMG_XSS = "<img src=x onerror=window.__xss=1>"
SCRIPT_XSS = "<script>window.__xss=1</script>"
ORIGIN = (106.8300, 27.5200)  # inside the map's default view (the sample community)


@pytest.fixture()
def app(db_url: str, tmp_path: Path) -> Flask:
    """The app with a blank basemap (the tiles are the one outside service), uploads in tmp."""
    from geo_service.web.app import create_app

    settings = Settings(database_url=db_url, basemap="none", data_dir=tmp_path)
    application = create_app(settings, engine=engine_for(db_url))
    application.config["TESTING"] = True
    return application


# -- helpers -------------------------------------------------------------------------------------
def as_staff(app: Flask, page, base: str) -> None:  # noqa: ANN001
    """Sign the browser in as a community admin (the lists, the dashboard and the loop's
    actions are for signed-in staff)."""
    sign_in_browser(page, base, make_user(app, "community_admin"))


def signed_in_client(app: Flask):  # noqa: ANN201
    """A test client signed in as a community admin."""
    client = app.test_client()
    sign_in(client, make_user(app, "community_admin"))
    return client


class Watch:
    """Everything that went wrong on a page: errors, failed requests, dialogs."""

    def __init__(self, page) -> None:  # noqa: ANN001
        self.page = page
        self.errors: list[str] = []
        self.bad: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: self.bad.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
        page.on("requestfailed", self._failed)
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def _failed(self, request) -> None:  # noqa: ANN001
        # ERR_ABORTED is the page itself cancelling: map.js drops the fetch of a view already
        # left behind, and a navigation cancels what the old page still loads. Requests
        # leaving the machine are aborted too, and counted in page.outside_requests.
        if request.failure != "net::ERR_ABORTED":
            self.bad.append(f"failed {request.url} {request.failure}")

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.bad == [], self.bad
        assert self.dialogs == [], self.dialogs
        assert self.page.outside_requests == [], self.page.outside_requests


def wait_ready(page) -> None:  # noqa: ANN001
    page.wait_for_function(READY, timeout=30_000)


def open_map(page, url: str) -> None:  # noqa: ANN001
    page.goto(url)
    wait_ready(page)


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def ids_in(engine: Engine, table: str, box: list[float]) -> set[int]:
    """Ids of the features whose geometry meets the box (west, south, east, north)."""
    with engine.connect() as conn:
        return set(conn.execute(text(
            f"SELECT id FROM {table} WHERE ST_Intersects(geom, "
            "ST_MakeEnvelope(:w, :s, :e, :n, 4326))"),
            dict(zip("wsen", box, strict=True))).scalars())


# The map's current bounds: west, south, east, north.
VIEW_JS = """() => { const b = geoMap.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"""

# What each layer has on the page: shapes in its pane, markers in its group.
DRAWN_JS = """(id) => {
    const pane = document.querySelector('.leaflet-layer-' + id + '-pane');
    const found = geoMap.config.layers.find(l => l.id === id);
    const objects = window.geoMapObjects.layers[id];
    return {
        paths: pane ? pane.querySelectorAll('path').length : 0,
        markers: objects.cluster ? objects.cluster.getLayers().length : null,
        minZoom: found.minZoom };
}"""

CLUSTERED_JS = """() => {
    let n = 0;
    document.querySelectorAll('.marker-cluster').forEach(c => { n += Number(c.innerText); });
    return n + document.querySelectorAll('.leaflet-marker-pane .awesome-marker').length; }"""


# -- (a) + (b): every layer drawn as the database holds it ----------------------------------------
def test_each_layer_draws_what_the_database_holds_in_view(sample_db: str, engine: Engine,
                                                           live_server: str, page) -> None:  # noqa: ANN001
    watch = Watch(page)
    fetched: dict[str, list[float]] = {}  # collection -> the bbox of its latest first page

    def note(request) -> None:  # noqa: ANN001
        parts = urlsplit(request.url)
        found = re.fullmatch(r"/api/collections/(\w+)/items", parts.path)
        query = dict(parse_qsl(parts.query))
        if found and "bbox" in query and query.get("offset", "0") == "0":
            fetched[found.group(1)] = [float(v) for v in query["bbox"].split(",")]

    page.on("request", note)
    with engine.connect() as conn:
        grids = conn.execute(text(
            "SELECT number, ST_X(c) AS lon, ST_Y(c) AS lat FROM (SELECT number, "
            "ST_Centroid(geom) c FROM grids) g ORDER BY ST_X(c) + ST_Y(c)")).all()
    # the grids from the south-west to the north-east corner, so that each view is a new box
    route = [grids[0], grids[-1], grids[len(grids) // 3], grids[-2], grids[1],
             grids[2 * len(grids) // 3]]
    open_map(page, f"{live_server}/map?grid={grids[len(grids) // 2].number}")
    partial = set()
    for layer, grid in zip(LAYERS, route, strict=True):
        zoom = max(page.evaluate(DRAWN_JS, layer)["minZoom"], 17)
        before = fetched.get(layer)
        page.evaluate("([lat, lon, zoom]) => { geoMap.map.setView([lat, lon], zoom, "
                      "{animate: false}); }", [grid.lat, grid.lon, zoom])
        wait_ready(page)
        assert page.evaluate("geoMap.map.getZoom()") == zoom
        state = page.evaluate("geoMap.state()")[layer]
        assert state["status"] == "ready", (layer, state)
        box, view = fetched[layer], page.evaluate(VIEW_JS)  # the box fetched, the view
        assert box != before, layer  # fetched anew for this view
        assert box[0] <= view[0] and box[1] <= view[1] and box[2] >= view[2] and box[3] >= view[3]
        in_box, in_view = ids_in(engine, layer, box), ids_in(engine, layer, view)
        assert state["count"] == state["matched"] == len(in_box) > 0, (layer, state, len(in_box))
        assert in_view and in_view <= in_box, layer
        missing = page.evaluate(f"(ids) => ids.filter(i => geoMap.find('{layer}', i) === null)",
                                sorted(in_box))
        assert missing == [], (layer, missing)
        if len(in_box) < scalar(engine, f"SELECT count(*) FROM {layer}"):
            partial.add(layer)
        drawn = page.evaluate(DRAWN_JS, layer)
        if layer == "cameras":  # a dot and what it sees (a sector, or a circle for a dome)
            assert drawn["paths"] == 2 * len(in_box), (drawn, len(in_box))
        elif layer == "hazards":  # a marker each (clustered); lines and areas a shape too
            shapes = scalar(engine, "SELECT count(*) FROM hazards WHERE id = ANY(:ids) AND "
                            "GeometryType(geom) <> 'POINT'", ids=sorted(in_box))
            assert drawn["markers"] == len(in_box) and drawn["paths"] == shapes, drawn
            assert page.evaluate(CLUSTERED_JS) >= len(in_view)
        else:
            assert drawn["paths"] == len(in_box), (layer, drawn, len(in_box))
        if layer == "grids":
            assert page.locator(".grid-label").count() == len(in_box)
    # the views were parts of the community: the bounding box decided what was drawn
    assert partial == set(LAYERS), partial
    watch.clean()


# -- (c): a hazard reported by tapping the map appears on it --------------------------------------
REVEAL_JS = "([layer, id]) => geoMap.reveal(layer, id)"  # out of its cluster, into view


def open_popup(page, layer: str, fid: int):  # noqa: ANN001, ANN201
    """Bring a feature's marker into view (out of its cluster), click it: the popup element."""
    assert page.evaluate(REVEAL_JS, [layer, fid]) is True
    wait_ready(page)
    page.evaluate_handle(f"geoMap.find('{layer}', {fid}).getElement()").as_element().click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    return popup


def test_a_hazard_reported_by_tapping_the_map_appears_on_it(
        sample_db: str, engine: Engine, live_server: str, page) -> None:  # noqa: ANN001
    watch = Watch(page)
    total = scalar(engine, "SELECT count(*) FROM hazards")
    open_map(page, f"{live_server}/map")
    before = page.evaluate("geoMap.state()")["hazards"]
    assert before["count"] == before["matched"] == total
    assert page.evaluate(CLUSTERED_JS) == total  # the community in view: every marker counted

    page.goto(f"{live_server}/hazards/new")
    page.wait_for_selector("#hz-form[data-ready]")
    page.wait_for_selector("#hz-map[data-grids]")
    box = page.locator("#hz-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45)
    lat, lon = float(page.input_value("#hz-lat")), float(page.input_value("#hz-lon"))
    # a category with no open hazard within 25 m, so that no duplicate prompt comes up
    category = scalar(engine, """
        SELECT c FROM unnest(ARRAY['dirty_alley', 'parking', 'other', 'leaking_drain']) c
        WHERE NOT EXISTS (SELECT 1 FROM hazards WHERE category = c AND status <> 'closed'
              AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography,
                             30))
        LIMIT 1""", x=lon, y=lat)
    description = "单元门口堆满纸箱，挡住消防通道"
    page.select_option("#hz-category", category)
    page.select_option("#hz-severity", "urgent")
    page.fill("#hz-description", description)
    with page.expect_navigation(url=re.compile(r"/hazards/\d+$")):
        page.click("#hz-submit")
    hazard_id = int(page.url.rsplit("/", 1)[1])
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT category, description, ST_X(geom) AS x, "
                                   "ST_Y(geom) AS y FROM hazards WHERE id = :i"),
                              {"i": hazard_id}).one()
    assert (stored.category, stored.description) == (category, description)
    assert stored.x == pytest.approx(lon, abs=1e-6) and stored.y == pytest.approx(lat, abs=1e-6)

    open_map(page, f"{live_server}/map")
    after = page.evaluate("geoMap.state()")["hazards"]
    assert after["count"] == after["matched"] == total + 1
    assert page.evaluate(CLUSTERED_JS) == total + 1  # one more marker, in a cluster or alone
    popup = open_popup(page, "hazards", hazard_id)
    assert description in popup.inner_text()
    assert popup.locator("a").first.get_attribute("href") == f"/hazards/{hazard_id}"
    watch.clean()


# -- (d): the loop to closed with the hazard page's forms ------------------------------------------
def level_badge(page):  # noqa: ANN001, ANN201
    return page.locator("#hz-title ~ .badge.text-bg-secondary").first


def test_the_loop_to_closed_on_the_hazard_page(app: Flask, engine: Engine, live_server: str,
                                               page) -> None:  # noqa: ANN001
    from geo_service.web.i18n import label

    watch = Watch(page)
    as_staff(app, page, live_server)
    created = app.test_client().post("/api/hazards", json={
        "lon": ORIGIN[0], "lat": ORIGIN[1], "category": "peeling_wall", "severity": "high",
        "description": "外墙瓷砖松动"})
    assert created.status_code == 201
    hazard_id = created.get_json()["id"]
    page.goto(f"{live_server}/hazards/{hazard_id}")
    page.wait_for_selector("#hz-map[data-ready]")
    assert page.inner_text("#hz-status-badge") == label("reported", "zh")
    assert level_badge(page).inner_text() == label("building", "zh")
    timeline = page.locator("#hz-timeline > li")
    assert timeline.count() == 1

    steps = [
        ("escalate", {"#reason": "整栋楼外墙，需网格协调"}, "reported", "grid"),
        ("assign", {"#assignee-assign": "金燕"}, "assigned", "grid"),
        ("start", {"#note-start": "已拉警戒线"}, "in_progress", "grid"),
        ("escalate", {"#reason": "需要社区出资维修"}, "in_progress", "community"),
        ("resolve", {}, "resolved", "community"),
        ("escalate", {"#reason": "涉及多个社区的同类问题"}, "resolved", "subdistrict"),
        ("revisit", {"#satisfaction": "4"}, "revisited", "subdistrict"),
        ("close", {"#note-close": "居民满意"}, "closed", "subdistrict"),
    ]
    level = "building"
    for number, (action, fields, status, new_level) in enumerate(steps, start=2):
        details = page.locator(f"details[data-action={action}]")
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        if action == "escalate":  # offered: the next level up, first
            assert page.input_value("#level") == new_level
        for selector, value in fields.items():
            if selector == "#satisfaction":
                page.select_option(selector, value)
            else:
                page.fill(selector, value)
        with page.expect_navigation():
            page.click(f"#form-{action} button[type=submit]")
        assert page.locator("#hz-notice").count() == 1, action
        assert timeline.count() == number, action
        last = timeline.nth(number - 1)
        assert last.get_attribute("data-action") == action
        assert page.inner_text("#hz-status-badge") == label(status, "zh"), action
        assert level_badge(page).inner_text() == label(new_level, "zh"), action
        if action == "escalate":
            assert f"{label(level, 'zh')} → {label(new_level, 'zh')}" in last.inner_text()
            assert fields["#reason"] in last.inner_text()
        for selector, value in fields.items():
            if selector not in ("#reason", "#satisfaction"):
                assert value in last.inner_text(), (action, selector)
        level = new_level
    # at the top there is nowhere to escalate to; a closed hazard can only be reopened
    assert page.locator("#hz-actions form").evaluate_all("fs => fs.map(f => f.id)") == [
        "form-reopen"]
    assert timeline.evaluate_all("ls => ls.map(l => l.dataset.action)") == [
        "report", *[s[0] for s in steps]]
    with engine.connect() as conn:
        history = conn.execute(text("SELECT action, to_status, to_level FROM hazard_events "
                                    "WHERE hazard_id = :i ORDER BY at, id"),
                               {"i": hazard_id}).all()
    assert [tuple(r) for r in history][1:] == [(a, s, lv) for a, _, s, lv in steps]
    watch.clean()


# -- (e): Chinese by default, English with ?lang=en -----------------------------------------------
PAGES = {  # path -> what shows the page has drawn, its Chinese and English headings
    "/map": ("#map-legend", READY, "图例", "Legend"),
    "/hazards": ("main h1", None, "隐患列表", "Hazards"),
    "/dashboard": ("main h1", "document.getElementById('dash-charts').dataset.ready",
                   "隐患处置统计", "How hazards are handled"),
    "/hazards/new": ("main h1", "document.getElementById('hz-form').dataset.ready",
                     "上报隐患", "Report a hazard"),
}
NAV_ZH = ("地图", "上报隐患", "隐患列表", "统计")
NAV_EN = ("Map", "Report a hazard", "Hazards", "Dashboard")
# The page's words as shown, without the language switch (it names the other language).
SHOWN_JS = """() => { const body = document.body.cloneNode(true);
    body.querySelectorAll('#lang-switch, script, style').forEach(n => n.remove());
    document.body.appendChild(body); body.style.position = 'absolute';
    const text = body.innerText; body.remove(); return text; }"""


def visit(page, url: str, path: str) -> str:  # noqa: ANN001
    """Open a page, wait until its script has drawn it; the words it shows."""
    heading, drawn, _, _ = PAGES[path]
    page.goto(url)
    if drawn:
        page.wait_for_function(drawn, timeout=30_000)
    return page.inner_text(heading)


def test_pages_in_chinese_by_default_and_english_on_request(app: Flask, live_server: str,
                                                            page) -> None:  # noqa: ANN001
    watch = Watch(page)
    as_staff(app, page, live_server)
    client = app.test_client()
    for lon, category in ((ORIGIN[0], "fire_risk"), (ORIGIN[0] + 0.002, "parking")):
        assert client.post("/api/hazards", json={
            "lon": lon, "lat": ORIGIN[1], "category": category, "severity": "medium",
            "description": "Boxes stacked in the stairwell"}).status_code == 201
    for path, (_, _, zh, en) in PAGES.items():
        heading = visit(page, f"{live_server}{path}", path)
        assert page.get_attribute("html", "lang") == "zh-CN", path
        assert zh in heading, (path, heading)
        nav = page.inner_text("nav")
        assert all(word in nav for word in NAV_ZH), (path, nav)
        assert not any(word in nav for word in NAV_EN), (path, nav)
        assert page.inner_text("#lang-switch") == "English"
        assert en not in page.evaluate(SHOWN_JS), path
    # the switch on the page, then ?lang=en on each page: English words only
    with page.expect_navigation():
        page.click("#lang-switch")
    assert "lang=en" in page.url and page.get_attribute("html", "lang") == "en"
    for path, (_, _, _, en) in PAGES.items():
        heading = visit(page, f"{live_server}{path}?lang=en", path)
        assert page.get_attribute("html", "lang") == "en", path
        assert en in heading, (path, heading)
        assert all(word in page.inner_text("nav") for word in NAV_EN), path
        assert page.inner_text("#lang-switch") == "中文"
        shown = page.evaluate(SHOWN_JS)
        assert CJK.findall(shown) == [], (path, sorted(set(CJK.findall(shown))))
    # the choice is remembered; ?lang=zh takes it back
    visit(page, f"{live_server}/hazards", "/hazards")
    assert page.get_attribute("html", "lang") == "en"
    visit(page, f"{live_server}/hazards?lang=zh", "/hazards")
    assert page.get_attribute("html", "lang") == "zh-CN"
    watch.clean()


# -- (f): what users typed runs nothing -----------------------------------------------------------
def no_script_ran(page, where: str, watch: Watch) -> None:  # noqa: ANN001
    page.wait_for_timeout(200)  # an image's onerror would have fired by now
    assert page.evaluate("typeof window.__xss") == "undefined", where
    assert page.locator("img[src='x']").count() == 0, where
    ran = page.evaluate("""() => [...document.scripts].filter(s => (!s.type ||
        /javascript|module/.test(s.type)) && s.textContent.includes('__xss')).length""")
    assert ran == 0, where
    assert watch.dialogs == [] and watch.errors == [], (where, watch.errors)


def test_typed_markup_runs_nowhere(app: Flask, engine: Engine, live_server: str,
                                   page) -> None:  # noqa: ANN001
    watch = Watch(page)
    as_staff(app, page, live_server)  # staff see the most: reporter, assignee, actors
    client, staff = app.test_client(), signed_in_client(app)
    ids = []
    for offset, (description, category) in enumerate(((IMG_XSS, "dispute"),
                                                      (SCRIPT_XSS, "other"))):
        answer = client.post("/api/hazards", json={
            "lon": ORIGIN[0] + 0.003 * offset, "lat": ORIGIN[1], "category": category,
            "severity": "high", "description": description, "reporter_name": IMG_XSS,
            "address": SCRIPT_XSS})
        assert answer.status_code == 201, answer.get_json()
        ids.append(answer.get_json()["id"])
        assert staff.post(f"/api/hazards/{ids[-1]}/events", json={
            "action": "assign", "assignee": SCRIPT_XSS, "actor": IMG_XSS, "note": IMG_XSS,
        }).status_code == 201
    texts = dict(zip(ids, (IMG_XSS, SCRIPT_XSS), strict=True))

    open_map(page, f"{live_server}/map")
    for hazard_id, typed in texts.items():
        popup = open_popup(page, "hazards", hazard_id)
        assert typed in popup.inner_text()
        assert popup.locator("img, script").count() == 0
        no_script_ran(page, f"map popup {hazard_id}", watch)
        page.evaluate("geoMap.map.closePopup()")
        page.locator(".leaflet-popup").wait_for(state="detached")

    for url in ("/hazards", "/hazards?lang=en"):
        page.goto(f"{live_server}{url}")
        for hazard_id, typed in texts.items():
            assert typed in page.inner_text(f"tr[data-id='{hazard_id}']"), url
        no_script_ran(page, url, watch)

    for hazard_id, typed in texts.items():
        page.goto(f"{live_server}/hazards/{hazard_id}")
        page.wait_for_selector("#hz-map[data-ready]")
        assert page.inner_text("#hz-description") == typed
        assert page.inner_text("#hz-reporter-name") == IMG_XSS
        assert SCRIPT_XSS in page.inner_text("#hz-assignee")
        assert IMG_XSS in page.inner_text("#hz-timeline")
        no_script_ran(page, f"hazard page {hazard_id}", watch)

    # the duplicate prompt on /hazards/new lists the open hazard nearby with its description
    page.goto(f"{live_server}/hazards/new")
    page.wait_for_selector("#hz-form[data-ready]")
    page.fill("#hz-lat", f"{ORIGIN[1] + 0.0001:.7f}")
    page.fill("#hz-lon", f"{ORIGIN[0]:.7f}")
    page.press("#hz-lon", "Tab")
    page.select_option("#hz-category", "dispute")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#hz-submit")
    assert answer.value.status == 409
    page.wait_for_selector("#hz-duplicates:not(.d-none)")
    assert IMG_XSS in page.inner_text("#hz-duplicate-list")
    watch.errors = [e for e in watch.errors if "409 (CONFLICT)" not in e]  # the prompt's answer
    watch.bad = [b for b in watch.bad if not b.startswith("409 ")]
    no_script_ran(page, "duplicate prompt", watch)
    watch.clean()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hazards")).scalar_one() == 2
