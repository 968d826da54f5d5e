"""Accounts for tests: store a user, sign a test client or a browser page in.

Plain functions (not fixtures) because module-scoped fixtures need them too; the fixtures
``login_as``, ``staff_client`` and ``staff_page`` in ``conftest.py`` are built on them.
"""

from __future__ import annotations

import re
import uuid

STAFF_PASSWORD = "correct horse battery staple"


def make_user(app, role: str, username: str | None = None, *, grids=(), buildings=(),  # noqa: ANN001
              password: str = STAFF_PASSWORD, display_name: str | None = None,
              phone: str | None = None) -> str:
    """Store an account with ``role`` in the app's database; returns its username."""
    from geo_service.auth import accounts

    username = username or f"{role}_{uuid.uuid4().hex[:6]}"
    with app.config["ENGINE"].begin() as conn:
        accounts.create_user(conn, username, password, role, grids=grids, buildings=buildings,
                             display_name=display_name, phone=phone)
    return username


def sign_in(client, username: str, password: str = STAFF_PASSWORD) -> str:  # noqa: ANN001
    """Sign ``client`` in through ``/login``; every later request sends the session's CSRF
    token (``X-CSRF-Token``), as the pages' forms and scripts do. Returns the token."""
    client.environ_base.pop("HTTP_X_CSRF_TOKEN", None)
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post("/login", data={"username": username, "password": password,
                                         "csrf_token": token})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    form = client.get("/login").get_data(as_text=True)  # the new session's token
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    client.environ_base["HTTP_X_CSRF_TOKEN"] = token
    return token


def sign_in_browser(page, base_url: str, username: str,  # noqa: ANN001
                    password: str = STAFF_PASSWORD) -> None:
    """Sign a Playwright page in through the login form."""
    page.goto(f"{base_url}/login")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    with page.expect_navigation():
        page.click("#login-submit")
    assert "/login" not in page.url, page.url
