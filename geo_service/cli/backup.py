"""``geo-service export`` and ``restore``: the whole database as one GeoPackage and back."""

from __future__ import annotations

from pathlib import Path

import click

from geo_service.backup import BackupError, export_database, restore_database
from geo_service.cli.common import echo_err, ready_engine
from geo_service.config import Settings
from geo_service.hazards.photos import uploads_dir


@click.command("export")
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


@click.command("restore")
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
