"""Idempotency keys belong to the client that sent them (a user, an API token, or an anonymous
address) and to the body they were first sent with: the same key and body replay the first
report, the same key with another body is a 422, and another client's key is its own."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from helpers.accounts import make_user, sign_in
from sqlalchemy import Engine, text

from geo_service.auth import accounts

BODY = {"lon": 106.8300, "lat": 27.5200, "category": "dirty_alley", "description": "垃圾堆积",
        "confirm_duplicate": True}
KEY = {"Idempotency-Key": "phone-42"}


def hazards(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM hazards")).scalar_one()


def from_address(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_same_client_same_body_replays_another_body_is_422(app: Flask, engine: Engine) -> None:
    phone = from_address(app, "10.0.0.7")
    first = phone.post("/api/hazards", json=BODY, headers=KEY)
    assert first.status_code == 201
    again = phone.post("/api/hazards", json=dict(reversed(BODY.items())), headers=KEY)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    other = phone.post("/api/hazards", json=BODY | {"description": "另一件事"}, headers=KEY)
    assert other.status_code == 422, other.get_data(as_text=True)[:300]
    error = other.get_json()["error"]
    assert error["field"] == "idempotency_key" and "Idempotency-Key" in error["messages"]["en"]
    assert hazards(engine) == 1


def test_another_client_with_the_same_key_gets_its_own_report(app: Flask,
                                                              engine: Engine) -> None:
    first = from_address(app, "10.0.0.7").post("/api/hazards", json=BODY, headers=KEY)
    second = from_address(app, "10.0.0.8").post("/api/hazards", json=BODY, headers=KEY)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] != second.get_json()["id"]
    resident = from_address(app, "10.0.0.7")
    sign_in(resident, make_user(app, "resident"))
    mine = resident.post("/api/hazards", json=BODY, headers=KEY)
    assert mine.status_code == 201  # a signed-in user is not the address they post from
    name = make_user(app, "community_admin")
    with engine.begin() as conn:
        token = accounts.create_token(conn, name, "dispatch")
    bearer = {"Authorization": f"Bearer {token}"} | KEY
    integration = from_address(app, "10.0.0.7")
    assert integration.post("/api/hazards", json=BODY, headers=bearer).status_code == 201
    assert integration.post("/api/hazards", json=BODY, headers=bearer).status_code == 200
    assert hazards(engine) == 4
    with engine.connect() as conn:
        clients = conn.execute(text("SELECT idempotency_client, idempotency_digest FROM hazards "
                                    "ORDER BY id")).all()
    assert [c[0].split(":")[0] for c in clients] == ["addr", "addr", "user", "token"]
    assert len({c[1] for c in clients}) == 1 and len(clients[0][1]) == 64  # one body, SHA-256


def test_open311_and_the_form_key_follow_the_same_rule(app: Flask, engine: Engine) -> None:
    phone = from_address(app, "10.0.0.9")
    fields = {"service_code": "dim_lighting", "lat": "27.5200", "long": "106.8300",
              "description": "楼梯间灯不亮", "confirm_duplicate": "true"}
    first = phone.post("/open311/v2/requests.json", data=fields, headers=KEY)
    assert first.status_code == 201
    assert phone.post("/open311/v2/requests.json", data=fields, headers=KEY).status_code == 200
    other = phone.post("/open311/v2/requests.json", data=fields | {"description": "x"},
                       headers=KEY)
    assert other.status_code == 422 and other.get_json()[0]["code"] == 422
    assert "Idempotency-Key" in phone.post("/open311/v2/requests.json?lang=en",
                                           data=fields | {"description": "y"},
                                           headers=KEY).get_json()[0]["description"]
    form = {k: str(v) for k, v in BODY.items()} | {"idempotency_key": "form-1"}
    assert phone.post("/api/hazards", data=form).status_code == 201
    assert phone.post("/api/hazards", data=form).status_code == 200
    assert phone.post("/api/hazards", data=form | {"severity": "high"}).status_code == 422
    assert hazards(engine) == 2
