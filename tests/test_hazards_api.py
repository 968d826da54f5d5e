"""The hazard JSON API over HTTP: reports, replays, duplicates, the loop, lists, exports,
photos, and no 500 for any malformed input."""

from __future__ import annotations

import csv
import io
import json
import random
import struct
import threading
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import pytest
from pyproj import Geod
from sqlalchemy import Engine, text

from geo_service.config import Settings

GEOD = Geod(ellps="WGS84")
ORIGIN = (106.8300, 27.5200)
PHOTO_LIMIT = 4000


@pytest.fixture()
def app(db_url: str, tmp_path: Path):  # noqa: ANN201
    """The app with uploads in a temporary folder and a small photo limit."""
    from geo_service.db.engine import engine_for
    from geo_service.web.app import create_app

    settings = Settings(database_url=db_url, data_dir=tmp_path,
                        extra={"max_photo_bytes": str(PHOTO_LIMIT)})
    application = create_app(settings, engine=engine_for(db_url))
    application.config["TESTING"] = True
    return application


def offset(metres: float, azimuth: float = 90.0) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(ORIGIN[0], ORIGIN[1], azimuth, metres)
    return lon, lat


def body(point: tuple[float, float] = ORIGIN, **fields: object) -> dict[str, object]:
    return {"lon": point[0], "lat": point[1], "category": "dirty_alley",
            "description": "背街小巷垃圾堆积", "severity": "medium"} | fields


def png(width: int = 2, height: int = 2, noise: bool = False) -> bytes:
    """A real PNG image, made without any imaging library."""
    rng = random.Random(7)
    raw = b"".join(b"\x00" + bytes(rng.randrange(256) if noise else 200
                                   for _ in range(3 * width)) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def rows(engine: Engine, table: str = "hazards") -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


# -- reporting ---------------------------------------------------------------------------------
def test_report_created_then_replayed(client, engine: Engine) -> None:  # noqa: ANN001
    first = client.post("/api/hazards", json=body(), headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == 201
    created = first.get_json()
    assert first.headers["Location"] == f"/api/hazards/{created['id']}"
    assert created["status"] == "reported" and created["level"] == "building"
    assert created["events"][0]["action"] == "report"
    again = client.post("/api/hazards", json=body(), headers={"Idempotency-Key": "abc-1"})
    assert again.status_code == 200 and again.get_json()["id"] == created["id"]
    by_field = client.post("/api/hazards", json=body(idempotency_key="abc-2"))
    assert by_field.status_code == 409  # a different key: now a likely duplicate
    assert rows(engine) == 1
    got = client.get(created["links"]["self"])
    assert got.status_code == 200 and got.get_json()["events"] == created["events"]


def test_twenty_concurrent_http_posts_same_key(live_server: str, engine: Engine) -> None:
    barrier = threading.Barrier(20)
    answers: list[tuple[int, int]] = []

    def post() -> None:
        data = json.dumps(body()).encode()
        req = urllib.request.Request(f"{live_server}/api/hazards", data=data, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Idempotency-Key": "same-every-time"})
        barrier.wait()
        with urllib.request.urlopen(req, timeout=30) as response:
            answers.append((response.status, json.loads(response.read())["id"]))

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(status for status, _ in answers) == [200] * 19 + [201]
    assert len({ident for _, ident in answers}) == 1
    assert rows(engine) == 1 and rows(engine, "hazard_events") == 1


def test_duplicate_refused_then_confirmed(client, engine: Engine) -> None:  # noqa: ANN001
    first = client.post("/api/hazards", json=body()).get_json()
    near = client.post("/api/hazards?lang=en", json=body(offset(20)))
    assert near.status_code == 409
    error = near.get_json()["error"]
    assert error["code"] == "likely_duplicate" and "duplicate" in error["message"]
    assert [d["id"] for d in error["duplicates"]] == [first["id"]]
    assert rows(engine) == 1
    confirmed = client.post("/api/hazards", json=body(offset(20), confirm_duplicate=True))
    assert confirmed.status_code == 201
    far = client.post("/api/hazards", json=body(offset(40, 180)))
    assert far.status_code == 201
    assert rows(engine) == 3


def test_lines_and_areas(client) -> None:  # noqa: ANN001
    line = {"type": "LineString", "coordinates": [list(ORIGIN), list(offset(60))]}
    got = client.post("/api/hazards", json={"geometry": line, "category": "dim_lighting"})
    assert got.status_code == 201 and got.get_json()["geometry"]["type"] == "LineString"
    a, b, c = offset(200), offset(230), offset(200, 0)
    area = {"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[list(a), list(b), list(c), list(a)]]}}
    got = client.post("/api/hazards", json={"geometry": area, "category": "dirty_alley"})
    assert got.status_code == 201 and got.get_json()["geometry"]["type"] == "Polygon"


def test_user_text_is_returned_verbatim(client, staff_client) -> None:  # noqa: ANN001
    nasty = '<img src=x onerror=alert(1)><script>alert("x")</script> &amp; 楼道\'堆物\''
    created = client.post("/api/hazards", json=body(description=nasty, actor="<b>王</b>"))
    assert created.status_code == 201
    public = client.get(f"/api/hazards/{created.get_json()['id']}").get_json()
    assert public["description"] == nasty and public["events"][0]["actor"] is None
    got = staff_client.get(f"/api/hazards/{created.get_json()['id']}")  # actors: staff only
    assert got.mimetype == "application/json"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.get_json()["description"] == nasty
    assert got.get_json()["events"][0]["actor"] == "public"  # never the body's actor
    assert "<b>王</b>".encode() not in got.data
    assert b"<img src=x onerror=alert(1)>" in got.data and "楼道".encode() in got.data


def test_reporter_contact_is_never_returned(client) -> None:  # noqa: ANN001
    created = client.post("/api/hazards", json=body(reporter_name="李秘密",
                                                    reporter_contact="13800009999",
                                                    actor="李秘密"))
    hazard_id = created.get_json()["id"]
    for response in (created, client.get(f"/api/hazards/{hazard_id}"),
                     client.get("/api/hazards"), client.get("/api/hazards?format=csv"),
                     client.get("/api/hazards?format=geojson")):
        assert b"13800009999" not in response.data
        assert "李秘密".encode() not in response.data


# -- the loop over HTTP ------------------------------------------------------------------------
def test_loop_over_http(client, staff_client) -> None:  # noqa: ANN001
    hazard_id = client.post("/api/hazards", json=body()).get_json()["id"]
    url = f"/api/hazards/{hazard_id}/events"
    assert client.post(url, json={"action": "assign", "assignee": "x"}).status_code == 401
    public, client = client, staff_client  # the loop is moved on by staff
    refused = client.post(url + "?lang=en", json={"action": "resolve"})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["allowed"] == ["assign", "escalate", "invalid", "not_ours", "duplicate"]
    assert error["status"] == "reported"
    assert "reported" in error["message"] and "assign" in error["message"]
    assert "已上报" in error["messages"]["zh"]
    missing = client.post(url, json={"action": "assign"})
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "assignee"
    steps = [({"action": "assign", "assignee": "金燕", "actor": "网格员"}, "assigned"),
             ({"action": "escalate", "reason": "楼栋无法解决", "actor": "楼栋长"}, "assigned"),
             ({"action": "start"}, "in_progress"),
             ({"action": "resolve", "note": "已清运"}, "resolved"),
             ({"action": "revisit", "satisfaction": "5"}, "revisited"),
             ({"action": "close"}, "closed")]
    for fields, status in steps:
        answer = client.post(url, data=fields)  # form-encoded works too
        assert answer.status_code == 201, answer.get_json()
        assert answer.get_json()["hazard"]["status"] == status
        assert answer.headers["Location"] == f"/api/hazards/{hazard_id}"
    hazard = public.get(f"/api/hazards/{hazard_id}").get_json()
    assert [e["action"] for e in hazard["events"]] == [
        "report", "assign", "escalate", "start", "resolve", "revisit", "close"]
    assert hazard["level"] == "grid" and hazard["allowed_actions"] == ["reopen"]
    assert hazard["events"][2]["extra"]["reason"] == "楼栋无法解决"
    assert client.post(url, json={"action": "close"}).status_code == 409


# -- lists and exports ---------------------------------------------------------------------------
def test_list_and_exports_over_http(sample_db: str, client, engine: Engine) -> None:  # noqa: ANN001
    with engine.connect() as conn:
        expected = set(conn.execute(text(
            "SELECT h.id FROM hazards h JOIN grids g ON g.id = h.grid_id "
            "WHERE g.number IN (1, 2) AND h.status <> 'closed'")).scalars())
    assert 0 < len(expected) < 52
    query = "grid=1&grid=2&status=open"
    listed = client.get(f"/api/hazards?{query}&limit=1000").get_json()
    assert {h["id"] for h in listed["hazards"]} == expected and listed["total"] == len(expected)
    page = client.get(f"/api/hazards?{query}&limit=2&offset=1").get_json()
    assert len(page["hazards"]) == 2 and page["total"] == len(expected)
    exported = client.get(f"/api/hazards?{query}&format=csv")
    assert exported.mimetype == "text/csv" and exported.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in exported.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert {int(r[0]) for r in table[1:]} == expected and len(table) == len(expected) + 1
    geo = client.get(f"/api/hazards?{query}&format=geojson")
    assert geo.mimetype == "application/geo+json"
    assert {f["id"] for f in geo.get_json()["features"]} == expected
    everything = client.get("/api/hazards?format=geojson").get_json()
    assert len(everything["features"]) == 52  # exports are never paged


# -- photos ------------------------------------------------------------------------------------
def uploads(app) -> list[Path]:  # noqa: ANN001
    folder = Path(app.config["SETTINGS"].data_dir) / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def same_pixels(a: bytes, b: bytes) -> bool:
    """Whether two image files hold the same pixels (a stored photo is re-encoded)."""
    from PIL import Image

    with Image.open(io.BytesIO(a)) as first, Image.open(io.BytesIO(b)) as second:
        return first.size == second.size and (first.convert("RGB").tobytes()
                                               == second.convert("RGB").tobytes())


def form(point: tuple[float, float], photo: bytes, name: str = "p.png",
         **fields: str) -> dict[str, object]:
    data: dict[str, object] = {"lon": str(point[0]), "lat": str(point[1]),
                               "category": "peeling_wall", "description": "墙皮脱落"}
    data["photo"] = (io.BytesIO(photo), name)
    return data | fields


def test_photo_accepted_and_served_back(app, client) -> None:  # noqa: ANN001
    image = png()
    created = client.post("/api/hazards", data=form(ORIGIN, image),
                          content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()
    hazard = created.get_json()
    assert hazard["has_photo"] is True and "photo" not in hazard  # the stored name stays inside
    served = client.get(hazard["links"]["photo"])
    assert served.status_code == 200 and same_pixels(served.data, image)
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    stored = uploads(app)
    assert len(stored) == 1 and stored[0].read_bytes() == served.data  # the clean copy only
    assert stored[0].name != "p.png" and len(stored[0].stem) == 32
    # a replay or a refused duplicate keeps no second file
    replay = client.post("/api/hazards", data=form(ORIGIN, image, idempotency_key="k"),
                         content_type="multipart/form-data")
    assert replay.status_code == 409
    assert len(uploads(app)) == 1
    none = client.post("/api/hazards", json=body(offset(500)))
    assert client.get(f"/api/hazards/{none.get_json()['id']}/photo").status_code == 404
    assert client.get("/api/hazards/9999/photo").status_code == 404


def test_photo_refusals(app, client, engine: Engine) -> None:  # noqa: ANN001
    big = png(60, 60, noise=True)
    assert len(big) > PHOTO_LIMIT
    too_big = client.post("/api/hazards", data=form(ORIGIN, big),
                          content_type="multipart/form-data")
    assert too_big.status_code == 413 and too_big.get_json()["error"]["field"] == "photo"
    huge = client.post("/api/hazards", data=form(ORIGIN, b"\x89PNG\r\n\x1a\n" + bytes(3 << 20)),
                       content_type="multipart/form-data")
    assert huge.status_code == 413
    for content, name in ((b"GIF89a\x01\x00\x01\x00", "x.gif"),
                          (b"<html><script>alert(1)</script></html>", "x.png"),
                          (b"%PDF-1.4 ...", "x.jpg"),
                          (b"", "empty.png")):
        refused = client.post("/api/hazards", data=form(ORIGIN, content, name),
                              content_type="multipart/form-data")
        assert refused.status_code == 422, name
        assert refused.get_json()["error"]["field"] == "photo"
    fake = client.post("/api/hazards", data=form(ORIGIN, b"\x89PNG\r\n\x1a\n" + b"junk" * 50),
                       content_type="multipart/form-data")
    assert fake.status_code == 422
    assert rows(engine) == 0 and uploads(app) == []


def test_empty_file_field_means_no_photo(client) -> None:  # noqa: ANN001
    data = form(ORIGIN, b"", "")
    answer = client.post("/api/hazards", data=data, content_type="multipart/form-data")
    assert answer.status_code == 201 and answer.get_json()["has_photo"] is False


# -- malformed input: always 4xx, never 500 -----------------------------------------------------
BAD_REPORTS: list[tuple[object, int, str]] = [
    ("not json", 400, "body"),
    ([1, 2], 400, "body"),
    ('"text"', 400, "body"),
    ("[" * 100_000, 400, "body"),
    ({}, 422, "geometry"),
    ({"lat": 27.52, "lon": 106.83}, 422, "category"),
    (body(category="ufo"), 422, "category"),
    (body(category=123), 422, "category"),
    (body(category=["fire_risk"]), 422, "category"),
    (body(lat=91), 422, "lat"),
    (body(lon=181), 422, "lon"),
    (body(lat="north"), 422, "lat"),
    (body(lat=True), 422, "lat"),
    ('{"lat": NaN, "lon": 106.83, "category": "other"}', 422, "lat"),
    ('{"lat": 27.5, "lon": Infinity, "category": "other"}', 422, "lon"),
    ({"lat": 27.52, "category": "other"}, 422, "lon"),
    ({"geometry": {"type": "Point", "coordinates": "abc"}, "category": "other"}, 422,
     "geometry"),
    ({"geometry": {"type": "Point", "coordinates": [106.83]}, "category": "other"}, 422,
     "geometry"),
    ({"geometry": {"type": "Point", "coordinates": [106.83, 27.5, "x"]},
      "category": "other"}, 422, "geometry"),
    ({"geometry": {"type": "Point", "coordinates": [[106.83, 27.5]]}, "category": "other"},
     422, "geometry"),
    ({"geometry": {"type": "Point", "coordinates": [200, 27.5]}, "category": "other"}, 422,
     "geometry"),
    ({"geometry": {"type": "Circle", "coordinates": [106.83, 27.5]}, "category": "other"},
     422, "geometry"),
    ({"geometry": {"type": "GeometryCollection", "geometries": []}, "category": "other"},
     422, "geometry"),
    ({"geometry": {"type": "LineString", "coordinates": [[106.83, 27.52]]},
      "category": "other"}, 422, "geometry"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[106.83, 27.52], [106.84, 27.53],
                                                      [106.84, 27.52], [106.83, 27.53],
                                                      [106.83, 27.52]]]},
      "category": "other"}, 422, "geometry"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[106.83, 27.52], [106.84, 27.53]]]},
      "category": "other"}, 422, "geometry"),
    ({"geometry": "{not json", "category": "other"}, 422, "geometry"),
    ({"geometry": 42, "category": "other"}, 422, "geometry"),
    ({"geometry": {"type": "MultiPoint", "coordinates": [[106.83, 27.52]] * 20_000},
      "category": "other"}, 422, "geometry"),
    (body(severity="extreme"), 422, "severity"),
    (body(description={"a": 1}), 422, "description"),
    (body(description="长" * 6000), 422, "description"),
    (body(reporter_contact="1" * 101), 422, "reporter_contact"),
    (body(light_id="lamp-1"), 422, "light_id"),
    (body(light_id=10**12), 422, "light_id"),
    (body(light_id=1.5), 422, "light_id"),
    (body(light_id=True), 422, "light_id"),
    (body(light_id=777), 422, "light_id"),
    (body(camera_id=-3), 422, "camera_id"),
    (body(idempotency_key="k" * 101), 422, "idempotency_key"),
    (body(confirm_duplicate="maybe"), 422, "confirm_duplicate"),
]


def test_bad_reports_get_4xx_naming_the_field(client, engine: Engine) -> None:  # noqa: ANN001
    for payload, status, field in BAD_REPORTS:
        raw = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        answer = client.post("/api/hazards", data=raw, content_type="application/json")
        assert answer.status_code == status, (raw[:200], answer.data[:300])
        error = answer.get_json()["error"]
        assert error["field"] == field, (raw[:200], error)
        assert error["messages"]["zh"] and error["messages"]["en"]
    assert rows(engine) == 0


def test_nul_characters_are_refused(client) -> None:  # noqa: ANN001
    answer = client.post("/api/hazards", json=body(description="a\x00b", reporter_name="x\x00"))
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "description"


def test_bad_multipart_and_headers(client) -> None:  # noqa: ANN001
    broken = client.post("/api/hazards", data=b"--xx\r\nnonsense",
                         content_type="multipart/form-data; boundary=xx")
    assert 400 <= broken.status_code < 500
    long_key = client.post("/api/hazards", json=body(), headers={"Idempotency-Key": "k" * 300})
    assert long_key.status_code == 422
    assert long_key.get_json()["error"]["field"] == "idempotency_key"
    bad_geom = client.post("/api/hazards", data={"geometry": "{oops", "category": "other"})
    assert bad_geom.status_code == 422 and bad_geom.get_json()["error"]["field"] == "geometry"


BAD_EVENTS: list[tuple[object, int, str | None]] = [
    ("{", 400, "body"),
    ([], 400, "body"),
    ({}, 422, "action"),
    ({"action": "fly"}, 422, "action"),
    ({"action": "report"}, 422, "action"),
    ({"action": 7}, 422, "action"),
    ({"action": "assign"}, 422, "assignee"),
    ({"action": "assign", "assignee": ["a"]}, 422, "assignee"),
    ({"action": "escalate"}, 422, "reason"),
    ({"action": "escalate", "reason": "r", "level": "moon"}, 422, "level"),
    ({"action": "escalate", "reason": "r", "level": "building"}, 422, "level"),
    ({"action": "revisit", "satisfaction": "five"}, 422, "satisfaction"),
    ({"action": "revisit", "satisfaction": 9}, 422, "satisfaction"),
    ({"action": "reopen", "status": "resolved"}, 409, None),
    ({"action": "start", "note": "n" * 3000}, 422, "note"),
    ({"action": "close"}, 409, None),
]


def test_bad_events_get_4xx(client, staff_client, engine: Engine) -> None:  # noqa: ANN001
    hazard_id = client.post("/api/hazards", json=body()).get_json()["id"]
    for payload, status, field in BAD_EVENTS:
        raw = payload if isinstance(payload, str) else json.dumps(payload)
        answer = staff_client.post(f"/api/hazards/{hazard_id}/events", data=raw,
                             content_type="application/json")
        assert answer.status_code == status, (raw, answer.data[:300])
        assert answer.get_json()["error"].get("field") == field, raw
    assert rows(engine, "hazard_events") == 1


def test_unknown_ids_are_404_json(client, staff_client) -> None:  # noqa: ANN001
    for path in ("/api/hazards/abc", "/api/hazards/0", "/api/hazards/-1", "/api/hazards/1.5",
                 "/api/hazards/99999999999", "/api/hazards/42", "/api/hazards/abc/photo",
                 "/api/hazards/99999999999/photo"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.get_json()["error"]["code"] == "not_found", path
    for path in ("/api/hazards/abc/events", "/api/hazards/42/events"):
        assert staff_client.post(path, json={"action": "start"}).status_code == 404


BAD_FILTERS = [
    ("grid=abc", "grid"), ("grid=0", "grid"), ("status=bogus", "status"),
    ("category=ufo", "category"), ("level=moon", "level"), ("severity=x", "severity"),
    ("date_from=yesterday", "date_from"), ("date_to=2026-13-45", "date_to"),
    ("bbox=1,2,3", "bbox"), ("bbox=10,0,5,1", "bbox"), ("bbox=a,b,c,d", "bbox"),
    ("bbox=0,0,1,NaN", "bbox"), ("overdue=maybe", "overdue"), ("limit=0", "limit"),
    ("limit=abc", "limit"), ("limit=5000", "limit"), ("offset=-1", "offset"),
    ("format=xml", "format"), ("id=x", "id"),
]


def test_bad_filters_get_422(client) -> None:  # noqa: ANN001
    for query, field in BAD_FILTERS:
        answer = client.get(f"/api/hazards?{query}")
        assert answer.status_code == 422, (query, answer.data[:300])
        assert answer.get_json()["error"]["field"] == field, query


def test_random_garbage_never_gives_500(client) -> None:  # noqa: ANN001
    """Random values of every type in every field, on every write and query endpoint."""
    rng = random.Random(20260901)
    pool: list[object] = [None, "", " ", "x", 0, -1, 7, 1.5, 1e308, -1e308, 10**30, True, False,
                          [], {}, [1, 2], {"a": [1]}, "NaN", "Infinity", "27.52", "106.83",
                          "<script>alert(1)</script>", "\x00", "\ud800".encode("utf-8",
                                                                             "surrogatepass")
                          .decode("utf-8", "replace"), "9" * 400, "2026-07-01", "open",
                          {"type": "Point", "coordinates": [106.83, 27.52]},
                          {"type": "Point", "coordinates": [[[]]]}, "fire_risk", "assign"]
    fields = ["lat", "lon", "long", "geometry", "category", "description", "severity",
              "light_id", "camera_id", "reporter_name", "reporter_contact", "idempotency_key",
              "confirm_duplicate", "actor", "service_code", "media_url", "email",
              "address_string", "action", "assignee", "level", "reason", "satisfaction",
              "status", "note"]
    hazard_id = client.post("/api/hazards", json=body(offset(900))).get_json()["id"]
    for _ in range(150):
        payload = {f: rng.choice(pool) for f in rng.sample(fields, rng.randrange(1, 8))}
        for url in ("/api/hazards", f"/api/hazards/{hazard_id}/events",
                    "/open311/v2/requests.json"):
            answer = client.post(url, json=payload)
            assert answer.status_code < 500, (url, payload, answer.data[:300])
            flat = {k: v for k, v in payload.items() if isinstance(v, str | int | float)}
            answer = client.post(url, data={k: str(v) for k, v in flat.items()})
            assert answer.status_code < 500, (url, flat, answer.data[:300])
        query = {f: str(rng.choice(pool)) for f in rng.sample(
            ["grid", "status", "category", "level", "date_from", "date_to", "overdue", "bbox",
             "limit", "offset", "format", "service_request_id", "service_code", "start_date",
             "end_date"], rng.randrange(1, 5))}
        for url in ("/api/hazards", "/open311/v2/requests.json"):
            answer = client.get(url, query_string=query)
            assert answer.status_code < 500, (url, query, answer.data[:300])
