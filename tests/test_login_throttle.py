"""Login throttling and sign-ins in the audit log.

The 6th wrong password for one account within a minute is answered 429 with ``Retry-After``
and a message in the page's language, and so is the right one while the lock lasts; after the
lock window the right password works. One address failing on many accounts is locked too.
Every sign-in, failed or not, is an audit row naming the account and the address, never the
password.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers.accounts import STAFF_PASSWORD, make_user
from sqlalchemy import text

from geo_service.config import Settings
from geo_service.db.engine import engine_for

WRONG = "not the password at all"


def make_app(db_url: str, data_dir: Path, **settings: object) -> Flask:
    from geo_service.web.app import create_app

    app = create_app(Settings(database_url=db_url, basemap="none", data_dir=data_dir,
                              **settings), engine=engine_for(db_url))
    app.config["TESTING"] = True
    app.config["RATELIMIT_ENABLED"] = True  # tests switch the limits on where they check them
    return app


@pytest.fixture()
def app(db_url: str, tmp_path: Path) -> Flask:
    return make_app(db_url, tmp_path)


def attempt(client: FlaskClient, username: str, password: str, lang: str = "zh"):  # noqa: ANN201
    form = client.get(f"/login?lang={lang}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    return client.post(f"/login?lang={lang}", data={"username": username, "password": password,
                                                    "csrf_token": token})


def test_the_sixth_wrong_password_is_refused_with_429(app: Flask) -> None:
    name = make_user(app, "community_admin")
    client = app.test_client()
    for _ in range(5):
        assert attempt(client, name, WRONG).status_code == 400
    sixth = attempt(client, name, WRONG)
    assert sixth.status_code == 429
    wait = int(sixth.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert "密码错误次数过多" in sixth.get_data(as_text=True)
    assert f"{wait} 秒后再试" in sixth.get_data(as_text=True)
    english = attempt(client, name, STAFF_PASSWORD, lang="en")  # the right one, still locked
    assert english.status_code == 429
    assert "Too many wrong passwords for this account" in english.get_data(as_text=True)
    assert "login-form" in english.get_data(as_text=True)  # the form is there to try again
    other = make_user(app, "resident")
    assert attempt(app.test_client(), other, STAFF_PASSWORD).status_code == 303  # others go on
    with app.config["ENGINE"].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_sessions s JOIN users u "
                                 "ON u.id = s.user_id WHERE u.username = :u"),
                            {"u": name}).scalar_one() == 0


def test_the_right_password_works_after_the_lock_window(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path, login_lock_seconds=2)
    name = make_user(app, "subdistrict")
    client = app.test_client()
    for _ in range(5):
        assert attempt(client, name, WRONG).status_code == 400
    locked = attempt(client, name, STAFF_PASSWORD)
    assert locked.status_code == 429
    time.sleep(int(locked.headers["Retry-After"]) + 0.2)
    assert attempt(client, name, STAFF_PASSWORD).status_code == 303


def test_a_right_password_clears_the_accounts_count(app: Flask) -> None:
    name = make_user(app, "grid_worker")
    client = app.test_client()
    for _ in range(4):
        attempt(client, name, WRONG)
    assert attempt(client, name, STAFF_PASSWORD).status_code == 303
    other = app.test_client()
    for _ in range(4):
        assert attempt(other, name, WRONG).status_code == 400


def test_one_address_trying_many_accounts_is_locked(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path, login_failures_per_address=3)
    client = app.test_client()
    for guess in ("admin", "root", "zhang"):
        assert attempt(client, guess, WRONG).status_code == 400
    locked = attempt(client, "li", WRONG, lang="en")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert "from your network" in locked.get_data(as_text=True)


def test_unknown_accounts_are_counted_like_known_ones(app: Flask) -> None:
    client = app.test_client()
    answers = [attempt(client, "nobody-here", WRONG).status_code for _ in range(6)]
    assert answers == [400] * 5 + [429]


def test_sign_ins_are_in_the_audit_log_without_the_password(app: Flask) -> None:
    name = make_user(app, "community_admin")
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = "AuditBrowser/1.0"
    attempt(client, name, WRONG)
    attempt(client, "nobody-here", WRONG)
    assert attempt(client, name, STAFF_PASSWORD).status_code == 303
    with app.config["ENGINE"].connect() as conn:
        rows = conn.execute(text(
            "SELECT actor, user_id, action, row_id, after, note FROM audit_log "
            "WHERE action LIKE 'login%' ORDER BY id")).mappings().all()
        everything = conn.execute(text("SELECT string_agg(a::text, ' ') FROM audit_log a")
                                  ).scalar_one()
        ident = conn.execute(text("SELECT id FROM users WHERE username = :u"),
                             {"u": name}).scalar_one()
    assert [r["action"] for r in rows] == ["login_failed", "login_failed", "login"]
    failed, unknown, done = rows
    assert failed["after"]["username"] == name and failed["after"]["address"] == "127.0.0.1"
    assert failed["actor"] == "public" and failed["user_id"] == ident
    assert "wrong_password" in failed["note"] and "127.0.0.1" in failed["note"]
    assert unknown["after"]["username"] == "nobody-here" and unknown["user_id"] is None
    assert done["actor"] == f"user:{name}" and done["row_id"] == str(ident)
    assert done["after"]["user_agent"] == "AuditBrowser/1.0"
    assert WRONG not in everything and STAFF_PASSWORD not in everything


def test_a_locked_attempt_is_logged_too(app: Flask) -> None:
    name = make_user(app, "resident")
    client = app.test_client()
    for _ in range(6):
        attempt(client, name, WRONG)
    with app.config["ENGINE"].connect() as conn:
        notes = conn.execute(text("SELECT note FROM audit_log WHERE action = 'login_failed' "
                                  "ORDER BY id")).scalars().all()
    assert len(notes) == 6 and "locked_account" in notes[-1]
