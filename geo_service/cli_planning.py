"""``geo-service gaps ...`` and ``geo-service place ...``: coverage gaps and new sites.

Both are click groups registered on :data:`geo_service.cli.main` (``gaps patrol`` can be added
to :data:`gaps` by the patrol module). Data (GeoJSON) goes to stdout or ``--out``; summaries go
to stderr, so ``geo-service gaps lighting > gaps.geojson`` stays clean.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

from geo_service.analysis.placement import SolverOptions
from geo_service.cli import echo_err, main, ready_engine
from geo_service.config import Settings
from geo_service.planning import PlanningError, PlanResult, Question, gap_report, place
from geo_service.planning.service import GapReport, run_scenario

grid_option = click.option("--grid", "grids", type=int, multiple=True, metavar="N",
                           help="Grid number (repeat for several); all streets when omitted.")
out_option = click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                          help="Write the GeoJSON here instead of stdout.")
complete_option = click.option(
    "--complete/--incomplete", default=None,
    help="Take the lamp (camera) inventory as complete, or not. Default: complete for a "
         "community's own layer, incomplete for OpenStreetMap data.")


def write_json(data: dict[str, Any], out: Path | None) -> None:
    """JSON to ``out``, or to stdout."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        echo_err(f"written to {out}")


def _fail(error: PlanningError) -> None:
    raise click.ClickException(error.message) from error


def _m(value: float | None) -> str:
    """Metres with one decimal ("-" for none; tiny float noise shown as 0)."""
    if value is None or math.isnan(value):
        return "-"
    return f"{0.0 if abs(value) < 0.005 else value:,.1f}"


def _pct(value: float | None) -> str:
    """A share as a percentage ("-" for none)."""
    if value is None or math.isnan(value):
        return "-"
    return f"{0.0 if abs(value) < 5e-5 else 100 * value:.1f}%"


def _grid(number: object) -> str:
    """A grid number; streets outside every grid are summed under 0, shown as "none"."""
    return "none" if number in (0, None) else str(number)


def _grids_text(numbers: tuple[int, ...]) -> str:
    return "grids " + ", ".join(map(str, numbers)) if numbers else "all streets"


# -- gaps ----------------------------------------------------------------------------------------
@main.group("gaps")
def gaps() -> None:
    """Coverage gaps as GeoJSON: unlit or unseen stretches, ranked by priority."""


def gap_summary(report: GapReport) -> list[str]:
    """The stderr summary of a gap report."""
    lighting = report.kind == "lighting"
    table = report.grids
    complete = report.state.gap_params.data_complete
    total_len = table["length_m"].sum()
    lines = [f"{report.kind} gaps, {_grids_text(report.layers.grid_numbers)} "
             f"(metric CRS {report.layers.crs.to_string()}): "
             f"{len(report.gaps)} stretches on {_m(total_len)} m of street; inventory "
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
        cells = [f"{_grid(row['grid']) if row['grid'] != 'all' else 'all':>4}"]
        for col in cols:
            cells.append(f"{_pct(row[col]) if col.startswith('share') else _m(row[col]):>12}")
        cells += [f"{int(row['gaps']):>12}", f"{int(row['open_hazards']):>12}"]
        lines.append("  ".join(cells))
    if report.agreement is not None:
        lines.append("model vs lit tag (share of tagged length where they agree):")
        for row in report.agreement.to_dict("records"):
            lines.append(
                f"  lit={row['tag']:<3} {_m(row['tagged_m']):>10} m tagged: agree "
                f"{_pct(row['share_agree'])}; where lamps are mapped "
                f"({_m(row['with_lamp_data_m'])} m): {_pct(row['share_agree_with_data'])}")
    return lines


def _gaps_command(kind: str):  # noqa: ANN202
    @grid_option
    @out_option
    @complete_option
    @click.pass_obj
    def command(settings: Settings, grids: tuple[int, ...], out: Path | None,
                complete: bool | None) -> None:
        engine = ready_engine(settings)
        try:
            report = gap_report(engine, kind, list(grids), metric_crs=settings.metric_crs,
                                complete=complete, cache=False)
        except PlanningError as error:
            _fail(error)
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


# -- place ---------------------------------------------------------------------------------------
@main.group("place")
def place_group() -> None:
    """Where the next lights or cameras go (maximal covering, budget, set covering)."""


def place_summary(result: PlanResult, grids: tuple[int, ...]) -> list[str]:
    """The stderr summary of a placement answer."""
    t, s = result.totals, result.solver
    lighting = result.asset == "light"
    gap_word = "dark" if lighting else "unwatched"
    cover_word = "lit" if lighting else "seen"
    q = result.question
    asked = {"count": f"count {int(q.value)}", "budget": f"budget {q.value:,.0f} yuan",
             "cover_priority": f"cover priority >= {q.value:g}"}[q.name]
    lines = [
        f"place {'lights' if lighting else 'cameras'}, {asked}, {_grids_text(grids)}: "
        f"{t['sites']} sites ({t['repairs']} repairs), cost {t['cost_yuan']:,.0f} yuan, "
        f"closes {_m(t['closed_m'])} m of {_m(t['gap_m_before'])} m {gap_word} "
        f"({_m(t['gap_m_after'])} m left)",
        f"solver: {s['method']}, objective {s['objective']}, bound {s['bound']}, "
        f"gap {s['gap']}, {s['seconds']:.2f} s; matrix {s['demand_rows']:,} samples x "
        f"{t['candidates']:,} candidates, reduced to {s['reduced_shape'][0]:,} x "
        f"{s['reduced_shape'][1]:,}",
    ]
    if t["uncoverable_m"]:
        lines.append(f"no candidate covers {_m(t['uncoverable_m'])} m of the asked demand")
    lines.append(f"{'grid':>4}  {cover_word + ' m before':>14}  {'after':>10}  "
                 f"{'share before':>12}  {'after':>8}  {gap_word + ' m before':>16}  "
                 f"{'after':>10}  {'closed':>8}")
    for row in result.grids.to_dict("records"):
        lines.append(f"{_grid(row['grid']):>4}  {_m(row['covered_m_before']):>14}  "
                     f"{_m(row['covered_m_after']):>10}  {_pct(row['share_before']):>12}  "
                     f"{_pct(row['share_after']):>8}  {_m(row['gap_m_before']):>16}  "
                     f"{_m(row['gap_m_after']):>10}  {_m(row['closed_m']):>8}")
    lines.append(f"{'rank':>4}  {'site':<18} {'kind':<13} {'yuan':>7}  {'closes m':>9}  "
                 f"{'weight':>8}  grid")
    for row in result.sites.drop(columns="geometry").to_dict("records"):
        name = row["candidate_id"]
        lines.append(f"{row['rank']:>4}  {name:<18} {row['kind']:<13} {row['cost_yuan']:>7,.0f}"
                     f"  {_m(row['added_m']):>9}  {_m(row['added_weight']):>8}  "
                     f"{_grid(row['grid'])}")
    lines.extend(f"note: {note}" for note in result.notes)
    return lines


def _place_command(asset: str):  # noqa: ANN202
    @click.option("--count", type=click.IntRange(min=0), help="Number of new sites (K).")
    @click.option("--budget", type=click.FloatRange(min=0), help="Money available, yuan.")
    @click.option("--cover-priority", type=click.FloatRange(min=0), metavar="P",
                  help="Fewest sites covering every gap stretch of priority >= P.")
    @grid_option
    @out_option
    @complete_option
    @click.option("--include-unknown", is_flag=True,
                  help="Also place sites on 'unknown' stretches (no asset data nearby).")
    @click.option("--time-limit", type=click.FloatRange(min=1), default=60.0, show_default=True,
                  help="Seconds for the solver; beyond, greedy + local search with a bound.")
    @click.pass_obj
    def command(settings: Settings, count: int | None, budget: float | None,
                cover_priority: float | None, grids: tuple[int, ...], out: Path | None,
                complete: bool | None, include_unknown: bool, time_limit: float) -> None:
        given = [v for v in (count, budget, cover_priority) if v is not None]
        if len(given) != 1:
            raise click.UsageError("give exactly one of --count, --budget or --cover-priority")
        question = Question(count=count, budget=budget, cover_priority=cover_priority)
        engine = ready_engine(settings)
        try:
            result = place(engine, asset, question, list(grids), metric_crs=settings.metric_crs,
                           complete=complete, include_unknown=include_unknown,
                           options=SolverOptions(time_limit=time_limit), cache=False)
        except PlanningError as error:
            _fail(error)
        write_json(result.to_geojson(), out)
        for line in place_summary(result, tuple(sorted(set(grids)))):
            echo_err(line)

    command.__doc__ = (f"Recommended new {asset} sites as GeoJSON (sites, then the stretches "
                       "they cover), with coverage before and after per grid.")
    return command


place_group.command("lights")(_place_command("lights"))
place_group.command("cameras")(_place_command("cameras"))


def scenario_lines(data: dict[str, Any]) -> list[str]:
    """The preset comparison in words."""
    scope = _grids_text(tuple(data["grids"]))
    lines = [f"preset scenario, {scope}: demand = dark / unwatched length of "
             f"{' and '.join(data['classes'])} before the works"]
    for key, noun, gap in (("lights", "lights", "dark"), ("cameras", "cameras", "unwatched")):
        p = data[key]
        lines += [
            f"{p['k']} {noun} ({', '.join(p['actual_ids']) or 'none found'}):",
            f"  {gap} before the works: {_m(p['open_m'])} m",
            f"  actual set closes:   {_m(p['actual_m'])} m"
            + (f" (together, their light adding up: {_m(p['actual_together_m'])} m)"
               if key == "lights" else ""),
            f"  best {p['k']} close:       {_m(p['best_m'])} m ({p['method']}, gap {p['gap']})"
            f", {p['best_cost_yuan']:,.0f} yuan",
            f"  actual = {_pct(p['share_of_best'])} of the best, {_m(p['shortfall_m'])} m short",
            f"  best {p['k']} of the same kind ({p['same_kind']}, "
            f"{p['actual_cost_yuan']:,.0f} yuan like the actual set): "
            f"{_m(p['best_same_kind_m'])} m",
        ]
        if p["missing_ids"]:
            lines.append(f"  not in the data: {', '.join(p['missing_ids'])}")
    return lines


@place_group.command("scenario")
@grid_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the comparison (with the best sites) as JSON here.")
@click.pass_obj
def scenario_command(settings: Settings, grids: tuple[int, ...], out: Path | None) -> None:
    """The report's "12 lights and 4 cameras": the best such sets against the actual ones."""
    engine = ready_engine(settings)
    try:
        data = run_scenario(engine, list(grids), metric_crs=settings.metric_crs, cache=False)
    except PlanningError as error:
        _fail(error)
    for line in scenario_lines(data):
        click.echo(line)
    if out is not None:
        out.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
        echo_err(f"written to {out}")
