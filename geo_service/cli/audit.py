"""``geo-service audit``: who changed what and when, from the audit log."""

from __future__ import annotations

import json
from datetime import datetime

import click

from geo_service.audit import read_log
from geo_service.cli.common import echo_err, ready_engine
from geo_service.config import Settings


def parse_since(value: str | None) -> datetime | None:
    """``2026-05-01`` or an ISO time; a time without zone is local time."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("a date (YYYY-MM-DD) or an ISO time",
                                 param_hint="--since") from None
    return moment if moment.tzinfo else moment.astimezone()


@click.command("audit")
@click.option("--table", help="Only this table (lights, hazards, users, backup ...).")
@click.option("--row", help="Only this row id (with --table).")
@click.option("--since", help="From this date or time on.")
@click.option("--actor", help="Only this actor (user:alice, cli:root, public ...).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000),
              help="The newest N entries.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines with the full rows.")
@click.pass_obj
def audit(settings: Settings, table: str | None, row: str | None, since: str | None,
          actor: str | None, limit: int, as_json: bool) -> None:
    """Who changed what and when, oldest first."""
    engine = ready_engine(settings)
    with engine.connect() as conn:
        entries = read_log(conn, table=table, row=row, since=parse_since(since), actor=actor,
                           limit=limit)
    for entry in entries:
        if as_json:
            click.echo(json.dumps({
                "id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor,
                "user_id": entry.user_id, "action": entry.action, "table": entry.table_name,
                "row": entry.row_id, "before": entry.before, "after": entry.after,
                "note": entry.note}, ensure_ascii=False))
            continue
        where = entry.table_name + (f" #{entry.row_id}" if entry.row_id else "")
        at = entry.at.astimezone().isoformat(sep=" ", timespec="seconds")
        click.echo(f"{at}  {entry.actor or '?'}  {entry.action} {where}  {entry.summary()}")
    echo_err(f"{len(entries)} audit entries")
