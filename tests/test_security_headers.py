"""Security headers on every answer: CSP with a per-request nonce for the map's inline script,
no framing, no type sniffing, a referrer policy, HSTS only over HTTPS."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

READY = "() => document.documentElement.dataset.mapState === 'ready'"


def policy_of(answer) -> dict[str, str]:  # noqa: ANN001
    """The CSP as {directive: sources}."""
    parts = [p.strip() for p in answer.headers["Content-Security-Policy"].split(";")]
    return {p.split(" ", 1)[0]: (p.split(" ", 1) + [""])[1] for p in parts if p}


def test_map_carries_the_policy_and_its_nonce(sample_db: str, client: FlaskClient) -> None:
    answer = client.get("/map")
    assert answer.status_code == 200
    policy = policy_of(answer)
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    html = answer.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline, "the map page has its folium script inline"
    for attributes in inline:  # every inline script is data (JSON) or carries the nonce
        assert 'type="application/json"' in attributes or f'nonce="{nonce}"' in attributes
    again = policy_of(client.get("/map"))["script-src"]
    assert nonce not in again  # a new nonce for every request
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in answer.headers  # plain HTTP


def test_pages_without_inline_script_get_no_nonce(client: FlaskClient) -> None:
    policy = policy_of(client.get("/login"))
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"


def test_not_found_and_errors_carry_the_headers(client: FlaskClient) -> None:
    for path in ("/no/such/page", "/api/nothing/here", "/open311/v2/nothing.json",
                 "/api/collections/a/b/c/d"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
    page = client.get("/no/such/page")
    assert policy_of(page)["script-src"].startswith("'self'")
    api = client.get("/api/nothing/here")
    assert policy_of(api)["default-src"] == "'none'"


def test_hsts_only_over_https(client: FlaskClient) -> None:
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_map_runs_under_its_policy_in_chromium(sample_db: str, live_server: str,
                                              page) -> None:  # noqa: ANN001
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('Content Security Policy violated: ' + "
                         "e.violatedDirective + ' ' + e.blockedURI))")
    page.goto(f"{live_server}/map")
    page.wait_for_function(READY, timeout=30_000)  # the inline folium script ran
    assert violations == []
    assert page.evaluate("typeof geoMap") == "object"
