"""Open311 GeoReport v2 as the spec says: a standard client's report near an open one is
stored and flagged for staff, every endpoint answers XML as well as JSON, services have
definitions, ``service_request_id`` overrides every other filter, the list defaults to the last
90 days, and ``api_key`` is an API token."""

from __future__ import annotations

from sqlalchemy import Engine, text

BASE = "/open311/v2"
POINT = {"lat": "27.5200", "long": "106.8300"}


def post(client, fmt: str = "json", **fields: str):  # noqa: ANN001, ANN201
    """Form-encoded POST, the way Open311 clients send it."""
    data = {"service_code": "dim_lighting", "description": "楼梯间灯不亮", **POINT} | fields
    return client.post(f"{BASE}/requests.{fmt}", data=data)


# -- 1. a report near an open one ----------------------------------------------------------------
def test_report_near_an_open_one_is_stored_and_flagged(client, staff_client,  # noqa: ANN001
                                                       engine: Engine) -> None:
    first = post(client)
    assert first.status_code == 201
    first_id = first.get_json()[0]["service_request_id"]
    near = post(client, lat="27.52005")  # about 6 m away, no confirm_duplicate
    assert near.status_code == 201, near.data
    answer = near.get_json()
    near_id = answer[0]["service_request_id"]
    assert near_id != first_id
    assert f"#{first_id}" in answer[0]["service_notice"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hazards")).scalar() == 2
        extra = conn.execute(text(
            "SELECT extra FROM hazard_events WHERE hazard_id = :h AND action = 'report'"),
            {"h": int(near_id)}).scalar_one()
    assert extra["possible_duplicates"] == [int(first_id)]
    page = staff_client.get(f"/hazards/{near_id}").data.decode()
    assert "可能重复" in page and f'href="/hazards/{first_id}"' in page
    english = staff_client.get(f"/hazards/{near_id}?lang=en").data.decode()
    assert "Possible duplicate of" in english
    # the first one was not near anything and is not flagged
    assert "可能重复" not in staff_client.get(f"/hazards/{first_id}").data.decode()
