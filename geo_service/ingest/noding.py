"""Turn street lines into a routable network: split at crossings, snap near-misses, number nodes.

The work happens in a metric CRS on plain coordinate arrays. Output coordinates that come from
the input are copied, not re-projected, so noding a network that is already noded gives back
exactly the same segments (a reload changes nothing).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from .crs import WGS84, metric_crs_for
from .problems import Problem

#: Points closer than this (metres) are the same node.
TOLERANCE_M = 1e-3


@dataclass
class NodedNetwork:
    """Street segments between nodes, the nodes, and how the network falls apart.

    ``segments`` keeps the input columns plus ``part`` (0.. per source_id), ``source`` and
    ``target`` (node ids) and ``length_m``; ``nodes`` is indexed by node id. ``components``
    holds the segment count of each connected piece, largest first; ``problems`` has a warning
    for each piece but the largest.
    """

    segments: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame
    components: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Line:
    """One input line: metric and lon/lat coordinates (NaN lon/lat where a point moved)."""

    metric: np.ndarray
    lonlat: np.ndarray
    layer: int = 0

    def geometry(self) -> shapely.LineString:
        return shapely.linestrings(self.metric)


def _lines(frame: gpd.GeoDataFrame, metric: pyproj.CRS) -> tuple[pd.DataFrame, list[_Line]]:
    """Explode to single lines; keep rows with a usable line; coordinates in both CRSs."""
    lonlat = frame if frame.crs is None else frame.to_crs(WGS84)
    lonlat = lonlat.explode(index_parts=False).reset_index(drop=True)
    lonlat = lonlat[lonlat.geom_type.isin(["LineString", "LinearRing"])
                    & (shapely.get_num_coordinates(lonlat.geometry.values) >= 2)]
    lonlat = lonlat.reset_index(drop=True)
    projected = lonlat.geometry.set_crs(WGS84, allow_override=True).to_crs(metric)
    column = next((c for c in ("level", "layer") if c in lonlat.columns), None)
    layers = lonlat[column].map(_layer_number) if column else [0] * len(lonlat)
    lines = [_Line(shapely.get_coordinates(m), shapely.get_coordinates(g), layer)
             for m, g, layer in zip(projected.values, lonlat.geometry.values, layers,
                                    strict=True)]
    return lonlat.drop(columns=lonlat.geometry.name), lines


def _crossing_points(geometries: np.ndarray, layers: list[int]
                     ) -> list[tuple[int, int, np.ndarray]]:
    """Where two lines meet: (line a, line b, points). Lines on different levels only meet
    at an end of one of them (a bridge does not touch the road under it, a tunnel not the
    path above it, but a bridge's end joins the road it leads to)."""
    tree = shapely.STRtree(geometries)
    a, b = tree.query(geometries, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    meets = shapely.intersection(geometries[a], geometries[b])
    found = []
    for i, j, shape in zip(a, b, meets, strict=True):
        parts = shapely.get_parts(shape)
        points = [shapely.get_coordinates(p if p.geom_type == "Point" else shapely.boundary(p))
                  for p in parts]
        xy = np.vstack(points) if points else np.empty((0, 2))
        if len(xy) and layers[i] != layers[j]:
            ends = np.vstack([shapely.get_coordinates(shapely.boundary(geometries[k]))
                              for k in (i, j)])
            near_end = np.hypot(*(xy[:, None, :] - ends[None, :, :]).transpose(2, 0, 1))
            xy = xy[(near_end <= TOLERANCE_M).any(axis=1)]
        if len(xy):
            found.append((int(i), int(j), xy))
    return found


def _layer_number(value: object) -> int:
    """A level (or OSM ``layer``) as a number; blank or unreadable is ground level (0)."""
    try:
        return int(float(str(value)))
    except ValueError:
        return 0


def _snap(lines: list[_Line], snap_m: float) -> list[tuple[int, np.ndarray]]:
    """Move dangling ends within ``snap_m`` of another line onto it, preferring its nodes.

    An end is dangling when no other line touches it. Shorter lines are moved first, so where
    two dangling ends meet, the shorter line's end moves. Returns the points where a line must
    be split because an end was snapped onto its interior.
    """
    if snap_m <= 0 or len(lines) < 2:
        return []
    geometries = np.array([line.geometry() for line in lines], dtype=object)
    ends = shapely.points(np.vstack([line.metric[[0, -1]] for line in lines]))
    near_end, near_line = shapely.STRtree(geometries).query(ends, predicate="dwithin",
                                                            distance=snap_m)
    candidates: dict[int, list[int]] = defaultdict(list)
    for end, other in zip(near_end, near_line, strict=True):
        if other != end // 2:
            candidates[int(end)].append(int(other))
    hubs = _crossing_points(geometries, [line.layer for line in lines])
    hub_xy = np.vstack([xy for _, _, xy in hubs]) if hubs else np.empty((0, 2))
    hub_lines = np.array([(i, j) for i, j, xy in hubs for _ in xy], dtype=int).reshape(-1, 2)
    hub_tree = shapely.STRtree(shapely.points(hub_xy))
    splits: list[tuple[int, np.ndarray]] = []
    lengths = shapely.length(geometries)
    for end in sorted(candidates, key=lambda e: (lengths[e // 2], e)):  # short lines move
        owner, which = divmod(end, 2)
        position = 0 if which == 0 else -1
        here = lines[owner].metric[position]
        point = shapely.Point(here)
        others = candidates[end]
        current = np.array([lines[j].geometry() for j in others], dtype=object)
        gaps = shapely.distance(point, current)
        if (gaps <= TOLERANCE_M).any():
            continue  # already joined
        # nodes first: the ends of nearby lines and the crossings of other lines
        targets = [(float(np.hypot(*(lines[j].metric[k] - here))), lines[j].metric[k],
                    lines[j].lonlat[k]) for j in others for k in (0, -1)]
        near_hubs = hub_tree.query(point, predicate="dwithin", distance=snap_m)
        targets += [(float(np.hypot(*(hub_xy[h] - here))), hub_xy[h], np.full(2, np.nan))
                    for h in near_hubs if owner not in hub_lines[h]]
        targets = [t for t in targets if t[0] <= snap_m]
        if targets:
            _, new, lonlat = min(targets, key=lambda t: t[0])
        else:
            nearest = int(np.argmin(gaps))
            if gaps[nearest] > snap_m:
                continue
            line = current[nearest]
            new = shapely.get_coordinates(shapely.line_interpolate_point(
                line, shapely.line_locate_point(line, point)))[0]
            lonlat = np.full(2, np.nan)
            splits.append((others[nearest], new))
        lines[owner].metric[position] = new.copy()
        lines[owner].lonlat[position] = lonlat.copy()
    return splits


def _cut(lines: list[_Line], splits: list[tuple[int, np.ndarray]]
         ) -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
    """Cut lines at the split points: (metric coords, lon/lat coords, owner) per piece."""
    at: dict[int, list[np.ndarray]] = defaultdict(list)
    for owner, xy in splits:
        at[owner].append(xy)
    pieces_m, pieces_g, owners = [], [], []
    for owner, line in enumerate(lines):
        steps = np.hypot(*np.diff(line.metric, axis=0).T)
        along = np.concatenate([[0.0], np.cumsum(steps)])
        total = along[-1]
        cuts: list[float] = []
        if at[owner]:
            geometry = line.geometry()
            for t in sorted(shapely.line_locate_point(geometry, shapely.points(at[owner]))):
                inside = TOLERANCE_M < t < total - TOLERANCE_M
                if inside and (not cuts or t - cuts[-1] > TOLERANCE_M):
                    cuts.append(float(t))
        if not cuts:
            pieces_m.append(line.metric)
            pieces_g.append(line.lonlat)
            owners.append(owner)
            continue
        cut_xy = shapely.get_coordinates(
            shapely.line_interpolate_point(line.geometry(), np.array(cuts)))
        bounds = [0.0, *cuts, total]
        for n, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            inside = (along > start + TOLERANCE_M) & (along < stop - TOLERANCE_M)
            first_m = line.metric[0] if n == 0 else cut_xy[n - 1]
            last_m = line.metric[-1] if n == len(cuts) else cut_xy[n]
            first_g = line.lonlat[0] if n == 0 else np.full(2, np.nan)
            last_g = line.lonlat[-1] if n == len(cuts) else np.full(2, np.nan)
            pieces_m.append(np.vstack([first_m, line.metric[inside], last_m]))
            pieces_g.append(np.vstack([first_g, line.lonlat[inside], last_g]))
            owners.append(owner)
    return pieces_m, pieces_g, owners


def _weld(pieces_m: list[np.ndarray], pieces_g: list[np.ndarray], to_lonlat: pyproj.Transformer
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Give piece ends within TOLERANCE_M one position; return (end labels, node metric xy,
    node lon/lat). An original input point is preferred as a node's position."""
    ends_m = np.vstack([np.vstack([p[0], p[-1]]) for p in pieces_m])
    ends_g = np.vstack([np.vstack([p[0], p[-1]]) for p in pieces_g])
    points = shapely.points(ends_m)
    a, b = shapely.STRtree(points).query(points, predicate="dwithin", distance=TOLERANCE_M)
    count = len(ends_m)
    graph = coo_array((np.ones(len(a)), (a, b)), shape=(count, count))
    _, labels = connected_components(graph, directed=False)
    known = ~np.isnan(ends_g).any(axis=1)
    order = np.lexsort((np.arange(count), ~known, labels))  # per label: known first, then input
    first = order[np.concatenate([[True], labels[order][1:] != labels[order][:-1]])]
    node_m = ends_m[first]
    node_g = ends_g[first].copy()
    unknown = np.isnan(node_g).any(axis=1)
    if unknown.any():
        node_g[unknown] = np.column_stack(to_lonlat.transform(node_m[unknown, 0],
                                                              node_m[unknown, 1]))
    return labels.reshape(-1, 2), node_m, node_g


def _components(source: np.ndarray, target: np.ndarray, lengths: np.ndarray,
                ids: pd.Series, file: str) -> tuple[list[int], list[Problem]]:
    """Segment count of each connected piece (largest first) and a warning for the others."""
    graph = nx.Graph()
    graph.add_edges_from(zip(source.tolist(), target.tolist(), strict=True))
    piece_of = {node: n for n, nodes in enumerate(nx.connected_components(graph))
                for node in nodes}
    piece = np.array([piece_of[s] for s in source.tolist()], dtype=int)
    pieces = []
    for n in np.unique(piece):
        members = piece == n
        pieces.append((int(members.sum()), float(lengths[members].sum()),
                       int(min(source[members].min(), target[members].min())),
                       sorted(set(ids[members].astype(str)))))
    pieces.sort(key=lambda p: (-p[0], -p[1], p[2]))
    problems = []
    for count, length, _, names in pieces[1:]:
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        noun = "segment" if count == 1 else "segments"
        problems.append(Problem(
            file, "id=" + ", ".join(names[:3]) + (" ..." if len(names) > 3 else ""), None,
            f"disconnected from the main street network: {count} {noun}, {length:.0f} m "
            f"(source ids {shown})", "warning"))
    return [p[0] for p in pieces], problems


def node_streets(frame: gpd.GeoDataFrame, *, metric_crs: pyproj.CRS | str | int | None = None,
                 snap_m: float = 0.5, source: str | None = None) -> NodedNetwork:
    """Node street lines (EPSG:4326, canonical street columns) into segments and nodes.

    Lines are split where they cross or touch (except crossings of lines whose ``layer``
    column differs, e.g. a bridge); a dangling end within ``snap_m`` metres of another line
    is moved onto it (onto its nearest end or crossing if one is that close), splitting that
    line. Node ids follow the nodes' (lon, lat) order. Multi-lines are split into their
    lines; other geometries are ignored. ``metric_crs`` defaults to ``metric_crs_for(frame)``;
    ``source`` names the file in problems (default ``frame.attrs["source"]``).
    """
    file = source or frame.attrs.get("source", "streets")
    metric = pyproj.CRS.from_user_input(metric_crs) if metric_crs is not None else (
        metric_crs_for(frame))
    attributes, lines = _lines(frame, metric)
    if not lines:
        columns = {c: [] for c in attributes.columns if c != "source_id"}
        segments = gpd.GeoDataFrame({"source_id": [], **columns, "part": [], "source": [],
                                     "target": [], "length_m": []}, geometry=[], crs=WGS84)
        nodes = gpd.GeoDataFrame({"degree": []}, geometry=[], crs=WGS84,
                                 index=pd.RangeIndex(0, name="node_id"))
        return NodedNetwork(segments, nodes, [], [])
    splits = _snap(lines, snap_m)
    geometries = np.array([line.geometry() for line in lines], dtype=object)
    for i, j, xy in _crossing_points(geometries, [line.layer for line in lines]):
        splits += [(i, p) for p in xy] + [(j, p) for p in xy]
    pieces_m, pieces_g, owners = _cut(lines, splits)
    to_lonlat = pyproj.Transformer.from_crs(metric, WGS84, always_xy=True)
    labels, node_m, node_g = _weld(pieces_m, pieces_g, to_lonlat)

    for n, (start, stop) in enumerate(labels):
        pieces_m[n][[0, -1]] = node_m[[start, stop]]
        pieces_g[n][[0, -1]] = node_g[[start, stop]]
    lengths = np.array([np.hypot(*np.diff(p, axis=0).T).sum() for p in pieces_m])
    keep = lengths > TOLERANCE_M
    labels, lengths = labels[keep], lengths[keep]
    owners = np.asarray(owners)[keep]
    pieces_g = [p for p, k in zip(pieces_g, keep, strict=True) if k]

    used = np.unique(labels)
    order = used[np.lexsort((node_g[used, 1], node_g[used, 0]))]
    node_id = np.full(len(node_g), -1)
    node_id[order] = np.arange(len(order))
    nodes = gpd.GeoDataFrame(
        geometry=shapely.points(node_g[order]), crs=WGS84,
        index=pd.RangeIndex(len(order), name="node_id"))

    segments = attributes.iloc[owners].reset_index(drop=True)
    if "source_id" not in segments.columns:
        segments.insert(0, "source_id", [str(o) for o in owners])
    segments["part"] = segments.groupby("source_id", sort=False).cumcount().astype(int)
    segments["source"] = node_id[labels[:, 0]]
    segments["target"] = node_id[labels[:, 1]]
    segments["length_m"] = lengths
    segments = gpd.GeoDataFrame(segments, geometry=[shapely.linestrings(p) for p in pieces_g],
                                crs=WGS84)
    nodes["degree"] = np.bincount(np.concatenate([segments["source"], segments["target"]]),
                                  minlength=len(nodes))
    components, problems = _components(segments["source"].to_numpy(),
                                       segments["target"].to_numpy(), lengths,
                                       segments["source_id"], file)
    return NodedNetwork(segments, nodes, components, problems)
