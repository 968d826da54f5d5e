"""Open311 GeoReport v2 over the hazards: services, a client's round trip, status mapping,
privacy, filters and errors in Open311's format."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import datetime

import pytest
from sqlalchemy import Engine, text

from geo_service.vocab import HazardCategory

BASE = "/open311/v2"
POINT = {"lat": "27.5200", "long": "106.8300"}
PRIVATE = ("reporter@example.org", "13912345678", "秘密", "Mystery")


def post(client, **fields: str):  # noqa: ANN001, ANN201
    """Form-encoded POST, the way Open311 clients send it."""
    data = {"service_code": "dim_lighting", "description": "楼梯间灯不亮", **POINT} | fields
    return client.post(f"{BASE}/requests.json", data=data)


def one(client, rid: str, lang: str = "zh") -> dict:  # noqa: ANN001
    answer = client.get(f"{BASE}/requests/{rid}.json", query_string={"lang": lang})
    assert answer.status_code == 200, answer.data
    items = answer.get_json()
    assert isinstance(items, list) and len(items) == 1
    return items[0]


def step(client, rid: str, action: str, **fields: object) -> None:  # noqa: ANN001
    answer = client.post(f"/api/hazards/{rid}/events", json={"action": action, **fields})
    assert answer.status_code == 201, answer.data


def test_services_are_the_categories(client) -> None:  # noqa: ANN001
    answer = client.get(f"{BASE}/services.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    services = answer.get_json()
    assert [s["service_code"] for s in services] == [c.value for c in HazardCategory]
    by_code = {s["service_code"]: s for s in services}
    assert by_code["dim_lighting"]["service_name"] == "照明昏暗"
    for service in services:
        assert service["metadata"] is False and service["type"] == "realtime"
        assert service["group"] and service["description"]
    english = {s["service_code"]: s for s in
               client.get(f"{BASE}/services.json?lang=en").get_json()}
    assert english["dim_lighting"]["service_name"] == "dim lighting"
    assert english["broken_light"]["group"] == "Lights and cameras"


def test_round_trip_and_status_changes(client, staff_client) -> None:  # noqa: ANN001
    created = post(client, email=PRIVATE[0], phone=PRIVATE[1], first_name=PRIVATE[2],
                   last_name=PRIVATE[3], address_string="商贸城3栋楼梯间",
                   media_url="https://example.org/p.jpg")
    assert created.status_code == 201
    answer = created.get_json()
    assert list(answer[0]) == ["service_request_id", "service_notice", "account_id"]
    rid = answer[0]["service_request_id"]
    assert isinstance(rid, str) and rid.isdigit()
    request = one(client, rid)
    assert request["status"] == "open" and request["service_code"] == "dim_lighting"
    assert request["service_name"] == "照明昏暗" and request["agency_responsible"] == "楼栋"
    assert request["description"] == "楼梯间灯不亮"
    assert request["address"] == "商贸城3栋楼梯间"
    assert request["media_url"] == "https://example.org/p.jpg"
    assert request["lat"] == pytest.approx(27.52) and request["long"] == pytest.approx(106.83)
    requested = datetime.fromisoformat(request["requested_datetime"])
    expected = datetime.fromisoformat(request["expected_datetime"])
    assert requested.utcoffset() is not None and (expected - requested).days == 7
    assert one(client, rid, lang="en")["agency_responsible"] == "building"

    seen = []
    for action, fields in (("assign", {"assignee": "金燕"}),
                           ("escalate", {"reason": "需要网格协调"}),
                           ("escalate", {"reason": "需要社区出面"}),
                           ("start", {}), ("resolve", {}),
                           ("revisit", {"satisfaction": 4}), ("close", {})):
        step(staff_client, rid, action, **fields)  # staff move the hazard on
        request = one(client, rid)
        seen.append((request["status"], request["agency_responsible"], request["status_notes"]))
    assert [s[0] for s in seen] == ["open"] * 6 + ["closed"]
    assert [s[1] for s in seen] == ["楼栋", "网格", "社区", "社区", "社区", "社区", "社区"]
    assert seen[4][2].startswith("已解决") and "4/5" in seen[5][2] and seen[6][2] == "已办结。"
    english = one(client, rid, lang="en")
    assert english["status_notes"] == "Closed." and english["agency_responsible"] == "community"
    assert datetime.fromisoformat(english["updated_datetime"]) >= requested

    for response in (client.get(f"{BASE}/requests.json"), client.get(f"{BASE}/requests/{rid}.json"),
                     client.get(f"/api/hazards/{rid}"), client.get("/api/hazards?format=csv")):
        for secret in PRIVATE:
            assert secret.encode() not in response.data, secret


def test_client_flow_over_real_http(app, live_server: str) -> None:  # noqa: ANN001
    """The flow an Open311 client runs: list services, post, read back, see a change (made by
    the staff's dispatch system with its API token)."""
    from helpers.accounts import make_user

    from geo_service.auth import accounts

    with app.config["ENGINE"].begin() as conn:
        token = accounts.create_token(conn, make_user(app, "community_admin"), "dispatch")

    def get(path: str) -> object:
        with urllib.request.urlopen(live_server + path, timeout=10) as response:
            assert response.headers["Content-Type"].startswith("application/json")
            return json.loads(response.read().decode("utf-8"))

    services = get(f"{BASE}/services.json")
    code = services[0]["service_code"]
    form = urllib.parse.urlencode({"service_code": code, "lat": "27.521", "long": "106.829",
                                   "description": "路口车辆乱停", "email": PRIVATE[0]}).encode()
    with urllib.request.urlopen(urllib.request.Request(
            f"{live_server}{BASE}/requests.json", data=form, method="POST"),
            timeout=10) as response:
        assert response.status == 201
        rid = json.loads(response.read())[0]["service_request_id"]
    assert get(f"{BASE}/requests/{rid}.json")[0]["status"] == "open"
    assert rid in [r["service_request_id"] for r in get(f"{BASE}/requests.json?status=open")]
    for action, extra in (("assign", {"assignee": "a"}), ("start", {}), ("resolve", {}),
                          ("revisit", {"satisfaction": 5}), ("close", {})):
        body = json.dumps({"action": action, **extra}).encode()
        urllib.request.urlopen(urllib.request.Request(
            f"{live_server}/api/hazards/{rid}/events", data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"}),
            timeout=10).close()
    assert get(f"{BASE}/requests/{rid}.json")[0]["status"] == "closed"


def test_json_post_and_idempotency(client, engine: Engine) -> None:  # noqa: ANN001
    payload = {"service_code": "leaking_drain", "lat": 27.5205, "long": 106.8305,
               "description": "下水道堵塞", "severity": "urgent"}
    first = client.post(f"{BASE}/requests.json", json=payload,
                        headers={"Idempotency-Key": "311-once"})
    again = client.post(f"{BASE}/requests.json", json=payload,
                        headers={"Idempotency-Key": "311-once"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    rid = first.get_json()[0]["service_request_id"]
    request = one(client, rid)
    gap = (datetime.fromisoformat(request["expected_datetime"])
           - datetime.fromisoformat(request["requested_datetime"]))
    assert gap.days == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hazards")).scalar() == 1


def test_duplicates_in_open311(client) -> None:  # noqa: ANN001
    first = post(client).get_json()[0]["service_request_id"]
    dup = post(client, lat="27.52005")  # GeoReport v2: stored, flagged for staff (not 409)
    assert dup.status_code == 201
    assert f"#{first}" in dup.get_json()[0]["service_notice"]
    assert post(client, lat="27.52005", confirm_duplicate="true").status_code == 201


def test_query_filters(sample_db: str, client, engine: Engine) -> None:  # noqa: ANN001
    def ids(query: str) -> set[str]:
        answer = client.get(f"{BASE}/requests.json?{query}")
        assert answer.status_code == 200, answer.data
        return {r["service_request_id"] for r in answer.get_json()}

    def db(condition: str) -> set[str]:
        with engine.connect() as conn:
            return {str(i) for i in conn.execute(
                text(f"SELECT id FROM hazards WHERE {condition}")).scalars()}

    # GeoReport v2: without start_date the list is the last 90 days (the sample is older)
    assert ids("") == db("reported_at >= now() - interval '90 days'")
    since = "start_date=2000-01-01T00:00:00%2B08:00&"
    assert ids(since) == db("TRUE") and len(db("TRUE")) == 52
    assert ids(since + "status=closed") == db("status = 'closed'")
    assert ids(since + "status=open") == db("status <> 'closed'")
    assert ids(since + "status=open,closed") == db("TRUE")
    assert ids(since + "service_code=parking,dispute") == db(
        "category IN ('parking', 'dispute')")
    assert ids("service_request_id=1,3,5") == {"1", "3", "5"}
    window = ids("start_date=2026-07-01T00:00:00%2B08:00&end_date=2026-07-31T23:59:59%2B08:00")
    assert window == db("reported_at >= '2026-07-01T00:00:00+08:00' "
                        "AND reported_at <= '2026-07-31T23:59:59+08:00'")
    assert 0 < len(window) < 52
    every = client.get(f"{BASE}/requests.json?{since}").get_json()
    statuses = {r["status"] for r in every}
    assert statuses == {"open", "closed"}
    for request in every:
        for secret_key in ("email", "phone", "first_name", "last_name", "reporter_contact",
                           "reporter_name"):
            assert secret_key not in request
    with engine.connect() as conn:
        contacts = conn.execute(text("SELECT reporter_contact FROM hazards")).scalars().all()
    everything = client.get(f"{BASE}/requests.json?{since}").data.decode()
    assert contacts and not any(c in everything for c in contacts if c)


ERRORS = [
    ("post", {"lat": "27.52", "long": "106.83"}, 400),  # no service_code
    ("post", {"service_code": "ufo", **POINT}, 400),
    ("post", {"service_code": "other", "address_string": "商贸城"}, 400),  # no lat/long
    ("post", {"service_code": "other", "lat": "95", "long": "106.83"}, 400),
    ("post", {"service_code": "other", "lat": "abc", "long": "106.83"}, 400),
    ("post", {"service_code": "other", "lat": "27.5", "long": "-181"}, 400),
    ("post", {"service_code": "other", "media_url": "javascript:alert(1)", **POINT}, 400),
    ("post", {"service_code": "other", "email": "e" * 120, **POINT}, 400),
    ("post", {"service_code": "other", "severity": "apocalyptic", **POINT}, 400),
    ("get", "/requests/abc.json", 404),
    ("get", "/requests/424242.json", 404),
    ("get", "/requests/99999999999.json", 404),
    ("get", "/requests.json?status=pending", 400),
    ("get", "/requests.json?service_code=ufo", 400),
    ("get", "/requests.json?start_date=last-week", 400),
    ("get", "/requests.json?service_request_id=x", 400),
    ("get", "/services.yaml", 400),
    ("get", "/requests.csv", 400),
    ("get", "/services/ufo.json", 404),
]


def test_errors_in_open311_format(client, engine: Engine) -> None:  # noqa: ANN001
    for method, what, status in ERRORS:
        if method == "post":
            answer = client.post(f"{BASE}/requests.json", data=what)
        else:
            answer = client.get(BASE + what)
        assert answer.status_code == status, (what, answer.data[:200])
        errors = answer.get_json()
        assert isinstance(errors, list) and set(errors[0]) == {"code", "description"}, what
        assert errors[0]["code"] == status and errors[0]["description"], what
    bad_json = client.post(f"{BASE}/requests.json", data="{oops",
                           content_type="application/json")
    assert bad_json.status_code == 400 and bad_json.get_json()[0]["code"] == 400
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hazards")).scalar() == 0
