"""Notifications by e-mail through a real SMTP server (aiosmtpd, started by the tests).

Each hazard step puts its mails in the outbox in the step's transaction; ``geo-service worker
--once`` delivers them. A mail server that is down loses nothing and sends nothing twice, and
two workers draining at once send each mail exactly once.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, text

from geo_service.auth import accounts
from geo_service.config import Settings
from geo_service.hazards import service
from geo_service.hazards.inputs import parse_event, parse_report
from geo_service.notify import worker

PASSWORD = "correct horse battery staple"
REPORTER = "resident@example.org"


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.original_content or envelope.content,
                                     policy=default_policy)
        self.messages.append(message)
        return "250 OK"

    def received(self) -> list[tuple[str, str]]:
        """(recipient, subject) of each message, in arrival order."""
        return [(str(m["To"]), str(m["Subject"])) for m in self.messages]


class SmtpServer:
    """A real SMTP server on a fixed loopback port that can be stopped and started again."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture()
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """A running SMTP server; the worker's settings point at it (no wait between retries)."""
    server = SmtpServer()
    server.start()
    monkeypatch.setenv("GEO_SERVICE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GEO_SERVICE_SMTP_PORT", str(server.port))
    monkeypatch.setenv("GEO_SERVICE_SMTP_SENDER", "patrol@example.org")
    monkeypatch.setenv("GEO_SERVICE_NOTIFY_RETRY_SECONDS", "0")
    yield server
    server.stop()


def user(engine: Engine, username: str, role: str, email: str | None, grids=()) -> int:  # noqa: ANN001
    """An account with an e-mail address."""
    with engine.begin() as conn:
        ident = accounts.create_user(conn, username, PASSWORD, role, grids=grids)
        conn.execute(text("UPDATE users SET email = :e WHERE id = :i"), {"e": email, "i": ident})
    return ident


def point_in_grid(engine: Engine, number: int) -> tuple[float, float]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT ST_Y(p) AS lat, ST_X(p) AS lon FROM (SELECT "
                                "ST_PointOnSurface(geom) AS p FROM grids WHERE number = :n) s"),
                           {"n": number}).one()
    return row.lat, row.lon


def report(engine: Engine, grid: int = 1, category: str = "parking") -> int:
    lat, lon = point_in_grid(engine, grid)
    with engine.begin() as conn:
        result = service.create_hazard(conn, parse_report({
            "category": category, "lat": lat, "lon": lon, "description": "车辆堵住消防通道",
            "reporter_name": "李阿姨", "reporter_contact": REPORTER}))
    assert result.outcome == "created"
    return result.hazard["id"]


def step(engine: Engine, hazard_id: int, **values: object) -> None:
    with engine.begin() as conn:
        service.apply_event(conn, hazard_id, parse_event({"actor": "网格长", **values}))


def pending(engine: Engine) -> list[tuple[int, str, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, status, attempts FROM notifications WHERE channel = 'email' "
            "ORDER BY id"))]


@pytest.fixture()
def staff(sample_db: str, engine: Engine) -> dict[str, int]:
    """Grid 1's worker, grid 2's worker, the assignee and a community admin, all with mail."""
    return {"grid1": user(engine, "zhao", "grid_worker", "zhao@example.org", grids=(1,)),
            "grid2": user(engine, "qian", "grid_worker", "qian@example.org", grids=(2,)),
            "wang": user(engine, "wang", "grid_worker", "wang@example.org", grids=(3,)),
            "admin": user(engine, "sun", "community_admin", "sun@example.org")}


def test_a_mail_arrives_for_each_step(staff, engine: Engine, smtp: SmtpServer, cli) -> None:  # noqa: ANN001
    hazard = report(engine)
    step(engine, hazard, action="assign", assignee="wang")
    step(engine, hazard, action="escalate", reason="需要社区协调物业", level="community")
    step(engine, hazard, action="start")
    step(engine, hazard, action="resolve", note="车辆已挪走")
    assert smtp.mailbox.messages == []  # nothing is sent inside the request
    ran = cli("worker", "--once")
    assert ran.exit_code == 0, ran.output
    assert "sent 7" in ran.output
    got = smtp.mailbox.received()
    assert [to for to, _ in got] == [
        "zhao@example.org",                      # a new report: grid 1's worker (not grid 2's)
        "wang@example.org", REPORTER,            # assigned; the reporter: status assigned
        "wang@example.org", "sun@example.org",   # escalated: assignee and the community's staff
        REPORTER, REPORTER]                      # in progress, resolved
    subjects = [subject for _, subject in got]
    assert subjects[0].startswith(f"新隐患 #{hazard}：停车难 / New hazard #{hazard}")
    assert f"隐患 #{hazard} 已指派给您" in subjects[1]
    assert f"您报告的隐患 #{hazard}：已分派" in subjects[2]
    assert f"隐患 #{hazard} 已上报至社区" in subjects[3] and subjects[3] == subjects[4]
    assert "处理中" in subjects[5] and "已解决" in subjects[6]
    body = smtp.mailbox.messages[3].get_content()
    assert "需要社区协调物业" in body and f"/hazards/{hazard}" in body
    assert all(m["From"] == "patrol@example.org" for m in smtp.mailbox.messages)
    assert {status for _, status, _ in pending(engine)} == {"sent"}
    again = cli("worker", "--once")
    assert again.exit_code == 0 and "sent 0" in again.output
    assert len(smtp.mailbox.messages) == 7


def test_a_stopped_mail_server_loses_nothing_and_sends_once(staff, engine: Engine,  # noqa: ANN001
                                                             smtp: SmtpServer, cli) -> None:
    hazard = report(engine)
    smtp.stop()
    step(engine, hazard, action="assign", assignee="wang")
    down = cli("worker", "--once")
    assert down.exit_code == 0, down.output
    assert "sent 0, will retry 3" in down.output
    assert [(status, attempts) for _, status, attempts in pending(engine)] == [("pending", 1)] * 3
    with engine.connect() as conn:
        errors = conn.execute(text("SELECT last_error FROM notifications "
                                   "WHERE channel = 'email'")).scalars().all()
    assert all("Connection" in e or "refused" in e.lower() for e in errors), errors

    smtp.start()  # the server is back, on the same port
    up = cli("worker", "--once")
    assert up.exit_code == 0 and "sent 3" in up.output, up.output
    again = cli("worker", "--once")
    assert again.exit_code == 0 and "sent 0" in again.output
    ids = [m["Message-ID"] for m in smtp.mailbox.messages]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert sorted(to for to, _ in smtp.mailbox.received()) == sorted(
        ["zhao@example.org", "wang@example.org", REPORTER])
    assert [(s, a) for _, s, a in pending(engine)] == [("sent", 2)] * 3


def test_backoff_doubles_and_gives_up(staff, engine: Engine, smtp: SmtpServer) -> None:  # noqa: ANN001
    settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp.port, notify_retry_seconds=60,
                        notify_max_attempts=2)
    assert [worker.backoff_seconds(settings, n) for n in (1, 2, 3, 10)] == [60, 120, 240, 3600]
    report(engine)
    smtp.stop()
    assert worker.drain(engine, settings).retried == 1
    assert worker.drain(engine, settings).tried == []  # not due for a minute
    with engine.begin() as conn:
        wait = conn.execute(text("SELECT next_attempt_at - now() FROM notifications "
                                 "WHERE channel = 'email'")).scalar_one()
        assert 50 < wait.total_seconds() <= 60
        conn.execute(text("UPDATE notifications SET next_attempt_at = now()"))
    assert worker.drain(engine, settings).failed == 1  # the second and last attempt
    assert [(s, a) for _, s, a in pending(engine)] == [("failed", 2)]


def test_two_workers_draining_at_once_send_each_mail_once(staff, engine: Engine,  # noqa: ANN001
                                                          smtp: SmtpServer) -> None:
    hazard = report(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM notifications"))
        conn.execute(text(
            "INSERT INTO notifications (hazard_id, kind, channel, address, params) "
            "SELECT :h, 'status', 'email', 'r' || n || '@example.org', "
            "jsonb_build_object('hazard_id', :h, 'to_status', 'assigned', 'category', 'parking')"
            " FROM generate_series(1, 40) n"), {"h": hazard})
    smtp.mailbox.delay = 0.03
    settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp.port, notify_retry_seconds=0)
    start = threading.Barrier(2)
    tallies: list[worker.Tally] = []

    def drain() -> None:
        start.wait()
        tallies.append(worker.drain(engine, settings))

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(tallies) == 2
    assert sum(t.sent for t in tallies) == 40 and all(t.sent > 0 for t in tallies)
    assert not set(tallies[0].tried) & set(tallies[1].tried)
    recipients = [to for to, _ in smtp.mailbox.received()]
    assert len(recipients) == 40 and len(set(recipients)) == 40
    assert {(s, a) for _, s, a in pending(engine)} == {("sent", 1)}
