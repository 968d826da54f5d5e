"""Follow a report without an account: the success message, the private link, comments."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import Engine, text

TOKEN_URL = re.compile(r"/follow/([A-Za-z0-9_-]{43})")


def grid_point(engine: Engine, number: int = 1) -> tuple[float, float]:
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids "
            "WHERE number = :n) s"), {"n": number}).one())


def form_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_json_answer_carries_the_message_and_a_private_link(sample_db: str, engine: Engine,
                                                                client, staff_client) -> None:  # noqa: ANN001
    lat, lon = grid_point(engine)
    sent = client.post("/api/hazards", json={"category": "peeling_wall", "lat": lat, "lon": lon,
                                             "description": "外墙瓷砖松动",
                                             "reporter_name": "周先生",
                                             "reporter_contact": "139-1111-2222"})
    assert sent.status_code == 201, sent.get_json()
    body = sent.get_json()
    hazard = body["id"]
    follow = body["follow"]
    assert follow["hazard_id"] == hazard
    assert follow["message"] == f"报告已提交，编号 #{hazard}。感谢您的反馈！"
    token = TOKEN_URL.fullmatch(follow["url"]).group(1)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT hazard_id, token_sha256 FROM follow_links")).all()
    assert stored == [(hazard, hashlib.sha256(token.encode()).hexdigest())]  # hashed only

    page = client.get(follow["url"])
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert f"隐患报告 #{hazard}" in html and "已上报" in html and "外墙瓷砖松动" in html
    assert "周先生" not in html and "139-1111-2222" not in html  # no person on the link's page

    # a comment through the link lands in the timeline (the staff page shows it too)
    empty = client.post(follow["url"], data={"comment": "  ", "csrf_token": form_token(html)})
    assert empty.status_code == 422 and "请填写留言内容" in empty.get_data(as_text=True)
    said = client.post(follow["url"], data={"comment": "<b>晚上更危险</b>",
                                            "csrf_token": form_token(html)})
    assert said.status_code == 303 and said.headers["Location"].endswith("?commented=1#timeline")
    again = client.get(said.headers["Location"]).get_data(as_text=True)
    assert "留言已添加" in again and "&lt;b&gt;晚上更危险&lt;/b&gt;" in again
    staff_view = staff_client.get(f"/hazards/{hazard}").get_data(as_text=True)
    assert "&lt;b&gt;晚上更危险&lt;/b&gt;" in staff_view and "留言" in staff_view
    with engine.connect() as conn:
        event = conn.execute(text("SELECT action, actor, from_status, to_status FROM "
                                  "hazard_events WHERE action = 'comment'")).one()
    assert tuple(event) == ("comment", None, "reported", "reported")

    # a guessed or altered token is simply not found
    assert client.get(f"/follow/{token[:-1]}x").status_code == 404
    assert client.get("/follow/x").status_code == 404
    assert client.post(f"/follow/{token[:-1]}x", data={"comment": "hi"}).status_code in (403,
                                                                                         404)


def test_the_form_without_script_shows_the_message_on_the_hazard_page(sample_db: str,  # noqa: ANN001
                                                                       engine: Engine,
                                                                       client) -> None:
    lat, lon = grid_point(engine, 2)
    form = client.get("/hazards/new").get_data(as_text=True)
    sent = client.post("/hazards/new", data={
        "category": "leaking_drain", "lat": f"{lat:.7f}", "lon": f"{lon:.7f}",
        "idempotency_key": "follow-no-js", "csrf_token": form_token(form)})
    assert sent.status_code == 303
    hazard = int(sent.headers["Location"].rsplit("/", 1)[1])
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert f"报告已提交，编号 #{hazard}" in page and 'id="fl-notice"' in page
    link = TOKEN_URL.search(page).group(0)
    assert client.get(link).status_code == 200
    assert 'id="fl-notice"' not in client.get(sent.headers["Location"]).get_data(as_text=True)


def test_a_resident_reports_and_follows_the_link_in_chromium(sample_db: str, engine: Engine,  # noqa: ANN001
                                                             live_server: str, page,
                                                             browser) -> None:
    lat, lon = grid_point(engine, 3)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/hazards/new")
    page.wait_for_selector("#hz-form[data-ready]")
    page.fill("#hz-lat", f"{lat:.7f}")
    page.fill("#hz-lon", f"{lon:.7f}")
    page.press("#hz-lon", "Tab")
    page.select_option("#hz-category", "dim_lighting")
    page.fill("#hz-description", "楼道口路灯太暗")
    with page.expect_navigation(url=re.compile(r"/hazards/\d+$")):
        page.click("#hz-submit")
    hazard = int(page.url.rsplit("/", 1)[1])
    notice = page.locator("#fl-notice")
    assert f"报告已提交，编号 #{hazard}" in notice.inner_text()
    with page.expect_navigation(url=TOKEN_URL):
        page.click("#fl-notice-link")
    assert f"#{hazard}" in page.inner_text("#fl-number")
    assert page.inner_text("#fl-status") == "已上报"
    link = page.url

    # the link alone is enough: a fresh browser with no cookies at all
    other = browser.new_context(locale="zh-CN")
    try:
        tab = other.new_page()
        tab.goto(link)
        tab.fill("#fl-comment", "下雨天尤其看不清")
        with tab.expect_navigation():
            tab.click("#fl-send")
        assert "留言已添加" in tab.inner_text("#fl-commented")
        assert "下雨天尤其看不清" in tab.inner_text("#fl-timeline")
    finally:
        other.close()
    assert problems == []
