"""The ``geo-service`` command line: the same functions the web service uses."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import geopandas as gpd
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from geo_service.config import Settings, load_settings
from geo_service.db.cluster import ClusterError, EmbeddedCluster, main_status_line
from geo_service.db.engine import DatabaseError, engine_for, migrate, resolve_url
from geo_service.ingest import LAYERS, IngestError


def echo_err(message: str) -> None:
    """Progress and summaries go to stderr so stdout stays clean for data."""
    click.echo(message, err=True)


def ready_engine(settings: Settings) -> Engine:
    """Resolve the database (starting the embedded one if needed), migrate, return an engine."""
    url = resolve_url(settings)
    migrate(url)
    return engine_for(url)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Patrol and hazard mapping for a community's grids (白龙社区巡防与隐患地图)."""
    ctx.obj = load_settings()


# -- db ----------------------------------------------------------------------------------------
@main.group()
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


# -- load --------------------------------------------------------------------------------------
@main.command("load")
@click.argument("layer", type=click.Choice([*LAYERS, "osm", "sample"]))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--crs", help="CRS of the file: any EPSG code (4326, EPSG:2868) or gcj02.")
@click.option("--encoding", help="Text encoding of attribute tables, e.g. GBK.")
@click.option("--source-layer", help="Layer to read inside a multi-layer file.")
@click.option("--skip-invalid", is_flag=True, help="Store the valid features, list the rest.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every rejected, skipped, repaired or left-out feature to this CSV.")
@click.pass_obj
def load(settings: Settings, layer: str, path: Path | None, crs: str | None,
         encoding: str | None, source_layer: str | None, skip_invalid: bool,
         report_path: Path | None) -> None:
    """Load a file as LAYER (grids, buildings, streets, lights, cameras, hazards, osm),
    or the sample community with ``load sample``. One transaction: all or nothing."""
    from geo_service.ingest.report import report_rows, write_report
    from geo_service.load import load_file, load_sample

    engine = ready_engine(settings)
    if layer == "sample":
        summaries = load_sample(engine, settings.sample_dir,
                                community_name=settings.community_name, progress=echo_err)
    else:
        if path is None:
            raise click.UsageError(f"load {layer} needs a PATH")
        try:
            summaries = load_file(engine, layer, path, community_name=settings.community_name,
                                  crs=crs, encoding=encoding, source_layer=source_layer,
                                  skip_invalid=skip_invalid, progress=echo_err)
        except IngestError as error:
            if report_path is not None:  # nothing was stored; the report says why, all of it
                write_report(report_path, report_rows(layer, error.problems))
                echo_err(f"every finding is listed in {report_path}")
            raise
    if report_path is not None:
        written = write_report(report_path, [row for s in summaries for row in report_rows(
            s.layer, s.problems, s.left_out)])
        echo_err(f"{written} findings written to {report_path}")
    for summary in summaries:
        for line in summary.lines(report=None if report_path is None else str(report_path)):
            click.echo(line)


# -- check -------------------------------------------------------------------------------------
@main.command("check")
@click.argument("what", type=click.Choice(["grids"]))
@click.pass_obj
def check(settings: Settings, what: str) -> None:
    """Check grids for overlaps, holes, slivers and buildings in no grid or two; exit 1 if any."""
    from geo_service.analysis.grid_check import check_grids

    engine = ready_engine(settings)
    with engine.connect() as conn:
        grids = gpd.read_postgis("SELECT number, geom FROM grids ORDER BY number", conn,
                                 geom_col="geom")
        buildings = gpd.read_postgis("SELECT source_id, geom FROM buildings ORDER BY source_id",
                                     conn, geom_col="geom")
    if grids.empty:
        raise click.ClickException("no grids loaded; load some with: geo-service load grids FILE")
    report = check_grids(grids.rename_geometry("geometry"),
                         buildings.rename_geometry("geometry"), metric_crs=settings.metric_crs)
    click.echo(f"{len(grids)} grids, {len(buildings)} buildings checked")
    for line in report.lines():
        click.echo(line)
    sys.exit(0 if report.ok else 1)


# -- serve -------------------------------------------------------------------------------------
@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.pass_obj
def serve(settings: Settings, host: str, port: int) -> None:
    """Run the web service."""
    from geo_service.web.app import create_app

    engine = ready_engine(settings)
    app = create_app(settings, engine=engine)
    echo_err(f"serving on http://{host}:{port}/")
    from waitress import serve as waitress_serve

    waitress_serve(app, host=host, port=port, threads=16)


import geo_service.cli_backup  # noqa: E402, F401  (registers `export`, `restore`, `audit`)
import geo_service.cli_patrol  # noqa: E402, F401  (registers `gaps patrol` and `patrol`)
import geo_service.cli_planning  # noqa: E402, F401  (registers `gaps` and `place` on main)
import geo_service.cli_routes  # noqa: E402, F401  (registers `route`)
import geo_service.cli_users  # noqa: E402, F401  (registers `users` on main)


def run() -> None:
    """Entry point that turns our own errors into a clear message and exit status 2."""
    try:
        main(standalone_mode=True)
    except (IngestError, DatabaseError, ClusterError) as error:
        echo_err(f"error: {error}")
        sys.exit(2)
    except OperationalError as error:
        echo_err(f"error: cannot use the database: {error.orig or error}")
        sys.exit(2)
    except IntegrityError as error:
        echo_err(f"error: the database refused the data, nothing was stored: {error.orig}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    run()
