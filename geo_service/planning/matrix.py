"""The coverage matrix of a placement question: street samples x candidate sites.

Demand
------
Every street of the chosen grids is cut into the samples of the coverage model (1 m pieces by
default, the same samples the gap numbers come from). A sample is *covered before* when the
existing assets light (see) it. It carries weight ``priority x length`` when it lies in a gap of
an eligible kind (``dark`` for lights, ``unseen`` for cameras; ``unknown`` only on request, since
a planner must not be sent where the data is merely missing), else weight 0: it still counts in
the before/after metres but no site is chosen for it.

Candidates
----------
:func:`~geo_service.analysis.candidates.candidate_sites` (poles along streets, wall brackets or
camera mounts on street-facing walls, repairs of broken assets), kept when they stand inside the
chosen grids. A new lamp has the mount defaults of :class:`LightingParams` (pole 6 m / 1,500 cd,
wall 3.5 m / 600 cd); a repaired lamp its own figures. A new camera has the default lens of
:class:`CameraParams` (4 mm: 68 degrees, recognise to 15 m) and is tried at eight compass headings
plus both directions of the street it stands on; each (site, heading) is one candidate. A
repaired camera keeps its own heading, field of view and range.

Coverage
--------
A lamp candidate covers a sample when its illuminance plus what the existing lamps already give
reaches the class minimum and the sight line crosses no building. A camera candidate covers a
sample within its range at the chosen DORI level, inside its field of view, with a clear sight
line (the exact form of the ray-cast visibility polygon).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from geo_service.analysis._segments import Samples, geometries, obstacles, sample_lines
from geo_service.analysis.cameras import (
    CameraCoverage,
    dori_range,
    lens_figures,
    resolve_cameras,
)
from geo_service.analysis.candidates import CandidateCosts, candidate_sites
from geo_service.analysis.lighting import (
    LightingCoverage,
    illuminance,
    lamp_reach,
    resolve_lamps,
    sight_blocked,
)
from geo_service.analysis.placement import CoverageProblem
from geo_service.planning.coverage import CoverageState
from geo_service.planning.layers import Layers

#: Compass headings every camera site is tried at (plus both ways along its street).
CAMERA_HEADINGS = tuple(range(0, 360, 45))
#: A street direction within this many degrees of a compass heading adds no candidate.
SAME_HEADING_DEG = 10.0
#: Site costs unless the caller gives its own quotes.
DEFAULT_COSTS = CandidateCosts()
#: Metres between candidate sites along streets and walls.
SITE_SPACING_M = 15.0
#: Where the scenario and the defaults look for dark alleys.
ELIGIBLE = {"lighting": ("dark",), "cameras": ("unseen",)}


@dataclass(frozen=True)
class Demand:
    """Street samples of the chosen grids (rows of the coverage matrix).

    ``segment`` indexes ``lines`` (the coverage's street rows), ``grid`` is the grid number (0
    for streets outside every grid), ``gap`` the gap kind ("" outside gaps), ``weight`` the
    priority-weighted length of eligible gap samples (0 elsewhere).
    """

    samples: Samples
    lines: np.ndarray
    attributes: pd.DataFrame
    grid: np.ndarray
    street_class: np.ndarray
    gap: np.ndarray
    priority: np.ndarray
    eligible: np.ndarray
    weight: np.ndarray
    covered: np.ndarray

    @property
    def length(self) -> np.ndarray:
        """Metres each sample stands for."""
        return self.samples.step


@dataclass(frozen=True)
class PlacementModel:
    """A placement question's matrix with what is needed to read its answers.

    ``sites`` (metric CRS, row = candidate index) has ``candidate_id``, ``kind``, ``cost_yuan``,
    ``asset_id``, ``street_id`` and, per asset, ``height_m``/``intensity_cd`` (lights) or
    ``heading_deg``/``fov_deg``/``range_m`` (cameras).
    """

    asset: str
    state: CoverageState
    demand: Demand
    sites: gpd.GeoDataFrame
    problem: CoverageProblem
    crs: object
    grids: gpd.GeoDataFrame | None = None


def gap_lookup(segment: np.ndarray, along: np.ndarray,
               gaps: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Gap kind ("" for none) and priority (0) of each point (street row, metres along it)."""
    kind = np.full(len(segment), "", dtype=object)
    priority = np.zeros(len(segment))
    if len(gaps) == 0 or len(segment) == 0:
        return kind, priority
    gseg = gaps["segment"].to_numpy(np.int64)
    start, end = gaps["start_m"].to_numpy(float), gaps["end_m"].to_numpy(float)
    scale = 1e7  # metres along a street stay far below this
    order = np.lexsort((start, gseg))
    keys = gseg[order] * scale + start[order]
    point = segment.astype(np.int64) * scale + along
    at = np.searchsorted(keys, point + 1e-6, side="right") - 1
    ok = at >= 0
    hit = order[np.clip(at, 0, None)]
    ok &= (gseg[hit] == segment) & (along <= end[hit] + 1e-6)
    kind[ok] = gaps["kind"].to_numpy()[hit[ok]]
    priority[ok] = gaps["priority"].to_numpy(float)[hit[ok]]
    return kind, priority


def build_demand(state: CoverageState, layers: Layers, *, eligible: Sequence[str],
                 classes: Sequence[str] | None = None, weight_by_priority: bool = True,
                 spacing_m: float | None = None) -> Demand:
    """Demand rows from a coverage state (lights: its own samples; cameras: 1 m samples).

    ``classes`` restricts the weighted rows to some street classes (the scenario's alleys);
    without ``weight_by_priority`` the weight is plain metres.
    """
    cov = state.coverage
    lines = geometries(cov.segments)
    if isinstance(cov, LightingCoverage):
        frame = cov.samples
        samples = Samples(line=frame["segment"].to_numpy(), along=frame["along_m"].to_numpy(),
                          step=frame["step_m"].to_numpy(), xy=frame[["x", "y"]].to_numpy())
        covered = frame["lit"].to_numpy(bool)
    else:
        samples = sample_lines(lines, spacing_m or 1.0)
        covered = _seen(samples.xy, cov)
    numbers = layers.number_of()
    attributes = cov.segments[["id", "street_class", "lit", "grid_id"]].reset_index(drop=True)
    grid_of_line = np.array([int(numbers.get(g, 0)) if pd.notna(g) else 0
                             for g in attributes["grid_id"]], dtype=np.int64)
    street_class = attributes["street_class"].to_numpy()[samples.line]
    gap, priority = gap_lookup(samples.line, samples.along, state.gaps)
    eligible_rows = np.isin(gap, list(eligible)) & ~covered
    if classes is not None:
        eligible_rows &= np.isin(street_class, list(classes))
    weight = np.where(eligible_rows, (priority if weight_by_priority else 1.0) * samples.step,
                      0.0)
    return Demand(samples=samples, lines=lines, attributes=attributes,
                  grid=grid_of_line[samples.line], street_class=street_class, gap=gap,
                  priority=np.where(eligible_rows, priority, 0.0), eligible=eligible_rows,
                  weight=weight, covered=covered)


def _seen(xy: np.ndarray, cov: CameraCoverage) -> np.ndarray:
    """Whether each point lies in a visibility polygon of the existing cameras."""
    polygons = geometries(cov.views)
    polygons = polygons[~shapely.is_empty(polygons)]
    seen = np.zeros(len(xy), dtype=bool)
    if len(polygons) == 0 or len(xy) == 0:
        return seen
    hit = shapely.STRtree(polygons).query(shapely.points(xy), predicate="intersects")[0]
    seen[hit] = True
    return seen


# -- candidate sites ----------------------------------------------------------------------------
def sites_for(layers: Layers, asset: str, costs: CandidateCosts,
              spacing_m: float = SITE_SPACING_M) -> gpd.GeoDataFrame:
    """Candidate sites inside the chosen grids (metric CRS), repairs of broken assets included."""
    crs = layers.crs
    streets = layers.streets.to_crs(crs)
    buildings = layers.buildings.to_crs(crs)
    assets = (layers.lights if asset == "light" else layers.cameras).to_crs(crs)
    assets = assets.assign(id=assets["source_id"])
    sites = candidate_sites(streets, buildings, assets, asset=asset, costs=costs,
                            spacing=spacing_m)
    if layers.area is not None and len(sites):
        area = gpd.GeoSeries([layers.area], crs=4326).to_crs(crs).iloc[0]
        sites = sites[shapely.covers(area, geometries(sites))]
    return sites.reset_index(drop=True)


def _pairs(site_xy: np.ndarray, reach: np.ndarray, demand_xy: np.ndarray,
           rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(site, demand row, distance) within each site's reach, demand limited to ``rows``."""
    empty = np.empty(0, dtype=np.int64)
    if len(site_xy) == 0 or len(rows) == 0:
        return empty, empty, np.empty(0)
    pairs = cKDTree(site_xy).sparse_distance_matrix(cKDTree(demand_xy[rows]), float(reach.max()),
                                                    output_type="ndarray")
    site, row, dist = pairs["i"].astype(np.int64), rows[pairs["j"]], pairs["v"]
    keep = dist <= reach[site]
    return site[keep], row[keep], dist[keep]


def light_model(state: CoverageState, layers: Layers, demand: Demand, *,
                costs: CandidateCosts = DEFAULT_COSTS, spacing_m: float = SITE_SPACING_M,
                sites: gpd.GeoDataFrame | None = None) -> PlacementModel:
    """The lamp placement matrix (see the module docstring)."""
    cov: LightingCoverage = state.coverage  # type: ignore[assignment]
    params = cov.params
    sites = sites_for(layers, "light", costs, spacing_m) if sites is None else sites
    height, intensity = lamp_figures(sites, layers, params)
    sites = sites.assign(height_m=height, intensity_cd=intensity)
    covers = light_columns(sites, demand, cov, layers)
    problem = CoverageProblem(weights=demand.weight, covers=covers,
                              cost=sites["cost_yuan"].to_numpy(float),
                              already_covered=demand.covered,
                              candidate_ids=sites["candidate_id"].to_numpy(),
                              priority=demand.priority)
    return PlacementModel("light", state, demand, sites, problem, layers.crs, layers.grids)


def lamp_figures(sites: gpd.GeoDataFrame, layers: Layers,
                 params: object) -> tuple[np.ndarray, np.ndarray]:
    """Height and intensity of each lamp site: mount defaults, a repaired lamp's own figures."""
    kind = sites["kind"].to_numpy()
    wall = kind == "wall"
    height = np.where(wall, params.wall.height_m, params.pole.height_m)  # type: ignore[attr-defined]
    intensity = np.where(wall, params.wall.intensity_cd,  # type: ignore[attr-defined]
                         params.pole.intensity_cd)  # type: ignore[attr-defined]
    repair = np.flatnonzero(kind == "repair")
    if len(repair):
        lamps = resolve_lamps(layers.lights, layers.crs, params).set_index("source_id")  # type: ignore[arg-type]
        own = lamps.loc[sites["asset_id"].to_numpy()[repair]]
        height[repair] = own["height_m"].to_numpy(float)
        intensity[repair] = own["intensity_cd"].to_numpy(float)
    return height.astype(float), intensity.astype(float)


def light_columns(lamps: gpd.GeoDataFrame, demand: Demand, cov: LightingCoverage,
                  layers: Layers) -> sp.csr_matrix:
    """Which uncovered samples each lamp (``height_m``, ``intensity_cd``) would bring to minimum."""
    params = cov.params
    n_rows = len(demand.samples)
    lux = cov.samples["lux"].to_numpy(float)
    target = np.array([params.target(c).min_lux for c in demand.street_class])
    deficit = target - lux
    rows = np.flatnonzero(~demand.covered & (deficit > 0))
    xy = shapely.get_coordinates(geometries(lamps))
    height, intensity = lamps["height_m"].to_numpy(float), lamps["intensity_cd"].to_numpy(float)
    need = max(float(deficit[rows].min()) if len(rows) else params.cutoff_lux, params.cutoff_lux)
    reach = np.minimum(lamp_reach(intensity, height, need), params.max_reach_m)
    site, row, dist = _pairs(xy, reach, demand.samples.xy, rows)
    ok = illuminance(intensity[site], height[site], dist) >= deficit[row]
    site, row = site[ok], row[ok]
    walls = obstacles(layers.buildings, layers.crs)[0]
    tree = shapely.STRtree(walls) if len(walls) else None
    clear = ~sight_blocked(xy[site], demand.samples.xy[row], tree, params.clearance_m)
    site, row = site[clear], row[clear]
    return sp.csr_matrix((np.ones(len(row), dtype=bool), (row, site)),
                         shape=(n_rows, len(lamps)))


# -- cameras --------------------------------------------------------------------------------------
def street_bearings(points: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Bearing (degrees, 0 = north, clockwise) of the nearest street at each point."""
    if len(points) == 0 or len(lines) == 0:
        return np.full(len(points), np.nan)
    near = shapely.STRtree(lines).query_nearest(points, all_matches=False)
    line = lines[near[1]]
    order = np.argsort(near[0])
    line = line[order]
    along = shapely.line_locate_point(line, points)
    a = shapely.get_coordinates(shapely.line_interpolate_point(line, np.maximum(along - 1, 0)))
    b = shapely.get_coordinates(shapely.line_interpolate_point(
        line, np.minimum(along + 1, shapely.length(line))))
    return np.degrees(np.arctan2(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])) % 360.0


def camera_candidates(sites: gpd.GeoDataFrame, layers: Layers, cov: CameraCoverage,
                      headings: Sequence[float] = CAMERA_HEADINGS) -> gpd.GeoDataFrame:
    """One row per (site, heading): new mounts at several headings, repairs as they were."""
    params = cov.params
    points = geometries(sites)
    kind = sites["kind"].to_numpy()
    streets = geometries(layers.streets.to_crs(layers.crs))
    along = street_bearings(points, streets)
    rows, heading = [], []
    for i in np.flatnonzero(kind != "repair"):
        mine = [float(h) for h in headings]
        for extra in (along[i], (along[i] + 180.0) % 360.0):
            if np.isfinite(extra) and min(_angle(extra, h) for h in mine) > SAME_HEADING_DEG:
                mine.append(round(float(extra), 1))
        rows.extend([i] * len(mine))
        heading.extend(mine)
    fresh = sites.iloc[rows].reset_index(drop=True)
    fov, identify = lens_figures(np.array([params.default_lens_mm]))
    fresh = fresh.assign(heading_deg=heading, fov_deg=float(fov[0]),
                         range_m=float(dori_range(identify, params.level)[0]))
    repair = sites[kind == "repair"]
    if len(repair):
        own = resolve_cameras(layers.cameras, layers.crs, params).set_index("source_id")
        own = own.loc[repair["asset_id"].to_numpy()]
        repair = repair.assign(heading_deg=own["heading_deg"].to_numpy(float),
                               fov_deg=own["fov_deg"].to_numpy(float),
                               range_m=own["range_m"].to_numpy(float))
    out = pd.concat([fresh, repair], ignore_index=True)
    new = out["kind"].to_numpy() != "repair"
    out["candidate_id"] = np.where(
        new, out["candidate_id"] + "@" + out["heading_deg"].round(0).astype(int).astype(str),
        out["candidate_id"])
    return gpd.GeoDataFrame(out, geometry="geometry", crs=layers.crs)


def _angle(a: float, b: float) -> float:
    """Smallest angle between two bearings."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def camera_columns(cams: gpd.GeoDataFrame, demand: Demand, cov: CameraCoverage,
                   layers: Layers) -> sp.csr_matrix:
    """Which unseen samples each camera (``heading_deg``, ``fov_deg``, ``range_m``) would see."""
    n_rows = len(demand.samples)
    rows = np.flatnonzero(~demand.covered)
    xy = shapely.get_coordinates(geometries(cams))
    if len(cams) == 0:
        return sp.csr_matrix((n_rows, 0), dtype=bool)
    # one sight test per (position, sample): the headings of a site share their sight lines
    position, first = np.unique(np.round(xy, 3), axis=0, return_inverse=True)
    first = first.ravel()
    reach = np.zeros(len(position))
    np.maximum.at(reach, first, cams["range_m"].to_numpy(float))
    pos, row, dist = _pairs(position, reach, demand.samples.xy, rows)
    walls = obstacles(layers.buildings, layers.crs)[0]
    tree = shapely.STRtree(walls) if len(walls) else None
    clear = ~sight_blocked(position[pos], demand.samples.xy[row], tree,
                           cov.params.clearance_m)
    pos, row, dist = pos[clear], row[clear], dist[clear]
    delta = demand.samples.xy[row] - position[pos]
    bearing = np.degrees(np.arctan2(delta[:, 0], delta[:, 1])) % 360.0
    # expand to every camera at that position
    order = np.argsort(first, kind="stable")
    counts = np.bincount(first, minlength=len(position))
    starts = np.cumsum(counts) - counts
    n_each = counts[pos]
    pair = np.repeat(np.arange(len(pos)), n_each)
    rank = np.arange(len(pair)) - np.repeat(np.cumsum(n_each) - n_each, n_each)
    cam = order[starts[pos][pair] + rank]
    heading = np.nan_to_num(cams["heading_deg"].to_numpy(float))[cam]
    fov = cams["fov_deg"].to_numpy(float)[cam]
    off = np.abs((bearing[pair] - heading + 180.0) % 360.0 - 180.0)
    sees = ((fov >= 360.0) | (off <= fov / 2)) & (dist[pair] <= cams["range_m"].to_numpy(
        float)[cam])
    return sp.csr_matrix((np.ones(int(sees.sum()), dtype=bool), (row[pair][sees], cam[sees])),
                         shape=(n_rows, len(cams)))


def camera_model(state: CoverageState, layers: Layers, demand: Demand, *,
                 costs: CandidateCosts = DEFAULT_COSTS, spacing_m: float = SITE_SPACING_M,
                 sites: gpd.GeoDataFrame | None = None) -> PlacementModel:
    """The camera placement matrix (see the module docstring)."""
    cov: CameraCoverage = state.coverage  # type: ignore[assignment]
    sites = sites_for(layers, "camera", costs, spacing_m) if sites is None else sites
    cams = camera_candidates(sites, layers, cov)
    covers = camera_columns(cams, demand, cov, layers)
    problem = CoverageProblem(weights=demand.weight, covers=covers,
                              cost=cams["cost_yuan"].to_numpy(float),
                              already_covered=demand.covered,
                              candidate_ids=cams["candidate_id"].to_numpy(),
                              priority=demand.priority)
    return PlacementModel("camera", state, demand, cams, problem, layers.crs, layers.grids)


def asset_columns(asset: str, frame: gpd.GeoDataFrame, demand: Demand, state: CoverageState,
                  layers: Layers) -> sp.csr_matrix:
    """Coverage columns of mapped assets taken as if new (the scenario's actual sets)."""
    crs = layers.crs
    if asset == "light":
        cov: LightingCoverage = state.coverage  # type: ignore[assignment]
        lamps = resolve_lamps(frame, crs, cov.params)
        return light_columns(lamps, demand, cov, layers)
    cams = resolve_cameras(frame, crs, state.coverage.params)  # type: ignore[arg-type]
    return camera_columns(cams, demand, state.coverage, layers)  # type: ignore[arg-type]
