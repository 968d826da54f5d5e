"""Limits and errors: every refusal is a clear 4xx in the path's format (JSON under /api,
Open311's list under /open311, a zh/en page elsewhere), 503 with Retry-After while the database
is unreachable, a logged 500 without a trace for the truly unexpected, request size limits,
bounded page sizes and the rate limit on anonymous reports."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, text

from geo_service.config import Settings, load_settings
from geo_service.db.cluster import free_port
from geo_service.db.engine import engine_for
from geo_service.web import errors, ratelimit
from geo_service.web.app import create_app

POINT = {"lat": 27.52, "lon": 106.83, "category": "dirty_alley", "confirm_duplicate": True}


def make_app(db_url: str, tmp_path: Path, engine: Engine | None = None, **fields: object) -> Flask:
    settings = Settings(database_url=db_url, data_dir=tmp_path, **fields)  # type: ignore[arg-type]
    app = create_app(settings, engine=engine or engine_for(db_url))
    app.config["TESTING"] = True
    return app


def api_error(response) -> dict:  # noqa: ANN001
    assert response.mimetype == "application/json", response.data[:200]
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message", "messages"} <= set(body["error"])
    assert set(body["error"]["messages"]) == {"zh", "en"}
    return body["error"]


def no_trace(response) -> None:  # noqa: ANN001
    text_ = response.get_data(as_text=True)
    for marker in ("Traceback", 'File "', "sqlalchemy", "psycopg", "Werkzeug Debugger"):
        assert marker not in text_, (marker, text_[:300])


# -- 404 / 405 / 413 in the path's format ------------------------------------------------------
def test_not_found_in_each_format(client) -> None:  # noqa: ANN001
    got = client.get("/api/nothing/here")
    assert got.status_code == 404 and api_error(got)["code"] == "not_found"
    got = client.get("/api/collections/a/b/c/d")
    assert got.status_code == 404 and got.get_json()["code"] == "NotFound"
    assert set(got.get_json()) == {"code", "description"}
    got = client.get("/open311/v2/nothing.json")
    assert got.status_code == 404
    assert got.get_json()[0]["code"] == 404 and got.get_json()[0]["description"]
    got = client.get("/no/such/page")
    assert got.status_code == 404 and got.mimetype == "text/html"
    assert "找不到这个页面" in got.get_data(as_text=True)
    got = client.get("/no/such/page?lang=en")
    assert got.status_code == 404 and "There is no such page" in got.get_data(as_text=True)
    assert '<html lang="en"' in got.get_data(as_text=True)
    for response in (client.get("/api/nothing"), client.get("/nothing")):
        no_trace(response)


def test_method_not_allowed_keeps_allow(client) -> None:  # noqa: ANN001
    got = client.delete("/api/hazards")
    assert got.status_code == 405 and api_error(got)["code"] == "method_not_allowed"
    assert "POST" in got.headers["Allow"] and "GET" in got.headers["Allow"]
    got = client.put("/open311/v2/requests.json", data={})
    assert got.status_code == 405 and got.get_json()[0]["code"] == 405
    got = client.delete("/api/collections/hazards/items")
    assert got.status_code == 405 and got.get_json()["code"] == "MethodNotAllowed"
    got = client.post("/map")
    assert got.status_code == 405 and got.mimetype == "text/html"


def test_request_size_limit(db_url: str, tmp_path: Path) -> None:
    from helpers.accounts import make_user, sign_in

    app = make_app(db_url, tmp_path, max_request_bytes=2000)
    assert app.config["MAX_CONTENT_LENGTH"] == 2000
    client = app.test_client()
    sign_in(client, make_user(app, "community_admin"))  # planning and events need an account
    big = json.dumps({"count": 1, "pad": "x" * 5000})
    got = client.post("/api/plan/lights", data=big, content_type="application/json")
    assert got.status_code == 413
    error = api_error(got)
    assert error["code"] == "too_large" and "MB" in error["messages"]["en"]
    got = client.post("/hazards/1/events", data={"action": "start", "note": "x" * 5000})
    assert got.status_code == 413
    # the hazard API keeps its own limits (photos), the hazard events their JSON limit
    got = client.post("/api/hazards/1/events", data="x" * (3 * 2**20),
                      content_type="application/json")
    assert got.status_code == 413 and api_error(got)["code"] == "too_large"
    got = client.post("/open311/v2/requests.json", data={"description": "x" * (2 * 2**20)})
    assert got.status_code == 413 and got.get_json()[0]["code"] == 413


def test_default_request_limit_is_the_setting() -> None:
    assert Settings().max_request_bytes == 8 * 2**20
    assert load_settings().max_request_bytes > 0


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEO_SERVICE_MAX_REQUEST_BYTES", "1234")
    monkeypatch.setenv("GEO_SERVICE_REPORT_RATE_PER_MINUTE", "0")
    monkeypatch.setenv("GEO_SERVICE_REPORT_BURST", "4")
    monkeypatch.setenv("GEO_SERVICE_PAGE_SIZE_CAP", "50")
    monkeypatch.setenv("GEO_SERVICE_TRUSTED_PROXIES", "1")
    s = load_settings()
    assert (s.max_request_bytes, s.report_rate_per_minute, s.report_burst, s.page_size_cap,
            s.trusted_proxies) == (1234, 0.0, 4, 50, 1)
    monkeypatch.setenv("GEO_SERVICE_PAGE_SIZE_CAP", "lots")
    with pytest.raises(ValueError, match="GEO_SERVICE_PAGE_SIZE_CAP"):
        load_settings()


# -- 503 while the database is unreachable --------------------------------------------------------
@pytest.fixture()
def down_client(db_url: str, tmp_path: Path):  # noqa: ANN201
    """An app whose database port has nothing listening (connection refused at once)."""
    url = f"postgresql+psycopg://geo:nothing@127.0.0.1:{free_port()}/geo_service"
    dead = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 2})
    app = make_app(url, tmp_path, engine=dead)
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)  # a browser holding a form's token
    client.environ_base["HTTP_X_CSRF_TOKEN"] = form.split(
        'name="csrf_token" value="', 1)[1].split('"', 1)[0]
    yield client
    dead.dispose()


# Staff pages: the public is sent to sign in without the database; a signed-in user is looked
# up in it, so these answer 503 for somebody signed in.
STAFF_PATHS = ("/api/plan/context", "/hazards", "/dashboard", "/plan/lighting")


@pytest.mark.parametrize(("method", "path", "kind"), [
    ("GET", "/api/hazards", "api"),
    ("GET", "/api/hazards/1", "api"),
    ("POST", "/api/hazards", "api"),
    ("POST", "/api/hazards/1/events", "api"),
    ("GET", "/api/collections", "collections"),
    ("GET", "/api/collections/hazards/items?bbox=106.8,27.5,106.9,27.6", "collections"),
    ("GET", "/api/plan/context", "api"),
    ("GET", "/open311/v2/requests.json", "open311"),
    ("POST", "/open311/v2/requests.json", "open311"),
    ("GET", "/map", "page"),
    ("GET", "/overview", "page"),
    ("GET", "/hazards", "page"),
    ("GET", "/hazards/1", "page"),
    ("GET", "/hazards/new", "page"),
    ("POST", "/hazards/new", "page"),
    ("GET", "/dashboard", "page"),
    ("GET", "/plan/lighting", "page"),
    ("GET", "/healthz", "health"),
])
def test_database_down_gives_503_with_retry_after(down_client, method: str, path: str,  # noqa: ANN001
                                                  kind: str) -> None:
    fields = {"lat": "27.52", "lon": "106.83", "category": "other", "service_code": "other",
              "long": "106.83", "action": "start", "idempotency_key": "k-503"}
    if method == "GET" and path in STAFF_PATHS:
        with down_client.session_transaction() as session:
            session["uid"] = 1
    got = down_client.open(path, method=method, data=fields if method == "POST" else None)
    assert got.status_code == 503, (path, got.status_code, got.data[:300])
    assert int(got.headers["Retry-After"]) > 0
    no_trace(got)
    if kind == "api":
        assert api_error(got)["code"] in ("unavailable", "busy")
    elif kind == "collections":
        assert got.get_json()["code"] == "ServiceUnavailable"
    elif kind == "open311":
        assert got.get_json()[0]["code"] == 503
    elif kind == "page":
        assert got.mimetype == "text/html" and "数据库暂时不可用" in got.get_data(as_text=True)


def test_database_goes_away_under_a_signed_in_user(app: Flask, staff_client) -> None:  # noqa: ANN001
    """Signed in while the database was up, then it goes away: every page, form and API
    answers 503 with Retry-After in its own format (the guard's own lookups included)."""
    url = f"postgresql+psycopg://geo:nothing@127.0.0.1:{free_port()}/geo_service"
    dead = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 2})
    app.config["ENGINE"] = dead
    fields = {"lat": "27.52", "lon": "106.83", "category": "other", "service_code": "other",
              "long": "106.83", "action": "start", "idempotency_key": "k-503"}
    try:
        for method, path, kind in [
                ("GET", "/api/hazards", "api"), ("POST", "/api/hazards", "api"),
                ("POST", "/api/hazards/1/events", "api"), ("GET", "/api/plan/context", "api"),
                ("GET", "/api/collections/hazards/items", "collections"),
                ("POST", "/open311/v2/requests.json", "open311"),
                ("GET", "/hazards", "page"), ("GET", "/hazards/1", "page"),
                ("POST", "/hazards/1/events", "page"), ("POST", "/hazards/new", "page"),
                ("GET", "/dashboard", "page"), ("GET", "/plan/lighting", "page"),
                ("GET", "/map?lang=en", "page-en")]:
            got = staff_client.open(path, method=method,
                                    data=fields if method == "POST" else None)
            assert got.status_code == 503, (path, got.status_code, got.data[:300])
            assert int(got.headers["Retry-After"]) > 0 and "no-store" in got.headers[
                "Cache-Control"]
            no_trace(got)
            if kind == "api":
                assert api_error(got)["code"] in ("unavailable", "busy")
            elif kind == "collections":
                assert got.get_json()["code"] == "ServiceUnavailable"
            elif kind == "open311":
                assert got.get_json()[0]["code"] == 503
            elif kind == "page":
                assert "数据库暂时不可用" in got.get_data(as_text=True)
            else:
                assert "The database is briefly unavailable" in got.get_data(as_text=True)
    finally:
        dead.dispose()


def test_database_errors_are_recognised() -> None:
    import psycopg
    from sqlalchemy import exc

    lost = exc.OperationalError("SELECT 1", {}, psycopg.OperationalError("server closed"))
    assert errors.database_unavailable(lost)
    assert errors.database_unavailable(exc.TimeoutError("QueuePool limit reached"))
    assert errors.database_unavailable(psycopg.OperationalError("connection refused"))
    try:
        try:
            raise lost
        except exc.OperationalError as inner:
            raise RuntimeError("wrapped by a library") from inner
    except RuntimeError as outer:
        assert errors.database_unavailable(outer)
    assert not errors.database_unavailable(exc.DataError("x", {}, ValueError("bad value")))
    assert not errors.database_unavailable(ValueError("nothing to do with the database"))


# -- the unexpected: 500, logged, no trace ---------------------------------------------------------
def test_unexpected_error_is_logged_and_answered_plainly(db_url: str, tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(db_url, tmp_path)

    def boom() -> str:
        raise RuntimeError("secret internal detail /etc/passwd")

    app.add_url_rule("/api/boom", "api_boom", boom)
    app.add_url_rule("/open311/boom", "open311_boom", boom)
    app.add_url_rule("/boom", "page_boom", boom)
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="geo_service.web.errors"):
        api = client.get("/api/boom")
        o311 = client.get("/open311/boom")
        html = client.get("/boom?lang=en")
    assert api.status_code == o311.status_code == html.status_code == 500
    ref = api_error(api)["message"].split("编号 ")[1][:8]
    assert o311.get_json()[0]["code"] == 500
    assert "Something unexpected went wrong" in html.get_data(as_text=True)
    for response in (api, o311, html):
        no_trace(response)
        assert "secret internal detail" not in response.get_data(as_text=True)
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 3 and ref in logged[0].getMessage()
    assert "secret internal detail" in str(logged[0].exc_info[1])


def test_every_503_says_when_to_come_back(db_url: str, tmp_path: Path) -> None:
    """A module's own 503 (planning busy, say) gets Retry-After too."""
    app = make_app(db_url, tmp_path)
    app.add_url_rule("/api/busy", "busy", lambda: ("busy", 503))
    got = app.test_client().get("/api/busy")
    assert got.status_code == 503 and int(got.headers["Retry-After"]) > 0


# -- bounded pages --------------------------------------------------------------------------------
def test_page_sizes_are_capped(sample_db: str, tmp_path: Path, engine: Engine) -> None:
    client = make_app(sample_db, tmp_path).test_client()
    with engine.connect() as conn:
        buildings = conn.execute(text("SELECT count(*) FROM buildings")).scalar_one()
    page = client.get("/api/collections/buildings/items?limit=100000").get_json()
    assert page["numberReturned"] == min(buildings, 10_000) and page["numberMatched"] == buildings
    page = make_app(sample_db, tmp_path, page_size_cap=1000).test_client().get(
        "/api/collections/buildings/items?limit=5000").get_json()
    assert page["numberReturned"] == min(buildings, 1000)
    assert api_error(client.get("/api/hazards?limit=1001"))["field"] == "limit"
    small = make_app(sample_db, tmp_path, page_size_cap=5).test_client()
    page = small.get("/api/collections/buildings/items?limit=50").get_json()
    assert page["numberReturned"] == 5
    nxt = next(link for link in page["links"] if link["rel"] == "next")
    assert "limit=5" in nxt["href"]
    assert small.get("/api/hazards?limit=5").status_code == 200
    got = small.get("/api/hazards?limit=6")
    assert got.status_code == 422 and api_error(got)["field"] == "limit"
    assert len(small.get("/api/hazards").get_json()["hazards"]) <= 5


def test_huge_offsets_are_refused_not_500(client) -> None:  # noqa: ANN001
    for path in ("/api/collections/hazards/items?offset=" + "9" * 30,
                 "/api/collections/gaps/items?offset=" + "9" * 30,
                 "/api/hazards?offset=" + "9" * 30):
        got = client.get(path)
        assert 400 <= got.status_code < 500, (path, got.status_code)


# -- rate limit on anonymous reports ---------------------------------------------------------------
def test_limit_rule_keeps_the_burst_and_the_rate() -> None:
    assert ratelimit.limit_strings(30, 10) == "10 per 2 second;30 per minute"
    assert ratelimit.limit_strings(60, 3) == "3 per 1 second;60 per minute"
    assert ratelimit.limit_strings(600, 1) == "1 per 1 second;600 per minute"


def test_rate_limit_storage_is_a_setting(db_url: str, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("GEO_SERVICE_RATE_LIMIT_STORAGE_URI", "memory://")
    assert load_settings().rate_limit_storage_uri == "memory://"
    from limits.errors import ConfigurationError

    with pytest.raises(ConfigurationError):  # the URI reaches Flask-Limiter's storage
        make_app(db_url, tmp_path, rate_limit_storage_uri="nowhere://host")


@pytest.fixture()
def limited(db_url: str, tmp_path: Path) -> Flask:
    app = make_app(db_url, tmp_path, report_rate_per_minute=60, report_burst=3)
    app.config["RATELIMIT_ENABLED"] = True
    return app


def test_reports_are_rate_limited_per_address(limited: Flask, engine: Engine) -> None:
    client = limited.test_client()
    answers = [client.post("/api/hazards", json=POINT | {"idempotency_key": f"r{i}"})
               for i in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    refused = answers[-1]
    assert api_error(refused)["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hazards")).scalar_one() == 3
    # the other report endpoints share the address's bucket, each in its own format
    got = client.post("/open311/v2/requests.json", data={"service_code": "other", "lat": "27.52",
                                                          "long": "106.83"})
    assert got.status_code == 429 and got.get_json()[0]["code"] == 429
    form = client.get("/hazards/new").get_data(as_text=True)
    csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    got = client.post("/hazards/new", data={"lat": "27.52", "lon": "106.83",
                                            "category": "other", "csrf_token": csrf})
    assert got.status_code == 429 and got.mimetype == "text/html"
    assert "提交太频繁" in got.get_data(as_text=True) and "Retry-After" in got.headers
    # reading is never limited; another address has its own bucket
    assert client.get("/api/hazards").status_code == 200
    other = limited.test_client().post("/api/hazards", json=POINT | {"idempotency_key": "other"},
                                       environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 201


def test_rate_limit_refills(limited: Flask) -> None:
    client = limited.test_client()
    codes = [client.post("/api/hazards", json=POINT | {"idempotency_key": f"f{i}"}).status_code
             for i in range(4)]
    assert codes == [201, 201, 201, 429]
    time.sleep(1.1)  # 60 a minute, burst 3: the first posts leave their one-second window
    assert client.post("/api/hazards", json=POINT | {"idempotency_key": "f9"}).status_code == 201


def test_rate_limit_behind_a_trusted_proxy(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path, report_rate_per_minute=60, report_burst=1,
                   trusted_proxies=1)
    app.config["RATELIMIT_ENABLED"] = True
    client = app.test_client()

    def post(forwarded: str, key: str) -> int:
        return client.post("/api/hazards", json=POINT | {"idempotency_key": key},
                           headers={"X-Forwarded-For": forwarded}).status_code

    assert post("1.1.1.1", "p1") == 201
    assert post("1.1.1.1", "p2") == 429
    assert post("2.2.2.2", "p3") == 201
    # a client cannot pick its address: only the entry the trusted proxy added counts
    assert post("9.9.9.9, 1.1.1.1", "p4") == 429


def test_signed_in_clients_are_not_limited(limited: Flask) -> None:
    limited.extensions["report_limiter"].is_authenticated = lambda: True
    client = limited.test_client()
    codes = {client.post("/api/hazards", json=POINT | {"idempotency_key": f"s{i}"}).status_code
             for i in range(6)}
    assert codes == {201}


def test_rate_limit_can_be_switched_off(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path, report_rate_per_minute=0, report_burst=1)
    app.config["RATELIMIT_ENABLED"] = True
    client = app.test_client()
    codes = {client.post("/api/hazards", json=POINT | {"idempotency_key": f"o{i}"}).status_code
             for i in range(4)}
    assert codes == {201}
