"""Candidate sites for new lights and cameras: poles along streets, mounts on walls, repairs.

Sites are laid every ``spacing`` metres along the streets (a new pole) and along building walls
that face a street (a wall bracket for a lamp, a mount for a camera); every broken light or camera
is a "repair" candidate at its own position. Each site has a cost in yuan from
:class:`CandidateCosts`. All layers must be in a metric (projected) CRS.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis.placement import PlacementResult

Asset = Literal["light", "camera"]
KINDS = ("pole", "wall", "camera_mount", "repair")
COLUMNS = ["candidate_id", "kind", "cost_yuan", "asset_id", "street_id", "geometry"]


@dataclass(frozen=True)
class CandidateCosts:
    """Installed cost of one site of each kind, in yuan.

    The defaults are planning assumptions (typical quotes for a small LED street lamp on a new
    pole, a wall-bracket lamp, a wall-mounted network camera, and a repair visit with parts),
    not figures from a source: replace them with the community's own quotes.

    Attributes
    ----------
    pole:
        New pole with a lamp on a street.
    wall_bracket:
        Lamp on a bracket fixed to a wall facing a street.
    camera_mount:
        Camera fixed to a wall facing a street.
    camera_pole:
        Camera on a new pole (pole plus camera).
    repair:
        Repairing a broken light or camera in place.
    """

    pole: float = 3500.0
    wall_bracket: float = 1200.0
    camera_mount: float = 2500.0
    camera_pole: float = 6000.0
    repair: float = 600.0


def candidate_sites(
    streets: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    asset: Asset = "light",
    costs: CandidateCosts | None = None,
    spacing: float = 15.0,
    max_wall_distance: float = 10.0,
    pole_classes: Collection[str] | None = None,
) -> gpd.GeoDataFrame:
    """All candidate sites for new (or repaired) lights or cameras.

    Parameters
    ----------
    streets:
        LineStrings with ``id`` and ``street_class``.
    buildings:
        Building polygons.
    assets:
        Existing lights or cameras: points with ``id`` and ``status``.
    asset:
        ``"light"`` (kinds pole, wall) or ``"camera"`` (kinds pole, camera_mount).
    costs:
        Costs per kind; defaults to :class:`CandidateCosts`.
    spacing:
        Metres between sites along streets and along walls.
    max_wall_distance:
        A wall site must lie within this many metres of a street it faces.
    pole_classes:
        Street classes where poles may stand; all when ``None``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``candidate_id``, ``kind``, ``cost_yuan``, ``asset_id``, ``street_id`` and
        point geometry; the row number is the candidate index.
    """
    costs = costs or CandidateCosts()
    crs = _metric_crs(streets, buildings, assets)
    on_streets = streets if pole_classes is None else streets[
        streets["street_class"].isin(list(pole_classes))]
    poles = street_sites(on_streets, spacing)
    poles["kind"] = "pole"
    poles["cost_yuan"] = costs.pole if asset == "light" else costs.camera_pole
    walls = wall_sites(buildings, streets, spacing, max_wall_distance)
    walls["kind"] = "wall" if asset == "light" else "camera_mount"
    walls["cost_yuan"] = costs.wall_bracket if asset == "light" else costs.camera_mount
    repairs = repair_sites(assets, costs.repair)
    parts = [frame for frame in (poles, walls, repairs) if len(frame)]
    if not parts:
        return gpd.GeoDataFrame({c: [] for c in COLUMNS[:-1]}, geometry=[], crs=crs)
    sites = pd.concat(parts, ignore_index=True)
    sites["candidate_id"] = _labels(sites)
    return gpd.GeoDataFrame(sites[COLUMNS], geometry="geometry", crs=crs)


def street_sites(streets: gpd.GeoDataFrame, spacing: float = 15.0) -> gpd.GeoDataFrame:
    """Points at most ``spacing`` metres apart along each street (see :func:`points_along`).

    Parameters
    ----------
    streets:
        LineStrings (or MultiLineStrings) with ``id``.
    spacing:
        Largest distance between points; a street shorter than that gets its midpoint.

    Returns
    -------
    geopandas.GeoDataFrame
        ``street_id``, ``asset_id`` (empty) and point geometry.
    """
    lines = streets.explode(index_parts=False)
    geoms = lines.geometry.to_numpy()
    owner, points = points_along(geoms, spacing)
    ids = lines["id"].to_numpy() if "id" in lines else np.arange(len(lines))
    return gpd.GeoDataFrame({"street_id": ids[owner], "asset_id": None}, geometry=points,
                            crs=streets.crs)


def points_along(lines: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Evenly spaced points at most ``spacing`` apart along lines or rings.

    A line of length L gets ``n = ceil(L / spacing)`` points at ``(k + 1/2) L / n``: half a step
    in from each end, so sites of streets meeting at a junction do not pile up on it.

    Parameters
    ----------
    lines:
        Array of LineStrings or LinearRings.
    spacing:
        Largest distance between neighbouring points, in metres.

    Returns
    -------
    tuple
        Index of the line each point lies on, and the points.
    """
    if spacing <= 0:
        raise ValueError("spacing must be positive")
    lengths = shapely.length(lines)
    counts = np.maximum(np.ceil(lengths / spacing - 1e-9), 1).astype(np.int64)
    owner = np.repeat(np.arange(len(lines)), counts)
    step = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    along = (step + 0.5) * lengths[owner] / counts[owner]
    return owner, shapely.line_interpolate_point(lines[owner], along)


def wall_sites(
    buildings: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    spacing: float = 15.0,
    max_distance: float = 10.0,
    offset: float = 0.3,
) -> gpd.GeoDataFrame:
    """Points on building walls that face a street within ``max_distance``.

    A wall point faces its nearest street when the straight line from the wall to that street
    crosses no building (its own included). The site is moved ``offset`` metres off the wall
    towards the street, so line-of-sight models do not start it inside the building.

    Parameters
    ----------
    buildings:
        Building polygons (or MultiPolygons).
    streets:
        Street lines with ``id``.
    spacing:
        Metres between points along each outer wall.
    max_distance:
        Farthest a wall point may be from the street it faces.
    offset:
        Metres the site stands off the wall.

    Returns
    -------
    geopandas.GeoDataFrame
        ``street_id`` (the faced street), ``asset_id`` (empty) and point geometry.
    """
    empty = gpd.GeoDataFrame({"street_id": [], "asset_id": []}, geometry=[], crs=streets.crs)
    polys = buildings.geometry.explode(index_parts=False).to_numpy()
    lines = streets.geometry.to_numpy()
    if polys.size == 0 or lines.size == 0:
        return empty
    _, points = points_along(shapely.get_exterior_ring(polys), spacing)
    found = shapely.STRtree(lines).query_nearest(points, max_distance=max_distance,
                                                 all_matches=False)
    points, street = points[found[0]], found[1]
    ends = shapely.get_point(shapely.shortest_line(points, lines[street]), 1)
    facing, sites = _facing(points, ends, shapely.STRtree(polys), offset)
    ids = streets["id"].to_numpy() if "id" in streets else np.arange(len(streets))
    return gpd.GeoDataFrame({"street_id": ids[street[facing]], "asset_id": None},
                            geometry=sites[facing], crs=streets.crs)


def _facing(
    points: np.ndarray, ends: np.ndarray, buildings: shapely.STRtree, offset: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which wall points see their street point past all buildings; sites set off the wall."""
    start, stop = shapely.get_coordinates(points), shapely.get_coordinates(ends)
    delta = stop - start
    dist = np.hypot(delta[:, 0], delta[:, 1])
    unit = np.divide(delta, dist[:, None], out=np.zeros_like(delta), where=dist[:, None] > 0)
    step = np.minimum(offset, dist / 2)[:, None]
    near = start + unit * step
    rays = shapely.linestrings(np.stack([near, stop], axis=1))
    blocked = np.zeros(len(points), dtype=bool)
    hit = buildings.query(rays, predicate="intersects")[0]
    blocked[hit] = True
    facing = ~blocked & (dist > 0)
    return facing, shapely.points(near)


def repair_sites(assets: gpd.GeoDataFrame, cost: float = 600.0) -> gpd.GeoDataFrame:
    """A repair candidate for each broken light or camera, at its own position.

    Parameters
    ----------
    assets:
        Points with ``id`` and ``status`` (``"broken"`` ones are repairable).
    cost:
        Cost of one repair in yuan.

    Returns
    -------
    geopandas.GeoDataFrame
        ``kind`` "repair", ``cost_yuan``, ``asset_id``, ``street_id`` (empty) and geometry.
    """
    broken = assets[assets["status"].astype(str) == "broken"]
    return gpd.GeoDataFrame(
        {"kind": ["repair"] * len(broken), "cost_yuan": np.full(len(broken), float(cost)),
         "asset_id": broken["id"].to_numpy(), "street_id": [None] * len(broken)},
        geometry=broken.geometry.to_numpy(), crs=assets.crs)


def chosen_sites(sites: gpd.GeoDataFrame, result: PlacementResult) -> gpd.GeoDataFrame:
    """The sites a placement chose, in order, with the weight each newly covers.

    Parameters
    ----------
    sites:
        Candidate sites from :func:`candidate_sites` (row number = candidate index).
    result:
        A placement answer over those candidates.

    Returns
    -------
    geopandas.GeoDataFrame
        The chosen rows with ``rank`` (1 = adds most) and ``added_weight``.
    """
    chosen = sites.iloc[result.chosen].copy()
    chosen.insert(0, "rank", np.arange(1, len(chosen) + 1))
    chosen["added_weight"] = result.added_weight
    return chosen


def _labels(sites: pd.DataFrame) -> list[str]:
    """Stable labels: ``repair-<asset id>`` or ``<kind>-<running number>``."""
    running = sites.groupby("kind").cumcount().to_numpy()
    return [f"repair-{asset}" if kind == "repair" else f"{kind}-{n}"
            for kind, asset, n in zip(sites["kind"], sites["asset_id"], running, strict=True)]


def _metric_crs(*frames: gpd.GeoDataFrame):
    """The shared CRS of the layers; it must be projected (metres)."""
    crs = next((f.crs for f in frames if f.crs is not None), None)
    if crs is not None and not crs.is_projected:
        raise ValueError(f"layers must be in a metric CRS, got {crs.to_string()}")
    return crs
