"""The report's scenario: "12 lights and 4 cameras" at best, against the sample's actual works.

The community put 12 wall lamps (L279-L290) and 4 cameras (C01-C04) into back alleys. The
question: how much dark (unwatched) alley length could 12 lamps (4 cameras) close at best, how
much do the actual ones close, and how far apart are they?

Set-up (judgement calls, stated so the figures can be read):

* "Before the works" is the data without the actual assets. The streets those lamps light are
  tagged ``lit=yes`` *because of* the works, so the tag is not trusted here: the model alone says
  what is dark.
* Demand is plain metres (not priority-weighted) of dark (unwatched) stretches of back alleys and
  steps (:data:`SCENARIO_CLASSES`) in the chosen grids (all by default).
* Each actual asset is one column of the same coverage matrix as the candidates (a lamp alone
  must bring a sample to the minimum, as a candidate must), so both sides are judged alike; what
  the actual lamps light *together* (their light adds up) is reported beside it.
* The best set of the same size may use any candidate site, the actual positions and repairs.
  Since a new pole costs more than a wall bracket, the best set of the same size *and kind* as
  the actual one (wall brackets for the wall lamps, wall mounts for the cameras: the same money)
  is reported too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from geo_service.analysis.candidates import CandidateCosts
from geo_service.analysis.gaps import GapParams
from geo_service.analysis.placement import (
    CoverageProblem,
    SolverOptions,
    compare_with_actual,
)
from geo_service.planning.coverage import camera_state, lighting_state
from geo_service.planning.layers import Layers
from geo_service.planning.matrix import asset_columns, build_demand, camera_model, light_model
from geo_service.planning.plan import Question, features, package

SCENARIO_LIGHTS = tuple(f"L{n}" for n in range(279, 291))
SCENARIO_CAMERAS = ("C01", "C02", "C03", "C04")
SCENARIO_CLASSES = ("alley", "steps")


@dataclass(frozen=True)
class ScenarioPart:
    """One side of the scenario (lights or cameras)."""

    asset: str
    k: int
    actual_ids: tuple[str, ...]
    missing_ids: tuple[str, ...]
    open_m: float
    actual_m: float
    actual_together_m: float
    best_m: float
    share_of_best: float
    shortfall_m: float
    actual_cost_yuan: float
    best_cost_yuan: float
    same_kind: str
    best_same_kind_m: float
    method: str
    gap: float | None
    bound_m: float | None
    best_sites: list[dict[str, Any]]
    actual_sites: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def scenario(layers: Layers, *, lights: tuple[str, ...] = SCENARIO_LIGHTS,
             cameras: tuple[str, ...] = SCENARIO_CAMERAS,
             classes: tuple[str, ...] = SCENARIO_CLASSES, complete: bool | None = None,
             options: SolverOptions | None = None) -> dict[str, Any]:
    """Both parts of the preset scenario on the layers (see the module docstring)."""
    options = options or SolverOptions(time_limit=30.0)
    parts = {
        "lights": _part(layers, "light", lights, classes, complete, options),
        "cameras": _part(layers, "camera", cameras, classes, complete, options),
    }
    return {"classes": list(classes), "grids": list(layers.grid_numbers),
            **{k: v.as_dict() for k, v in parts.items()}}


def _part(layers: Layers, asset: str, ids: tuple[str, ...], classes: tuple[str, ...],
          complete: bool | None, options: SolverOptions) -> ScenarioPart:
    frame = layers.lights if asset == "light" else layers.cameras
    actual = frame[frame["source_id"].isin(list(ids))]
    missing = tuple(sorted(set(ids) - set(actual["source_id"])))
    gap_params = GapParams(trust_lit_tag=False)
    make_state = lighting_state if asset == "light" else camera_state
    before = make_state(layers, gap_params=gap_params, complete=complete, exclude=ids)
    eligible = ("dark",) if asset == "light" else ("unseen",)
    demand = build_demand(before, layers, eligible=eligible, classes=classes,
                          weight_by_priority=False)
    build = light_model if asset == "light" else camera_model
    model = build(before, layers, demand)
    columns = asset_columns(asset, actual, demand, before, layers)
    k = len(ids)
    comparison = compare_with_actual(model.problem, columns, k=k, options=options)
    together = _together(layers, demand, complete) if asset == "light" else None
    actual_cost = _actual_cost(asset, actual)
    kind = _actual_kind(asset, actual)
    same = (model.sites["kind"] == kind).to_numpy()
    same_kind = compare_with_actual(CoverageProblem(
        weights=model.problem.weights, covers=model.problem.covers[:, np.flatnonzero(same)],
        cost=model.problem.cost[same], already_covered=model.problem.already_covered),
        columns, k=k, options=options).best
    best = comparison.best
    n_new = model.problem.n_candidates
    best_new = best.chosen[best.chosen < n_new]
    best_actual = best.chosen[best.chosen >= n_new] - n_new
    plan = package(model, Question(count=k), _restricted(best, best_new))
    best_cost = model.problem.cost[best_new].sum() + actual_cost[best_actual].sum()
    sites = features(plan.sites, feature="site")
    for index in best_actual:
        row = actual.iloc[[int(index)]]
        sites.append({"type": "Feature", "properties": {
            "feature": "site", "kind": "actual", "asset_id": row["source_id"].iloc[0]},
            "geometry": row.geometry.iloc[0].__geo_interface__})
    actual_sites = [{"type": "Feature",
                     "properties": {"feature": "actual", "asset_id": sid},
                     "geometry": geom.__geo_interface__}
                    for sid, geom in zip(actual["source_id"], actual.geometry, strict=True)]
    return ScenarioPart(
        asset=asset, k=k, actual_ids=tuple(actual["source_id"]), missing_ids=missing,
        open_m=round(comparison.open_weight, 1), actual_m=round(comparison.actual_weight, 1),
        actual_together_m=round(together if together is not None else comparison.actual_weight,
                                1),
        best_m=round(best.objective, 1), share_of_best=round(comparison.share_of_best, 4),
        shortfall_m=round(comparison.shortfall, 1), method=best.method,
        actual_cost_yuan=round(float(actual_cost.sum()), 2),
        best_cost_yuan=round(float(best_cost), 2),
        same_kind=kind, best_same_kind_m=round(same_kind.objective, 1),
        gap=None if not np.isfinite(best.gap) else round(best.gap, 6),
        bound_m=None if not np.isfinite(best.bound) else round(best.bound, 1),
        best_sites=sites, actual_sites=actual_sites)


def _actual_kind(asset: str, actual: Any) -> str:
    """The candidate kind most of the actual assets are: wall bracket or pole; camera mount."""
    if asset == "camera":
        return "camera_mount"
    wall = (actual["mount"] == "wall").mean() if len(actual) else 0.0
    return "wall" if wall >= 0.5 else "pole"


def _actual_cost(asset: str, actual: Any) -> np.ndarray:
    """What the actual assets would cost as candidates: wall bracket or pole; camera mount."""
    costs = CandidateCosts()
    if asset == "camera":
        return np.full(len(actual), costs.camera_mount)
    wall = (actual["mount"] == "wall").to_numpy()
    return np.where(wall, costs.wall_bracket, costs.pole).astype(float)


def _restricted(result, chosen: np.ndarray):  # noqa: ANN001, ANN202
    """The best answer with only its new sites (actual positions are listed apart)."""
    keep = np.isin(result.chosen, chosen)
    return replace(result, chosen=result.chosen[keep], added_weight=result.added_weight[keep])


def _together(layers: Layers, demand: Any, complete: bool | None) -> float:
    """Alley metres the actual lamps light together (their light adds up)."""
    after = lighting_state(layers, gap_params=GapParams(trust_lit_tag=False), complete=complete)
    lit = after.coverage.samples["lit"].to_numpy(bool)
    return float(demand.length[demand.eligible & lit].sum())
