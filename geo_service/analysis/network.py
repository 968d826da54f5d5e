"""The walkable street graph of chosen grids, with a margin of streets just outside them.

The graph is an undirected ``networkx.MultiGraph`` in a metric CRS (``graph.graph["crs"]``):
one edge per street segment, **keyed by the street id**, so ``graph.edges[u, v, street_id]``
finds a street and parallel segments between the same two nodes stay apart. Edge attributes:

``id``, ``length_m`` (metres; the one length every solver reads), ``street_class``, ``grid``
(grid number or ``None``), ``in_area`` (the street lies in a chosen grid; ``False`` for margin
streets a route may use but need not cover), ``source``/``target`` (the nodes at the start and
end of ``geometry``) and ``geometry`` (metric LineString).
Nodes carry ``x`` and ``y``. Walking is two-way: one-way rules do not apply on foot.

Which classes are walkable is a setting (``walkable``); by default every class is, main roads
included (their pavements are walked too).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from geo_service.vocab import StreetClass

CRSLike = str | int | pyproj.CRS

#: Metres around the chosen grids whose streets a route may use.
DEFAULT_MARGIN_M = 100.0
#: Metric CRS of the sample community (CGCS2000 / 3-degree GK CM 108E).
DEFAULT_CRS = "EPSG:4545"
#: Street classes walked on patrol by default: all of them.
DEFAULT_WALKABLE: frozenset[str] = frozenset(c.value for c in StreetClass)


def walkable_classes(walkable: Collection[str] | None = None,
                     exclude: Collection[str] = ()) -> frozenset[str]:
    """The walkable street classes: ``walkable`` (default all) minus ``exclude``.

    Raises
    ------
    ValueError
        For a class that is not in the street-class vocabulary.
    """
    chosen = frozenset(str(c) for c in (DEFAULT_WALKABLE if walkable is None else walkable))
    unknown = (chosen | frozenset(map(str, exclude))) - DEFAULT_WALKABLE
    if unknown:
        raise ValueError(f"unknown street classes: {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(sorted(DEFAULT_WALKABLE))})")
    return chosen - frozenset(map(str, exclude))


def streets_near_grids(streets: gpd.GeoDataFrame, grids: gpd.GeoDataFrame | None,
                       numbers: Iterable[int] | None, *, margin_m: float = DEFAULT_MARGIN_M,
                       crs: CRSLike = DEFAULT_CRS) -> gpd.GeoDataFrame:
    """Streets in the chosen grids or within ``margin_m`` of them, flagged ``in_area``.

    Parameters
    ----------
    streets
        Street segments with ``id`` and LineString geometry; a ``grid`` column (grid number)
        decides membership when present, else the grid each street overlaps most.
    grids
        Grid polygons with ``number``; ``None`` (or ``numbers=None``) keeps every street.
    numbers
        Grid numbers chosen; ``None`` means all streets, all in the area.
    margin_m, crs
        Margin in metres, measured in the metric ``crs``.

    Returns
    -------
    GeoDataFrame
        The kept streets (input CRS) with ``grid`` and boolean ``in_area``.
    """
    frame = streets.copy()
    if numbers is None or grids is None:
        if "grid" not in frame:
            frame["grid"] = None
        frame["in_area"] = True
        return frame
    wanted = {int(n) for n in numbers}
    metric_grids = grids.to_crs(crs)
    metric = frame.geometry.to_crs(crs)
    if "grid" not in frame:
        frame["grid"] = _grid_of(metric, metric_grids)
    chosen = metric_grids[metric_grids["number"].astype(int).isin(wanted)]
    if chosen.empty:
        raise ValueError(f"no grid numbered {sorted(wanted)}")
    area = shapely.union_all(chosen.geometry.values)
    near = shapely.dwithin(metric.values, area, margin_m)
    in_area = frame["grid"].map(lambda g: g is not None and not pd.isna(g) and int(g) in wanted)
    frame["in_area"] = in_area.to_numpy(bool)
    return frame[near | frame["in_area"].to_numpy()]


def _grid_of(lines: gpd.GeoSeries, grids: gpd.GeoDataFrame) -> list[int | None]:
    """Number of the grid each line overlaps most (``None`` outside every grid)."""
    best: list[int | None] = [None] * len(lines)
    shares = np.zeros(len(lines))
    polygons = grids.geometry.values
    numbers = grids["number"].astype(int).to_numpy()
    line_idx, grid_idx = shapely.STRtree(polygons).query(lines.values, predicate="intersects")
    overlap = shapely.length(shapely.intersection(lines.values[line_idx], polygons[grid_idx]))
    for i, g, length in zip(line_idx, grid_idx, overlap, strict=True):
        if length > shares[i] or (length == shares[i] and best[i] is not None
                                  and numbers[g] < best[i]):
            shares[i], best[i] = length, int(numbers[g])
    return best


def street_graph(streets: gpd.GeoDataFrame, crs: CRSLike | None = None, *,
                 walkable: Collection[str] | None = None,
                 keep_isolated: bool = False) -> nx.MultiGraph:
    """Undirected walking graph of noded street segments, edges keyed by street id.

    The project's one street-graph builder: the route solvers (:mod:`.postman`, :mod:`.tours`),
    the matcher and the hotspots all take its graphs as they are.

    Parameters
    ----------
    streets
        Segments with ``id``, ``source``, ``target`` (node ids), LineString geometry running
        from ``source`` to ``target``; optional ``length_m`` (used where finite, else the
        metric geometry length), ``street_class``, ``grid``, ``in_area`` (default ``True``).
    crs
        Metric CRS of the graph. Default: the frame's CRS when it is projected, else its UTM
        zone (a frame without a CRS is taken to be in :data:`DEFAULT_CRS`).
    walkable
        Street classes kept, each a street-class vocabulary value; default every segment.
    keep_isolated
        Keep connected pieces without any ``in_area`` street (margin fragments); default drop.

    Returns
    -------
    networkx.MultiGraph
        See the module docstring for attributes.
    """
    frame = streets
    if walkable is not None and "street_class" in frame:
        frame = frame[frame["street_class"].astype(str).isin(walkable_classes(walkable))]
    if crs is None:
        if frame.crs is None:
            crs = DEFAULT_CRS
        elif frame.crs.is_projected:
            crs = frame.crs
        else:
            crs = streets.estimate_utm_crs() if len(streets) else DEFAULT_CRS
    metric = frame.to_crs(crs) if frame.crs is not None else frame.set_crs(crs)
    geoms = metric.geometry.values
    lengths = shapely.length(geoms)
    if "length_m" in metric:
        given = pd.to_numeric(metric["length_m"], errors="coerce").to_numpy(float)
        lengths = np.where(np.isfinite(given), given, lengths)
    column = {name: (metric[name].tolist() if name in metric else [default] * len(metric))
              for name, default in (("street_class", StreetClass.OTHER.value), ("grid", None),
                                    ("in_area", True))}
    graph = nx.MultiGraph(crs=pyproj.CRS.from_user_input(crs))
    for street_id, u, v, length, cls, grid, in_area, geom in zip(
            metric["id"], metric["source"], metric["target"], lengths, column["street_class"],
            column["grid"], column["in_area"], geoms, strict=True):
        u, v, street_id = int(u), int(v), int(street_id)
        first, last = geom.coords[0], geom.coords[-1]
        if u not in graph:
            graph.add_node(u, x=first[0], y=first[1])
        if v not in graph:
            graph.add_node(v, x=last[0], y=last[1])
        grid = None if grid is None or pd.isna(grid) else int(grid)
        length = max(float(length), 0.0)
        graph.add_edge(u, v, key=street_id, id=street_id, length_m=length,
                       street_class=str(cls), grid=grid,
                       in_area=bool(in_area), source=u, target=v, geometry=geom)
    if not keep_isolated:
        for piece in list(nx.connected_components(graph)):
            edges = graph.subgraph(piece).edges(data="in_area")
            if not any(flag for _, _, flag in edges):
                graph.remove_nodes_from(piece)
    return graph


def walkable_network(streets: gpd.GeoDataFrame, grids: gpd.GeoDataFrame | None = None,
                     numbers: Iterable[int] | None = None, *,
                     margin_m: float = DEFAULT_MARGIN_M, walkable: Collection[str] | None = None,
                     crs: CRSLike = DEFAULT_CRS) -> nx.MultiGraph:
    """The walking graph of the chosen grids plus a margin (see :func:`streets_near_grids`)."""
    near = streets_near_grids(streets, grids, numbers, margin_m=margin_m, crs=crs)
    return street_graph(near, walkable=walkable, crs=crs)


def graph_streets(graph: nx.MultiGraph) -> gpd.GeoDataFrame:
    """The graph's edges as a frame (metric CRS), one row per street id."""
    rows = [{"id": k, "source": d["source"], "target": d["target"], "length_m": d["length_m"],
             "street_class": d["street_class"], "grid": d["grid"], "in_area": d["in_area"],
             "geometry": d["geometry"]} for _, _, k, d in graph.edges(keys=True, data=True)]
    columns = ["id", "source", "target", "length_m", "street_class", "grid", "in_area",
               "geometry"]
    frame = pd.DataFrame(rows, columns=columns)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=graph.graph.get("crs"))


def edge_index(graph: nx.MultiGraph) -> dict[int, tuple[int, int, int]]:
    """Street id -> ``(u, v, key)`` edge of the graph."""
    return {k: (u, v, k) for u, v, k in graph.edges(keys=True)}


# -- distances along the network -------------------------------------------------------------
@dataclass
class GraphArrays:
    """A street graph indexed for scipy: nodes, the edge table and a sparse distance matrix.

    The one array form of the street graph: the route solvers (:mod:`.postman`,
    :mod:`.tours`), the matcher and the hotspots all use it.

    Attributes
    ----------
    nodes
        Node id of each matrix index.
    index
        Matrix index of each node id.
    matrix
        Symmetric CSR matrix of the shortest parallel edge between two nodes.
    best
        ``(i, j)`` with ``i < j`` -> street id of that shortest parallel edge.
    keys, start, end, length, geometry
        Per edge (``graph.edges(keys=True)`` order): street id, matrix index of the node where
        its geometry starts and ends, length (m) and metric geometry.
    """

    nodes: list[int]
    index: dict[int, int]
    matrix: sparse.csr_array
    best: dict[tuple[int, int], int]
    keys: np.ndarray
    start: np.ndarray
    end: np.ndarray
    length: np.ndarray
    geometry: np.ndarray

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    def dijkstra(self, sources: Sequence[int] | np.ndarray, limit: float = np.inf,
                 predecessors: bool = False) -> Any:
        """Distances (and predecessors) from each source index, ``inf`` beyond ``limit``."""
        return csgraph.dijkstra(self.matrix, directed=False, indices=np.asarray(sources),
                                limit=limit, return_predecessors=predecessors)

    def path(self, pred_row: np.ndarray, source: int, target: int
             ) -> list[tuple[int, int, int]]:
        """Edges ``(u, v, key)`` of the shortest path ``source -> target`` (indices in),
        along the shortest of parallel edges."""
        steps: list[tuple[int, int, int]] = []
        j = target
        while j != source:
            i = int(pred_row[j])
            if i < 0:
                raise ValueError("target not reachable from source")
            key = self.best[(i, j) if i < j else (j, i)]
            steps.append((self.nodes[i], self.nodes[j], key))
            j = i
        steps.reverse()
        return steps

    @property
    def position(self) -> dict[int, int]:
        """Street id -> edge position in the arrays."""
        return {int(k): i for i, k in enumerate(self.keys)}

    def along(self, edge: np.ndarray, points: np.ndarray) -> np.ndarray:
        """Distance (m, in ``length`` units) from each edge's start to the point projected on it."""
        geoms = self.geometry[edge]
        at = shapely.line_locate_point(geoms, points)
        span = shapely.length(geoms)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(span > 0, at / span, 0.0)
        return share * self.length[edge]

    def node_distances(self, edge: np.ndarray, along: np.ndarray, limit: float = np.inf
                       ) -> np.ndarray:
        """Network distance from points on edges to every node, ``inf`` beyond ``limit``.

        Returns an array of shape ``(len(edge), len(nodes))``.
        """
        ends = np.unique(np.r_[self.start[edge], self.end[edge]])
        if len(ends) == 0:
            return np.empty((0, len(self.nodes)))
        dist = csgraph.dijkstra(self.matrix, directed=False, indices=ends, limit=limit)
        row = {int(n): i for i, n in enumerate(ends)}
        first = dist[[row[int(n)] for n in self.start[edge]]] + along[:, None]
        second = dist[[row[int(n)] for n in self.end[edge]]] + (self.length[edge] - along)[:, None]
        return np.minimum(first, second)

    def point_distances(self, src_edge: np.ndarray, src_along: np.ndarray,
                        dst_edge: np.ndarray, dst_along: np.ndarray, limit: float = np.inf,
                        chunk: int = 512) -> np.ndarray:
        """Network distances between points on edges, shape ``(len(src), len(dst))``.

        A point is ``(edge position, distance from the edge's start)``. Distances beyond
        ``limit`` are ``inf``. Two points on the same edge are ``|a - b|`` apart at most.
        """
        out = np.full((len(src_edge), len(dst_edge)), np.inf)
        dst_to_end = self.length[dst_edge] - dst_along
        for lo in range(0, len(src_edge), chunk):
            hi = min(lo + chunk, len(src_edge))
            near = self.node_distances(src_edge[lo:hi], src_along[lo:hi], limit)
            block = np.minimum(near[:, self.start[dst_edge]] + dst_along[None, :],
                               near[:, self.end[dst_edge]] + dst_to_end[None, :])
            same = src_edge[lo:hi, None] == dst_edge[None, :]
            direct = np.abs(src_along[lo:hi, None] - dst_along[None, :])
            block = np.where(same, np.minimum(block, direct), block)
            block[block > limit] = np.inf
            out[lo:hi] = block
        return out


def graph_arrays(graph: nx.MultiGraph) -> GraphArrays:
    """Index ``graph`` (from :func:`street_graph`; ``length_m`` on every edge, ``geometry``
    where :meth:`GraphArrays.along` is used) for :class:`GraphArrays`."""
    nodes = list(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    edges = list(graph.edges(keys=True, data=True))
    keys = np.array([k for _, _, k, _ in edges], dtype=np.int64)
    start = np.array([index[d.get("source", u)] for u, _, _, d in edges], dtype=np.int64)
    end = np.array([index[d.get("target", v)] for _, v, _, d in edges], dtype=np.int64)
    length = np.array([d["length_m"] for _, _, _, d in edges], dtype=float)
    geometry = np.array([d.get("geometry") for _, _, _, d in edges], dtype=object)
    best: dict[tuple[int, int], int] = {}
    weight: dict[tuple[int, int], float] = {}
    for i, j, k, w in zip(start, end, keys, length, strict=True):
        if i == j:
            continue
        pair = (int(min(i, j)), int(max(i, j)))
        if pair not in weight or w < weight[pair]:
            weight[pair], best[pair] = float(w), int(k)
    if weight:
        pairs = np.array(list(weight), dtype=np.int64)
        # scipy drops explicit zeros from sparse graphs: keep zero-length links tiny instead.
        w = np.maximum(np.fromiter(weight.values(), float), 1e-9)
        matrix = sparse.coo_array((np.r_[w, w], (np.r_[pairs[:, 0], pairs[:, 1]],
                                                 np.r_[pairs[:, 1], pairs[:, 0]])),
                                  shape=(len(nodes), len(nodes))).tocsr()
    else:
        matrix = sparse.csr_array((len(nodes), len(nodes)))
    return GraphArrays(nodes, index, matrix, best, keys, start, end, length, geometry)
