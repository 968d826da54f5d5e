"""Coverage and gaps for the layers of a planning question, with per-grid summaries.

Pure functions of :class:`~geo_service.planning.layers.Layers`: the lighting and camera models of
:mod:`geo_service.analysis` run in the layers' metric CRS, the gap finder ranks what they leave,
and the results come back per grid *number*.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_service.analysis.cameras import CameraCoverage, CameraParams, camera_coverage
from geo_service.analysis.gaps import GapParams, camera_gaps, lighting_gaps
from geo_service.analysis.lighting import (
    LightingCoverage,
    LightingParams,
    light_coverage,
    tag_agreement,
)
from geo_service.analysis.lit_evidence import lit_lengths
from geo_service.planning.layers import Layers, inventory_complete, open_hazard_counts

Kind = Literal["lighting", "cameras"]
KINDS: tuple[str, ...] = ("lighting", "cameras")
DEFAULT_LIGHTING = LightingParams()
DEFAULT_CAMERAS = CameraParams()


@dataclass(frozen=True)
class CoverageState:
    """One model's coverage of the chosen streets and the gaps it leaves.

    Attributes
    ----------
    kind:
        ``"lighting"`` or ``"cameras"``.
    coverage:
        :class:`LightingCoverage` or :class:`CameraCoverage` (metric CRS).
    gaps:
        Gap stretches (EPSG:4326), columns of :mod:`geo_service.analysis.gaps` plus ``grid``
        (the grid number).
    gap_params:
        Settings the gaps were found with (``data_complete`` says whether the inventory was
        taken as complete).
    excluded:
        ``source_id`` of assets left out (the preset scenario's "before the works").
    """

    kind: str
    coverage: LightingCoverage | CameraCoverage
    gaps: gpd.GeoDataFrame
    gap_params: GapParams
    excluded: tuple[str, ...] = ()


def _without(assets: gpd.GeoDataFrame, exclude: Collection[str]) -> gpd.GeoDataFrame:
    if not exclude:
        return assets
    return assets[~assets["source_id"].isin(list(exclude))]


def _gap_params(assets: gpd.GeoDataFrame, gap_params: GapParams | None,
                complete: bool | None) -> GapParams:
    params = gap_params or GapParams()
    if complete is None:
        complete = inventory_complete(assets)
    return replace(params, data_complete=bool(complete))


def lighting_state(layers: Layers, *, params: LightingParams = DEFAULT_LIGHTING,
                   gap_params: GapParams | None = None, complete: bool | None = None,
                   exclude: Collection[str] = ()) -> CoverageState:
    """Light coverage of the chosen streets and their lighting gaps.

    ``complete`` overrides the inventory test of :func:`inventory_complete`; ``exclude`` leaves
    lamps out by ``source_id``.
    """
    lights = _without(layers.lights, exclude)
    gp = _gap_params(layers.lights, gap_params, complete)
    cov = light_coverage(layers.streets, lights, layers.buildings, crs=layers.crs, params=params)
    gaps = _numbered(lighting_gaps(cov, layers.hazards, params=gp), layers)
    return CoverageState("lighting", cov, gaps, gp, tuple(exclude))


def camera_state(layers: Layers, *, params: CameraParams = DEFAULT_CAMERAS,
                 gap_params: GapParams | None = None, complete: bool | None = None,
                 exclude: Collection[str] = ()) -> CoverageState:
    """Camera coverage of the chosen streets (at ``params.level``) and the unwatched gaps."""
    cameras = _without(layers.cameras, exclude)
    gp = _gap_params(layers.cameras, gap_params, complete)
    cov = camera_coverage(layers.streets, cameras, layers.buildings, crs=layers.crs,
                          params=params)
    gaps = _numbered(camera_gaps(cov, layers.hazards, params=gp), layers)
    return CoverageState("cameras", cov, gaps, gp, tuple(exclude))


def state_for(layers: Layers, kind: str, **kwargs: object) -> CoverageState:
    """:func:`lighting_state` or :func:`camera_state` by name."""
    if kind == "lighting":
        return lighting_state(layers, **kwargs)  # type: ignore[arg-type]
    if kind == "cameras":
        return camera_state(layers, **kwargs)  # type: ignore[arg-type]
    raise ValueError(f"unknown gap kind {kind!r}; use lighting or cameras")


def _numbered(gaps: gpd.GeoDataFrame, layers: Layers) -> gpd.GeoDataFrame:
    """Gaps with the grid number beside the grid's database id."""
    gaps = gaps.copy()
    numbers = layers.number_of()
    gaps.insert(gaps.columns.get_loc("grid_id") + 1, "grid",
                pd.array([numbers.get(g) if pd.notna(g) else None for g in gaps["grid_id"]],
                         dtype="Int64"))
    return gaps


def grid_summary(state: CoverageState, layers: Layers) -> pd.DataFrame:
    """Per grid number: street metres, covered and uncovered metres, share, gap metres by kind.

    Lighting columns: ``length_m``, ``lit_m``, ``unlit_m``, ``share_lit``, ``dark_m``,
    ``unknown_m``, ``gaps``, ``open_hazards``, then ``tag_lit_m`` + ``model_lit_m`` (= ``lit_m``:
    lit by a trusted ``lit=yes`` tag, as the gap list counts it, else by the lamp model),
    ``model_confirmed_m`` and ``share_model`` (what the lamp model alone finds lit).
    Cameras: ``seen_m``, ``unseen_m``, ``share_seen``, ``unseen_gap_m`` (unseen near camera
    data), ``unknown_m``, ``gaps``, ``open_hazards``.
    Streets outside every grid are summed under grid 0.
    """
    numbers = layers.number_of()
    lighting = state.kind == "lighting"
    if lighting:
        grids = (lit_lengths(state.coverage, trust_lit_tag=state.gap_params.trust_lit_tag)
                 .groupby("grid_id", dropna=False, sort=True).sum().reset_index())
    else:
        grids = state.coverage.grids.copy()
    grids.insert(0, "grid", [int(numbers.get(g, 0)) if pd.notna(g) else 0
                             for g in grids["grid_id"]])
    grids = grids.drop(columns="grid_id").groupby("grid").sum(numeric_only=True)
    done, left, share = (("lit_m", "unlit_m", "share_lit") if state.kind == "lighting"
                         else ("seen_m", "unseen_m", "share_seen"))
    with np.errstate(invalid="ignore", divide="ignore"):
        grids[share] = grids[done] / grids["length_m"]
        if lighting:
            grids["share_model"] = grids["model_confirmed_m"] / grids["length_m"]
    gaps = state.gaps.assign(grid=state.gaps["grid"].fillna(0).astype(int))
    by_kind = gaps.groupby(["grid", "kind"])["length_m"].sum().unstack(fill_value=0.0)
    main_kind = "dark" if state.kind == "lighting" else "unseen"
    main_col = "dark_m" if state.kind == "lighting" else "unseen_gap_m"
    grids[main_col] = by_kind.get(main_kind, 0.0)
    grids["unknown_m"] = by_kind.get("unknown", 0.0)
    grids[[main_col, "unknown_m"]] = grids[[main_col, "unknown_m"]].fillna(0.0)
    grids["gaps"] = gaps.groupby("grid").size().reindex(grids.index, fill_value=0)
    hazards = open_hazard_counts(layers.hazards, layers.grids)
    grids["open_hazards"] = hazards.reindex(grids.index, fill_value=0).astype(int)
    extra = ["tag_lit_m", "model_lit_m", "model_confirmed_m", "share_model"] if lighting else []
    return grids[["length_m", done, left, share, main_col, "unknown_m", "gaps",
                  "open_hazards", *extra]].reset_index()


def agreement(state: CoverageState) -> pd.DataFrame | None:
    """Per ``lit`` tag: tagged metres and the share where model and tag agree (lighting only)."""
    if state.kind != "lighting":
        return None
    return tag_agreement(state.coverage, evidence_radius_m=state.gap_params.evidence_radius_m)
