"""``geo-service gaps ...``: coverage gaps as GeoJSON (lighting, cameras, patrol).

Data goes to stdout or ``--out``; summaries go to stderr, so ``geo-service gaps lighting >
gaps.geojson`` stays clean.
"""

from __future__ import annotations

from pathlib import Path

import click

from geo_service.cli.common import (
    chosen_community,
    community_option,
    complete_option,
    echo_err,
    grid_label,
    grid_option,
    grids_text,
    metres,
    out_option,
    patrol_grids,
    percent,
    planning_refusal,
    ready_engine,
    write_json,
    write_text,
)
from geo_service.config import Settings
from geo_service.patrol import service as patrol_service
from geo_service.patrol.service import PATROL_GRIDS
from geo_service.planning import PlanningError, gap_report
from geo_service.planning.community import scope_of
from geo_service.planning.service import GapReport


# -- gaps ----------------------------------------------------------------------------------------
@click.group("gaps")
def gaps() -> None:
    """Coverage gaps as GeoJSON: unlit or unseen stretches, ranked by priority."""


def gap_summary(report: GapReport) -> list[str]:
    """The stderr summary of a gap report."""
    lighting = report.kind == "lighting"
    table = report.grids
    complete = report.state.gap_params.data_complete
    total_len = table["length_m"].sum()
    lines = [f"{report.kind} gaps, {grids_text(report.layers.grid_numbers)} "
             f"(metric CRS {report.layers.crs.to_string()}): "
             f"{len(report.gaps)} stretches on {metres(total_len)} m of street; inventory "
             + ("complete: every shortfall is a gap" if complete else
                "incomplete: shortfalls with no asset data nearby are 'unknown'")]
    if lighting:
        head = ("grid", "street m", "lit m", "unlit m", "share lit", "dark m", "unknown m",
                "gaps", "open hazards")
        cols = ("length_m", "lit_m", "unlit_m", "share_lit", "dark_m", "unknown_m")
    else:
        head = ("grid", "street m", "seen m", "unseen m", "share seen", "unseen gap m",
                "unknown m", "gaps", "open hazards")
        cols = ("length_m", "seen_m", "unseen_m", "share_seen", "unseen_gap_m", "unknown_m")
    lines.append("  ".join(f"{h:>12}" if i else f"{h:>4}" for i, h in enumerate(head)))
    sums = table.sum(numeric_only=True)
    rows = [*table.to_dict("records"), {**sums.to_dict(), "grid": "all",
                                        cols[3]: sums[cols[1]] / sums["length_m"]
                                        if sums["length_m"] else float("nan")}]
    for row in rows:
        cells = [f"{grid_label(row['grid']) if row['grid'] != 'all' else 'all':>4}"]
        for col in cols:
            shown = percent(row[col]) if col.startswith("share") else metres(row[col])
            cells.append(f"{shown:>12}")
        cells += [f"{int(row['gaps']):>12}", f"{int(row['open_hazards']):>12}"]
        lines.append("  ".join(cells))
    if lighting:
        model_share = sums["model_confirmed_m"] / sums["length_m"] if sums["length_m"] else None
        lines.append(f"lit {metres(sums['lit_m'])} m = tagged lit=yes "
                     f"{metres(sums['tag_lit_m'])} m + lit by the lamp model "
                     f"{metres(sums['model_lit_m'])} m; the lamp model alone confirms "
                     f"{metres(sums['model_confirmed_m'])} m "
                     f"({percent(model_share)})")
    if report.agreement is not None:
        lines.append("model vs lit tag (share of tagged length where they agree):")
        for row in report.agreement.to_dict("records"):
            lines.append(
                f"  lit={row['tag']:<3} {metres(row['tagged_m']):>10} m tagged: agree "
                f"{percent(row['share_agree'])}; where lamps are mapped "
                f"({metres(row['with_lamp_data_m'])} m): {percent(row['share_agree_with_data'])}")
    return lines


def _gaps_command(kind: str):  # noqa: ANN202
    @grid_option
    @community_option
    @out_option
    @complete_option
    @click.pass_obj
    def command(settings: Settings, grids: tuple[int, ...], community: str | None,
                out: Path | None, complete: bool | None) -> None:
        engine = ready_engine(settings)
        here = chosen_community(engine, settings, community)
        scope = scope_of(here)
        try:
            report = gap_report(engine, kind, list(grids), metric_crs=scope.metric_crs,
                                complete=complete, cache=False, community_id=scope.community_id)
        except PlanningError as error:
            planning_refusal(error)
        write_json(report.to_geojson(), out)
        for line in gap_summary(report):
            echo_err(line)

    command.__doc__ = {
        "lighting": "Stretches below their class's minimum illuminance (dark or unknown).",
        "cameras": "Stretches no camera sees at the recognise level (unseen or unknown).",
    }[kind]
    return command


gaps.command("lighting")(_gaps_command("lighting"))
gaps.command("cameras")(_gaps_command("cameras"))


@gaps.command("patrol")
@patrol_grids
@community_option
@click.option("--days", default=7.0, show_default=True,
              help="Streets not walked in this many days.")
@click.option("--planned", default="1", show_default=True,
              help="Walks per street and week: a number, or 'hotspots' to derive it from hazards.")
@click.option("--min-share", default=0.5, show_default=True,
              help="Share of a street's length a walk must cover to count.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the GeoJSON here instead of stdout.")
@click.pass_obj
def gaps_patrol(settings: Settings, grids: tuple[int, ...], community: str | None, days: float,
                planned: str, min_share: float, out: Path | None) -> None:
    """Streets nobody walked within DAYS, and grids below their planned frequency."""
    if planned != "hotspots":
        try:
            planned_value: str | float = float(planned)
        except ValueError:
            raise click.BadParameter("a number or 'hotspots'", param_hint="--planned") from None
    else:
        planned_value = planned
    engine = ready_engine(settings)
    here = chosen_community(engine, settings, community)
    try:
        report = patrol_service.gaps_report(engine, days=days, grids=grids or PATROL_GRIDS,
                                            planned=planned_value, min_share=min_share,
                                            community_id=here.id)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    for line in report.lines():
        echo_err(line)
    write_text(patrol_service.gaps_geojson(report), out)
