"""Signed webhooks to a local ``http.server``: the right HMAC-SHA256, retried until taken once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import Engine, text

from geo_service.config import Settings
from geo_service.hazards import service
from geo_service.hazards.inputs import parse_event, parse_report
from geo_service.notify import worker

SECRET = "bot-bridge-secret"


class Receiver:
    """What the local webhook server got; it refuses the first ``fail_first`` posts."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = 0


@pytest.fixture()
def receiver() -> Iterator[tuple[Receiver, str]]:
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = 503 if len(got.posts) <= got.fail_first else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got, f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    thread.join(timeout=5)


def report(engine: Engine) -> int:
    with engine.connect() as conn:
        lat, lon = conn.execute(text("SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_PointOnSurface("
                                     "geom) AS p FROM grids WHERE number = 2) s")).one()
    with engine.begin() as conn:
        return service.create_hazard(conn, parse_report(
            {"category": "fire_risk", "lat": lat, "lon": lon})).hazard["id"]


def test_each_step_is_posted_with_the_right_signature(sample_db: str, engine: Engine,
                                                      receiver) -> None:  # noqa: ANN001
    got, url = receiver
    settings = Settings(database_url=sample_db, webhook_url=url, webhook_secret=SECRET,
                        notify_retry_seconds=0, public_url="https://patrol.example.org")
    hazard = report(engine)
    with engine.begin() as conn:
        service.apply_event(conn, hazard, parse_event({"action": "assign", "assignee": "金燕"}))
    assert worker.drain(engine, settings).sent == 2
    assert len(got.posts) == 2
    for headers, body in got.posts:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-geo-signature-256"] == expected
        assert headers["content-type"].startswith("application/json")
    first, second = (json.loads(body) for _, body in got.posts)
    assert (first["event"], first["hazard_id"]) == ("report", hazard)
    assert first["url"] == f"https://patrol.example.org/hazards/{hazard}"
    assert f"#{hazard}" in first["text"]["zh"] and "消防隐患" in first["text"]["zh"]
    assert (second["event"], second["params"]["to_status"]) == ("assign", "assigned")
    forged = "sha256=" + hmac.new(b"another secret", got.posts[0][1], hashlib.sha256).hexdigest()
    assert forged != got.posts[0][0]["x-geo-signature-256"]


def test_a_refusing_receiver_gets_the_same_delivery_again_once(sample_db: str, engine: Engine,
                                                               receiver) -> None:  # noqa: ANN001
    got, url = receiver
    got.fail_first = 1
    settings = Settings(database_url=sample_db, webhook_url=url, webhook_secret=SECRET,
                        notify_retry_seconds=0)
    report(engine)
    assert worker.drain(engine, settings).retried == 1
    assert worker.drain(engine, settings).sent == 1
    assert worker.drain(engine, settings).tried == []
    assert len(got.posts) == 2
    (one, body_one), (two, body_two) = got.posts
    assert body_one == body_two and one["x-geo-delivery"] == two["x-geo-delivery"]
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, attempts, last_error FROM notifications "
                                "WHERE channel = 'webhook'")).one()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_without_a_webhook_address_its_rows_are_skipped(db_url: str, sample_db: str,
                                                        engine: Engine) -> None:
    report(engine)
    tally = worker.drain(engine, Settings(database_url=db_url))
    assert (tally.sent, tally.skipped) == (0, 1)  # no SMTP either: no mail recipients here
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM notifications")).scalars().all() == [
            "skipped"]
