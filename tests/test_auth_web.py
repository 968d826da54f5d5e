"""Sign-in, sessions, CSRF and API tokens over HTTP.

Passwords are scrypt hashes; the session cookie is signed, HttpOnly, SameSite=Lax, Secure over
HTTPS, replaced on sign-in and emptied on sign-out; a session ends when its account is switched
off or its password changes. Every state-changing request with the session cookie must carry
the session's CSRF token, and so must every form post to a page; API tokens act as their
user without one; anonymous API clients without cookies need none. Anonymous reports can be
switched off. Refusals are 401/403 in the path's format and the request's language.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers.accounts import STAFF_PASSWORD, make_user, sign_in
from sqlalchemy import text

from geo_service.auth import accounts
from geo_service.auth.passwords import hash_password, verify_password
from geo_service.config import Settings
from geo_service.db.engine import engine_for

REPORT = {"lon": 106.8300, "lat": 27.5200, "category": "dirty_alley", "severity": "medium",
          "description": "背街小巷垃圾堆积"}


@pytest.fixture()
def app(db_url: str, tmp_path: Path) -> Flask:
    from geo_service.web.app import create_app

    application = create_app(Settings(database_url=db_url, basemap="none", data_dir=tmp_path),
                             engine=engine_for(db_url))
    application.config["TESTING"] = True
    return application


def form_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("geo_session")
    return cookie.value if cookie else None


# -- passwords and the secret key -----------------------------------------------------------------
def test_passwords_are_slow_salted_hashes(app: Flask) -> None:
    stored = hash_password("a long enough secret")
    assert stored.startswith("scrypt:32768:8:1$") and "a long enough secret" not in stored
    assert stored != hash_password("a long enough secret")  # salted
    assert verify_password(stored, "a long enough secret")
    assert not verify_password(stored, "A long enough secret")
    assert not verify_password(None, "anything") and not verify_password("garbage", "x")
    name = make_user(app, "resident")
    with app.config["ENGINE"].connect() as conn:
        kept = conn.execute(text("SELECT password_hash FROM users WHERE username = :u"),
                            {"u": name}).scalar_one()
    assert kept.startswith("scrypt:") and STAFF_PASSWORD not in kept


def test_secret_key_is_generated_once_and_private(app: Flask, tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.secret_key == key_file.read_text().strip() and len(app.secret_key) >= 32
    from geo_service.web.app import create_app

    again = create_app(app.config["SETTINGS"], engine=app.config["ENGINE"])
    assert again.secret_key == app.secret_key  # sessions survive a restart
    given = create_app(Settings(database_url=app.config["SETTINGS"].database_url,
                                data_dir=tmp_path, secret_key="k" * 40),
                       engine=app.config["ENGINE"])
    assert given.secret_key == "k" * 40


# -- sessions ----------------------------------------------------------------------------------
def test_sign_in_rotates_the_session_and_sign_out_ends_it(app: Flask) -> None:
    name = make_user(app, "grid_worker", display_name="网格员小李")
    client = app.test_client()
    before_token = form_token(client)
    with client.session_transaction() as session:
        before_raw = session["csrf_token"]  # what Flask-WTF keeps; the form has it signed
    before = session_cookie(client)
    assert before is not None
    answer = client.post("/login", data={"username": name, "password": STAFF_PASSWORD,
                                         "csrf_token": before_token, "next": "/dashboard"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/dashboard"
    header = answer.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header
    after = session_cookie(client)
    assert after != before
    token = form_token(client)
    with client.session_transaction() as session:
        assert session["csrf_token"] != before_raw and session["uid"] > 0
    assert client.post("/logout", data={"csrf_token": before_token}).status_code == 403
    page = client.get("/dashboard").get_data(as_text=True)
    assert "网格员小李" in page and 'id="nav-logout"' in page
    assert client.get("/dashboard").headers["Cache-Control"] == "private, no-store"
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303
    assert client.get("/dashboard").status_code == 302  # back to the sign-in form
    # the old cookie no longer signs anybody in once replaced ... and a stale form is refused
    assert client.post("/logout", data={"csrf_token": token}).status_code == 403


def test_wrong_password_and_unknown_user_look_the_same(app: Flask) -> None:
    name = make_user(app, "resident")
    client = app.test_client()
    for user, password in ((name, "wrong password!"), ("nobody", STAFF_PASSWORD),
                           (name, "")):
        answer = client.post("/login", data={"username": user, "password": password,
                                             "csrf_token": form_token(client)})
        assert answer.status_code == 400
        assert "用户名或密码不正确" in answer.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "uid" not in session


def test_next_never_leaves_the_site(app: Flask) -> None:
    name = make_user(app, "resident")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = app.test_client()
        answer = client.post("/login", data={"username": name, "password": STAFF_PASSWORD,
                                             "csrf_token": form_token(client), "next": target})
        assert answer.status_code == 303 and answer.headers["Location"] == "/map", target


def test_secure_cookie_over_https_or_when_configured(app: Flask, db_url: str,
                                                     tmp_path: Path) -> None:
    name = make_user(app, "resident")
    client = app.test_client()
    token = form_token(client)
    answer = client.post("/login", base_url="https://localhost",
                         data={"username": name, "password": STAFF_PASSWORD,
                               "csrf_token": token})
    assert answer.status_code == 303 and "Secure" in answer.headers["Set-Cookie"]
    from geo_service.web.app import create_app

    forced = create_app(Settings(database_url=db_url, data_dir=tmp_path, secure_cookies=True),
                        engine=engine_for(db_url))
    assert forced.config["SESSION_COOKIE_SECURE"] is True


def test_a_session_ends_when_the_account_is_switched_off_or_its_password_changes(
        app: Flask) -> None:
    name = make_user(app, "grid_worker")
    first, second = app.test_client(), app.test_client()
    sign_in(first, name)
    sign_in(second, name)
    assert first.get("/dashboard").status_code == 200
    with app.config["ENGINE"].begin() as conn:
        accounts.set_password(conn, name, "another long password")
    assert first.get("/dashboard").status_code == 302
    sign_in(first, name, "another long password")
    assert first.get("/dashboard").status_code == 200
    assert second.get("/dashboard").status_code == 302  # signed in with the old password
    with app.config["ENGINE"].begin() as conn:
        accounts.set_active(conn, accounts.user_id(conn, name), False)
    assert first.get("/dashboard").status_code == 302
    client = app.test_client()
    answer = client.post("/login", data={"username": name, "password": "another long password",
                                         "csrf_token": form_token(client)})
    assert answer.status_code == 400


def test_change_own_password_on_the_account_page(login_as) -> None:  # noqa: ANN001
    client = login_as("resident")
    wrong = client.post("/account/password", data={"old_password": "nope",
                                                    "new_password": "brand new password"})
    assert wrong.status_code == 400
    short = client.post("/account/password", data={"old_password": STAFF_PASSWORD,
                                                    "new_password": "short"})
    assert short.status_code == 400 and "10" in short.get_data(as_text=True)
    done = client.post("/account/password", data={"old_password": STAFF_PASSWORD,
                                                   "new_password": "brand new password"})
    assert done.status_code == 200 and "密码已修改" in done.get_data(as_text=True)
    client.environ_base["HTTP_X_CSRF_TOKEN"] = form_token(client)
    assert client.get("/account").status_code == 200  # this session goes on


# -- refusals -------------------------------------------------------------------------------------
def test_refusals_in_the_format_of_the_path(app: Flask, login_as) -> None:  # noqa: ANN001
    public = app.test_client()
    page = public.get("/hazards?grid=1")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=/hazards?grid%3D1"
    api = public.post("/api/hazards/1/events", json={"action": "start"})
    assert api.status_code == 401 and api.get_json()["error"]["code"] == "unauthorized"
    assert api.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.get_json()["error"]["messages"]["en"] == "Please sign in first."
    resident = login_as("resident")
    refused = resident.get("/dashboard?lang=en")
    assert refused.status_code == 403 and "Your account may not do this." in refused.get_data(
        as_text=True)
    assert resident.post("/api/plan/lights", json={"count": 1}).get_json()["error"][
        "code"] == "forbidden"


def test_anonymous_reports_can_be_switched_off(db_url: str, tmp_path: Path) -> None:
    from geo_service.web.app import create_app

    closed = create_app(Settings(database_url=db_url, data_dir=tmp_path,
                                 allow_anonymous_reports=False), engine=engine_for(db_url))
    closed.config["TESTING"] = True
    public = closed.test_client()
    answer = public.post("/api/hazards", json=REPORT)
    assert answer.status_code == 401
    assert answer.get_json()["error"]["messages"]["en"].startswith("Anonymous reports")
    assert public.get("/hazards/new").status_code == 302
    assert public.post("/open311/v2/requests.json", data={
        "service_code": "other", "lat": "27.52", "long": "106.83"}).status_code == 401
    resident = closed.test_client()
    name = make_user(closed, "resident")
    sign_in(resident, name)
    assert resident.get("/hazards/new").status_code == 200
    created = resident.post("/api/hazards", json=REPORT)
    assert created.status_code == 201
    with closed.config["ENGINE"].connect() as conn:
        owner = conn.execute(text("SELECT u.username FROM hazards h JOIN users u "
                                  "ON u.id = h.reporter_user_id WHERE h.id = :id"),
                             {"id": created.get_json()["id"]}).scalar()
    assert owner == name  # hazards.reporter_user_id: the resident's own report


# -- CSRF ----------------------------------------------------------------------------------------
def test_csrf_without_token_is_refused(app: Flask, login_as) -> None:  # noqa: ANN001
    hazard = app.test_client().post("/api/hazards", json=REPORT).get_json()["id"]
    admin = login_as("community_admin")
    token = admin.environ_base.pop("HTTP_X_CSRF_TOKEN")
    action = {"action": "assign", "assignee": "金燕"}
    # a forged form post, a forged JSON post, a wrong token: refused, nothing changes
    for answer in (admin.post(f"/hazards/{hazard}/events", data=action),
                   admin.post(f"/api/hazards/{hazard}/events", json=action),
                   admin.post(f"/api/hazards/{hazard}/events", json=action,
                              headers={"X-CSRF-Token": "x" * 43}),
                   admin.post(f"/hazards/{hazard}/events", data=action | {"csrf_token": ""}),
                   admin.post("/users", data={"username": "mallory", "role": "community_admin",
                                              "password": "a long password!"}),
                   admin.post("/logout")):
        assert answer.status_code == 403
    forged = admin.post(f"/hazards/{hazard}/events?lang=en", data=action)
    assert "did not come from this site" in forged.get_data(as_text=True)
    assert admin.post(f"/api/hazards/{hazard}/events", json=action).get_json()["error"][
        "code"] == "csrf"
    with app.config["ENGINE"].connect() as conn:
        assert conn.execute(text("SELECT status FROM hazards WHERE id = :id"),
                            {"id": hazard}).scalar() == "reported"
        assert conn.execute(text("SELECT count(*) FROM users WHERE username = 'mallory'")
                            ).scalar() == 0
    # with the token (form field or header) the same requests go through
    assert admin.post(f"/hazards/{hazard}/events",
                      data=action | {"csrf_token": token}).status_code == 303
    assert admin.post(f"/api/hazards/{hazard}/events", json={"action": "start"},
                      headers={"X-CSRF-Token": token}).status_code == 201


def test_anonymous_forms_need_the_token_too(app: Flask) -> None:
    bare = app.test_client()  # no cookie at all: a cross-site form post to the page
    form = {"lat": "27.52", "lon": "106.83", "category": "other"}
    assert bare.post("/hazards/new", data=form).status_code == 403
    browser = app.test_client()
    token = form_token(browser, "/hazards/new")
    assert browser.post("/hazards/new", data=form).status_code == 403  # session, no token
    sent = browser.post("/hazards/new", data=form | {"csrf_token": token})
    assert sent.status_code == 303 and sent.headers["Location"].startswith("/hazards/")
    # the same browser's script posts to the API with the header
    assert browser.post("/api/hazards", json=REPORT).status_code == 403
    assert browser.post("/api/hazards", json=REPORT,
                        headers={"X-CSRF-Token": token}).status_code == 201


def test_api_clients_without_cookies_need_no_token(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/api/hazards", json=REPORT).status_code == 201
    assert client.post("/open311/v2/requests.json", data={
        "service_code": "other", "lat": "27.53", "long": "106.84"}).status_code == 201
    # a language cookie is no credential: still no token needed
    assert client.post("/api/hazards?lang=en", json=REPORT | {"lon": 106.831}).status_code == 201
    assert client.post("/api/hazards", json=REPORT | {"lon": 106.832}).status_code == 201


# -- API tokens --------------------------------------------------------------------------------
def test_api_tokens_act_as_their_user_and_can_be_revoked(app: Flask) -> None:
    hazard = app.test_client().post("/api/hazards", json=REPORT).get_json()["id"]
    name = make_user(app, "community_admin")
    with app.config["ENGINE"].begin() as conn:
        token = accounts.create_token(conn, name, "dispatch system")
        stored = conn.execute(text("SELECT token_sha256 FROM api_tokens")).scalar_one()
    assert token not in stored and stored == accounts.token_digest(token)
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    answer = client.post(f"/api/hazards/{hazard}/events", headers=bearer,
                         json={"action": "assign", "assignee": "金燕"})
    assert answer.status_code == 201
    assert answer.get_json()["event"]["actor"] == name  # who acted, when not named
    assert client.get("/dashboard", headers=bearer).status_code == 200
    with app.config["ENGINE"].begin() as conn:
        assert conn.execute(text("SELECT last_used_at IS NOT NULL FROM api_tokens")).scalar()
        accounts.revoke_token(conn, conn.execute(text("SELECT id FROM api_tokens")).scalar())
    revoked = client.post(f"/api/hazards/{hazard}/events", headers=bearer,
                          json={"action": "start"})
    assert revoked.status_code == 401 and revoked.get_json()["error"]["code"] == "unauthorized"
    wrong = client.get("/api/hazards", headers={"Authorization": "Bearer gst_nothing"})
    assert wrong.status_code == 401  # a wrong token is refused, not taken for the public


def test_admin_manages_accounts_and_tokens_on_the_web(app: Flask, login_as) -> None:  # noqa: ANN001
    admin = login_as("community_admin")
    page = admin.get("/users")
    assert page.status_code == 200 and admin.username in page.get_data(as_text=True)
    added = admin.post("/users", data={"username": "lee", "role": "grid_worker",
                                       "password": "violet harbour under snow", "grids": "",
                                       "display_name": "李网格", "phone": "13900001111"})
    assert added.status_code == 201
    bad = admin.post("/users", data={"username": "lee", "role": "grid_worker",
                                     "password": "violet harbour under snow"})
    assert bad.status_code == 422 and "lee" in bad.get_data(as_text=True)
    with app.config["ENGINE"].connect() as conn:
        lee = accounts.user_id(conn, "lee")
    made = admin.post(f"/users/{lee}/tokens", data={"name": "phone app"})
    token = re.search(r'id="new-token">([^<]+)<', made.get_data(as_text=True)).group(1)
    assert app.test_client().get("/dashboard", headers={
        "Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in admin.get("/users").get_data(as_text=True)  # shown once only
    with app.config["ENGINE"].connect() as conn:
        token_id = conn.execute(text("SELECT id FROM api_tokens WHERE user_id = :u"),
                                {"u": lee}).scalar()
    assert admin.post(f"/tokens/{token_id}/revoke").status_code == 303
    assert app.test_client().get("/dashboard", headers={
        "Authorization": f"Bearer {token}"}).status_code == 401
    assert admin.post(f"/users/{lee}/active", data={"active": "0"}).status_code == 303
    lee_client = app.test_client()
    answer = lee_client.post("/login", data={"username": "lee",
                                             "password": "violet harbour under snow",
                                             "csrf_token": form_token(lee_client)})
    assert answer.status_code == 400


def test_the_audit_log_names_the_signed_in_user(app: Flask, login_as) -> None:  # noqa: ANN001
    from geo_service import audit

    assert audit.current_actor.get() is None
    public = app.test_client()
    hazard = public.post("/api/hazards", json=REPORT).get_json()["id"]
    admin = login_as("community_admin")
    assert admin.post(f"/hazards/{hazard}/events",
                      data={"action": "assign", "assignee": "金燕"}).status_code == 303
    with app.config["ENGINE"].connect() as conn:
        rows = conn.execute(text(
            "SELECT actor, user_id FROM audit_log WHERE table_name = 'hazards' "
            "AND row_id = :id ORDER BY id"), {"id": str(hazard)}).all()
        admin_id = accounts.user_id(conn, admin.username)
    assert rows, "the audit triggers recorded nothing"
    assert rows[0].actor == "public" and rows[0].user_id is None
    assert (rows[-1].actor, rows[-1].user_id) == (f"user:{admin.username}", admin_id)
    assert audit.current_actor.get() is None  # reset after each request
