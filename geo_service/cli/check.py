"""``geo-service check grids``: overlaps, holes, slivers, buildings in no grid or two."""

from __future__ import annotations

import sys

import click
import geopandas as gpd

from geo_service.cli.common import ready_engine
from geo_service.config import Settings


@click.command("check")
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
