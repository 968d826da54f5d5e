"""Street lighting coverage: illuminance on the ground from point-source lamps, walls in the way.

Model
-----
Each working lamp is a point source of intensity ``I`` (cd) at height ``h`` (m). The horizontal
illuminance at ground distance ``d`` is ``E = I * h / (h**2 + d**2) ** 1.5`` (lx), summed over the
lamps that can see the point. Streets are sampled every ``spacing_m`` metres; a lamp lights a
sample only when the straight line between them on the ground plan crosses no building footprint
(buildings are taken to be taller than lamps; the first ``clearance_m`` metres from the lamp are
ignored so a wall lamp is not hidden by its own wall; a lamp digitised deeper than that inside a
footprint is hidden by it). A sample is lit when ``E`` reaches the minimum of its street's class
(the average target is reported per street as ``meets_avg``). Lamps are cut off at the distance
where they add less than ``cutoff_lux``.

Lamp defaults (documented assumptions, change them in :class:`LightingParams`): a pole lamp is
6 m high with 1,500 cd, a wall lamp 3.5 m with 600 cd. 1,500 cd is about the peak intensity of a
30-40 W LED street luminaire (about 4,000 lm); 600 cd of a 10-15 W wall pack. With these values a
row of poles at 3-4 x mounting height (the usual residential spacing, data-sources.md) gives about
7-40 lx along the row, above the P4 target of 5 lx average and 1 lx minimum.

Targets per street class (average / minimum lux), from EN 13201-2 P-classes and CJJ 45-2015 as
listed in data-sources.md: main P1 15/3; branch CJJ 45 class III 8 lx with uniformity 0.3
(minimum 2.4); residential, service, alley, footway and path P4 5/1 ("residential paths about
5 lx average, 1 lx minimum"); steps P3 7.5/1.5 (a fall risk); other P5 3/0.6.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo_service.analysis._segments import (
    CRSLike,
    Samples,
    geometries,
    grid_totals,
    in_service,
    metric_crs,
    numbers,
    obstacles,
    per_line_min,
    per_line_sum,
    run_pieces,
    sample_lines,
    sources_within,
    street_attributes,
    to_metric,
)
from geo_service.vocab import LightMount, Lit, StreetClass

#: Sight lines tested at once, and lamps paired with samples at once, to bound memory.
CHUNK_PAIRS = 1_000_000
LAMP_BLOCK = 2_000


@dataclass(frozen=True)
class LightTarget:
    """Average and minimum horizontal illuminance a street class should get, lux."""

    avg_lux: float
    min_lux: float


@dataclass(frozen=True)
class LampDefaults:
    """Mounting height (m) and intensity (cd) assumed for a lamp with no data."""

    height_m: float
    intensity_cd: float


def default_targets() -> dict[str, LightTarget]:
    """Targets per street class (see the module docstring for the sources)."""
    p4 = LightTarget(5.0, 1.0)
    return {
        StreetClass.MAIN: LightTarget(15.0, 3.0),
        StreetClass.BRANCH: LightTarget(8.0, 2.4),
        StreetClass.RESIDENTIAL: p4,
        StreetClass.SERVICE: p4,
        StreetClass.ALLEY: p4,
        StreetClass.FOOTWAY: p4,
        StreetClass.PATH: p4,
        StreetClass.STEPS: LightTarget(7.5, 1.5),
        StreetClass.OTHER: LightTarget(3.0, 0.6),
    }


@dataclass(frozen=True)
class LightingParams:
    """Settings of the lighting model.

    Attributes
    ----------
    targets:
        Target per street class; unknown classes use ``"other"``.
    pole, wall:
        Defaults for lamps missing height or intensity, by mount (missing mount = pole).
    spacing_m:
        Distance between street samples.
    cutoff_lux:
        A lamp is ignored where it adds less than this.
    max_reach_m:
        Upper bound on any lamp's reach.
    clearance_m:
        Length of sight line next to the lamp that buildings do not block.
    include_planned:
        Let planned lamps shine too ("after" scenarios). Broken lamps never shine.
    wall_reach_m:
        A building wall is street-facing where it lies within this distance of a street sample.
    wall_spacing_m:
        Distance between wall samples.
    """

    targets: dict[str, LightTarget] = field(default_factory=default_targets)
    pole: LampDefaults = LampDefaults(6.0, 1500.0)
    wall: LampDefaults = LampDefaults(3.5, 600.0)
    spacing_m: float = 1.0
    cutoff_lux: float = 0.05
    max_reach_m: float = 150.0
    clearance_m: float = 0.3
    include_planned: bool = False
    wall_reach_m: float = 5.0
    wall_spacing_m: float = 1.0

    def target(self, street_class: str) -> LightTarget:
        """Target of a street class, falling back to ``"other"``."""
        return self.targets.get(street_class, self.targets[StreetClass.OTHER])


@dataclass(frozen=True)
class LightingCoverage:
    """Result of :func:`light_coverage`; every frame is in the metric CRS ``crs``.

    Attributes
    ----------
    segments:
        One row per street: ``id``, ``street_class``, ``lit`` (tag), ``grid_id``, ``length_m``,
        ``lit_m``, ``unlit_m``, ``share_lit``, ``avg_lux``, ``min_lux``, ``target_avg``,
        ``target_min``, ``meets_avg``; the street geometry.
    dark:
        Stretches below the class minimum: ``segment`` (row in ``segments``), street attributes,
        ``start_m``, ``end_m``, ``length_m``, line geometry.
    grids:
        Per grid: ``length_m``, ``lit_m``, ``unlit_m``, ``share_lit``.
    dark_walls:
        Street-facing parts of building outlines whose nearest street sample is dark:
        ``building_id`` (``id`` of the footprint, else its index label), ``length_m``, line
        geometry.
    samples:
        The street samples, a plain table (millions of rows; points would cost seconds):
        ``segment``, ``along_m``, ``step_m``, ``x``, ``y``, ``lux``, ``lit``.
    lamps:
        Every mapped lamp with resolved ``height_m``, ``intensity_cd``, ``reach_m`` and ``shines``.
    """

    segments: gpd.GeoDataFrame
    dark: gpd.GeoDataFrame
    grids: pd.DataFrame
    dark_walls: gpd.GeoDataFrame
    samples: pd.DataFrame
    lamps: gpd.GeoDataFrame
    crs: CRSLike
    params: LightingParams


def illuminance(intensity_cd: np.ndarray, height_m: np.ndarray,
                distance_m: np.ndarray) -> np.ndarray:
    """Horizontal illuminance (lx) at ground distance ``d`` from a point source: I*h/(h²+d²)^1.5."""
    h = np.asarray(height_m, dtype=float)
    d = np.asarray(distance_m, dtype=float)
    return np.asarray(intensity_cd, dtype=float) * h / (h * h + d * d) ** 1.5


def lamp_reach(intensity_cd: np.ndarray, height_m: np.ndarray, cutoff_lux: float) -> np.ndarray:
    """Ground distance (m) where a lamp's illuminance falls to ``cutoff_lux`` (0: never above)."""
    h = np.asarray(height_m, dtype=float)
    with np.errstate(divide="ignore"):
        squared = (np.asarray(intensity_cd, dtype=float) * h / cutoff_lux) ** (2 / 3) - h * h
    return np.sqrt(np.clip(squared, 0.0, None))


def resolve_lamps(lights: gpd.GeoDataFrame | None, crs: CRSLike,
                  params: LightingParams = LightingParams()) -> gpd.GeoDataFrame:
    """Lamps in ``crs`` with missing height and intensity filled from the mount defaults.

    Adds ``height_m``, ``intensity_cd``, ``reach_m`` and ``shines`` (working, or planned when
    ``params.include_planned``; a missing status counts as working).
    """
    lamps = to_metric(lights, crs).reset_index(drop=True)
    wall = (lamps["mount"] == LightMount.WALL.value).to_numpy() if "mount" in lamps else False
    height, intensity = numbers(lamps, "height_m"), numbers(lamps, "intensity_cd")
    height = np.where(np.isnan(height) | (height <= 0),
                      np.where(wall, params.wall.height_m, params.pole.height_m), height)
    intensity = np.where(np.isnan(intensity),
                         np.where(wall, params.wall.intensity_cd, params.pole.intensity_cd),
                         intensity)
    lamps["height_m"] = height
    lamps["intensity_cd"] = intensity
    lamps["reach_m"] = np.minimum(lamp_reach(intensity, height, params.cutoff_lux),
                                  params.max_reach_m)
    lamps["shines"] = in_service(lamps, params.include_planned)
    return lamps


def sight_blocked(origins: np.ndarray, targets: np.ndarray, tree: shapely.STRtree | None,
                  clearance_m: float) -> np.ndarray:
    """Whether the ground line from each origin to its target crosses an obstacle in ``tree``.

    The first ``clearance_m`` metres from the origin are not tested (a lamp or camera on a wall).
    """
    blocked = np.zeros(len(origins), dtype=bool)
    if tree is None or len(tree) == 0 or len(origins) == 0:
        return blocked
    for lo in range(0, len(origins), CHUNK_PAIRS):
        a, b = origins[lo:lo + CHUNK_PAIRS], targets[lo:lo + CHUNK_PAIRS]
        vector = b - a
        length = np.hypot(vector[:, 0], vector[:, 1])
        far = length > clearance_m
        start = a[far] + vector[far] * (clearance_m / length[far])[:, None]
        sight = shapely.linestrings(np.stack([start, b[far]], axis=1))
        hit = tree.query(sight, predicate="intersects")[0]
        blocked[lo + np.flatnonzero(far)[hit]] = True
    return blocked


def sample_lux(xy: np.ndarray, lamps: gpd.GeoDataFrame, tree: shapely.STRtree | None,
               clearance_m: float) -> np.ndarray:
    """Illuminance (lx) at each point from the lamps that shine and see it."""
    lux = np.zeros(len(xy))
    lamps = lamps[lamps["shines"].to_numpy() & (lamps["reach_m"].to_numpy() > 0)]
    if len(lamps) == 0 or len(xy) == 0:
        return lux
    lamp_xy = shapely.get_coordinates(geometries(lamps))
    reach = lamps["reach_m"].to_numpy()
    height, intensity = lamps["height_m"].to_numpy(), lamps["intensity_cd"].to_numpy()
    points = cKDTree(xy)
    for lo in range(0, len(lamps), LAMP_BLOCK):
        part = slice(lo, lo + LAMP_BLOCK)
        pairs = cKDTree(lamp_xy[part]).sparse_distance_matrix(
            points, reach[part].max(), output_type="ndarray")
        lamp, sample, dist = pairs["i"] + lo, pairs["j"], pairs["v"]
        keep = dist <= reach[lamp]
        lamp, sample, dist = lamp[keep], sample[keep], dist[keep]
        add = illuminance(intensity[lamp], height[lamp], dist)
        add[sight_blocked(lamp_xy[lamp], xy[sample], tree, clearance_m)] = 0.0
        lux += np.bincount(sample, weights=add, minlength=len(xy))
    return lux


def light_coverage(streets: gpd.GeoDataFrame, lights: gpd.GeoDataFrame | None,
                   buildings: gpd.GeoDataFrame | None = None, *,
                   crs: CRSLike | None = "EPSG:4545",
                   params: LightingParams = LightingParams()) -> LightingCoverage:
    """Lit and unlit metres per street and grid, dark stretches and dark street-facing walls.

    Parameters
    ----------
    streets:
        Street LineStrings with ``street_class``, ``lit``, ``grid_id`` and ``id`` (any CRS);
        their stored ``length_m`` is ignored, lengths are measured in ``crs``.
    lights:
        Lamp points with ``height_m``, ``intensity_cd``, ``status`` and ``mount`` (any CRS).
    buildings:
        Footprints that block light.
    crs:
        Metric CRS to work in; ``None`` derives the UTM zone of the streets.
    params:
        Model settings.
    """
    crs = metric_crs(streets, crs)
    streets_m = to_metric(streets, crs).reset_index(drop=True)
    lines = geometries(streets_m)
    samples = sample_lines(lines, params.spacing_m)
    lamps = resolve_lamps(lights, crs, params)
    walls, wall_ids = obstacles(buildings, crs)
    tree = shapely.STRtree(walls) if len(walls) else None
    lux = sample_lux(samples.xy, lamps, tree, params.clearance_m)
    attributes = street_attributes(streets_m)
    target_min = np.array([params.target(c).min_lux for c in attributes["street_class"]])
    lit = lux >= target_min[samples.line]
    segments = _segment_table(streets_m, attributes, samples, lux, lit, params)
    dark = run_pieces(lines, samples, (~lit).astype(np.int8), attributes, crs).drop(
        columns="code")
    return LightingCoverage(
        segments=segments,
        dark=dark,
        grids=grid_totals(segments, "lit_m", "unlit_m", "share_lit"),
        dark_walls=dark_walls(walls, wall_ids, samples, lit, crs, params),
        samples=_sample_frame(samples, lux, lit),
        lamps=lamps,
        crs=crs,
        params=params,
    )


def _segment_table(streets_m: gpd.GeoDataFrame, attributes: pd.DataFrame, samples: Samples,
                   lux: np.ndarray, lit: np.ndarray, params: LightingParams) -> gpd.GeoDataFrame:
    """Per-street lit metres, share and illuminance statistics."""
    count = len(streets_m)
    table = attributes.copy()
    table["length_m"] = per_line_sum(samples, np.ones(len(samples)), count)
    table["lit_m"] = per_line_sum(samples, lit, count)
    table["unlit_m"] = table["length_m"] - table["lit_m"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share_lit"] = table["lit_m"] / table["length_m"]
        table["avg_lux"] = per_line_sum(samples, lux, count) / table["length_m"]
    table["min_lux"] = per_line_min(samples, lux, count)
    targets = [params.target(c) for c in table["street_class"]]
    table["target_avg"] = [t.avg_lux for t in targets]
    table["target_min"] = [t.min_lux for t in targets]
    table["meets_avg"] = table["avg_lux"] >= table["target_avg"]
    return gpd.GeoDataFrame(table, geometry=streets_m.geometry.to_numpy(), crs=streets_m.crs)


def _sample_frame(samples: Samples, lux: np.ndarray, lit: np.ndarray) -> pd.DataFrame:
    """The street samples as a table (coordinates in the metric CRS)."""
    return pd.DataFrame({"segment": samples.line, "along_m": samples.along,
                         "step_m": samples.step, "x": samples.xy[:, 0], "y": samples.xy[:, 1],
                         "lux": lux, "lit": lit})


def dark_walls(walls: np.ndarray, ids: np.ndarray, samples: Samples, lit: np.ndarray,
               crs: CRSLike, params: LightingParams = LightingParams()) -> gpd.GeoDataFrame:
    """Street-facing parts of building outlines left dark.

    Each outline (exterior and holes) is sampled every ``wall_spacing_m``; a wall sample is
    street-facing when a street sample lies within ``wall_reach_m``, and dark when that nearest
    street sample is dark. Consecutive dark wall samples are merged into pieces of outline.
    Entrances are not in the data, so the street-facing wall stands in for them.
    """
    columns = {"building_id": ids[:0], "length_m": np.empty(0)}
    if len(walls) == 0 or len(samples) == 0:
        return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=crs))
    rings, building = shapely.get_parts(shapely.boundary(walls), return_index=True)
    wall_samples = sample_lines(rings, params.wall_spacing_m)
    dist, nearest = cKDTree(samples.xy).query(wall_samples.xy,
                                              distance_upper_bound=params.wall_reach_m)
    facing = np.isfinite(dist)
    dark = np.zeros(len(wall_samples), dtype=np.int8)
    dark[facing] = ~lit[nearest[facing]]
    table = pd.DataFrame({"building_id": ids[building]})
    pieces = run_pieces(rings, wall_samples, dark, table, crs)
    return pieces[["building_id", "length_m", "geometry"]]


def coverage_pairs(streets: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray,
                   lamps: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray,
                   radius: float) -> np.ndarray:
    """(segment index, lamp index) pairs with the lamp within ``radius`` of the segment.

    Inputs are in one metric CRS; indices are row positions. Sorted by segment, then lamp.
    This is the question a PostGIS ``ST_DWithin`` join answers, for side-by-side benchmarks.
    """
    segs = geometries(streets) if not isinstance(streets, np.ndarray) else streets
    points = geometries(lamps) if not isinstance(lamps, np.ndarray) else lamps
    lamp, seg = shapely.STRtree(segs).query(points, predicate="dwithin", distance=radius)
    pairs = np.column_stack([seg, lamp])
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def lamp_data_near(coverage: LightingCoverage, radius_m: float) -> np.ndarray:
    """Whether each street sample has a mapped lamp (any status) within ``radius_m``."""
    lamp_xy = shapely.get_coordinates(geometries(coverage.lamps))
    return sources_within(coverage.samples[["x", "y"]].to_numpy(), lamp_xy, radius_m)


def tag_agreement(coverage: LightingCoverage, *, evidence_radius_m: float = 50.0) -> pd.DataFrame:
    """Per ``lit`` tag value (yes, no): tagged metres and the share on which model and tag agree.

    The model agrees with ``yes`` on lit samples and with ``no`` on samples below the minimum.
    ``with_lamp_data_m`` is the tagged length with a mapped lamp within ``evidence_radius_m``,
    ``share_agree_with_data`` the agreement on that part only (where the model had lamps to use).
    """
    samples = coverage.samples
    tag = coverage.segments["lit"].to_numpy()[samples["segment"].to_numpy()]
    step, lit = samples["step_m"].to_numpy(), samples["lit"].to_numpy()
    data = lamp_data_near(coverage, evidence_radius_m)
    rows = []
    for value, agrees in ((Lit.YES.value, lit), (Lit.NO.value, ~lit)):
        tagged = tag == value
        rows.append({
            "tag": value,
            "tagged_m": step[tagged].sum(),
            "agree_m": step[tagged & agrees].sum(),
            "with_lamp_data_m": step[tagged & data].sum(),
            "agree_with_data_m": step[tagged & data & agrees].sum(),
        })
    table = pd.DataFrame(rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share_agree"] = table["agree_m"] / table["tagged_m"]
        table["share_agree_with_data"] = table["agree_with_data_m"] / table["with_lamp_data_m"]
    return table
