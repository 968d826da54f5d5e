"""Text that PostgreSQL cannot store (a lone UTF-16 surrogate, NUL) is refused with a 400 that
names the field, on every way in (JSON API, Open311, the report and action forms); page,
offset and limit numbers beyond any real page are a 4xx, never a 500."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

POINT = {"lon": 106.83, "lat": 27.52, "category": "dirty_alley"}
SURROGATE_JSON = ('{"lon": 106.83, "lat": 27.52, "category": "dirty_alley", '
                  '"description": "a\\ud800b"}')


def hazards(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM hazards")).scalar_one()


def assert_refused(answer, field: str) -> None:  # noqa: ANN001
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    error = answer.get_json()["error"]
    assert error["field"] == field
    assert field in error["messages"]["en"] and error["messages"]["zh"]


def test_a_lone_surrogate_in_json_is_a_400_naming_the_field(client: FlaskClient,
                                                             engine: Engine) -> None:
    answer = client.post("/api/hazards", data=SURROGATE_JSON, content_type="application/json")
    assert_refused(answer, "description")
    nested = ('{"geometry": {"type": "Point", "coordinates": [106.83, 27.52], "x": "\\udfff"},'
              ' "category": "other"}')
    answer = client.post("/api/hazards", data=nested, content_type="application/json")
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "geometry"
    assert hazards(engine) == 0


def test_nul_is_a_400_naming_the_field(client: FlaskClient, engine: Engine) -> None:
    assert_refused(client.post("/api/hazards", json=POINT | {"reporter_name": "x\x00"}),
                   "reporter_name")
    assert_refused(client.post("/api/hazards", data=POINT | {"description": "a\x00b"}),
                   "description")
    assert hazards(engine) == 0


def test_open311_refuses_them_in_its_own_format(client: FlaskClient, engine: Engine) -> None:
    raw = ('{"service_code": "dim_lighting", "lat": "27.52", "long": "106.83", '
           '"description": "\\ud800"}')
    answer = client.post("/open311/v2/requests.json", data=raw, content_type="application/json")
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    (error,) = answer.get_json()
    assert error["code"] == 400 and "description" in error["description"]
    answer = client.post("/open311/v2/requests.json", data={
        "service_code": "dim_lighting", "lat": "27.52", "long": "106.83", "email": "a\x00@b"})
    assert answer.status_code == 400 and "email" in answer.get_json()[0]["description"]
    assert hazards(engine) == 0


def test_the_pages_refuse_them_too(client: FlaskClient, staff_client: FlaskClient,
                                   engine: Engine) -> None:
    page = client.get("/hazards/new").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"lat": "27.52", "lon": "106.83", "category": "dirty_alley",
            "description": "a\x00b", "csrf_token": csrf}
    answer = client.post("/hazards/new", data=form)
    assert answer.status_code == 400
    assert "description" in answer.get_data(as_text=True) and hazards(engine) == 0
    hazard = staff_client.post("/api/hazards", json=POINT).get_json()["id"]
    answer = staff_client.post(f"/hazards/{hazard}/events",
                               data={"action": "assign", "assignee": "金\x00燕"})
    assert answer.status_code == 400
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM hazards")).scalar_one() == "reported"


HUGE = "99999999999999999999"


@pytest.mark.parametrize("path", [
    f"/hazards?page={HUGE}", "/hazards?page=-3", "/hazards?page=abc",
])
def test_the_list_page_number_is_bounded(staff_client: FlaskClient, path: str) -> None:
    answer = staff_client.get(path)
    assert answer.status_code == 400, (path, answer.status_code)
    assert "page" in answer.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    f"/api/hazards?offset={HUGE}", f"/api/hazards?limit={HUGE}",
    f"/api/collections/streets/items?offset={HUGE}",
    f"/api/collections/streets/items?limit={HUGE}",
    f"/open311/v2/requests.json?service_request_id={HUGE}",
    f"/dashboard?page={HUGE}",
])
def test_offsets_and_limits_are_bounded_everywhere(staff_client: FlaskClient,
                                                   path: str) -> None:
    answer = staff_client.get(path)
    assert 400 <= answer.status_code < 500 or answer.status_code == 200, path
