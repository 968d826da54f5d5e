"""``geo-service patrol ...``: the roster, walked tracks, hotspots and the rota.

(``gaps patrol`` lives with the other gaps in :mod:`geo_service.cli.gaps`.) Data goes to
stdout or ``--out``; summaries go to stderr.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from geo_service.analysis.rota import RotaError, rota_csv
from geo_service.cli.common import echo_err, patrol_grids, ready_engine, write_text
from geo_service.cli.rota_page import rota_html
from geo_service.config import Settings
from geo_service.patrol import service
from geo_service.patrol.service import PATROL_GRIDS


@click.group("patrol")
def patrol() -> None:
    """The patrol team: roster, walked tracks, hotspots and the rota."""


@patrol.command("roster")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def patrol_roster(settings: Settings, path: Path) -> None:
    """Store the members of a roster CSV (name, unit, phone; Chinese headers accepted)."""
    summary = service.load_roster_file(ready_engine(settings), path)
    for line in summary.lines():
        click.echo(line)


@patrol.command("track")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--member", required=True, help="Who walked it (name on the roster).")
@click.option("--grid", "grids", type=int, multiple=True, metavar="N",
              help="Match against these grids' streets only (default every street).")
@click.option("--started-at", type=click.DateTime(), help="Date a track that has no times.")
@click.pass_obj
def patrol_track(settings: Settings, path: Path, member: str, grids: tuple[int, ...],
                 started_at: datetime | None) -> None:
    """Match a phone's GPX track to the streets and record what was walked."""
    summary = service.upload_track(ready_engine(settings), path.read_bytes(), member,
                                   source_name=path.name, grids=grids or None,
                                   started_at=started_at)
    for line in summary.lines():
        click.echo(line)


@patrol.command("hotspots")
@patrol_grids
@click.option("--days", default=365.0, show_default=True, help="Hazards of this many days count.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the GeoJSON here instead of stdout.")
@click.pass_obj
def patrol_hotspots(settings: Settings, grids: tuple[int, ...], days: float,
                    out: Path | None) -> None:
    """Per-street hotspot scores (network density, Gi*) and the walks per week they ask for."""
    layer = service.hotspot_layer(ready_engine(settings), grids=grids or PATROL_GRIDS, days=days)
    hot = layer[layer["hot"] > 0]
    echo_err(f"{len(layer)} streets scored, {len(hot)} in hotspots")
    write_text(layer.to_json(drop_id=True, ensure_ascii=False), out)


@patrol.command("rota")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="First day (YYYY-MM-DD).")
@click.option("--zone", "zones", multiple=True, metavar="GRIDS",
              help="A zone as grid numbers, e.g. --zone 1,2 --zone 3,4 (default one per grid).")
@click.option("--routes", type=int, help="Zones are K balanced patrol routes instead.")
@click.option("--weeks", type=int, help="Weeks to plan (default one full rotation).")
@click.option("--shifts", default=2, show_default=True, help="Shifts per day.")
@click.option("--team-size", default=1, show_default=True, help="Members per shift and zone.")
@click.option("--max-per-week", default=4, show_default=True, help="Shifts per member and week.")
@click.option("--unavailable", multiple=True, metavar="NAME:DATE[:SHIFT]",
              help="A member who cannot work that day (or shift).")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), help="Printable rota.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="The rota as CSV (opens in Excel).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def patrol_rota(settings: Settings, start: datetime, zones: tuple[str, ...], routes: int | None,
                weeks: int | None, shifts: int, team_size: int, max_per_week: int,
                unavailable: tuple[str, ...], html: Path | None, csv_path: Path | None,
                lang: str) -> None:
    """A rota that rotates every member through every zone, printable as HTML or CSV."""
    try:
        rota = service.rota_for(ready_engine(settings), service.parse_zones(zones, routes),
                                date(start.year, start.month, start.day), weeks=weeks,
                                shifts=shifts, team_size=team_size, max_per_week=max_per_week,
                                unavailable=unavailable)
    except (RotaError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    if html:
        write_text(rota_html(rota, lang=lang), html)
    if csv_path:
        write_text(rota_csv(rota, lang=lang), csv_path, encoding="utf-8-sig")
    if not html and not csv_path:
        click.echo(rota_csv(rota, lang=lang))
