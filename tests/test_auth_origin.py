"""A state change from another site's page is refused, even with a valid CSRF token.

Browsers name the page that made a request in ``Origin``; a POST to ``/users`` or another
staff form with a foreign origin (or ``null``) answers 403 and changes nothing, while this
site's own origin, and no ``Origin`` at all (older clients, API tokens), go through.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text

from geo_service.auth import accounts

NEW_USER = {"username": "mallory", "role": "community_admin",
            "password": "an entirely new long secret"}
FOREIGN = ["https://evil.example", "http://localhost.evil.example", "http://localhost:8081",
           "null", "file://"]


def users_named(app: Flask, name: str) -> int:
    with app.config["ENGINE"].connect() as conn:
        return conn.execute(text("SELECT count(*) FROM users WHERE username = :u"),
                            {"u": name}).scalar_one()


@pytest.mark.parametrize("origin", FOREIGN)
def test_a_foreign_origin_is_refused_with_a_valid_token(app: Flask, login_as,  # noqa: ANN001
                                                        origin: str) -> None:
    admin = login_as("community_admin")
    answer = admin.post("/users?lang=en", data=NEW_USER, headers={"Origin": origin})
    assert answer.status_code == 403
    assert "came from another site" in answer.get_data(as_text=True)
    assert users_named(app, "mallory") == 0


def test_the_sites_own_origin_and_none_go_through(app: Flask, login_as) -> None:  # noqa: ANN001
    admin = login_as("community_admin")
    assert admin.post("/users", data=NEW_USER,
                      headers={"Origin": "http://localhost"}).status_code == 201
    assert admin.post("/users", data=NEW_USER | {"username": "trent"}).status_code == 201
    assert users_named(app, "mallory") == 1 and users_named(app, "trent") == 1


def test_other_staff_forms_and_the_api_check_it_too(app: Flask, login_as) -> None:  # noqa: ANN001
    hazard = app.test_client().post("/api/hazards", json={
        "lon": 106.83, "lat": 27.52, "category": "dirty_alley", "severity": "medium",
        "description": "背街小巷垃圾堆积"}).get_json()["id"]
    admin = login_as("community_admin")
    evil = {"Origin": "https://evil.example"}
    with app.config["ENGINE"].connect() as conn:
        spare = accounts.user_id(conn, admin.username)
    for path, data in ((f"/hazards/{hazard}/events", {"action": "start"}),
                       ("/account/password", {"old_password": "x", "new_password": "y"}),
                       (f"/users/{spare}/sessions/end", {}),
                       ("/logout", {})):
        assert admin.post(path, data=data, headers=evil).status_code == 403, path
    api = admin.post(f"/api/hazards/{hazard}/events", json={"action": "start"}, headers=evil)
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "forbidden"
    assert admin.get("/users").status_code == 200  # still signed in: nothing was done


def test_api_tokens_are_not_asked_for_an_origin(app: Flask) -> None:
    from helpers.accounts import make_user

    name = make_user(app, "community_admin")
    with app.config["ENGINE"].begin() as conn:
        token = accounts.create_token(conn, name, "integration")
    answer = app.test_client().post("/api/hazards", json={
        "lon": 106.83, "lat": 27.52, "category": "other", "severity": "low"},
        headers={"Authorization": f"Bearer {token}", "Origin": "https://partner.example"})
    assert answer.status_code == 201
