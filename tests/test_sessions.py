"""Server-side sessions: a ``user_sessions`` row per sign-in, revoked at once.

Logout, a password change, switching the account off and an admin's "end all sessions" revoke
the rows, so a copy of the cookie taken before stops working: ``GET /users`` is sent to the
sign-in form and ``POST /users`` is refused. ``/account`` lists the user's live sessions (in
Asia/Shanghai time) and ends the others.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from helpers.accounts import make_user, sign_in
from sqlalchemy import text

from geo_service.auth import accounts

NEW_USER = {"username": "mallory", "role": "community_admin",
            "password": "an entirely new long secret"}


def copy_of(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another client holding the same cookie and CSRF header (a stolen copy)."""
    thief = app.test_client()
    cookie = client.get_cookie("geo_session")
    thief.set_cookie("geo_session", cookie.value)
    thief.environ_base["HTTP_X_CSRF_TOKEN"] = client.environ_base["HTTP_X_CSRF_TOKEN"]
    return thief


def users_named(app: Flask, name: str) -> int:
    with app.config["ENGINE"].connect() as conn:
        return conn.execute(text("SELECT count(*) FROM users WHERE username = :u"),
                            {"u": name}).scalar_one()


def live_rows(app: Flask, username: str) -> int:
    with app.config["ENGINE"].connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM user_sessions s JOIN users u ON u.id = s.user_id "
            "WHERE u.username = :u AND s.revoked_at IS NULL"), {"u": username}).scalar_one()


def test_a_replayed_cookie_after_logout_is_refused(app: Flask, login_as) -> None:  # noqa: ANN001
    admin = login_as("community_admin")
    thief = copy_of(admin, app)
    assert thief.get("/users").status_code == 200  # the copy works while the session lives
    assert admin.post("/logout").status_code == 303
    page = thief.get("/users")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    posted = thief.post("/users", data=NEW_USER)
    assert posted.status_code in (401, 403)
    assert users_named(app, "mallory") == 0
    assert live_rows(app, admin.username) == 0


def test_the_session_row_holds_who_when_where(app: Flask) -> None:
    name = make_user(app, "grid_worker")
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = "TestBrowser/1.0"
    sign_in(client, name)
    with app.config["ENGINE"].connect() as conn:
        row = conn.execute(text(
            "SELECT s.*, u.username FROM user_sessions s JOIN users u ON u.id = s.user_id"
        )).mappings().one()
    assert row["username"] == name and row["revoked_at"] is None
    assert row["address"] == "127.0.0.1" and row["user_agent"] == "TestBrowser/1.0"
    assert row["created_at"] <= row["last_seen_at"]
    cookie = client.get_cookie("geo_session").value
    assert len(row["token_sha256"]) == 64 and row["token_sha256"] not in cookie


def test_password_change_and_deactivation_revoke_every_session(app: Flask, login_as) -> None:  # noqa: ANN001
    worker = login_as("grid_worker")
    other = copy_of(worker, app)
    second = app.test_client()
    sign_in(second, worker.username)
    assert live_rows(app, worker.username) == 2
    with app.config["ENGINE"].begin() as conn:
        accounts.set_password(conn, worker.username, "quite another long secret")
    assert live_rows(app, worker.username) == 0
    for client in (worker, other, second):
        assert client.get("/dashboard").status_code == 302
    sign_in(second, worker.username, "quite another long secret")
    assert second.get("/dashboard").status_code == 200
    with app.config["ENGINE"].begin() as conn:
        accounts.set_active(conn, accounts.user_id(conn, worker.username), False)
    assert live_rows(app, worker.username) == 0
    assert second.get("/dashboard").status_code == 302


def test_an_admin_ends_all_sessions_of_a_user(app: Flask, login_as) -> None:  # noqa: ANN001
    worker = login_as("grid_worker")
    admin = login_as("community_admin")
    with app.config["ENGINE"].connect() as conn:
        ident = accounts.user_id(conn, worker.username)
    assert worker.get("/dashboard").status_code == 200
    page = admin.get("/users").get_data(as_text=True)
    assert f'action="/users/{ident}/sessions/end"' in page
    ended = admin.post(f"/users/{ident}/sessions/end?lang=en")
    assert ended.status_code == 200 and "1 session(s) of" in ended.get_data(as_text=True)
    assert worker.get("/dashboard").status_code == 302
    assert admin.get("/users").status_code == 200  # the admin's own session goes on
    assert login_as("grid_worker").post(f"/users/{ident}/sessions/end").status_code == 403


def test_account_lists_sessions_and_ends_the_others(app: Flask, login_as) -> None:  # noqa: ANN001
    me = login_as("resident")
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = "PhoneBrowser/2.0"
    sign_in(phone, me.username)
    laptop = app.test_client()
    laptop.environ_base["HTTP_USER_AGENT"] = "LaptopBrowser/3.0"
    sign_in(laptop, me.username)
    page = me.get("/account").get_data(as_text=True)
    assert page.count("data-session=") == 3
    assert "PhoneBrowser/2.0" in page and "LaptopBrowser/3.0" in page
    with app.config["ENGINE"].connect() as conn:
        started = conn.execute(text("SELECT min(created_at) FROM user_sessions")).scalar_one()
        phone_row = conn.execute(text("SELECT id FROM user_sessions WHERE user_agent = "
                                      "'PhoneBrowser/2.0'")).scalar_one()
    shown = started.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert shown in page  # Beijing time, whatever the server's zone
    if datetime.now().astimezone().utcoffset() != started.astimezone(
            ZoneInfo("Asia/Shanghai")).utcoffset():
        assert started.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M") not in page
    # end the phone's session only
    assert me.post("/account/sessions/end", data={"session": str(phone_row)}).status_code == 303
    assert phone.get("/account").status_code == 302
    assert laptop.get("/account").status_code == 200
    assert me.post("/account/sessions/end", data={"session": "x"}).status_code == 400
    # then every other one
    answer = me.post("/account/sessions/end-others?lang=en")
    assert answer.status_code == 200 and "1 other session(s) ended." in answer.get_data(
        as_text=True)
    assert laptop.get("/account").status_code == 302
    assert me.get("/account").status_code == 200
    assert re.findall(r'data-session="(\d+)"', me.get("/account").get_data(as_text=True))


def test_one_cannot_end_another_users_session(app: Flask, login_as) -> None:  # noqa: ANN001
    victim = login_as("grid_worker")
    with app.config["ENGINE"].connect() as conn:
        row = conn.execute(text("SELECT max(id) FROM user_sessions")).scalar_one()
    other = login_as("resident")
    assert other.post("/account/sessions/end", data={"session": str(row)}).status_code == 404
    assert victim.get("/dashboard").status_code == 200
