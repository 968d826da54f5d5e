"""Answers to placement questions: chosen sites, the stretches they light or see, before/after.

Three questions (:mod:`geo_service.analysis.placement`): ``count`` (the K sites that newly
cover the most priority-weighted gap length), ``budget`` (the most within a budget in yuan) and
``cover_priority`` (the fewest sites covering every gap stretch of at least that priority).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geo_service.analysis._segments import run_pieces
from geo_service.analysis.placement import (
    PlacementResult,
    SolverOptions,
    budget_cover,
    max_cover,
    set_cover,
)
from geo_service.planning.matrix import Demand, PlacementModel

QUESTIONS = ("count", "budget", "cover_priority")


@dataclass(frozen=True)
class Question:
    """What is asked: exactly one of ``count``, ``budget`` (yuan), ``cover_priority``."""

    count: int | None = None
    budget: float | None = None
    cover_priority: float | None = None

    def __post_init__(self) -> None:
        given = [q for q in QUESTIONS if getattr(self, q) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of count, budget or cover_priority")
        value = getattr(self, given[0])
        if not math.isfinite(float(value)) or value < 0:
            raise ValueError(f"{given[0]} must be a non-negative number")

    @property
    def name(self) -> str:
        """``count``, ``budget`` or ``cover_priority``."""
        return next(q for q in QUESTIONS if getattr(self, q) is not None)

    @property
    def value(self) -> float:
        """The number asked with."""
        return float(getattr(self, self.name))


@dataclass(frozen=True)
class PlanResult:
    """A placement answer ready for GeoJSON (all frames in EPSG:4326).

    Attributes
    ----------
    asset:
        ``"light"`` or ``"camera"``.
    question:
        What was asked.
    sites:
        Chosen sites, best first: ``rank``, ``candidate_id``, ``kind``, ``cost_yuan``,
        ``added_m`` (gap metres this site closes after those ranked above it),
        ``added_weight``, ``lit_m`` (all metres it newly lights or sees), ``asset_id``
        (repairs), ``grid``, and per asset ``height_m``/``intensity_cd`` or
        ``heading_deg``/``fov_deg``/``range_m``.
    stretches:
        Street pieces newly covered: ``site_rank``, ``candidate_id``, ``closes_gap``,
        ``street_id``, ``street_class``, ``grid``, ``length_m``.
    grids:
        Per grid number: ``length_m``, ``covered_m_before``, ``covered_m_after``,
        ``share_before``, ``share_after``, ``gap_m_before``, ``gap_m_after``, ``closed_m``.
    totals:
        ``sites``, ``cost_yuan``, ``closed_m``, ``gap_m_before``, ``gap_m_after``,
        ``newly_covered_m``, ``uncoverable_m`` and the weights.
    solver:
        ``method``, ``status``, ``objective``, ``bound``, ``gap``, ``seconds``, the matrix shape.
    """

    asset: str
    question: Question
    sites: gpd.GeoDataFrame
    stretches: gpd.GeoDataFrame
    grids: pd.DataFrame
    totals: dict[str, Any]
    solver: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Everything but the geometries, JSON-ready."""
        return {
            "asset": self.asset,
            "question": {"kind": self.question.name, "value": self.question.value},
            "totals": self.totals,
            "solver": self.solver,
            "grids": records(self.grids.round(4)),
            "notes": self.notes,
        }

    def to_geojson(self) -> dict[str, Any]:
        """A FeatureCollection: the sites (``feature`` = "site"), then the stretches
        (``feature`` = "stretch"); the summary as the foreign member ``summary``."""
        sites = features(self.sites, feature="site")
        stretches = features(self.stretches, feature="stretch")
        return {"type": "FeatureCollection", "features": sites + stretches,
                "summary": self.summary()}


def solve(model: PlacementModel, question: Question,
          options: SolverOptions | None = None) -> PlacementResult:
    """Run the asked question on the model."""
    problem = model.problem
    if question.name == "count":
        return max_cover(problem, int(question.value), options)
    if question.name == "budget":
        return budget_cover(problem, question.value, options)
    return set_cover(problem, min_priority=question.value, by="count", options=options)


def answer(model: PlacementModel, question: Question,
           options: SolverOptions | None = None) -> PlanResult:
    """Solve and package: sites, stretches, before/after per grid, totals, solver figures."""
    result = solve(model, question, options)
    return package(model, question, result)


def package(model: PlacementModel, question: Question, result: PlacementResult) -> PlanResult:
    """Turn a solver answer into a :class:`PlanResult`."""
    demand = model.demand
    chosen = np.asarray(result.chosen, dtype=np.int64)
    first = first_cover(model.problem.covers, chosen, demand.covered)
    newly = first >= 0
    length = demand.length
    sites = _sites(model, chosen, first, result)
    stretches = _stretches(model, chosen, first)
    grids = before_after(demand, newly)
    gap_before = float(length[demand.eligible].sum())
    closed = float(length[demand.eligible & newly].sum())
    uncoverable = np.asarray(result.uncoverable, dtype=np.int64)
    totals = {
        "sites": int(len(chosen)),
        "repairs": int((sites["kind"] == "repair").sum()) if len(sites) else 0,
        "cost_yuan": round(float(model.problem.cost[chosen].sum()), 2),
        "gap_m_before": round(gap_before, 2),
        "closed_m": round(closed, 2),
        "gap_m_after": round(gap_before - closed, 2),
        "newly_covered_m": round(float(length[newly].sum()), 2),
        "uncoverable_m": round(float(length[uncoverable].sum()), 2),
        "open_weight": round(float(result.open_weight), 3),
        "covered_weight": round(float(result.covered_weight), 3),
        "candidates": int(model.problem.n_candidates),
    }
    solver = {
        "method": result.method,
        "status": result.status,
        "objective": _finite(result.objective),
        "bound": _finite(result.bound),
        "gap": _finite(result.gap),
        "seconds": round(float(result.seconds), 3),
        "demand_rows": int(model.problem.n_demand),
        "reduced_shape": [int(v) for v in result.reduced_shape],
    }
    notes = []
    if model.state.gap_params.data_complete:
        notes.append("inventory taken as complete: every shortfall counts as a gap")
    else:
        notes.append("inventory incomplete: stretches with no asset data nearby are 'unknown' "
                     "and get no sites")
    return PlanResult(model.asset, question, sites, stretches, grids, totals, solver, notes)


def first_cover(covers: sp.csr_matrix, chosen: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Per demand row: position in ``chosen`` of the first site newly covering it, else -1."""
    first = np.full(covers.shape[0], -1, dtype=np.int64)
    csc = sp.csc_matrix(covers[:, np.asarray(chosen, dtype=np.int64)])
    for position in range(len(chosen) - 1, -1, -1):
        first[csc.indices[csc.indptr[position]:csc.indptr[position + 1]]] = position
    first[covered] = -1
    return first


def _sites(model: PlacementModel, chosen: np.ndarray, first: np.ndarray,
           result: PlacementResult) -> gpd.GeoDataFrame:
    demand = model.demand
    sites = model.sites.iloc[chosen].copy().reset_index(drop=True)
    sites.insert(0, "rank", np.arange(1, len(sites) + 1))
    positions = np.arange(len(chosen))
    eligible_len = np.bincount(first[demand.eligible & (first >= 0)],
                               weights=demand.length[demand.eligible & (first >= 0)],
                               minlength=len(chosen))
    all_len = np.bincount(first[first >= 0], weights=demand.length[first >= 0],
                          minlength=len(chosen))
    sites["added_m"] = np.round(eligible_len[positions], 2)
    sites["lit_m" if model.asset == "light" else "seen_m"] = np.round(all_len[positions], 2)
    sites["added_weight"] = np.round(np.asarray(result.added_weight, dtype=float), 3)
    sites["asset"] = model.asset
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=model.crs).to_crs(4326)
    sites["grid"] = _grid_of(sites, model)
    keep = ["rank", "candidate_id", "asset", "kind", "cost_yuan", "added_m",
            "lit_m" if model.asset == "light" else "seen_m", "added_weight", "asset_id",
            "street_id", "grid"]
    keep += (["height_m", "intensity_cd"] if model.asset == "light"
             else ["heading_deg", "fov_deg", "range_m"])
    return sites[[*keep, "geometry"]]


def _grid_of(sites: gpd.GeoDataFrame, model: PlacementModel) -> list[int | None]:
    """Grid number each site stands in (``None`` outside every chosen grid)."""
    grids = model.grids
    number: list[int | None] = [None] * len(sites)
    if grids is None or len(grids) == 0 or len(sites) == 0:
        return number
    hit = shapely.STRtree(grids.geometry.to_numpy()).query(sites.geometry.to_numpy(),
                                                           predicate="intersects")
    for site, grid in zip(*hit, strict=True):
        if number[site] is None:
            number[site] = int(grids["number"].iloc[grid])
    return number


def _stretches(model: PlacementModel, chosen: np.ndarray,
               first: np.ndarray) -> gpd.GeoDataFrame:
    demand = model.demand
    code = np.where(first >= 0, 2 * (first + 1) - demand.eligible.astype(np.int64), 0)
    attributes = demand.attributes.rename(columns={"id": "street_id"})
    pieces = run_pieces(demand.lines, demand.samples, code, attributes, model.crs)
    position = (pieces["code"].to_numpy() + 1) // 2 - 1
    out = gpd.GeoDataFrame({
        "site_rank": position + 1,
        "candidate_id": model.problem.candidate_ids[chosen[position]] if len(position) else [],
        "closes_gap": pieces["code"].to_numpy() % 2 == 1,
        "street_id": pieces["street_id"].to_numpy(),
        "street_class": pieces["street_class"].to_numpy(),
        "grid": demand.grid[_first_sample(demand, pieces)] if len(pieces) else [],
        "length_m": np.round(pieces["length_m"].to_numpy(float), 2),
    }, geometry=pieces.geometry.to_numpy(), crs=model.crs)
    return out.to_crs(4326)


def _first_sample(demand: Demand, pieces: gpd.GeoDataFrame) -> np.ndarray:
    """A sample of each piece's street (for its grid number)."""
    segment = pieces["segment"].to_numpy()
    first = np.searchsorted(demand.samples.line, segment, side="left")
    return np.clip(first, 0, len(demand.samples) - 1)


def before_after(demand: Demand, newly: np.ndarray) -> pd.DataFrame:
    """Per grid number: covered and gap metres before and after the new sites."""
    length = demand.length
    table = pd.DataFrame({
        "grid": demand.grid,
        "length_m": length,
        "covered_m_before": length * demand.covered,
        "covered_m_after": length * (demand.covered | newly),
        "gap_m_before": length * demand.eligible,
        "closed_m": length * (demand.eligible & newly),
    })
    grids = table.groupby("grid", sort=True).sum()
    grids["gap_m_after"] = grids["gap_m_before"] - grids["closed_m"]
    with np.errstate(invalid="ignore", divide="ignore"):
        grids["share_before"] = grids["covered_m_before"] / grids["length_m"]
        grids["share_after"] = grids["covered_m_after"] / grids["length_m"]
    grids = grids[["length_m", "covered_m_before", "covered_m_after", "share_before",
                   "share_after", "gap_m_before", "gap_m_after", "closed_m"]]
    return grids.reset_index()


# -- JSON helpers ---------------------------------------------------------------------------------
def _finite(value: float) -> float | None:
    value = float(value)
    return round(value, 6) if math.isfinite(value) else None


def _plain(value: Any) -> Any:
    """A JSON-ready scalar (numpy types to Python, NaN and NA to None)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a plain table as JSON-ready dicts."""
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def features(frame: gpd.GeoDataFrame, **extra: Any) -> list[dict[str, Any]]:
    """GeoJSON features of a frame (EPSG:4326), coordinates to 7 decimals (about 1 cm)."""
    if len(frame) == 0:
        return []
    geoms = shapely.transform(frame.geometry.to_numpy(), lambda xy: np.round(xy, 7))
    props = frame.drop(columns=frame.geometry.name)
    out = []
    for geom, row in zip(geoms, props.to_dict("records"), strict=True):
        out.append({"type": "Feature",
                    "properties": {**extra, **{k: _plain(v) for k, v in row.items()}},
                    "geometry": shapely.geometry.mapping(geom)})
    return out
