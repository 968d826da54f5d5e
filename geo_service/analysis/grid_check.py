"""Check that management grids tile the community: no overlaps, no holes, no slivers.

A community's grids (网格) must cover it 100%, each place in exactly one grid, and every
building must belong to one grid. This module finds where that fails. It is a pure function
on GeoDataFrames: no database, no web objects.

Definitions (all measured in ``metric_crs``):

overlap
    Area covered by two grids. Reported per connected piece, with the two grid numbers.
hole
    Area inside the community outline covered by no grid. The outline is ``outline`` when
    given, otherwise the union of the grids with its interior rings filled and with notches
    narrower than ``gap_width_m`` closed, so a thin gap between two grids that opens onto the
    outer edge is still found.
sliver
    An overlap or hole smaller than ``sliver_area_m2`` or thinner than ``sliver_width_m``
    (width = diameter of the largest inscribed circle), or a grid polygon part that is that
    small or that thin. Slivers are listed only under ``slivers``, not also under overlaps or
    holes; ``kind`` says which they are. They are what coordinate rounding, snapping errors and
    digitising by eye leave behind.
building in no grid / split
    Each building's footprint is shared out over the grids. A building belongs to the grid
    holding most of it. It is flagged only when that rule is unsafe: *split* when its
    second-largest share is at least ``building_share`` (default 20%: a boundary runs through
    the building body, not just a digitising slip of a few decimetres, which on an 8 x 10 m
    house is a few per cent); *outside* when at least ``building_share`` of it lies in no grid
    (``in no grid`` when none of it does).

Pieces smaller than ``min_area_m2`` (default 1 cm^2) are numerical noise and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

__all__ = [
    "BuildingIssue",
    "GridCheckReport",
    "GridHole",
    "GridOverlap",
    "InvalidGrid",
    "Sliver",
    "check_grids",
]

INPUT_CRS = "EPSG:4326"


@dataclass(frozen=True)
class GridOverlap:
    """A piece of area claimed by two grids. ``geometry`` is in EPSG:4326."""

    grids: tuple[int, int]
    area_m2: float
    width_m: float
    geometry: BaseGeometry
    where: tuple[float, float]  # lon, lat of a point inside the piece


@dataclass(frozen=True)
class GridHole:
    """A piece of the community covered by no grid; ``grids`` are the grids around it."""

    grids: tuple[int, ...]
    area_m2: float
    width_m: float
    geometry: BaseGeometry
    where: tuple[float, float]


@dataclass(frozen=True)
class Sliver:
    """A tiny or thin overlap, hole or grid part. ``kind`` is overlap, hole or grid."""

    kind: str
    grids: tuple[int, ...]
    area_m2: float
    width_m: float
    geometry: BaseGeometry
    where: tuple[float, float]


@dataclass(frozen=True)
class BuildingIssue:
    """A building in no grid (``grids`` empty or partly), or split across grids.

    ``shares`` gives, per grid in ``grids``, the share (0-1) of the footprint inside it;
    ``outside_share`` is the share in no grid.
    """

    source_id: str
    grids: tuple[int, ...]
    shares: tuple[float, ...]
    outside_share: float
    area_m2: float
    where: tuple[float, float]


@dataclass(frozen=True)
class InvalidGrid:
    """A grid whose geometry or number cannot be trusted as given."""

    number: int | None
    reason: str


@dataclass
class GridCheckReport:
    """What :func:`check_grids` found. ``ok`` is True when it found nothing."""

    n_grids: int
    n_buildings: int | None
    overlaps: list[GridOverlap] = field(default_factory=list)
    holes: list[GridHole] = field(default_factory=list)
    slivers: list[Sliver] = field(default_factory=list)
    buildings_outside: list[BuildingIssue] = field(default_factory=list)
    buildings_split: list[BuildingIssue] = field(default_factory=list)
    invalid: list[InvalidGrid] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there are no overlaps, holes, slivers, invalid grids or stray buildings."""
        return not (self.overlaps or self.holes or self.slivers or self.invalid
                    or self.buildings_outside or self.buildings_split)

    def summary(self) -> str:
        """One line: how many grids and buildings were checked and what was found."""
        what = f"{self.n_grids} grids"
        if self.n_buildings is not None:
            what += f", {self.n_buildings} buildings"
        if self.ok:
            tail = "each building in one grid" if self.n_buildings is not None else "clean"
            return f"grid check OK: {what}; no overlaps, holes or slivers; {tail}"
        counts = [(len(self.invalid), "invalid"), (len(self.overlaps), "overlaps"),
                  (len(self.holes), "holes"), (len(self.slivers), "slivers"),
                  (len(self.buildings_outside), "buildings outside every grid"),
                  (len(self.buildings_split), "buildings split across grids")]
        found = ", ".join(f"{n} {label}" for n, label in counts if n)
        return f"grid check FAILED: {what}; {found}"

    def lines(self) -> list[str]:
        """The summary, then one human-readable line per finding (what, which grids, where)."""
        out = [self.summary()]
        for inv in self.invalid:
            who = f"grid {inv.number}" if inv.number is not None else "a grid"
            out.append(f"invalid: {who}: {inv.reason}")
        for o in self.overlaps:
            out.append(f"overlap: grids {o.grids[0]} and {o.grids[1]} overlap by "
                       f"{o.area_m2:.1f} m2 (up to {o.width_m:.2f} m wide) at {_at(o.where)}")
        for h in self.holes:
            out.append(f"hole: {h.area_m2:.1f} m2 covered by no grid (up to {h.width_m:.2f} m "
                       f"wide), between grids {_nums(h.grids)} at {_at(h.where)}")
        for s in self.slivers:
            if s.kind == "overlap":
                what = f"grids {_nums(s.grids)} overlap"
            elif s.kind == "hole":
                what = f"gap covered by no grid, between grids {_nums(s.grids)}"
            else:
                what = f"thin or tiny part of grid {_nums(s.grids)}"
            out.append(f"sliver: {what}: {s.area_m2:.2f} m2, {s.width_m:.2f} m wide, "
                       f"at {_at(s.where)}")
        for b in self.buildings_outside:
            if not b.grids:
                out.append(f"building {b.source_id} lies in no grid "
                           f"({b.area_m2:.0f} m2) at {_at(b.where)}")
            else:
                inside = ", ".join(f"{s:.0%} in grid {n}" for n, s in zip(b.grids, b.shares,
                                                                          strict=True))
                out.append(f"building {b.source_id}: {b.outside_share:.0%} of it in no grid "
                           f"({inside}; {b.area_m2:.0f} m2) at {_at(b.where)}")
        for b in self.buildings_split:
            parts = ", ".join(f"{n} ({s:.0%})" for n, s in zip(b.grids, b.shares, strict=True))
            out.append(f"building {b.source_id} is split across grids {parts} "
                       f"({b.area_m2:.0f} m2) at {_at(b.where)}")
        return out

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """Overlaps, holes and slivers as one GeoDataFrame in EPSG:4326 (for maps and files)."""
        rows = [{"kind": "overlap", "grids": _nums(o.grids), "area_m2": o.area_m2,
                 "width_m": o.width_m, "geometry": o.geometry} for o in self.overlaps]
        rows += [{"kind": "hole", "grids": _nums(h.grids), "area_m2": h.area_m2,
                  "width_m": h.width_m, "geometry": h.geometry} for h in self.holes]
        rows += [{"kind": f"sliver_{s.kind}", "grids": _nums(s.grids), "area_m2": s.area_m2,
                  "width_m": s.width_m, "geometry": s.geometry} for s in self.slivers]
        columns = ["kind", "grids", "area_m2", "width_m", "geometry"]
        return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=INPUT_CRS)


def check_grids(
    grids: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    metric_crs: str | int = 4545,
    sliver_area_m2: float = 5.0,
    sliver_width_m: float = 1.0,
    gap_width_m: float = 1.0,
    min_area_m2: float = 1e-4,
    building_share: float = 0.2,
    outline: BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    number_column: str = "number",
    id_column: str = "source_id",
) -> GridCheckReport:
    """Find overlaps, holes and slivers among grids, and buildings in no grid or in several.

    Parameters
    ----------
    grids
        Grid polygons with a ``number`` column; EPSG:4326 when the frame has no CRS.
    buildings
        Optional building footprints with a ``source_id`` column.
    metric_crs
        Projected CRS for areas and widths (default EPSG:4545, CGCS2000 / 3-degree GK CM 108E).
    sliver_area_m2, sliver_width_m
        Overlaps, holes and grid parts smaller or thinner than these are slivers.
    gap_width_m
        Gaps narrower than this that open onto the outer edge still count as holes.
    min_area_m2
        Pieces below this are numerical noise and ignored.
    building_share
        Share of a footprint in a second grid (or in none) from which a building is flagged.
    outline
        The community outline, if known (EPSG:4326 unless a GeoDataFrame/GeoSeries with a CRS).

    Returns
    -------
    GridCheckReport
        Findings sorted by grid number (buildings by source id); geometries in EPSG:4326.
    """
    metric = CRS.from_user_input(metric_crs)
    to_ll = Transformer.from_crs(metric, INPUT_CRS, always_xy=True)
    frame = _metric(grids, metric)
    numbers = [_as_number(v) for v in frame[number_column].tolist()]
    report = GridCheckReport(n_grids=len(frame), n_buildings=None)
    geoms = _valid_polygons(frame.geometry.values, numbers, report.invalid)
    _duplicate_numbers(numbers, report.invalid)

    def finding(g: BaseGeometry) -> tuple[BaseGeometry, tuple[float, float], float]:
        return _to_ll(g, to_ll), _where(g, to_ll), _width(g)

    def small(area: float, width: float) -> bool:
        return area < sliver_area_m2 or width < sliver_width_m

    for (a, b), piece in _overlap_pieces(geoms, numbers, min_area_m2):
        geom, where, width = finding(piece)
        if small(piece.area, width):
            report.slivers.append(Sliver("overlap", (a, b), piece.area, width, geom, where))
        else:
            report.overlaps.append(GridOverlap((a, b), piece.area, width, geom, where))

    union = shapely.union_all(geoms)
    shell = _outline(union, outline, metric, gap_width_m)
    for piece in _polygons(shell.difference(union)):
        if piece.area < min_area_m2:
            continue
        around = _around(piece, geoms, numbers)
        geom, where, width = finding(piece)
        if small(piece.area, width):
            report.slivers.append(Sliver("hole", around, piece.area, width, geom, where))
        else:
            report.holes.append(GridHole(around, piece.area, width, geom, where))

    for n, g in zip(numbers, geoms, strict=True):
        parts = _polygons(g)
        for part in parts:
            width = _width(part)
            if small(part.area, width) and part.area >= min_area_m2:
                report.slivers.append(Sliver("grid", (n,), part.area, width,
                                             _to_ll(part, to_ll), _where(part, to_ll)))

    if buildings is not None:
        _check_buildings(buildings, metric, geoms, numbers, building_share, id_column, to_ll,
                         report)
    report.overlaps.sort(key=lambda o: (o.grids, -o.area_m2))
    report.holes.sort(key=lambda h: (h.grids, -h.area_m2))
    report.slivers.sort(key=lambda s: (s.kind, s.grids, -s.area_m2))
    return report


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


DENSIFY_DEGREES = 1e-5  # about a metre


def _metric(frame: gpd.GeoDataFrame | gpd.GeoSeries, metric: CRS) -> gpd.GeoDataFrame:
    """Return ``frame`` in the metric CRS (EPSG:4326 assumed when it has none).

    Edges are densified to about a metre first: two grids sharing a straight edge with
    different vertices must still share it after projection, not gain slivers along it.
    """
    if frame.crs is None:
        frame = frame.set_crs(INPUT_CRS)
    if frame.crs.is_geographic:
        geometry = frame.geometry
        # invalid grids stay as drawn, so they are reported as they came
        dense = geometry.where(~geometry.is_valid, geometry.segmentize(DENSIFY_DEGREES))
        frame = frame.set_geometry(dense) if isinstance(frame, gpd.GeoDataFrame) else dense
    out = frame.to_crs(metric)
    return out if isinstance(out, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=out)


def _as_number(v: object) -> int:
    try:
        return int(v)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return -1


def _valid_polygons(values: np.ndarray, numbers: list[int],
                    invalid: list[InvalidGrid]) -> list[BaseGeometry]:
    """Return the polygonal part of each grid, repaired when invalid (and note the repair)."""
    out = []
    for n, g in zip(numbers, values, strict=True):
        if g is None or g.is_empty:
            invalid.append(InvalidGrid(n, "empty geometry"))
            out.append(shapely.Polygon())
            continue
        if not g.is_valid:
            invalid.append(InvalidGrid(n, f"invalid geometry ({shapely.is_valid_reason(g)})"))
            g = shapely.make_valid(g)
        polys = _polygons(g)
        if not polys:
            invalid.append(InvalidGrid(n, f"not a polygon ({g.geom_type})"))
        out.append(shapely.union_all(polys) if polys else shapely.Polygon())
    return out


def _duplicate_numbers(numbers: list[int], invalid: list[InvalidGrid]) -> None:
    seen: dict[int, int] = {}
    for n in numbers:
        seen[n] = seen.get(n, 0) + 1
    for n in sorted(seen):
        if n < 0:
            invalid.append(InvalidGrid(None, f"{seen[n]} grid(s) without a usable number"))
        elif seen[n] > 1:
            invalid.append(InvalidGrid(n, f"grid number used {seen[n]} times"))


def _polygons(g: BaseGeometry) -> list[shapely.Polygon]:
    """The non-empty polygons in ``g`` (dropping points and lines from overlay results)."""
    out: list[shapely.Polygon] = []
    for p in shapely.get_parts(g):
        if p.is_empty:
            continue
        if p.geom_type == "Polygon":
            out.append(p)
        elif p.geom_type in ("MultiPolygon", "GeometryCollection"):
            out.extend(_polygons(p))
    return out


def _overlap_pieces(geoms: list[BaseGeometry], numbers: list[int], min_area: float
                    ) -> list[tuple[tuple[int, int], shapely.Polygon]]:
    """Every connected piece of area shared by two grids, with the grid numbers (low first)."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    out = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        shared = geoms[i].intersection(geoms[j])
        pair = tuple(sorted((numbers[i], numbers[j])))
        for piece in _polygons(shared):
            if piece.area >= min_area:
                out.append((pair, piece))
    return out  # type: ignore[return-value]


def _outline(union: BaseGeometry, outline: object, metric: CRS, gap: float) -> BaseGeometry:
    """The area the grids should cover: the given outline, or the filled, closed union."""
    if outline is not None:
        if isinstance(outline, gpd.GeoDataFrame | gpd.GeoSeries):
            series = outline.geometry if isinstance(outline, gpd.GeoDataFrame) else outline
            return shapely.union_all(_metric(series, metric).geometry.values)
        return shapely.union_all(_metric(gpd.GeoSeries([outline]), metric).geometry.values)
    closed = union
    if gap > 0:
        closed = union.buffer(gap / 2, join_style="mitre").buffer(-gap / 2, join_style="mitre")
        closed = closed.union(union)
    return shapely.union_all([shapely.Polygon(p.exterior) for p in _polygons(closed)])


def _around(piece: BaseGeometry, geoms: list[BaseGeometry], numbers: list[int]) -> tuple[int, ...]:
    """Numbers of the grids sharing an edge with ``piece`` (a corner touch does not count)."""
    near = piece.buffer(0.01)
    least = min(0.05, piece.length / 20)
    return tuple(sorted({n for n, g in zip(numbers, geoms, strict=True)
                         if g.intersects(near) and g.boundary.intersection(near).length > least}))


def _width(g: BaseGeometry) -> float:
    """Width of a polygon: the diameter of the largest circle inside it (metres)."""
    if g.is_empty:
        return 0.0
    minx, miny, maxx, maxy = g.bounds
    tol = max(min(maxx - minx, maxy - miny) / 50.0, 1e-4)
    return 2.0 * float(shapely.length(shapely.maximum_inscribed_circle(g, min(tol, 0.01))))


def _to_ll(g: BaseGeometry, to_ll: Transformer) -> BaseGeometry:
    return shapely.transform(g, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1])))


def _where(g: BaseGeometry, to_ll: Transformer) -> tuple[float, float]:
    p = g.representative_point() if not g.is_empty else shapely.Point(0, 0)
    lon, lat = to_ll.transform(p.x, p.y)
    return round(float(lon), 7), round(float(lat), 7)


def _at(where: tuple[float, float]) -> str:
    return f"{where[0]:.6f}, {where[1]:.6f} (lon, lat)"


def _nums(ns: tuple[int, ...]) -> str:
    if not ns:
        return "(none)"
    return ", ".join(str(n) for n in ns[:-1]) + (" and " if len(ns) > 1 else "") + str(ns[-1])


def _check_buildings(buildings: gpd.GeoDataFrame, metric: CRS, geoms: list[BaseGeometry],
                     numbers: list[int], share_limit: float, id_column: str,
                     to_ll: Transformer, report: GridCheckReport) -> None:
    """Share each footprint out over the grids and flag the unsafe ones."""
    frame = _metric(buildings, metric)
    ids = (frame[id_column].astype(str).tolist() if id_column in frame.columns
           else [str(i) for i in frame.index])
    report.n_buildings = len(frame)
    tree = shapely.STRtree(geoms)
    for sid, fp in zip(ids, frame.geometry.values, strict=True):
        if fp is None or fp.is_empty:
            continue
        if not fp.is_valid:
            fp = shapely.make_valid(fp)
        area = fp.area
        if area <= 0:
            continue
        shares = []
        for i in tree.query(fp, predicate="intersects").tolist():
            s = geoms[i].intersection(fp).area / area
            if s > 1e-9:
                shares.append((s, numbers[i]))
        shares.sort(key=lambda t: (-t[0], t[1]))
        covered = min(1.0, sum(s for s, _ in shares))
        outside = max(0.0, 1.0 - covered)
        where = _where(fp, to_ll)
        grids = tuple(n for _, n in shares)
        fracs = tuple(round(s, 4) for s, _ in shares)
        if len(shares) >= 2 and shares[1][0] >= share_limit:
            report.buildings_split.append(BuildingIssue(sid, grids, fracs, round(outside, 4),
                                                        area, where))
        elif outside >= share_limit:
            report.buildings_outside.append(BuildingIssue(sid, grids, fracs, round(outside, 4),
                                                          area, where))
    report.buildings_split.sort(key=lambda b: b.source_id)
    report.buildings_outside.sort(key=lambda b: b.source_id)
