"""``geo-service export``, ``restore`` and ``audit``; and the command line's audit actor.

Registered on :data:`geo_service.cli.main`. Every command runs as ``cli:<OS user>`` in the
audit log: the group's callback is wrapped here so that the actor is set before any command
and reset when the command line's context closes (in-process runs, as in the tests, do not
leak it).
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from geo_service.audit import Actor, cli_actor, current_actor, read_log
from geo_service.backup import BackupError, export_database, restore_database
from geo_service.cli import echo_err, main, ready_engine
from geo_service.config import Settings
from geo_service.hazards.photos import uploads_dir


def _acting_from_the_command_line(callback: Any) -> Any:
    """Wrap the group callback: set the actor, reset it when the root context closes."""

    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = current_actor.set(Actor(cli_actor()))
        click.get_current_context().call_on_close(lambda: current_actor.reset(token))
        return callback(*args, **kwargs)

    wrapper.sets_audit_actor = True  # type: ignore[attr-defined]
    return wrapper


if main.callback is not None and not getattr(main.callback, "sets_audit_actor", False):
    main.callback = _acting_from_the_command_line(main.callback)


@main.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def export(settings: Settings, path: Path) -> None:
    """Write every layer, every hazard with its history and photo, the patrol log, the
    accounts and the audit log into one GeoPackage PATH (replaced if it exists)."""
    engine = ready_engine(settings)
    try:
        summary = export_database(engine, path, photos_dir=uploads_dir(settings),
                                  progress=echo_err)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    for line in summary.lines():
        click.echo(line)


@main.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True,
              help="Delete everything in the database first (same transaction).")
@click.pass_obj
def restore(settings: Settings, path: Path, replace: bool) -> None:
    """Load a GeoPackage made by ``export`` into an empty database: all of it or nothing."""
    engine = ready_engine(settings)
    try:
        summary = restore_database(engine, path, replace=replace,
                                   photos_dir=uploads_dir(settings), progress=echo_err)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    for line in summary.lines():
        click.echo(line)


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


@main.command("audit")
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
