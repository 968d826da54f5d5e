"""``geo-service db up|down|status``: the embedded PostGIS cluster (or the DATABASE_URL server)."""

from __future__ import annotations

import click
from sqlalchemy import text

from geo_service.cli.common import echo_err
from geo_service.config import Settings
from geo_service.db.cluster import EmbeddedCluster, main_status_line
from geo_service.db.engine import engine_for, migrate, resolve_url


@click.group()
def db() -> None:
    """Start, stop or inspect the embedded PostGIS cluster."""


@db.command("up")
@click.pass_obj
def db_up(settings: Settings) -> None:
    """Start the private cluster (idempotent), migrate it, print its URL."""
    if settings.database_url:
        echo_err("DATABASE_URL is set: using that server, not the embedded cluster")
    url = resolve_url(settings)
    migrate(url)
    click.echo(url)


@db.command("down")
@click.pass_obj
def db_down(settings: Settings) -> None:
    """Stop the private cluster."""
    if settings.database_url:
        echo_err("DATABASE_URL is set: nothing to stop here")
        return
    stopped = EmbeddedCluster(settings.data_dir).stop()
    click.echo("embedded PostGIS stopped" if stopped else "embedded PostGIS was not running")


@db.command("status")
@click.pass_obj
def db_status(settings: Settings) -> None:
    """Report whether the private cluster runs, and its URL."""
    if settings.database_url:
        engine = engine_for(resolve_url(settings))
        with engine.connect() as conn:
            version = conn.execute(text("SELECT postgis_full_version()")).scalar()
        click.echo(f"DATABASE_URL: {engine.url.render_as_string(hide_password=True)}\n{version}")
        return
    click.echo(main_status_line(EmbeddedCluster(settings.data_dir).status()))
