"""Deliver pending e-mail and webhook notifications with retries and exponential backoff.

Each delivery runs in its own transaction: the row is claimed with ``FOR UPDATE SKIP LOCKED``
(another worker skips it while it is being sent), sent, and marked ``sent`` in the same
transaction, so concurrent workers never send one row twice. A failure counts an attempt and
waits ``notify_retry_seconds * 2**(attempts-1)`` (at most an hour) before the next; after
``notify_max_attempts`` the row is ``failed``. A channel that is not configured marks its rows
``skipped``. :func:`drain` tries every due row at most once and returns (``--once``);
:func:`run` also writes the daily overdue reminders (:mod:`.reminders`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from geo_service.config import Settings
from geo_service.hazards.inputs import LOCAL_TZ
from geo_service.notify import messages, reminders
from geo_service.notify.channels import email, webhook

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
CLAIM_SQL = """
SELECT id, hazard_id, event_id, kind, channel, address, params, attempts FROM notifications
WHERE status = 'pending' AND channel <> 'inbox' AND next_attempt_at <= now()
  AND NOT (id = ANY(:tried))
ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
"""


class NotConfigured(Exception):
    """The row's channel has no server or address set."""


@dataclass
class Tally:
    """What one drain did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    tried: list[int] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the log and the command."""
        return (f"sent {self.sent}, will retry {self.retried}, failed {self.failed}, "
                f"skipped {self.skipped}")


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Wait before attempt ``attempts + 1``."""
    return min(MAX_BACKOFF_SECONDS, settings.notify_retry_seconds * 2 ** max(attempts - 1, 0))


def link_for(settings: Settings, hazard_id: int | None) -> str:
    """The hazard's page as readers reach it."""
    return f"{settings.public_url.rstrip('/')}/hazards/{hazard_id}"


def webhook_payload(settings: Settings, row: Any) -> dict[str, Any]:
    """What a webhook receives about one hazard step."""
    params = dict(row.params)
    words_kind = {"report": "new_report", "assign": "assigned",
                  "escalate": "escalated", "comment": "comment"}.get(row.kind, "status")
    return {"delivery": row.id, "event": row.kind, "hazard_id": row.hazard_id,
            "event_id": row.event_id, "params": params,
            "text": {lang: messages.subject(words_kind, params, lang) for lang in ("zh", "en")},
            "url": link_for(settings, row.hazard_id)}


def deliver(settings: Settings, row: Any) -> None:
    """Send one row by its channel; raises when it could not be sent."""
    if row.channel == "email":
        if not email.configured(settings):
            raise NotConfigured("no SMTP host set")
        message = email.build(settings, row.address, messages.mail_subject(row.kind, row.params),
                              messages.mail_body(row.kind, row.params,
                                                 link_for(settings, row.hazard_id)),
                              f"<notification-{row.id}@geo-service>")
        email.send(settings, message)
    elif row.channel == "webhook":
        if not webhook.configured(settings):
            raise NotConfigured("no webhook URL set")
        webhook.post(settings, webhook_payload(settings, row), str(row.id))
    else:
        raise NotConfigured(f"channel {row.channel!r} is not delivered by the worker")


def deliver_next(engine: Engine, settings: Settings, tally: Tally) -> bool:
    """Claim, send and mark one due row not yet tried in this drain; ``False`` when none."""
    with engine.begin() as conn:
        row = conn.execute(text(CLAIM_SQL), {"tried": tally.tried}).first()
        if row is None:
            return False
        tally.tried.append(row.id)
        try:
            deliver(settings, row)
        except NotConfigured as why:
            conn.execute(text("UPDATE notifications SET status = 'skipped', last_error = :e "
                              "WHERE id = :id"), {"id": row.id, "e": str(why)})
            tally.skipped += 1
            return True
        except Exception as error:  # noqa: BLE001 - any failure is retried later
            attempts = row.attempts + 1
            final = attempts >= settings.notify_max_attempts
            conn.execute(text(
                "UPDATE notifications SET attempts = :n, last_error = :e, "
                "status = CASE WHEN :final THEN 'failed' ELSE 'pending' END, "
                "next_attempt_at = now() + make_interval(secs => :wait) WHERE id = :id"),
                {"id": row.id, "n": attempts, "e": f"{type(error).__name__}: {error}"[:2000],
                 "final": final, "wait": backoff_seconds(settings, attempts)})
            log.warning("notification %s (%s) not delivered, attempt %s: %s", row.id,
                        row.channel, attempts, error)
            if final:
                tally.failed += 1
            else:
                tally.retried += 1
            return True
        conn.execute(text("UPDATE notifications SET status = 'sent', sent_at = now(), "
                          "attempts = attempts + 1, last_error = NULL "
                          "WHERE id = :id AND status = 'pending'"), {"id": row.id})
        tally.sent += 1
        return True


def drain(engine: Engine, settings: Settings) -> Tally:
    """Try every row due now once (sent, retried later, failed or skipped) and return."""
    tally = Tally()
    while deliver_next(engine, settings, tally):
        pass
    return tally


def remind(engine: Engine) -> int:
    """Write today's overdue reminders (idempotent per day); how many were new."""
    with engine.begin() as conn:
        return reminders.record_overdue(conn)


def run(engine: Engine, settings: Settings, *, poll_seconds: float = 5.0,
        stop: Callable[[], bool] = lambda: False) -> None:
    """Drain, wait ``poll_seconds``, repeat until ``stop()`` says so; once a day after
    ``notify_reminder_hour`` (local time) write the overdue reminders first."""
    reminded: str | None = None
    while not stop():
        local = datetime.now(LOCAL_TZ)
        if local.hour >= settings.notify_reminder_hour and reminded != local.date().isoformat():
            log.info("overdue reminders written: %s", remind(engine))
            reminded = local.date().isoformat()
        tally = drain(engine, settings)
        if tally.tried:
            log.info("notifications: %s", tally.summary())
        time.sleep(poll_seconds)
