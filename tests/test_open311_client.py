"""An Open311 GeoReport v2 client against the running service, over real HTTP (urllib only).

What tests/test_open311.py's short HTTP flow leaves out: the form-encoded POST exactly as the
spec's client sends it (with ``email``), every answer's JSON content type, ``status_notes``
following each step of the loop while ``status`` stays ``open`` until the close, and the request
moving from the ``status=open`` list to the ``status=closed`` list. The loop is driven through
``POST /api/hazards/<id>/events`` with JSON bodies as ``parse_event`` reads them, by a staff
member's integration holding an API token (where the tree has accounts; the Open311 side needs
none).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime
from typing import Any

import pytest
from flask import Flask

BASE = "/open311/v2"
EMAIL = "resident.311@example.org"


class Client:
    """A minimal Open311 client: JSON out of every answer, the status kept for checks."""

    def __init__(self, root: str, token: str | None = None) -> None:
        self.root = root
        self.token = token

    def call(self, method: str, path: str, *, form: dict[str, str] | None = None,
             body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data, headers = None, {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if form is not None:
            data = urllib.parse.urlencode(form).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.root + path, data=data, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, kind, raw = response.status, response.headers["Content-Type"], \
                    response.read()
        except urllib.error.HTTPError as error:
            status, kind, raw = error.code, error.headers["Content-Type"], error.read()
        assert kind.startswith("application/json"), (path, kind)
        return status, json.loads(raw.decode("utf-8"))

    def get(self, path: str, **query: str) -> Any:
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        status, answer = self.call("GET", path + suffix)
        assert status == 200, (path, status, answer)
        return answer


def staff_token(app: Flask) -> str | None:
    """An API token of a community admin, where the tree has accounts (None otherwise)."""
    try:
        from geo_service.auth import accounts
    except ImportError:
        return None
    username = f"desk_{uuid.uuid4().hex[:6]}"
    with app.config["ENGINE"].begin() as conn:
        accounts.create_user(conn, username, uuid.uuid4().hex, "community_admin")
        return accounts.create_token(conn, username, "open311 desk")


def test_client_lists_posts_reads_back_and_sees_the_status_change(app: Flask,
                                                                  live_server: str) -> None:
    client = Client(live_server)  # a resident's Open311 app: no credentials
    desk = Client(live_server, staff_token(app))  # the staff's integration moving the loop

    # 1. the services: one per hazard category, realtime, no extra attributes
    services = client.get(f"{BASE}/services.json")
    codes = [s["service_code"] for s in services]
    assert "dim_lighting" in codes and len(codes) == len(set(codes))
    assert all(s["metadata"] is False and s["type"] == "realtime" for s in services)

    # 2. a request, form-encoded as the spec says
    description = "3栋2单元楼梯间的灯坏了，晚上很黑"
    status, answer = client.call("POST", f"{BASE}/requests.json", form={
        "service_code": "dim_lighting", "lat": "27.52130", "long": "106.83010",
        "description": description, "email": EMAIL})
    assert status == 201, answer
    assert isinstance(answer, list) and len(answer) == 1
    rid = answer[0]["service_request_id"]
    assert rid.isdigit()

    # 3. read back by id: what was sent, open, held at the lowest level, the email kept private
    def read() -> dict[str, Any]:
        items = client.get(f"{BASE}/requests/{rid}.json")
        assert isinstance(items, list) and len(items) == 1
        return items[0]

    request = read()
    assert request["service_request_id"] == rid
    assert (request["service_code"], request["description"]) == ("dim_lighting", description)
    assert request["lat"] == pytest.approx(27.5213) and request["long"] == pytest.approx(106.8301)
    assert request["status"] == "open" and request["status_notes"]
    assert request["agency_responsible"] == "楼栋"
    assert EMAIL not in json.dumps(request, ensure_ascii=False)
    assert rid in {r["service_request_id"] for r in client.get(f"{BASE}/requests.json",
                                                               status="open")}
    assert rid not in {r["service_request_id"] for r in client.get(f"{BASE}/requests.json",
                                                                   status="closed")}

    # 4. the loop over the JSON API; Open311 sees every step in status_notes
    notes = [request["status_notes"]]
    for event in ({"action": "assign", "assignee": "金燕", "actor": "网格长"},
                  {"action": "start", "note": "已到现场"},
                  {"action": "resolve", "note": "更换了灯泡"},
                  {"action": "revisit", "satisfaction": 5},
                  {"action": "close"}):
        status, answer = desk.call("POST", f"/api/hazards/{rid}/events", body=event)
        assert status == 201, (event, answer)
        request = read()
        notes.append(request["status_notes"])
        assert request["status"] == ("closed" if event["action"] == "close" else "open"), event
    assert len(set(notes)) == len(notes), notes  # each step reads differently
    assert notes[-1] == "已办结。" and "5/5" in notes[-2], notes
    final = read()
    assert (datetime.fromisoformat(final["updated_datetime"])
            >= datetime.fromisoformat(final["requested_datetime"]))  # to the second

    # 5. it has left the open list for the closed one; English status notes on request
    assert rid in {r["service_request_id"] for r in client.get(f"{BASE}/requests.json",
                                                               status="closed")}
    assert rid not in {r["service_request_id"] for r in client.get(f"{BASE}/requests.json",
                                                                   status="open")}
    english = client.get(f"{BASE}/requests/{rid}.json", lang="en")[0]
    assert (english["status"], english["status_notes"]) == ("closed", "Closed.")

    # 6. a step the loop does not allow is refused in JSON, and the request stays closed
    status, answer = desk.call("POST", f"/api/hazards/{rid}/events", body={"action": "start"})
    assert status == 409, answer
    assert read()["status"] == "closed"
