"""TOTP second factor for community admins and subdistrict staff.

Enrolment from ``/account/totp`` (a QR code served by the app as SVG, the key as text, the
first code confirms and shows 10 recovery codes once, stored hashed); then signing in asks for
the 6-digit code after the password, a code works once, a recovery code works once. Other
roles cannot enrol. The last test does it all in headless Chromium with codes computed by
pyotp.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers.accounts import STAFF_PASSWORD, make_user, sign_in, sign_in_browser
from sqlalchemy import text


@pytest.fixture()
def app(db_url: str, tmp_path):  # noqa: ANN001, ANN201
    """The app without a tile basemap (the browser test allows no outside request)."""
    from geo_service.config import Settings
    from geo_service.db.engine import engine_for
    from geo_service.web.app import create_app

    application = create_app(Settings(database_url=db_url, basemap="none", data_dir=tmp_path),
                             engine=engine_for(db_url))
    application.config["TESTING"] = True
    return application


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def enrol(client: FlaskClient) -> tuple[str, list[str]]:
    """Enrol the signed-in client: (secret, recovery codes)."""
    page = client.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    done = client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.get_data(as_text=True)[:300]
    codes = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", done.get_data(as_text=True))
    return secret, codes


def password_step(client: FlaskClient, username: str):  # noqa: ANN201
    return client.post("/login", data={"username": username, "password": STAFF_PASSWORD,
                                       "csrf_token": csrf(client, "/login")})


def code_step(client: FlaskClient, code: str):  # noqa: ANN201
    return client.post("/login/code", data={"code": code,
                                            "csrf_token": csrf(client, "/login/code")})


def next_code(secret: str) -> str:
    """The code of the next 30-second step (the current one was used at enrolment)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_enrolment_shows_a_served_qr_code_and_ten_hashed_recovery_codes(
        app: Flask, login_as) -> None:  # noqa: ANN001
    admin = login_as("community_admin")
    assert 'href="/account/totp"' in admin.get("/account").get_data(as_text=True)
    page = admin.get("/account/totp").get_data(as_text=True)
    assert 'src="/account/totp/qr.svg"' in page
    qr = admin.get("/account/totp/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert b"<svg" in qr.data and b"xmlns" in qr.data
    wrong = admin.post("/account/totp", data={"code": "000000"})
    assert wrong.status_code == 400
    secret, codes = enrol(admin)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.config["ENGINE"].connect() as conn:
        stored = conn.execute(text("SELECT code_sha256 FROM user_recovery_codes")).scalars().all()
        kept_secret = conn.execute(text("SELECT secret FROM user_totp")).scalar_one()
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert kept_secret == secret
    again = admin.get("/account/totp").get_data(as_text=True)
    assert 'data-enabled="1"' in again and "10" in again and codes[0] not in again
    assert admin.get("/account/totp/qr.svg").status_code == 404  # no secret shown any more


def test_sign_in_asks_for_the_code_after_the_password(app: Flask, login_as) -> None:  # noqa: ANN001
    admin = login_as("subdistrict")
    secret, _ = enrol(admin)
    client = app.test_client()
    first = password_step(client, admin.username)
    assert first.status_code == 303 and first.headers["Location"] == "/login/code"
    assert client.get("/dashboard").status_code == 302  # not signed in yet
    assert code_step(client, "123456").status_code == 400
    code = next_code(secret)
    done = code_step(client, code)
    assert done.status_code == 303 and done.headers["Location"] == "/map"
    assert client.get("/dashboard").status_code == 200
    replay = app.test_client()
    password_step(replay, admin.username)
    assert code_step(replay, code).status_code == 400  # a code works once
    with app.config["ENGINE"].connect() as conn:
        notes = conn.execute(text("SELECT action, note FROM audit_log WHERE action LIKE "
                                  "'login%' ORDER BY id")).all()
    assert [n.action for n in notes][-5:] == ["login_password_right", "login_failed",
                                              "login", "login_password_right", "login_failed"]
    assert "wrong_code" in notes[-1].note and "second factor: totp" in notes[-3].note


def test_a_recovery_code_works_once(app: Flask, login_as) -> None:  # noqa: ANN001
    admin = login_as("community_admin")
    _, codes = enrol(admin)
    client = app.test_client()
    password_step(client, admin.username)
    assert code_step(client, codes[3].upper()).status_code == 303
    again = app.test_client()
    password_step(again, admin.username)
    assert code_step(again, codes[3]).status_code == 400
    assert code_step(again, codes[4]).status_code == 303
    page = admin.get("/account/totp?lang=en").get_data(as_text=True)
    assert "8 unused recovery codes left." in page


def test_the_code_step_expires_and_cannot_be_skipped(app: Flask, login_as) -> None:  # noqa: ANN001
    admin = login_as("community_admin")
    secret, _ = enrol(admin)
    client = app.test_client()
    assert client.get("/login/code?lang=en").status_code == 200  # nothing pending: start again
    assert "has expired" in client.get("/login/code?lang=en").get_data(as_text=True)
    password_step(client, admin.username)
    with client.session_transaction() as session:
        pending = session["pending_login"]
        session["pending_login"] = pending | {"at": pending["at"] - 301}
    assert code_step(client, next_code(secret)).status_code == 400
    assert client.get("/dashboard").status_code == 302


def test_turning_it_off_needs_the_password(app: Flask, login_as) -> None:  # noqa: ANN001
    admin = login_as("community_admin")
    enrol(admin)
    assert admin.post("/account/totp/disable", data={"password": "nope"}).status_code == 400
    assert admin.post("/account/totp/disable",
                      data={"password": STAFF_PASSWORD}).status_code == 200
    client = app.test_client()
    assert password_step(client, admin.username).headers["Location"] == "/map"


@pytest.mark.parametrize("role", ["resident", "grid_worker", "patrol", "building_leader"])
def test_other_roles_cannot_enrol(login_as, role: str) -> None:  # noqa: ANN001
    client = login_as(role)
    assert client.get("/account/totp").status_code == 403
    assert client.post("/account/totp", data={"code": "123456"}).status_code == 403
    assert 'href="/account/totp"' not in client.get("/account").get_data(as_text=True)


def test_wrong_codes_are_throttled(db_url: str, tmp_path) -> None:  # noqa: ANN001
    from geo_service.config import Settings
    from geo_service.db.engine import engine_for
    from geo_service.web.app import create_app

    app = create_app(Settings(database_url=db_url, basemap="none", data_dir=tmp_path),
                     engine=engine_for(db_url))
    app.config.update(TESTING=True, RATELIMIT_ENABLED=True)
    name = make_user(app, "community_admin")
    admin = app.test_client()
    sign_in(admin, name)
    enrol(admin)
    client = app.test_client()
    password_step(client, name)
    answers = [code_step(client, "000000").status_code for _ in range(6)]
    assert answers == [400] * 5 + [429]


def test_enrol_and_sign_in_in_the_browser(app: Flask, page, live_server: str) -> None:  # noqa: ANN001
    name = make_user(app, "community_admin")
    sign_in_browser(page, live_server, name)
    page.goto(f"{live_server}/account")
    page.click("#account-totp")
    page.wait_for_selector("#totp-qr")
    assert page.eval_on_selector("#totp-qr", "img => img.complete && img.naturalWidth > 0")
    secret = page.inner_text("#totp-secret").strip()
    page.fill("#totp-code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.click("#totp-submit")
    assert page.locator("#recovery-codes li").count() == 10
    with page.expect_navigation():
        page.click("#nav-logout")
    page.goto(f"{live_server}/login")
    page.fill("#login-username", name)
    page.fill("#login-password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("#login-submit")
    assert page.url.endswith("/login/code")
    page.fill("#login-code", next_code(secret))
    with page.expect_navigation():
        page.click("#code-submit")
    assert page.url.endswith("/map")
    page.goto(f"{live_server}/users")
    assert page.locator("#users").count() == 1  # signed in as the admin
    assert page.outside_requests == []
