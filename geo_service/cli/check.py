"""``geo-service check grids``: overlaps, holes, slivers, buildings in no grid or two."""

from __future__ import annotations

import sys

import click
import geopandas as gpd

from geo_service.cli.common import chosen_community, community_option, ready_engine
from geo_service.config import Settings


@click.command("check")
@click.argument("what", type=click.Choice(["grids"]))
@community_option
@click.pass_obj
def check(settings: Settings, what: str, community: str | None) -> None:
    """Check the community's grids for overlaps, holes, slivers and buildings in no grid or
    two; exit 1 if any."""
    from geo_service.analysis.grid_check import check_grids

    engine = ready_engine(settings)
    place = chosen_community(engine, settings, community)
    with engine.connect() as conn:
        params = {"c": place.id}
        grids = gpd.read_postgis("SELECT number, geom FROM grids WHERE community_id = %(c)s "
                                 "ORDER BY number", conn, geom_col="geom", params=params)
        buildings = gpd.read_postgis("SELECT source_id, geom FROM buildings WHERE "
                                     "community_id = %(c)s ORDER BY source_id", conn,
                                     geom_col="geom", params=params)
    if grids.empty:
        raise click.ClickException(
            f"no grids loaded in community {place.name}: its streets and buildings can be "
            f"routed and checked without them (geo-service route --all --community "
            f"{place.name}); to check grids, load them with: geo-service load grids FILE "
            f"--community {place.name}")
    report = check_grids(grids.rename_geometry("geometry"),
                         buildings.rename_geometry("geometry"), metric_crs=place.metric_epsg)
    click.echo(f"{len(grids)} grids, {len(buildings)} buildings checked")
    for line in report.lines():
        click.echo(line)
    sys.exit(0 if report.ok else 1)
