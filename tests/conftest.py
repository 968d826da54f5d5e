"""Shared fixtures: a real PostGIS (the embedded cluster), one throwaway database per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from geo_service.config import PROJECT_ROOT, Settings, load_settings
from geo_service.db.engine import engine_for, migrate, resolve_url

TEMPLATE = f"geo_test_template_{uuid.uuid4().hex[:8]}"


def plain_url(url: str) -> str:
    """libpq form of a SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of the embedded cluster's main database (started when needed)."""
    settings = load_settings()
    return resolve_url(Settings(data_dir=settings.data_dir))


@pytest.fixture(scope="session")
def template_url(server_url: str) -> Iterator[str]:
    """A migrated template database that each test's database is copied from."""
    admin = plain_url(with_database(server_url, "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    url = with_database(server_url, TEMPLATE)
    migrate(url)
    engine_for(url).dispose()
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


@pytest.fixture()
def db_url(template_url: str) -> Iterator[str]:
    """A fresh, migrated, empty database for one test, dropped afterwards."""
    name = f"geo_test_{uuid.uuid4().hex[:12]}"
    admin = plain_url(with_database(template_url, "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    url = with_database(template_url, name)
    yield url
    engine_for(url).dispose()
    engine_for.cache_clear()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def engine(db_url: str) -> Engine:
    """Engine on the test's database."""
    return engine_for(db_url)


@pytest.fixture()
def settings(db_url: str) -> Settings:
    """Settings pointing at the test's database."""
    return Settings(database_url=db_url)


@pytest.fixture()
def cli(db_url: str):  # noqa: ANN201
    """Run ``geo-service`` commands in-process against the test's database."""
    from geo_service.cli import main

    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), env={"DATABASE_URL": db_url},
                             catch_exceptions=True)

    return invoke


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The shipped sample community."""
    return PROJECT_ROOT / "data"


# -- web -----------------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture()
def sample_db(db_url: str, sample_dir: Path) -> str:
    """The test's database with the sample community loaded; returns its URL."""
    from geo_service.load import load_sample

    load_sample(engine_for(db_url), sample_dir, community_name="白龙社区")
    return db_url


@pytest.fixture()
def app(db_url: str):  # noqa: ANN201
    """The Flask app on the test's database (empty unless the test loads something)."""
    from geo_service.web.app import create_app

    application = create_app(Settings(database_url=db_url), engine=engine_for(db_url))
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def client(app):  # noqa: ANN001, ANN201
    """Flask test client."""
    return app.test_client()


@pytest.fixture()
def live_server(app) -> Iterator[str]:  # noqa: ANN001
    """The app served over HTTP on a free loopback port; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: the set-up installs Debian's chromium package")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser):  # noqa: ANN001, ANN201
    """A fresh browser page that fails the test on any request leaving the machine."""
    context = browser.new_context(locale="zh-CN")
    outside: list[str] = []

    def only_local(route) -> None:  # noqa: ANN001
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.outside_requests = outside
    yield tab
    context.close()


# -- accounts: signed-in clients for the pages and actions that need one -------------------------
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
    import re

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


@pytest.fixture()
def login_as(app):  # noqa: ANN001, ANN201
    """``login_as(role, grids=(), buildings=())``: a new test client signed in as a new user
    with that role (grid numbers, building source ids), sending the CSRF header."""

    def signed_in(role: str, *, grids=(), buildings=(), username: str | None = None,  # noqa: ANN001
                  client=None):  # noqa: ANN001, ANN202
        name = make_user(app, role, username, grids=grids, buildings=buildings)
        client = client or app.test_client()
        sign_in(client, name)
        client.username = name
        return client

    return signed_in


@pytest.fixture()
def staff_client(login_as):  # noqa: ANN001, ANN201
    """A test client signed in as a community admin (may read and do everything)."""
    return login_as("community_admin")


def sign_in_browser(page, base_url: str, username: str,  # noqa: ANN001
                    password: str = STAFF_PASSWORD) -> None:
    """Sign a Playwright page in through the login form."""
    page.goto(f"{base_url}/login")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    with page.expect_navigation():
        page.click("#login-submit")
    assert "/login" not in page.url, page.url


@pytest.fixture()
def staff_page(app, page, live_server: str):  # noqa: ANN001, ANN201
    """The browser page signed in as a community admin on the live server."""
    sign_in_browser(page, live_server, make_user(app, "community_admin"))
    return page


@pytest.fixture(scope="module")
def module_sample_db(template_url: str, sample_dir: Path) -> Iterator[str]:
    """One database with the sample community shared by a whole test module (read-mostly
    tests such as the role matrix and the privacy sweep); dropped after the module."""
    from geo_service.load import load_sample

    name = f"geo_test_{uuid.uuid4().hex[:12]}"
    admin = plain_url(with_database(template_url, "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    url = with_database(template_url, name)
    load_sample(engine_for(url), sample_dir, community_name="白龙社区")
    yield url
    engine_for(url).dispose()
    engine_for.cache_clear()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
