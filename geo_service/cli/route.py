"""``geo-service route``: plan patrol routes over grids, store them, write GPX or GeoJSON.

The summary (lengths, repeated length, minutes, the bound K routes are measured against) goes
to stderr; data goes to ``--out`` (``.gpx`` or ``.geojson``) or stdout (GeoJSON; for ``--week``
the table of how often each street is walked against how often it is required).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click

from geo_service.cli.common import (
    chosen_community,
    community_option,
    echo_err,
    patrol_grids,
    ready_engine,
)
from geo_service.config import Settings
from geo_service.patrol.service import PATROL_GRIDS
from geo_service.patrol_routes import POINT_MODES, REQUIRED_MODES, PlanError, PlanOptions
from geo_service.patrol_routes import service as routes_service
from geo_service.patrol_routes.planner import Plan


def parse_lonlat(value: str | None) -> tuple[float, float] | None:
    """``LON,LAT`` -> a tuple (``None`` stays ``None``)."""
    if value is None:
        return None
    try:
        lon, lat = (float(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter("write LON,LAT in WGS 84, e.g. 106.8283,27.5221",
                                 param_hint="--start") from None
    return lon, lat


def coverage_table(plan: Plan) -> str:
    """Per street: how often the week's routes walk it against how often it is required."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(["street_id", "ref", "name", "length_m", "required_per_week",
                     "walked_per_week", "ok"])
    assert plan.coverage is not None
    for row in plan.coverage.sort_values(["required", "id"], ascending=[False, True]).itertuples():
        name = row.name if isinstance(row.name, str) else ""
        ref = row.ref if isinstance(row.ref, str) else ""
        writer.writerow([row.id, ref, name, f"{row.length_m:.1f}", row.required, row.times,
                         "yes" if row.times >= row.required else "NO"])
    return buffer.getvalue().rstrip("\n")


@click.command("route")
@patrol_grids
@click.option("--all", "every_street", is_flag=True,
              help="Every street of the community (no grids needed): one closed walk over "
                   "its largest connected piece.")
@community_option
@click.option("--teams", default=1, show_default=True, type=click.IntRange(1, 12),
              help="K teams (or shifts): K balanced routes.")
@click.option("--start", metavar="LON,LAT",
              help="Start and end of every route; default the police post (白龙警务室).")
@click.option("--required", type=click.Choice(REQUIRED_MODES), default="all", show_default=True,
              help="Streets to walk: all, back alleys and stairways, streets with open hazards, "
                   "streets in hotspots.")
@click.option("--points", type=click.Choice(POINT_MODES),
              help="Visit these points in the best order instead of covering streets.")
@click.option("--week", is_flag=True,
              help="The week's routes: hotter streets walked more often (7 days x shifts).")
@click.option("--shifts", default=2, show_default=True, type=click.IntRange(1, 4),
              help="Shifts per day of a --week plan.")
@click.option("--speed", "speed_kmh", default=4.5, show_default=True, type=float,
              help="Walking speed in km/h.")
@click.option("--margin", "margin_m", default=100.0, show_default=True, type=float,
              help="Metres around the grids whose streets a route may use.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write FILE.gpx (tracks + hazard waypoints) or FILE.geojson.")
@click.option("--no-store", is_flag=True, help="Do not store the plan (the map shows stored "
                                                 "plans).")
@click.pass_obj
def route(settings: Settings, grids: tuple[int, ...], every_street: bool, community: str | None,
          teams: int, start: str | None, required: str, points: str | None, week: bool,
          shifts: int, speed_kmh: float, margin_m: float, out: Path | None,
          no_store: bool) -> None:
    """Patrol routes over the grids: closed walks from the start covering every required
    street (Chinese / rural postman; K balanced routes for K teams), or through the open
    hazards or broken lights in the best order. The plan is stored so /map shows it."""
    if out is not None and out.suffix.lower() not in (".gpx", ".geojson", ".json"):
        raise click.BadParameter("the file must end in .gpx or .geojson", param_hint="--out")
    if every_street and grids:
        raise click.UsageError("give --all or --grid, not both")
    engine = ready_engine(settings)
    place = chosen_community(engine, settings, community)
    options = PlanOptions(grids=() if every_street else grids or PATROL_GRIDS, teams=teams,
                          start=parse_lonlat(start), required=required, points=points,
                          week=week, shifts=shifts, speed_kmh=speed_kmh, margin_m=margin_m,
                          community_id=place.id, metric_crs=f"EPSG:{place.metric_epsg}")
    try:
        plan = routes_service.make_plan(engine, options, created_by="cli", keep=not no_store)
    except PlanError as error:
        raise click.ClickException(str(error)) from None
    for line in plan.lines():
        echo_err(line)
    if plan.id is not None:
        echo_err(f"stored as plan {plan.id}: /map shows it; /routes/{plan.id}/sheet prints it")
    if out is not None:
        if out.suffix.lower() == ".gpx":
            out.write_text(routes_service.gpx_of(engine, plan), encoding="utf-8")
        else:
            out.write_text(json.dumps(routes_service.geojson_of(engine, plan),
                                      ensure_ascii=False), encoding="utf-8")
        echo_err(f"written to {out}")
    if week:
        click.echo(coverage_table(plan))
    elif out is None:
        click.echo(json.dumps(routes_service.geojson_of(engine, plan), ensure_ascii=False))
