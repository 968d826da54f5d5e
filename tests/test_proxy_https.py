"""Behind reverse proxies: ``Settings.trusted_proxies`` (``GEO_SERVICE_TRUSTED_PROXIES``) of
them are believed about the client's address and scheme (ProxyFix), so a request that reached
the proxy over HTTPS gets ``Secure`` session cookies and HSTS with no further setting; without
trusted proxies the forwarded headers change nothing."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import text

from geo_service.config import Settings, load_settings
from geo_service.db.engine import engine_for
from geo_service.web.app import create_app

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def app_with(db_url: str, tmp_path: Path, proxies: int) -> Flask:
    app = create_app(Settings(database_url=db_url, data_dir=tmp_path, trusted_proxies=proxies),
                     engine=engine_for(db_url))
    app.config["TESTING"] = True
    return app


def session_cookie(answer) -> str:  # noqa: ANN001
    (cookie,) = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("geo_session=")]
    return cookie


def test_the_setting_is_read_from_the_environment() -> None:
    assert load_settings({}).trusted_proxies == 0
    assert load_settings({"GEO_SERVICE_TRUSTED_PROXIES": "2"}).trusted_proxies == 2


def test_https_at_a_trusted_proxy_means_secure_cookies_and_hsts(db_url: str,
                                                                tmp_path: Path) -> None:
    client = app_with(db_url, tmp_path, 1).test_client()
    secure = client.get("/login", headers=FORWARDED)
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in session_cookie(secure)
    plain = app_with(db_url, tmp_path, 1).test_client().get(
        "/login", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers
    assert "Secure" not in session_cookie(plain)


def test_the_forwarded_address_is_the_client(db_url: str, tmp_path: Path) -> None:
    client = app_with(db_url, tmp_path, 1).test_client()
    answer = client.post("/api/hazards", headers=FORWARDED | {"Idempotency-Key": "k1"}, json={
        "lon": 106.83, "lat": 27.52, "category": "other"})
    assert answer.status_code == 201
    with engine_for(db_url).connect() as conn:
        scope = conn.execute(text("SELECT idempotency_client FROM hazards")).scalar_one()
    assert scope == "addr:203.0.113.9"


def test_untrusted_forwarded_headers_change_nothing(db_url: str, tmp_path: Path) -> None:
    app = app_with(db_url, tmp_path, 0)
    answer = app.test_client().get("/login", headers=FORWARDED)
    assert "Strict-Transport-Security" not in answer.headers
    assert "Secure" not in session_cookie(answer)
    direct = app.test_client().get("/login", base_url="https://localhost")  # HTTPS without a proxy
    assert direct.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in session_cookie(direct)
