"""What every command group shares: the database engine, output writers, options, numbers.

Data goes to stdout or ``--out``; progress and summaries go to stderr (:func:`echo_err`), so
``geo-service gaps lighting > gaps.geojson`` stays clean. Nothing here imports another module
of :mod:`geo_service.cli`, so the command modules and the root group import only downwards.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from sqlalchemy import Engine

from geo_service.config import Settings
from geo_service.db.engine import engine_for, migrate, resolve_url

if TYPE_CHECKING:
    from geo_service.ingest.communities import CommunityInfo
    from geo_service.planning import PlanningError


def echo_err(message: str) -> None:
    """Progress and summaries go to stderr so stdout stays clean for data."""
    click.echo(message, err=True)


def ready_engine(settings: Settings) -> Engine:
    """Resolve the database (starting the embedded one if needed), migrate, return an engine."""
    url = resolve_url(settings)
    migrate(url)
    return engine_for(url)


def write_json(data: dict[str, Any], out: Path | None) -> None:
    """JSON to ``out``, or to stdout."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        echo_err(f"written to {out}")


def write_text(text: str, out: Path | None, encoding: str = "utf-8") -> None:
    """Text to ``out``, or to stdout."""
    if out is None:
        click.echo(text)
        return
    out.write_text(text, encoding=encoding)
    echo_err(f"written to {out}")


def chosen_community(engine: Engine, settings: Settings, name: str | None) -> CommunityInfo:
    """The community a command works on: ``--community``, else the only one, else the one
    GEO_SERVICE_COMMUNITY names; a click error saying which exist otherwise."""
    from geo_service.ingest.communities import CommunityError, choose_community

    with engine.connect() as conn:
        try:
            return choose_community(conn, name, settings.community_name)
        except CommunityError as error:
            raise click.ClickException(str(error)) from None


# -- options shared by several groups -------------------------------------------------------------
community_option = click.option(
    "--community", metavar="NAME",
    help="The community (default: the only one, or GEO_SERVICE_COMMUNITY).")
grid_option = click.option("--grid", "grids", type=int, multiple=True, metavar="N",
                           help="Grid number (repeat for several); all streets when omitted.")
patrol_grids = click.option(
    "--grid", "grids", type=int, multiple=True, metavar="N",
    help="Grid number (repeat for several); default the trade-city grids 1-4.")
out_option = click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                          help="Write the GeoJSON here instead of stdout.")
complete_option = click.option(
    "--complete/--incomplete", default=None,
    help="Take the lamp (camera) inventory as complete, or not. Default: complete for a "
         "community's own layer, incomplete for OpenStreetMap data.")


# -- numbers in summaries -------------------------------------------------------------------------
def metres(value: float | None) -> str:
    """Metres with one decimal ("-" for none; tiny float noise shown as 0)."""
    if value is None or math.isnan(value):
        return "-"
    return f"{0.0 if abs(value) < 0.005 else value:,.1f}"


def percent(value: float | None) -> str:
    """A share as a percentage ("-" for none)."""
    if value is None or math.isnan(value):
        return "-"
    return f"{0.0 if abs(value) < 5e-5 else 100 * value:.1f}%"


def grid_label(number: object) -> str:
    """A grid number; streets outside every grid are summed under 0, shown as "none"."""
    return "none" if number in (0, None) else str(number)


def grids_text(numbers: tuple[int, ...]) -> str:
    """``grids 1, 2`` or ``all streets``."""
    return "grids " + ", ".join(map(str, numbers)) if numbers else "all streets"


def planning_refusal(error: PlanningError) -> NoReturn:
    """A planning refusal (:class:`geo_service.planning.PlanningError`) as a command error."""
    raise click.ClickException(error.message) from error
