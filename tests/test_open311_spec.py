"""Open311 GeoReport v2 as the spec says: a standard client's report near an open one is
stored and flagged for staff, every endpoint answers XML as well as JSON, services have
definitions, ``service_request_id`` overrides every other filter, the list defaults to the last
90 days, and ``api_key`` is an API token."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import Engine, text

from geo_service.vocab import HazardCategory

BASE = "/open311/v2"
POINT = {"lat": "27.5200", "long": "106.8300"}


def post(client, fmt: str = "json", **fields: str):  # noqa: ANN001, ANN201
    """Form-encoded POST, the way Open311 clients send it."""
    data = {"service_code": "dim_lighting", "description": "楼梯间灯不亮", **POINT} | fields
    return client.post(f"{BASE}/requests.{fmt}", data=data)


# -- 1. a report near an open one ----------------------------------------------------------------
def test_report_near_an_open_one_is_stored_and_flagged(client, staff_client,  # noqa: ANN001
                                                       engine: Engine) -> None:
    first = post(client)
    assert first.status_code == 201
    first_id = first.get_json()[0]["service_request_id"]
    near = post(client, lat="27.52005")  # about 6 m away, no confirm_duplicate
    assert near.status_code == 201, near.data
    answer = near.get_json()
    near_id = answer[0]["service_request_id"]
    assert near_id != first_id
    assert f"#{first_id}" in answer[0]["service_notice"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hazards")).scalar() == 2
        extra = conn.execute(text(
            "SELECT extra FROM hazard_events WHERE hazard_id = :h AND action = 'report'"),
            {"h": int(near_id)}).scalar_one()
    assert extra["possible_duplicates"] == [int(first_id)]
    page = staff_client.get(f"/hazards/{near_id}").data.decode()
    assert "可能重复" in page and f'href="/hazards/{first_id}"' in page
    english = staff_client.get(f"/hazards/{near_id}?lang=en").data.decode()
    assert "Possible duplicate of" in english
    # the first one was not near anything and is not flagged
    assert "可能重复" not in staff_client.get(f"/hazards/{first_id}").data.decode()


# -- 2. XML for every endpoint -------------------------------------------------------------------
def xml(response, status: int = 200) -> ET.Element:  # noqa: ANN001
    """The parsed XML answer, after checking its status and content type."""
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "text/xml", response.mimetype
    return ET.fromstring(response.data)


def test_xml_answers_with_the_spec_element_names(client) -> None:  # noqa: ANN001
    services = xml(client.get(f"{BASE}/services.xml"))
    assert services.tag == "services"
    assert [s.findtext("service_code") for s in services.findall("service")] == \
        [c.value for c in HazardCategory]
    first = services.find("service")
    assert first is not None and first.findtext("metadata") in ("true", "false")
    assert first.findtext("type") == "realtime" and first.findtext("service_name")

    created = xml(post(client, "xml"), 201)
    assert created.tag == "service_requests"
    rid = created.findtext("request/service_request_id")
    assert rid and rid.isdigit() and created.findtext("request/service_notice")
    assert created.find("request/account_id") is not None

    one = xml(client.get(f"{BASE}/requests/{rid}.xml"))
    assert one.tag == "service_requests" and len(one.findall("request")) == 1
    request = one.find("request")
    assert request is not None
    assert request.findtext("service_request_id") == rid
    assert request.findtext("status") == "open"
    assert request.findtext("description") == "楼梯间灯不亮"
    assert float(request.findtext("lat") or 0) == pytest.approx(27.52)
    assert float(request.findtext("long") or 0) == pytest.approx(106.83)
    json_one = client.get(f"{BASE}/requests/{rid}.json").get_json()[0]
    assert [child.tag for child in request] == list(json_one)  # the same fields, in order

    listed = xml(client.get(f"{BASE}/requests.xml"))
    assert listed.tag == "service_requests"
    assert rid in [r.findtext("service_request_id") for r in listed.findall("request")]


XML_ERRORS = [
    ("get", "/requests/424242.xml", 404),
    ("get", "/requests.xml?status=pending", 400),
    ("get", "/services/ufo.xml", 404),
    ("post", {"service_code": "ufo", **POINT}, 400),
    ("post", {"service_code": "other", "lat": "95", "long": "106.83"}, 400),
]


def test_errors_in_xml(client) -> None:  # noqa: ANN001
    for method, what, status in XML_ERRORS:
        response = (client.post(f"{BASE}/requests.xml", data=what) if method == "post"
                    else client.get(BASE + what))
        root = xml(response, status)
        assert root.tag == "errors", what
        error = root.find("error")
        assert error is not None and error.findtext("code") == str(status), what
        assert error.findtext("description"), what
    # a format that is neither answers in JSON, the default
    assert client.get(f"{BASE}/services.yaml").get_json()[0]["code"] == 400


# -- 3. service definitions ----------------------------------------------------------------------
def test_every_service_has_a_definition(client) -> None:  # noqa: ANN001
    for service in client.get(f"{BASE}/services.json").get_json():
        code = service["service_code"]
        answer = client.get(f"{BASE}/services/{code}.json")
        assert answer.status_code == 200, (code, answer.data)
        definition = answer.get_json()
        assert definition["service_code"] == code
        assert isinstance(definition["attributes"], list)
        assert service["metadata"] is bool(definition["attributes"]), code
    root = xml(client.get(f"{BASE}/services/broken_light.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "broken_light"
    attributes = root.find("attributes")
    assert attributes is not None
    assert len(attributes.findall("attribute")) == len(
        client.get(f"{BASE}/services/broken_light.json").get_json()["attributes"])


def test_unknown_service_definition_is_an_open311_404(client) -> None:  # noqa: ANN001
    answer = client.get(f"{BASE}/services/ufo.json")
    assert answer.status_code == 404
    assert answer.get_json()[0]["code"] == 404 and "ufo" in answer.get_json()[0]["description"]
    assert xml(client.get(f"{BASE}/services/ufo.xml"), 404).findtext("error/code") == "404"


# -- 4. service_request_id, the 90-day window, api_key -------------------------------------------
def backdate(engine: Engine, rid: str, days: int) -> None:
    """Move a request's report time ``days`` into the past."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE hazards SET reported_at = now() - make_interval(days => :d) "
                          "WHERE id = :h"), {"d": days, "h": int(rid)})


def listed(client, query: str = "") -> set[str]:  # noqa: ANN001
    answer = client.get(f"{BASE}/requests.json?{query}")
    assert answer.status_code == 200, answer.data
    return {r["service_request_id"] for r in answer.get_json()}


def test_service_request_id_overrides_every_other_filter(client, engine: Engine) -> None:  # noqa: ANN001
    light = post(client).get_json()[0]["service_request_id"]
    drain = post(client, service_code="leaking_drain", lat="27.5300").get_json()[0][
        "service_request_id"]
    old = post(client, service_code="parking", lat="27.5400").get_json()[0]["service_request_id"]
    backdate(engine, old, 200)
    assert listed(client, f"service_request_id={light},{drain}") == {light, drain}
    # other filters (even ones that would match nothing, or are malformed) are ignored
    assert listed(client, f"service_request_id={light},{old}&service_code=dispute"
                          "&status=closed&start_date=2026-01-01&end_date=2026-01-02") == \
        {light, old}
    assert listed(client, f"service_request_id={drain}&status=pending") == {drain}
    assert listed(client, "service_code=dispute") == set()  # the filter works without ids


def test_the_list_defaults_to_the_last_90_days(client, engine: Engine) -> None:  # noqa: ANN001
    recent = post(client).get_json()[0]["service_request_id"]
    edge = post(client, lat="27.5300").get_json()[0]["service_request_id"]
    old = post(client, lat="27.5400").get_json()[0]["service_request_id"]
    backdate(engine, edge, 89)
    backdate(engine, old, 91)
    assert listed(client) == {recent, edge}
    assert listed(client, "status=open") == {recent, edge}
    assert listed(client, "start_date=2000-01-01") == {recent, edge, old}
    with engine.connect() as conn:
        old_day = conn.execute(text("SELECT (reported_at AT TIME ZONE 'Asia/Shanghai')::date "
                                    "FROM hazards WHERE id = :h"), {"h": int(old)}).scalar_one()
    # an end date alone: the 90 days before it
    assert old in listed(client, f"end_date={old_day.isoformat()}")
    assert recent not in listed(client, f"end_date={old_day.isoformat()}")


def test_api_key_is_an_api_token(app, client, engine: Engine) -> None:  # noqa: ANN001
    from helpers.accounts import make_user

    from geo_service.auth import accounts

    username = make_user(app, "community_admin", display_name="调度台")
    with engine.begin() as conn:
        token = accounts.create_token(conn, username, "open311 desk")
    created = post(client, api_key=token)
    assert created.status_code == 201, created.data
    rid = created.get_json()[0]["service_request_id"]
    with engine.connect() as conn:
        actor = conn.execute(text("SELECT actor FROM hazard_events WHERE hazard_id = :h"),
                             {"h": int(rid)}).scalar_one()
    assert actor == "调度台"  # the token's user, as with Authorization: Bearer
    assert client.get(f"{BASE}/requests.json?api_key={token}").status_code == 200
    wrong = client.get(f"{BASE}/requests.json?api_key=not-a-token")
    assert wrong.status_code == 401 and wrong.get_json()[0]["code"] == 401
    assert xml(client.get(f"{BASE}/requests.xml?api_key=not-a-token"), 401).tag == "errors"
    refused = post(client, api_key="not-a-token")
    assert refused.status_code == 401
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hazards")).scalar() == 1


# -- 5. the OpenAPI description ------------------------------------------------------------------
def test_openapi_describes_xml_definitions_and_api_key(client) -> None:  # noqa: ANN001
    paths = client.get("/api/openapi.json").get_json()["paths"]
    open311 = {p: item for p, item in paths.items() if p.startswith("/open311/v2/")}
    assert "/open311/v2/services/{code}.{fmt}" in open311
    for path, item in open311.items():
        for method, operation in item.items():
            names = {p["name"]: p for p in operation.get("parameters", [])}
            assert names["fmt"]["schema"]["enum"] == ["json", "xml"], (path, method)
            assert "api_key" in names, (path, method)
            for status, response in operation["responses"].items():
                assert {"application/json", "text/xml"} <= set(response["content"]), \
                    (path, method, status)
    definition = open311["/open311/v2/services/{code}.{fmt}"]["get"]["responses"]["200"]
    schema = definition["content"]["application/json"]["schema"]
    assert schema.get("$ref", "").endswith("Open311ServiceDefinition")
    listing = open311["/open311/v2/requests.{fmt}"]["get"]
    assert "90 days" in listing["description"] and "overrides" in listing["description"]
    assert "409" not in open311["/open311/v2/requests.{fmt}"]["post"]["responses"]


# -- 5. a client's flow over real HTTP, in XML and in JSON ---------------------------------------
def call(root: str, method: str, path: str,
         form: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    """One HTTP exchange (urllib only): status, content type and body."""
    data = urllib.parse.urlencode(form).encode("ascii") if form is not None else None
    request = urllib.request.Request(root + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def records(fmt: str, kind: str, raw: bytes) -> list[dict[str, str]]:
    """An answer as a list of flat records, from JSON or from the spec's XML."""
    if fmt == "json":
        return [{k: "" if v is None else str(v) for k, v in item.items()}
                for item in json.loads(raw)]
    assert kind.startswith("text/xml"), kind
    root = ET.fromstring(raw)
    assert root.tag in ("services", "service_requests"), root.tag
    return [{child.tag: child.text or "" for child in item} for item in root]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_client_flow(live_server: str, fmt: str) -> None:
    status, kind, raw = call(live_server, "GET", f"{BASE}/services.{fmt}")
    assert status == 200
    services = records(fmt, kind, raw)
    code = next(s["service_code"] for s in services if s["service_code"] == "broken_light")
    status, kind, raw = call(live_server, "GET", f"{BASE}/services/{code}.{fmt}")
    assert status == 200
    if fmt == "xml":
        assert ET.fromstring(raw).tag == "service_definition"
    else:
        assert json.loads(raw)["service_code"] == code

    form = {"service_code": code, "lat": "27.52130", "long": "106.83010",
            "description": "路灯不亮", "email": "resident@example.org"}
    status, kind, raw = call(live_server, "POST", f"{BASE}/requests.{fmt}", form)
    assert status == 201, raw
    first = records(fmt, kind, raw)[0]["service_request_id"]
    # a second resident's app posts the same light, 5 m away: stored and flagged, not refused
    status, kind, raw = call(live_server, "POST", f"{BASE}/requests.{fmt}",
                             form | {"lat": "27.52134", "email": "neighbour@example.org"})
    assert status == 201, raw
    second = records(fmt, kind, raw)[0]
    assert second["service_request_id"] != first and f"#{first}" in second["service_notice"]

    status, kind, raw = call(live_server, "GET", f"{BASE}/requests/{first}.{fmt}")
    assert status == 200
    (request,) = records(fmt, kind, raw)
    assert (request["service_request_id"], request["service_code"], request["status"]) == \
        (first, code, "open")
    assert request["description"] == "路灯不亮" and b"resident@example.org" not in raw

    ids = f"{first},{second['service_request_id']}"
    status, kind, raw = call(live_server, "GET",
                             f"{BASE}/requests.{fmt}?service_request_id={ids}&status=closed")
    assert status == 200
    assert {r["service_request_id"] for r in records(fmt, kind, raw)} == set(ids.split(","))
    status, kind, raw = call(live_server, "GET", f"{BASE}/requests.{fmt}?status=open")
    assert {first, second["service_request_id"]} <= {
        r["service_request_id"] for r in records(fmt, kind, raw)}

    status, kind, raw = call(live_server, "GET", f"{BASE}/requests/424242.{fmt}")
    assert status == 404
    if fmt == "xml":
        assert ET.fromstring(raw).findtext("error/code") == "404"
    else:
        assert json.loads(raw)[0]["code"] == 404


def test_xml_stays_well_formed_with_control_characters(client) -> None:  # noqa: ANN001
    made = post(client, "xml", description="灯\x0b坏了\x1f <b>&</b>")
    rid = xml(made, 201).findtext("request/service_request_id")
    request = xml(client.get(f"{BASE}/requests/{rid}.xml")).find("request")
    assert request is not None
    assert request.findtext("description") == "灯\ufffd坏了\ufffd <b>&</b>"
    assert client.get(f"{BASE}/requests/{rid}.json").get_json()[0]["description"] == \
        "灯\x0b坏了\x1f <b>&</b>"  # JSON carries the text as stored
