"""``geo-service worker``: deliver the notification outbox (e-mail, webhooks) with retries.

``--once`` tries every delivery due now once and exits (tests, cron; ``--remind`` writes the
day's overdue reminders first); without it the worker drains, waits ``--poll`` seconds and
drains again until stopped (Ctrl-C or SIGTERM), writing the reminders once a day.
"""

from __future__ import annotations

import contextlib
import logging
import signal

import click

from geo_service.cli.common import echo_err, ready_engine
from geo_service.config import Settings


@click.command("worker")
@click.option("--once", is_flag=True, help="Try every delivery due now once, then exit.")
@click.option("--poll", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between drains.")
@click.option("--remind", is_flag=True,
              help="With --once: write today's overdue reminders first.")
@click.pass_obj
def worker(settings: Settings, once: bool, poll: float, remind: bool) -> None:
    """Deliver notifications by e-mail and webhook (retries with exponential backoff)."""
    from geo_service.notify import worker as delivery

    engine = ready_engine(settings)
    if once:
        if remind:
            echo_err(f"overdue reminders written: {delivery.remind(engine)}")
        tally = delivery.drain(engine, settings)
        echo_err(f"notifications: {tally.summary()}")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda number, _frame: stopping.append(number))
    echo_err(f"delivering notifications every {poll:g} s (Ctrl-C stops)")
    with contextlib.suppress(KeyboardInterrupt):
        delivery.run(engine, settings, poll_seconds=poll, stop=lambda: bool(stopping))
    echo_err("worker stopped")
