"""The role matrix: every (role, endpoint, method) of ``app.url_map`` against the policy table.

For each role (and the public) and every route the app serves, one request through the Flask
test client: the answer must be a refusal (401/403, or a page redirected to ``/login``) exactly
when :mod:`geo_service.auth.policy` refuses that role, and anything else (2xx, 3xx, other 4xx)
when it allows it. Requests carry the session's CSRF token (as the pages' forms and scripts
do), so what is measured is the policy, not the CSRF check. Every user is given the scope of
the hazard in the URL (its grid, its building; the hazard is escalated to the subdistrict and
reported by the resident), so scoped rules allow exactly the roles they name; the scope itself
is checked separately (a grid worker of grid 1 may not assign a hazard of grid 5, may in
grid 1; likewise building leaders, the subdistrict level and API tokens).

One database with the sample community serves the whole module. Run alone it prints the
matrix (``-s``).
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers.accounts import STAFF_PASSWORD, make_user, sign_in
from sqlalchemy import create_engine, text

from geo_service.auth import policy
from geo_service.config import Settings
from geo_service.db.engine import engine_for
from geo_service.hazards import lifecycle

ROLES = ("public", *policy.ROLES)
# Values for the URL variables of the routes (the hazard and ids are filled in per module).
SAMPLE_VALUES = {"cid": "hazards", "fmt": "json", "code": "parking",
                 "filename": "hazards.css"}


def build_routes() -> list[tuple[str, str, str]]:
    """``(endpoint, method, rule)`` of every route, from an app built without a database."""
    from geo_service.web.app import create_app

    dummy = "postgresql+psycopg://nobody@127.0.0.1:9/none"
    app = create_app(Settings(database_url=dummy, data_dir=Path(tempfile.gettempdir()),
                              secret_key="only-for-listing-the-routes-" + "x" * 20),
                     engine=create_engine(dummy))
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


ROUTES = build_routes()


# -- the module's app, users and ids -----------------------------------------------------------
@pytest.fixture(scope="module")
def world(module_sample_db: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The app on the sample, one user per role scoped to the target hazard, ids for URLs."""
    from geo_service.web.app import create_app

    data = tmp_path_factory.mktemp("matrix")
    app = create_app(Settings(database_url=module_sample_db, basemap="none", data_dir=data),
                     engine=engine_for(module_sample_db))
    app.config["TESTING"] = True
    engine = app.config["ENGINE"]
    with engine.connect() as conn:
        hazard = conn.execute(text("SELECT h.id FROM hazards h WHERE h.status <> 'closed' "
                                   "AND h.grid_id IS NOT NULL ORDER BY h.id LIMIT 1")).scalar_one()
    target = {"id": hazard, **tie_to_a_building(engine, hazard)}
    users = {}
    for role in policy.ROLES:
        users[role] = make_user(app, role, f"m_{role}", grids=[target["grid"]],
                                buildings=[target["building"]])
    spare = make_user(app, "resident", "m_spare")
    from geo_service.auth import accounts

    with engine.begin() as conn:
        conn.execute(text("UPDATE hazards SET level = 'subdistrict', reporter_user_id = "
                          "(SELECT id FROM users WHERE username = :u) WHERE id = :id"),
                     {"u": users["resident"], "id": target["id"]})
        accounts.create_token(conn, spare, "spare")
        spare_id = accounts.user_id(conn, spare)
        token_id = conn.execute(text("SELECT max(id) FROM api_tokens")).scalar_one()
    values = SAMPLE_VALUES | {"hazard_id": str(target["id"]), "fid": str(target["id"]),
                              "service_request_id": str(target["id"]),
                              "user_id": str(spare_id), "token_id": str(token_id)}
    from geo_service.web import vendor

    vendored = next(iter(vendor.ASSETS.values())).removeprefix(vendor.VENDOR_URL + "/")
    return {"app": app, "users": users, "target": target, "values": values, "clients": {},
            "results": {}, "vendored": vendored}


def client_for(world: dict, role: str) -> FlaskClient:
    """A signed-in client per role (the public's has a session and its CSRF token too)."""
    client = world["clients"].get(role)
    if client is None:
        client = world["app"].test_client()
        if role == "public":
            form = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            client.environ_base["HTTP_X_CSRF_TOKEN"] = token
        else:
            sign_in(client, world["users"][role], STAFF_PASSWORD)
        world["clients"][role] = client
    return client


def url_for_rule(rule: str, values: dict[str, str]) -> str:
    """The rule with its variables filled in (``1`` for any the module does not know)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values.get(m.group(1), "1"), rule)


def refused(response) -> bool:  # noqa: ANN001
    """401/403, or a page sent to the sign-in form."""
    if response.status_code in (401, 403):
        return True
    return (300 <= response.status_code < 400
            and response.headers.get("Location", "").startswith("/login"))


# -- every pair ---------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method", "rule"), ROUTES,
                         ids=[f"{m}-{e}" for e, m, _ in ROUTES])
def test_role_endpoint_pair(world: dict, role: str, endpoint: str, method: str,
                            rule: str) -> None:
    allowed = role in policy.roles_allowed(endpoint, method)
    if policy.rule_for(endpoint, method, warn=False)[0].scope == "hazard":
        # the target is escalated to the subdistrict: roles below no longer own it
        allowed = allowed and lifecycle.owns_level("subdistrict", role)
    client = client_for(world, role)
    values = world["values"]
    if endpoint == "assets.vendored":
        values = values | {"filename": world["vendored"]}
    url = url_for_rule(rule, values)
    start = time.perf_counter()
    response = client.open(url, method=method, data={} if method != "GET" else None)
    took = time.perf_counter() - start
    assert response.status_code < 500, (url, response.status_code,
                                        response.get_data(as_text=True)[:300])
    if allowed:
        assert not refused(response), (role, method, url, response.status_code,
                                       response.get_data(as_text=True)[:300])
    else:
        assert refused(response), (role, method, url, response.status_code)
        if role == "public":
            assert response.status_code in (302, 401), (method, url, response.status_code)
        else:
            assert response.status_code == 403, (role, method, url, response.status_code)
    world["results"][(endpoint, method, role)] = (allowed, response.status_code, took)
    if endpoint == "auth_pages.logout" and role != "public":  # sign back in for what follows
        world["clients"].pop(role)
    assert took < 30, (url, took)


def test_matrix_summary(world: dict) -> None:
    """Every (role, endpoint, method) pair ran; print the matrix: ``+`` allowed, ``-`` refused,
    with the status each role got."""
    results = world["results"]
    missing = [(role, method, endpoint) for endpoint, method, _ in ROUTES for role in ROLES
               if (endpoint, method, role) not in results]
    assert not missing, f"{len(missing)} pairs did not run, e.g. {missing[:5]}"
    width = max(len(f"{m} {e}") for e, m, _ in ROUTES)
    lines = [" " * width + " " + " ".join(f"{r[:11]:>11}" for r in ROLES)]
    for endpoint, method, _ in ROUTES:
        cells = []
        for role in ROLES:
            got = results.get((endpoint, method, role))
            cells.append(f"{'+' if got[0] else '-'}{got[1]:>10}" if got else " " * 11)
        lines.append(f"{method + ' ' + endpoint:<{width}} " + " ".join(cells))
    allowed = sum(1 for a, _, _ in results.values() if a)
    slowest = max(results.items(), key=lambda kv: kv[1][2])
    print("\n" + "\n".join(lines))
    print(f"role matrix: {len(results)} pairs, {allowed} allowed, {len(results) - allowed} "
          f"refused; slowest {slowest[0][1]} {slowest[0][0]} as {slowest[0][2]}: "
          f"{slowest[1][2]:.2f} s")


def test_every_route_has_a_rule() -> None:
    """A new route must get its own line in the table (the default is only a safety net)."""
    missing = [(e, m) for e, m, _ in ROUTES if not policy.rule_for(e, m, warn=False)[1]]
    assert missing == [], f"add these to geo_service.auth.policy.POLICY: {missing}"


# -- rules that do not follow from the table's own words -------------------------------------------
KEY_PAIRS = [  # (role, method, endpoint, allowed), written down independently of the table
    ("public", "GET", "map_page.map_view", True),
    ("public", "GET", "collections.items", True),
    ("public", "GET", "open311.get_requests", True),
    ("public", "POST", "open311.post_request", True),
    ("public", "POST", "api_hazards.create", True),
    ("public", "POST", "api_hazards.post_event", False),
    ("public", "GET", "hazard_pages.listing", False),
    ("public", "GET", "dashboard.page", False),
    ("public", "GET", "auth_pages.users", False),
    ("resident", "POST", "api_hazards.create", True),
    ("resident", "POST", "hazard_pages.act", False),
    ("resident", "GET", "hazard_pages.listing", False),
    ("resident", "GET", "auth_pages.account", True),
    ("patrol", "POST", "api_hazards.post_event", False),
    ("patrol", "GET", "hazard_pages.listing", True),
    ("grid_worker", "POST", "hazard_pages.act", True),
    ("building_leader", "POST", "api_hazards.post_event", True),
    ("grid_worker", "POST", "api_planning.plan_lights", False),
    ("subdistrict", "POST", "api_planning.plan_lights", True),
    ("subdistrict", "GET", "auth_pages.users", False),
    ("community_admin", "POST", "auth_pages.user_create", True),
    ("community_admin", "POST", "auth_pages.token_create", True),
    ("grid_worker", "POST", "auth_pages.token_create", False),
    ("public", "GET", "auth_pages.login_code", True),
    ("public", "POST", "auth_pages.login_code_posted", True),
    ("public", "POST", "auth_pages.session_end", False),
    ("resident", "POST", "auth_pages.session_end", True),
    ("resident", "POST", "auth_pages.sessions_end_others", True),
    ("subdistrict", "POST", "auth_pages.user_sessions_end", False),
    ("community_admin", "POST", "auth_pages.user_sessions_end", True),
    ("resident", "GET", "auth_pages.totp_setup", False),
    ("grid_worker", "POST", "auth_pages.totp_confirm", False),
    ("patrol", "GET", "auth_pages.totp_qr", False),
    ("community_admin", "GET", "auth_pages.totp_setup", True),
    ("community_admin", "GET", "auth_pages.totp_qr", True),
    ("subdistrict", "POST", "auth_pages.totp_confirm", True),
    ("subdistrict", "POST", "auth_pages.totp_disable", True),
]


@pytest.mark.parametrize(("role", "method", "endpoint", "allowed"), KEY_PAIRS)
def test_key_pairs(role: str, method: str, endpoint: str, allowed: bool) -> None:
    assert (role in policy.roles_allowed(endpoint, method)) is allowed


def test_anonymous_reports_can_be_switched_off() -> None:
    for endpoint, method in (("api_hazards.create", "POST"), ("hazard_pages.new", "GET"),
                             ("hazard_pages.new_posted", "POST"),
                             ("open311.post_request", "POST")):
        assert "public" in policy.roles_allowed(endpoint, method)
        assert "public" not in policy.roles_allowed(endpoint, method, anonymous_reports=False)
        assert "resident" in policy.roles_allowed(endpoint, method, anonymous_reports=False)


def test_unknown_routes_get_the_safe_default(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING", logger="geo_service.auth.policy")
    read, named = policy.rule_for("brand_new.view", "GET")
    write, _ = policy.rule_for("brand_new.view", "POST")
    assert not named and read.roles == policy.EVERYONE and write.roles == {"community_admin"}
    assert any("brand_new.view" in r.getMessage() for r in caplog.records)


# -- scope ----------------------------------------------------------------------------------------
def tie_to_a_building(engine, hazard_id: int) -> dict:  # noqa: ANN001
    """The sample's hazards lie outside buildings: tie this one to a building of its grid
    (as a report at a building's door is); its grid number and the building's source id."""
    with engine.begin() as conn:
        row = conn.execute(text("""
            SELECT g.number AS grid, b.id, b.source_id AS building FROM hazards h
            JOIN grids g ON g.id = h.grid_id JOIN buildings b ON b.grid_id = g.id
            WHERE h.id = :id ORDER BY b.id LIMIT 1"""), {"id": hazard_id}).mappings().one()
        conn.execute(text("UPDATE hazards SET building_id = :b WHERE id = :id"),
                     {"b": row["id"], "id": hazard_id})
    return {"grid": row["grid"], "building": row["building"]}


def hazard_in(engine, grid: int) -> tuple[int, str]:  # noqa: ANN001
    """A hazard of a grid, made ready to assign: (id, its building's source id)."""
    with engine.begin() as conn:
        hazard_id = conn.execute(text("""
            SELECT h.id FROM hazards h JOIN grids g ON g.id = h.grid_id
            WHERE g.number = :g ORDER BY h.id LIMIT 1"""), {"g": grid}).scalar_one()
        conn.execute(text("UPDATE hazards SET status = 'reported', assignee = NULL, "
                          "level = 'building' WHERE id = :id"), {"id": hazard_id})
    return hazard_id, tie_to_a_building(engine, hazard_id)["building"]


def assign(client: FlaskClient, hazard_id: int, page: bool = False) -> int:
    if page:
        return client.post(f"/hazards/{hazard_id}/events",
                           data={"action": "assign", "assignee": "金燕"}).status_code
    return client.post(f"/api/hazards/{hazard_id}/events",
                       json={"action": "assign", "assignee": "金燕"}).status_code


def test_grid_worker_acts_only_in_own_grids(world: dict) -> None:
    app: Flask = world["app"]
    engine = app.config["ENGINE"]
    in_1, _ = hazard_in(engine, 1)
    in_5, _ = hazard_in(engine, 5)
    worker = app.test_client()
    sign_in(worker, make_user(app, "grid_worker", "scope_grid1", grids=[1]))
    assert assign(worker, in_5) == 403
    assert assign(worker, in_5, page=True) == 403
    assert assign(worker, in_1) == 201
    with engine.connect() as conn:
        status = dict(conn.execute(text("SELECT id, status FROM hazards WHERE id IN (:a, :b)"),
                                   {"a": in_1, "b": in_5}).all())
    assert status == {in_1: "assigned", in_5: "reported"}
    # the hazard page offers the actions only where they would be allowed
    assert 'id="hz-actions"' not in worker.get(f"/hazards/{in_5}").get_data(as_text=True)
    hazard_in(engine, 1)
    assert 'id="hz-actions"' in worker.get(f"/hazards/{in_1}").get_data(as_text=True)


def test_building_leader_and_subdistrict_scope(world: dict) -> None:
    app: Flask = world["app"]
    engine = app.config["ENGINE"]
    mine, building = hazard_in(engine, 2)
    other, _ = hazard_in(engine, 3)
    leader = app.test_client()
    sign_in(leader, make_user(app, "building_leader", "scope_leader", buildings=[building]))
    assert assign(leader, other) == 403
    assert assign(leader, mine) == 201
    subdistrict = app.test_client()
    sign_in(subdistrict, make_user(app, "subdistrict", "scope_subdistrict"))
    assert assign(subdistrict, other) == 403  # still at the building level
    with engine.begin() as conn:
        conn.execute(text("UPDATE hazards SET level = 'subdistrict' WHERE id = :id"),
                     {"id": other})
    assert assign(subdistrict, other) == 201


def test_api_tokens_carry_their_user_scope(world: dict) -> None:
    from geo_service.auth import accounts

    app: Flask = world["app"]
    engine = app.config["ENGINE"]
    in_4, _ = hazard_in(engine, 4)
    in_6, _ = hazard_in(engine, 6)
    name = make_user(app, "grid_worker", "scope_token", grids=[4])
    with engine.begin() as conn:
        token = accounts.create_token(conn, name, "integration")
    client = app.test_client()  # no session, no CSRF token: the bearer token is enough
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/api/hazards/{in_6}/events", headers=bearer,
                       json={"action": "assign", "assignee": "x"}).status_code == 403
    assert client.post(f"/api/hazards/{in_4}/events", headers=bearer,
                       json={"action": "assign", "assignee": "x"}).status_code == 201
