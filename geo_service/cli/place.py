"""``geo-service place ...``: where the next lights or cameras go, and the preset scenario.

Data (GeoJSON) goes to stdout or ``--out``; summaries go to stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from geo_service.analysis.placement import SolverOptions
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
    percent,
    planning_refusal,
    ready_engine,
    write_json,
)
from geo_service.config import Settings
from geo_service.planning import PlanningError, PlanResult, Question, place
from geo_service.planning.community import scope_of
from geo_service.planning.service import run_scenario


# -- place ---------------------------------------------------------------------------------------
@click.group("place")
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
        f"place {'lights' if lighting else 'cameras'}, {asked}, {grids_text(grids)}: "
        f"{t['sites']} sites ({t['repairs']} repairs), cost {t['cost_yuan']:,.0f} yuan, "
        f"closes {metres(t['closed_m'])} m of {metres(t['gap_m_before'])} m {gap_word} "
        f"({metres(t['gap_m_after'])} m left)",
        f"solver: {s['method']}, objective {s['objective']}, bound {s['bound']}, "
        f"gap {s['gap']}, {s['seconds']:.2f} s; matrix {s['demand_rows']:,} samples x "
        f"{t['candidates']:,} candidates, reduced to {s['reduced_shape'][0]:,} x "
        f"{s['reduced_shape'][1]:,}",
    ]
    if t["uncoverable_m"]:
        lines.append(f"no candidate covers {metres(t['uncoverable_m'])} m of the asked demand")
    lines.append(f"{'grid':>4}  {cover_word + ' m before':>14}  {'after':>10}  "
                 f"{'share before':>12}  {'after':>8}  {gap_word + ' m before':>16}  "
                 f"{'after':>10}  {'closed':>8}")
    for row in result.grids.to_dict("records"):
        lines.append(f"{grid_label(row['grid']):>4}  {metres(row['covered_m_before']):>14}  "
                     f"{metres(row['covered_m_after']):>10}  {percent(row['share_before']):>12}  "
                     f"{percent(row['share_after']):>8}  {metres(row['gap_m_before']):>16}  "
                     f"{metres(row['gap_m_after']):>10}  {metres(row['closed_m']):>8}")
    lines.append(f"{'rank':>4}  {'site':<18} {'kind':<13} {'yuan':>7}  {'closes m':>9}  "
                 f"{'weight':>8}  grid")
    for row in result.sites.drop(columns="geometry").to_dict("records"):
        name = row["candidate_id"]
        lines.append(f"{row['rank']:>4}  {name:<18} {row['kind']:<13} {row['cost_yuan']:>7,.0f}"
                     f"  {metres(row['added_m']):>9}  {metres(row['added_weight']):>8}  "
                     f"{grid_label(row['grid'])}")
    lines.extend(f"note: {note}" for note in result.notes)
    return lines


def _place_command(asset: str):  # noqa: ANN202
    @click.option("--count", type=click.IntRange(min=0), help="Number of new sites (K).")
    @click.option("--budget", type=click.FloatRange(min=0), help="Money available, yuan.")
    @click.option("--cover-priority", type=click.FloatRange(min=0), metavar="P",
                  help="Fewest sites covering every gap stretch of priority >= P.")
    @grid_option
    @community_option
    @out_option
    @complete_option
    @click.option("--include-unknown", is_flag=True,
                  help="Also place sites on 'unknown' stretches (no asset data nearby).")
    @click.option("--time-limit", type=click.FloatRange(min=1), default=60.0, show_default=True,
                  help="Seconds for the solver; beyond, greedy + local search with a bound.")
    @click.pass_obj
    def command(settings: Settings, count: int | None, budget: float | None,
                cover_priority: float | None, grids: tuple[int, ...], community: str | None,
                out: Path | None, complete: bool | None, include_unknown: bool,
                time_limit: float) -> None:
        given = [v for v in (count, budget, cover_priority) if v is not None]
        if len(given) != 1:
            raise click.UsageError("give exactly one of --count, --budget or --cover-priority")
        question = Question(count=count, budget=budget, cover_priority=cover_priority)
        engine = ready_engine(settings)
        scope = scope_of(chosen_community(engine, settings, community))
        try:
            result = place(engine, asset, question, list(grids),
                           metric_crs=scope.metric_crs, complete=complete,
                           include_unknown=include_unknown,
                           options=SolverOptions(time_limit=time_limit), cache=False,
                           community_id=scope.community_id)
        except PlanningError as error:
            planning_refusal(error)
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
    scope = grids_text(tuple(data["grids"]))
    lines = [f"preset scenario, {scope}: demand = dark / unwatched length of "
             f"{' and '.join(data['classes'])} before the works"]
    for key, noun, gap in (("lights", "lights", "dark"), ("cameras", "cameras", "unwatched")):
        p = data[key]
        lines += [
            f"{p['k']} {noun} ({', '.join(p['actual_ids']) or 'none found'}):",
            f"  {gap} before the works: {metres(p['open_m'])} m",
            f"  actual set closes:   {metres(p['actual_m'])} m"
            + (f" (together, their light adding up: {metres(p['actual_together_m'])} m)"
               if key == "lights" else ""),
            f"  best {p['k']} close:       {metres(p['best_m'])} m ({p['method']}, gap {p['gap']})"
            f", {p['best_cost_yuan']:,.0f} yuan",
            f"  actual = {percent(p['share_of_best'])} of the best, "
            f"{metres(p['shortfall_m'])} m short",
            f"  best {p['k']} of the same kind ({p['same_kind']}, "
            f"{p['actual_cost_yuan']:,.0f} yuan like the actual set): "
            f"{metres(p['best_same_kind_m'])} m",
        ]
        if p["missing_ids"]:
            lines.append(f"  not in the data: {', '.join(p['missing_ids'])}")
    return lines


@place_group.command("scenario")
@grid_option
@community_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the comparison (with the best sites) as JSON here.")
@click.pass_obj
def scenario_command(settings: Settings, grids: tuple[int, ...], community: str | None,
                     out: Path | None) -> None:
    """The report's "12 lights and 4 cameras": the best such sets against the actual ones."""
    engine = ready_engine(settings)
    scope = scope_of(chosen_community(engine, settings, community))
    try:
        data = run_scenario(engine, list(grids), metric_crs=scope.metric_crs, cache=False,
                            community_id=scope.community_id)
    except PlanningError as error:
        planning_refusal(error)
    for line in scenario_lines(data):
        click.echo(line)
    if out is not None:
        out.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
        echo_err(f"written to {out}")
