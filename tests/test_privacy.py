"""Privacy: no personal value of the sample reaches the public, through any route.

The personal values are taken from the sample database itself: every reporter name and contact,
every building leader's name and phone, every patrol member's phone, every user's phone (users
are added with phones), and - because the public view of a hazard names no person at all -
every assignee and every actor of a hazard's history. Then, for EVERY route of
``app.url_map`` that answers GET, the public (no account, no session) fetches it with the
sample's ids filled in - every hazard, every collection and some of its features, every
service code - plus the list and export variants, and no answer may contain any of those
values, raw, HTML-escaped or JSON-escaped. The same sweep as a community admin finds the
reporter contacts (the values are searched for as they are rendered), and each role sees the
reporter only within its scope.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers.accounts import make_user, sign_in
from markupsafe import escape
from sqlalchemy import text

from geo_service.config import Settings
from geo_service.db.engine import engine_for
from geo_service.vocab import HazardCategory

USER_PHONES = ("139-7777-0001", "139-7777-0002", "139-7777-0003")
COLLECTION_FEATURES = 5  # features fetched one by one per collection
MIN_LENGTH = 2  # shorter values would match by chance


@pytest.fixture(scope="module")
def app(module_sample_db: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    from geo_service.web.app import create_app

    data: Path = tmp_path_factory.mktemp("privacy")
    application = create_app(Settings(database_url=module_sample_db, basemap="none",
                                      data_dir=data), engine=engine_for(module_sample_db))
    application.config["TESTING"] = True
    for role, phone in zip(("resident", "grid_worker", "patrol"), USER_PHONES, strict=True):
        make_user(application, role, f"p_{role}", phone=phone, grids=[1] if role != "resident"
                  else ())
    return application


@pytest.fixture(scope="module")
def personal(app: Flask) -> list[str]:
    """Every personal value of the sample (and of the users), longest first."""
    queries = [
        "SELECT reporter_name FROM hazards", "SELECT reporter_contact FROM hazards",
        "SELECT assignee FROM hazards", "SELECT actor FROM hazard_events",
        "SELECT leader_name FROM buildings", "SELECT leader_phone FROM buildings",
        "SELECT phone FROM patrol_members", "SELECT phone FROM users",
    ]
    values: set[str] = set()
    with app.config["ENGINE"].connect() as conn:
        for query in queries:
            values |= {v.strip() for v in conn.execute(text(query)).scalars() if v and v.strip()}
    values = {v for v in values if len(v) >= MIN_LENGTH}
    assert len(values) > 100  # the sample's reporters, leaders, members, staff
    assert set(USER_PHONES) <= values
    return sorted(values, key=lambda v: (-len(v), v))


def forms(value: str) -> set[str]:
    """How a value can appear in an answer: as is, HTML-escaped, JSON-escaped."""
    return {value, str(escape(value)), json.dumps(value)[1:-1]}


def leaks(body: str, values: list[str]) -> list[str]:
    return [v for v in values if any(f in body for f in forms(v))]


def sample_urls(app: Flask, client: FlaskClient) -> Iterator[str]:
    """Every GET route with the sample's ids filled in, and the list and export variants."""
    with app.config["ENGINE"].connect() as conn:
        hazards = list(conn.execute(text("SELECT id FROM hazards ORDER BY id")).scalars())
        plan = conn.execute(text("SELECT max(id) FROM patrol_plans")).scalar() if conn.execute(
            text("SELECT to_regclass('patrol_plans')")).scalar() else None
    collections = [c["id"] for c in client.get("/api/collections").get_json()["collections"]]
    features: dict[str, list[str]] = {}
    for cid in collections:
        items = client.get(f"/api/collections/{cid}/items?limit=10000").get_json()
        features[cid] = [str(f["id"]) for f in items.get("features", [])
                         if f.get("id") is not None][:COLLECTION_FEATURES]
    choices = {
        "hazard_id": [str(i) for i in hazards],
        "service_request_id": [str(i) for i in hazards],
        "cid": collections,
        "code": [c.value for c in HazardCategory],
        "fmt": ["json"],
        "plan_id": [str(plan or 1)],
        "user_id": ["1"], "token_id": ["1"],
        "filename": ["hazards.css", "hazard_new.js"],
    }
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        if rule.endpoint == "assets.vendored":  # third-party libraries, byte for byte
            continue
        names = sorted(rule.arguments)
        if "fid" in names:  # one collection's features
            for cid, fids in features.items():
                for fid in fids:
                    yield rule.rule.replace("<cid>", cid).replace("<fid>", fid)
            continue
        urls = [rule.rule]
        for name in names:
            pattern = re.compile(r"<(?:[^:<>]+:)?" + re.escape(name) + ">")
            urls = [pattern.sub(value, u) for u in urls for value in choices.get(name, ["1"])]
        yield from urls
    yield from ("/api/hazards?limit=1000", "/api/hazards?format=csv",
                  "/api/hazards?format=geojson", "/api/hazards?format=csv&lang=en",
                  "/open311/v2/requests.json?status=open", "/hazards?lang=en",
                  *(f"/api/collections/{cid}/items?limit=10000" for cid in collections))


def test_no_personal_value_reaches_the_public(app: Flask, personal: list[str]) -> None:
    client = app.test_client()
    fetched, found = 0, {}
    for url in sample_urls(app, client):
        answer = client.get(url)
        assert answer.status_code < 500, (url, answer.status_code)
        body = answer.get_data(as_text=True)
        fetched += 1
        leaked = leaks(body, personal)
        if leaked:
            found[url] = leaked[:5]
    assert found == {}, f"personal data in public answers: {found}"
    assert fetched > 150  # every hazard, collection, feature, service and page
    print(f"\nprivacy: {fetched} public answers, {len(personal)} personal values, no leak")


def test_public_posts_do_not_echo_personal_data(app: Flask, personal: list[str]) -> None:
    client = app.test_client()
    name, contact = "隐私测试人", "13912345678"
    created = client.post("/api/hazards", json={
        "lon": 106.8301, "lat": 27.5201, "category": "other", "reporter_name": name,
        "reporter_contact": contact, "actor": name, "confirm_duplicate": True})
    assert created.status_code == 201
    hazard_id = created.get_json()["id"]
    opened = client.post("/open311/v2/requests.json", data={
        "service_code": "other", "lat": "27.5203", "long": "106.8303", "first_name": name,
        "phone": contact, "confirm_duplicate": "true"})
    assert opened.status_code == 201
    duplicate = client.post("/api/hazards", json={"lon": 106.8301, "lat": 27.5201,
                                                  "category": "other"})
    assert duplicate.status_code == 409
    for answer in (created, opened, duplicate, client.get(f"/api/hazards/{hazard_id}"),
                   client.get(f"/hazards/{hazard_id}")):
        body = answer.get_data(as_text=True)
        assert not leaks(body, [name, contact, *personal]), body[:300]


def test_staff_see_reporters_within_their_scope(app: Flask) -> None:
    with app.config["ENGINE"].connect() as conn:
        row = conn.execute(text("""
            SELECT h.id, h.reporter_contact, h.reporter_name, g.number FROM hazards h
            JOIN grids g ON g.id = h.grid_id
            WHERE h.reporter_contact IS NOT NULL AND g.number <> 1 ORDER BY h.id LIMIT 1""")
        ).one()
    admin = app.test_client()
    sign_in(admin, make_user(app, "community_admin"))
    for url in (f"/hazards/{row.id}", f"/api/hazards/{row.id}"):
        body = admin.get(url).get_data(as_text=True)
        assert any(f in body for f in forms(row.reporter_contact)), url  # the control
    assert row.reporter_name in admin.get(f"/hazards?id={row.id}").get_data(as_text=True)
    inside = app.test_client()
    sign_in(inside, make_user(app, "grid_worker", grids=[row.number]))
    outside = app.test_client()
    sign_in(outside, make_user(app, "grid_worker", grids=[1]))
    patrol = app.test_client()
    sign_in(patrol, make_user(app, "patrol"))
    for url in (f"/hazards/{row.id}", f"/api/hazards/{row.id}"):
        assert row.reporter_contact in inside.get(url).get_data(as_text=True), url
        for client in (outside, patrol):
            answer = client.get(url)
            assert answer.status_code == 200
            assert row.reporter_contact not in answer.get_data(as_text=True), url


def test_residents_see_their_own_reports_only(app: Flask) -> None:
    resident = app.test_client()
    sign_in(resident, make_user(app, "resident"))
    mine = resident.post("/api/hazards", json={
        "lon": 106.8351, "lat": 27.5151, "category": "fire_risk", "confirm_duplicate": True,
        "reporter_name": "居民自己", "reporter_contact": "13655556666"}).get_json()["id"]
    with app.config["ENGINE"].connect() as conn:
        other, contact = conn.execute(text(
            "SELECT id, reporter_contact FROM hazards WHERE reporter_contact IS NOT NULL "
            "AND reporter_user_id IS NULL ORDER BY id LIMIT 1")).one()
        assert conn.execute(text("SELECT reporter_user_id IS NOT NULL FROM hazards "
                                 "WHERE id = :id"), {"id": mine}).scalar()
    for url in (f"/hazards/{mine}", f"/api/hazards/{mine}", "/account"):
        assert "13655556666" in resident.get(url).get_data(as_text=True), url
    for url in (f"/hazards/{other}", f"/api/hazards/{other}", "/api/hazards?limit=1000"):
        assert contact not in resident.get(url).get_data(as_text=True), url
    assert resident.get("/hazards").status_code == 403  # the staff list is not for residents
