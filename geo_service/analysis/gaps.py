"""Coverage gaps: dark or unwatched stretches of street, told apart from missing data, ranked.

Kinds
-----
Lighting (:func:`lighting_gaps`): a stretch below its class minimum is

- ``"dark"`` when the street is tagged ``lit=no``, or a lamp of any status is mapped within
  ``evidence_radius_m`` (the model had lamp data there and it still falls short), or the lamp
  inventory is declared complete (``data_complete``, e.g. a community's own survey);
- ``"unknown"`` otherwise: no tag and no lamp data, so nobody should be sent to put up poles;
- not a gap at all when tagged ``lit=yes`` (lit evidence) and ``trust_lit_tag`` is set.

Cameras (:func:`camera_gaps`): an unseen stretch is ``"unseen"`` within
``camera_evidence_radius_m`` of a mapped camera (or with ``data_complete``), else ``"unknown"``.

Priority (a weight per metre; ``weighted_m = priority * length_m`` ranks whole stretches)::

    priority = class_weight[street_class] * kind_weight
               * (1 + hazard_weight * min(open_hazards, hazard_cap)
                    + dispute_weight * min(disputes, hazard_cap))

``open_hazards`` counts open hazards (reported, assigned, in progress) within
``hazard_radius_m`` of the stretch; ``disputes`` counts those of category ``dispute`` again, so
a dispute weighs more than another hazard. ``kind_weight`` is 1 for dark/unseen and
``unknown_weight`` for unknown. Results are in EPSG:4326, ready for GeoJSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis._segments import (
    Samples,
    geometries,
    line_pieces,
    open_hazards,
    run_pieces,
    street_attributes,
)
from geo_service.analysis.cameras import CameraCoverage
from geo_service.analysis.lighting import LightingCoverage, lamp_data_near
from geo_service.analysis.lit_evidence import lit_samples
from geo_service.vocab import Lit, StreetClass

DARK, UNKNOWN, UNSEEN = "dark", "unknown", "unseen"

#: Column order of every gap frame.
GAP_COLUMNS = ["layer", "kind", "street_id", "segment", "street_class", "grid_id", "lit",
               "start_m", "end_m", "length_m", "open_hazards", "disputes", "priority",
               "weighted_m", "geometry"]


def default_class_weights() -> dict[str, float]:
    """Weight per street class: steps and alleys first, main roads last."""
    return {
        StreetClass.STEPS: 3.0,
        StreetClass.ALLEY: 2.5,
        StreetClass.FOOTWAY: 1.5,
        StreetClass.PATH: 1.5,
        StreetClass.SERVICE: 1.2,
        StreetClass.RESIDENTIAL: 1.0,
        StreetClass.OTHER: 1.0,
        StreetClass.BRANCH: 0.8,
        StreetClass.MAIN: 0.5,
    }


@dataclass(frozen=True)
class GapParams:
    """Settings of the gap finder and its priority score (see the module docstring)."""

    hazard_radius_m: float = 30.0
    evidence_radius_m: float = 50.0
    camera_evidence_radius_m: float = 100.0
    data_complete: bool = False
    trust_lit_tag: bool = True
    class_weights: dict[str, float] = field(default_factory=default_class_weights)
    hazard_weight: float = 0.5
    dispute_weight: float = 0.5
    hazard_cap: int = 4
    unknown_weight: float = 0.3
    min_length_m: float = 1.0


def lighting_gaps(coverage: LightingCoverage, hazards: gpd.GeoDataFrame | None = None, *,
                  params: GapParams = GapParams()) -> gpd.GeoDataFrame:
    """Stretches below their class minimum as ``dark`` or ``unknown`` gaps, with priority.

    Parameters
    ----------
    coverage:
        Result of :func:`geo_service.analysis.lighting.light_coverage`.
    hazards:
        Hazards with ``category`` and ``status`` (any CRS); open ones raise the priority.
    params:
        Gap settings.
    """
    frame = coverage.samples
    samples = Samples(line=frame["segment"].to_numpy(), along=frame["along_m"].to_numpy(),
                      step=frame["step_m"].to_numpy(), xy=frame[["x", "y"]].to_numpy())
    tag = coverage.segments["lit"].to_numpy()[samples.line]
    evidence = (tag == Lit.NO.value) | params.data_complete | lamp_data_near(
        coverage, params.evidence_radius_m)
    code = np.where(evidence, 1, 2).astype(np.int8)
    code[lit_samples(coverage, trust_lit_tag=params.trust_lit_tag)["lit"].to_numpy()] = 0
    lines = geometries(coverage.segments)
    pieces = run_pieces(lines, samples, code, street_attributes(coverage.segments), coverage.crs)
    pieces.insert(0, "kind", np.where(pieces.pop("code").to_numpy() == 1, DARK, UNKNOWN))
    return _rank(pieces, "lighting", hazards, params)


def camera_gaps(coverage: CameraCoverage, hazards: gpd.GeoDataFrame | None = None, *,
                params: GapParams = GapParams()) -> gpd.GeoDataFrame:
    """Unseen stretches as ``unseen`` or ``unknown`` gaps, with priority.

    Parameters
    ----------
    coverage:
        Result of :func:`geo_service.analysis.cameras.camera_coverage`.
    hazards:
        Hazards with ``category`` and ``status`` (any CRS); open ones raise the priority.
    params:
        Gap settings.
    """
    unseen = coverage.unseen
    if params.data_complete:
        pieces = unseen.copy()
        pieces.insert(0, "kind", UNSEEN)
        return _rank(pieces, "cameras", hazards, params)
    zone = shapely.union_all(shapely.buffer(geometries(coverage.cameras),
                                            params.camera_evidence_radius_m))
    segment = unseen["segment"].to_numpy()
    lines = geometries(coverage.segments)[segment]
    attributes = street_attributes(coverage.segments).iloc[segment].reset_index(drop=True)
    parts = geometries(unseen)
    frames = []
    for kind, leftovers in ((UNSEEN, shapely.intersection(parts, zone)),
                            (UNKNOWN, shapely.difference(parts, zone))):
        pieces = line_pieces(lines, leftovers, attributes, coverage.crs)
        pieces["segment"] = segment[pieces["segment"].to_numpy()]
        pieces.insert(0, "kind", kind)
        frames.append(pieces)
    pieces = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=coverage.crs)
    return _rank(pieces, "cameras", hazards, params)


def _rank(pieces: gpd.GeoDataFrame, layer: str, hazards: gpd.GeoDataFrame | None,
          params: GapParams) -> gpd.GeoDataFrame:
    """Drop short pieces, count nearby open hazards, score, sort and convert to EPSG:4326."""
    pieces = pieces[pieces["length_m"].to_numpy() >= params.min_length_m].reset_index(drop=True)
    places, dispute = open_hazards(hazards, pieces.crs)
    count, disputes = _nearby(geometries(pieces), places, dispute, params.hazard_radius_m)
    weight = pieces["street_class"].map(
        lambda c: params.class_weights.get(c, params.class_weights[StreetClass.OTHER]))
    kind_weight = np.where(pieces["kind"].to_numpy() == UNKNOWN, params.unknown_weight, 1.0)
    cap = params.hazard_cap
    pieces["layer"] = layer
    pieces["street_id"] = pieces.pop("id")
    pieces["open_hazards"] = count
    pieces["disputes"] = disputes
    pieces["priority"] = weight.to_numpy(float) * kind_weight * (
        1 + params.hazard_weight * np.minimum(count, cap)
        + params.dispute_weight * np.minimum(disputes, cap))
    pieces["weighted_m"] = pieces["priority"] * pieces["length_m"]
    pieces = pieces.sort_values(["weighted_m", "segment"], ascending=[False, True])
    return pieces[GAP_COLUMNS].reset_index(drop=True).to_crs("EPSG:4326")


def _nearby(pieces: np.ndarray, places: np.ndarray, dispute: np.ndarray,
            radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Number of hazards, and of disputes, within ``radius`` of each piece."""
    if len(places) == 0 or len(pieces) == 0:
        zeros = np.zeros(len(pieces), dtype=np.int64)
        return zeros, zeros.copy()
    piece, place = shapely.STRtree(places).query(pieces, predicate="dwithin", distance=radius)
    count = np.bincount(piece, minlength=len(pieces))
    disputes = np.bincount(piece, weights=dispute[place], minlength=len(pieces)).astype(np.int64)
    return count, disputes
