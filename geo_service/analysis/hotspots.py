"""Hotspots of hazards and disputes along the street network, and how often to walk each street.

Two scores per street, both on network (walking) distance:

- **Network kernel density** (``kde``, weighted events per km of street): every event is
  snapped to its nearest street; each street is cut into lixels of about ``lixel_m``; a lixel
  at network distance ``d`` from an event gets ``w * K(d)`` with the quartic kernel
  ``K(d) = 15 / (16 h) * (1 - (d / h)^2)^2`` for ``d < h`` (``h`` = ``bandwidth_m``), which
  integrates to 1 along a line. A street's score is the mean over its lixels. This is the
  "simple" network kernel (Xie and Yan 2008): it is not split at junctions, so near a junction
  the mass is not preserved; it ranks places, it is not a probability.
- **Getis-Ord Gi\\*** (``gi_z``): the value of a street is its weighted event count;
  neighbours are the streets whose midpoints lie within ``band_m`` of its midpoint along the
  network (binary weights, the street itself included). ``gi_z`` is the standard normal score
  of Getis and Ord (1995); ``gi_p`` its one-sided p-value for a hot spot. ``hot`` is the
  confidence band (``99``, ``95``, ``90`` or ``0``) at z = 2.576, 1.960, 1.645, as hot-spot
  maps usually show them (no correction for multiple tests).

Disputes weigh ``dispute_weight`` (default 2), other hazards 1: a dispute means people, and
the patrol settles disputes as well as finding hazards.

:func:`weekly_frequency` turns scores into required walks per week; see its docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.stats import norm

from geo_service.analysis.network import GraphArrays, graph_arrays
from geo_service.vocab import HazardCategory

#: Gi* z-scores of the 90, 95 and 99 % confidence bands (two-sided).
HOT_BANDS: tuple[tuple[int, float], ...] = ((99, 2.576), (95, 1.960), (90, 1.645))


@dataclass(frozen=True)
class HotspotParams:
    """Settings of the hotspot scores (see the module docstring)."""

    bandwidth_m: float = 100.0
    lixel_m: float = 10.0
    band_m: float = 200.0
    max_snap_m: float = 50.0
    dispute_weight: float = 2.0


def event_weights(events: pd.DataFrame, dispute_weight: float = 2.0) -> np.ndarray:
    """Weight of each event: ``weight`` when given, else ``dispute_weight`` for disputes, 1."""
    if "weight" in events:
        return pd.to_numeric(events["weight"], errors="coerce").fillna(1.0).to_numpy(float)
    if "category" not in events:
        return np.ones(len(events))
    dispute = (events["category"] == HazardCategory.DISPUTE.value).to_numpy()
    return np.where(dispute, dispute_weight, 1.0)


def snap_events(graph: nx.MultiGraph, events: gpd.GeoDataFrame, *, max_snap_m: float = 50.0,
                dispute_weight: float = 2.0, arrays: GraphArrays | None = None
                ) -> pd.DataFrame:
    """Snap events to their nearest street.

    Lines and polygons stand for a point on their surface. Events farther than ``max_snap_m``
    from every street are left out.

    Returns
    -------
    DataFrame
        ``event`` (row position in ``events``), ``street_id``, ``edge`` (position in the graph
        arrays), ``along_m`` (from the street's start), ``distance_m`` and ``weight``.
    """
    arrays = arrays or graph_arrays(graph)
    columns = ["event", "street_id", "edge", "along_m", "distance_m", "weight"]
    if len(events) == 0 or len(arrays.keys) == 0:
        return pd.DataFrame(columns=columns)
    frame = events.to_crs(graph.graph["crs"])
    geoms = frame.geometry.values
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    points = shapely.point_on_surface(geoms[keep])
    positions = np.flatnonzero(keep)
    tree = shapely.STRtree(arrays.geometry)
    found, edge = tree.query_nearest(points, max_distance=max_snap_m, all_matches=False)
    weights = event_weights(events, dispute_weight)[positions[found]]
    distance = shapely.distance(points[found], arrays.geometry[edge])
    return pd.DataFrame({
        "event": positions[found], "street_id": arrays.keys[edge], "edge": edge,
        "along_m": arrays.along(edge, points[found]), "distance_m": distance,
        "weight": weights}, columns=columns)


def quartic(distance: np.ndarray, bandwidth: float) -> np.ndarray:
    """The quartic kernel on a line (integrates to 1), zero at and beyond ``bandwidth``."""
    u = distance / bandwidth
    return np.where(u < 1, 15.0 / (16.0 * bandwidth) * (1 - u**2) ** 2, 0.0)


def lixels(arrays: GraphArrays, lixel_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Midpoints of equal pieces no longer than ``lixel_m`` of every edge: (edge, along)."""
    counts = np.maximum(1, np.ceil(arrays.length / lixel_m)).astype(np.int64)
    edge = np.repeat(np.arange(len(arrays.length)), counts)
    rank = np.arange(len(edge)) - np.repeat(np.cumsum(counts) - counts, counts)
    return edge, (rank + 0.5) * (arrays.length / counts)[edge]


def network_kde(arrays: GraphArrays, snapped: pd.DataFrame, *, bandwidth_m: float = 100.0,
                lixel_m: float = 10.0) -> np.ndarray:
    """Mean kernel density along each edge (weighted events per km), in edge order."""
    if len(snapped) == 0:
        return np.zeros(len(arrays.keys))
    edge, along = lixels(arrays, lixel_m)
    distance = arrays.point_distances(snapped["edge"].to_numpy(np.int64),
                                      snapped["along_m"].to_numpy(float), edge, along,
                                      limit=bandwidth_m)
    density = snapped["weight"].to_numpy(float) @ quartic(distance, bandwidth_m)
    counts = np.bincount(edge, minlength=len(arrays.keys))
    return np.bincount(edge, weights=density, minlength=len(arrays.keys)) / counts * 1000.0


def distance_band_weights(arrays: GraphArrays, band_m: float) -> sparse.csr_array:
    """Binary weights: edges whose midpoints are within ``band_m`` along the network (self in)."""
    n = len(arrays.keys)
    edge = np.arange(n)
    middle = arrays.length / 2
    rows, cols = [], []
    for lo in range(0, n, 512):
        hi = min(lo + 512, n)
        block = arrays.point_distances(edge[lo:hi], middle[lo:hi], edge, middle, limit=band_m)
        r, c = np.nonzero(np.isfinite(block))
        rows.append(r + lo)
        cols.append(c)
    r, c = (np.concatenate(rows), np.concatenate(cols)) if rows else ([], [])
    weights = sparse.coo_array((np.ones(len(r)), (r, c)), shape=(n, n)).tocsr()
    weights.setdiag(1.0)
    return weights


def getis_ord(values: np.ndarray, weights: sparse.csr_array) -> np.ndarray:
    """Getis-Ord Gi* z-scores of ``values`` with weights that include each unit itself.

    ``z_i = (sum_j w_ij x_j - mean * W_i) / (s * sqrt((n * S_i - W_i^2) / (n - 1)))`` with
    ``W_i = sum_j w_ij``, ``S_i = sum_j w_ij^2`` and ``s`` the population standard deviation.
    Zero where undefined (no variation, or every unit a neighbour).
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2:
        return np.zeros(n)
    mean = x.mean()
    s = np.sqrt(max((x**2).mean() - mean**2, 0.0))
    w_sum = np.asarray(weights.sum(axis=1)).ravel()
    w_sq = np.asarray(weights.multiply(weights).sum(axis=1)).ravel()
    spread = (n * w_sq - w_sum**2) / (n - 1)
    numerator = weights @ x - mean * w_sum
    with np.errstate(invalid="ignore", divide="ignore"):
        z = numerator / (s * np.sqrt(spread))
    z[~np.isfinite(z)] = 0.0
    return z


def hot_band(z: np.ndarray) -> np.ndarray:
    """Confidence band of a hot spot (99, 95, 90) or 0."""
    band = np.zeros(len(z), dtype=int)
    for level, threshold in reversed(HOT_BANDS):
        band[z >= threshold] = level
    return band


def hotspot_scores(graph: nx.MultiGraph, events: gpd.GeoDataFrame,
                   params: HotspotParams | None = None) -> pd.DataFrame:
    """Per-street hotspot scores from hazard and dispute points.

    Parameters
    ----------
    graph
        Street graph from :func:`geo_service.analysis.network.street_graph`.
    events
        Hazards and disputes (any geometry; ``category`` or ``weight`` optional).
    params
        Bandwidth, lixel length, Gi* distance band, snapping distance, dispute weight.

    Returns
    -------
    DataFrame
        Indexed by ``street_id``: ``length_m``, ``events`` (weighted count snapped to the
        street), ``kde`` (weighted events per km), ``gi_z``, ``gi_p``, ``hot`` (band), sorted
        by street id.
    """
    params = params or HotspotParams()
    arrays = graph_arrays(graph)
    snapped = snap_events(graph, events, max_snap_m=params.max_snap_m,
                          dispute_weight=params.dispute_weight, arrays=arrays)
    counts = np.bincount(snapped["edge"].to_numpy(np.int64),
                         weights=snapped["weight"].to_numpy(float), minlength=len(arrays.keys))
    kde = network_kde(arrays, snapped, bandwidth_m=params.bandwidth_m, lixel_m=params.lixel_m)
    z = getis_ord(counts, distance_band_weights(arrays, params.band_m))
    frame = pd.DataFrame({"street_id": arrays.keys, "length_m": arrays.length, "events": counts,
                          "kde": kde, "gi_z": z, "gi_p": norm.sf(z), "hot": hot_band(z)})
    return frame.set_index("street_id").sort_index()


def weekly_frequency(scores: pd.DataFrame, base: int = 1, max: int = 7,  # noqa: A002
                     method: str = "gi") -> pd.Series:
    """Required walks per week for each street, hotter streets more often.

    ``method="gi"`` (default) steps by the Gi* confidence band, spreading ``base..max`` evenly
    over the bands: not hot -> ``base``, 90 % -> ``base + 1/3 span``, 95 % -> ``+ 2/3``,
    99 % -> ``max`` (rounded; with 1 and 7: 1, 3, 5, 7). Only significant clusters get more
    walks, so one stray report does not reroute the patrol.

    ``method="kde"`` scales linearly with density: ``base + round((max - base) * kde / top)``
    with ``top`` the highest street density (all ``base`` when there are no events).

    Returns
    -------
    Series
        Integer walks per week, indexed like ``scores``.
    """
    if base < 0 or max < base:
        raise ValueError(f"need 0 <= base <= max, got base={base}, max={max}")
    span = max - base
    if method == "gi":
        level = {0: 0, 90: 1, 95: 2, 99: 3}
        steps = scores["hot"].map(level).fillna(0).to_numpy(float)
        extra = np.rint(span * steps / 3)
    elif method == "kde":
        top = float(scores["kde"].max()) if len(scores) else 0.0
        share = scores["kde"].to_numpy(float) / top if top > 0 else np.zeros(len(scores))
        extra = np.rint(span * share)
    else:
        raise ValueError(f"unknown method {method!r}: use 'gi' or 'kde'")
    values = np.clip(base + extra, base, max).astype(int)
    return pd.Series(values, index=scores.index, name="weekly")
