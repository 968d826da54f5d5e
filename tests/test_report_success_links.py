"""After a public report the success page links somewhere the reporter may go: an anonymous
reporter gets the map (the list is for staff and would send them to the login page); staff
keep the link back to the hazard list."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

ORIGIN = (106.8300, 27.5200)


def report_on_the_page(client: FlaskClient) -> str:
    """Send the report form as a browser would; the success page's HTML."""
    form = client.get("/hazards/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" id="hz-key" value="([0-9a-f-]{36})"', form).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    sent = client.post("/hazards/new", data={
        "lat": str(ORIGIN[1]), "lon": str(ORIGIN[0]), "category": "fire_risk",
        "severity": "high", "description": "楼道堆放杂物", "idempotency_key": key,
        "csrf_token": csrf})
    assert sent.status_code == 303, sent.get_data(as_text=True)[:300]
    page = client.get(sent.headers["Location"])
    assert page.status_code == 200
    return page.get_data(as_text=True)


def links(page: str) -> dict[str, str]:
    return {html: href for href, html in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>',
                                                    page)}


def test_an_anonymous_reporter_is_sent_to_the_map(client: FlaskClient) -> None:
    page = report_on_the_page(client)
    assert 'id="fl-notice"' in page  # the success message
    found = links(page)
    assert "返回隐患列表" not in found
    assert found["返回地图"] == "/map"
    landing = client.get("/map")
    assert landing.status_code == 200  # no login page in the way
    assert client.get("/hazards").status_code in (302, 303, 401)  # where the old link went


def test_staff_keep_the_link_to_the_list(staff_client: FlaskClient) -> None:
    page = report_on_the_page(staff_client)
    assert links(page)["返回隐患列表"] == "/hazards"
