"""Generate the illustrative Bailong community sample, byte for byte the same on every run.

Writes ``data/grids.geojson`` and ``data/sample/{buildings,streets,lights,cameras,hazards}.geojson``
under ``--out`` (default: the repository root).

The report this project serves (Bailong community, Bonan subdistrict, Bozhou district, Zunyi,
Guizhou) has no coordinates. Everything here is therefore *drawn*, not surveyed: a plausible
community outline of about 1.5 x 1.2 km around 27.52 N, 106.83 E, cut into the report's 26 grids,
with compounds, streets and alleys, lights, cameras and hazards placed by rule from a fixed seed.
Only the numbers come from the report (26 grids, trade-city grids 1-4, 249 building leaders,
12 alley streetlights and 4 alley cameras, the hazard categories). Every file says so.

Made-up parts, so nobody mistakes them for facts:

* grid codes: ``520304`` is the real administrative code of Bozhou district; the subdistrict part
  ``001`` and the community part ``003`` are invented (CJ/T 349 style: district + subdistrict +
  community + 2-digit grid number);
* every road name, compound layout, person name and phone number (phones have ``0000`` as their
  middle block so they are visibly fake);
* dates: every timestamp is fixed relative to ``BASE_TIME`` (2026-09-01 09:00 +08:00), never the
  clock.

How it stays reproducible: one ``numpy.random.Generator`` seeded with ``SEED`` drives every random
choice, in a fixed order; geometry is built in EPSG:4545 (CGCS2000 / 3-degree GK CM 108E), in
local metres around a fixed origin; outputs are sorted, keys are written in a fixed order and
coordinates are rounded to 7 decimals. The grids are faces of one noded line set (outline, main
and branch roads, Voronoi edges), so neighbouring grids share exact vertices before and after
rounding: no gaps, no overlaps, no slivers. Streets end exactly on a vertex of the line they join.
The script checks its own output (tiling, overlaps, connectivity) before it writes anything.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
import shapely.affinity
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiPoint, Point, Polygon, shape
from shapely.ops import nearest_points, polygonize, unary_union

from geo_service.vocab import (
    AssetStatus,
    BuildingKind,
    HazardStatus,
    Level,
    LightMount,
    Lit,
    StreetClass,
)

SEED = 20260901
METRIC_CRS = "EPSG:4545"
CENTRE_LONLAT = (106.83, 27.52)
DECIMALS = 7
CST = timezone(timedelta(hours=8))
BASE_TIME = datetime(2026, 9, 1, 9, 0, tzinfo=CST)
DISTRICT_CODE = "520304"  # Bozhou district: real
SUBDISTRICT_CODE = "001"  # made up
COMMUNITY_CODE = "003"  # made up
N_LEADERS = 249
NO_LEADER_SHARE = 0.05

NOTE_ZH = (
    "示意数据，非实测：白龙社区无公开坐标，本图层由 scripts/make_sample.py 按固定随机种子生成。"
)
NOTE_EN = (
    "Illustrative sample, not surveyed: the Bailong community report has no coordinates, so this "
    "layer is drawn by scripts/make_sample.py from a fixed seed. Load your own surveyed layers."
)

Coord = tuple[float, float]

# --------------------------------------------------------------------------------------------
# The drawing: outline, roads and zones, in local metres (x east, y north) around CENTRE_LONLAT.
# --------------------------------------------------------------------------------------------

OUTLINE: list[Coord] = [
    (-735, 360), (-610, 520), (-420, 585), (-230, 600), (-20, 565), (150, 600), (340, 620),
    (520, 560), (650, 470), (760, 250), (720, 60), (745, -150), (700, -360), (560, -560),
    (330, -590), (150, -545), (-60, -615), (-280, -585), (-470, -520), (-620, -390),
    (-700, -200), (-760, 60),
]


@dataclass(frozen=True)
class RoadSpec:
    """A hand-drawn road of the skeleton that also bounds blocks of grids."""

    name: str
    cls: StreetClass
    width: float
    lit: Lit
    coords: tuple[Coord, ...]


SKELETON: tuple[RoadSpec, ...] = (
    RoadSpec("白龙大道", StreetClass.MAIN, 24.0, Lit.YES,
             ((30, 700), (50, 480), (40, 255), (45, 62), (85, -190), (140, -420), (175, -700))),
    RoadSpec("播南路", StreetClass.MAIN, 20.0, Lit.YES,
             ((-900, 45), (-520, 85), (-190, 70), (45, 62), (300, 40), (600, 72), (900, 120))),
    RoadSpec("商贸西路", StreetClass.BRANCH, 10.0, Lit.YES,
             ((-190, 70), (-196, 260), (-205, 478), (-215, 700))),
    RoadSpec("商贸东路", StreetClass.BRANCH, 10.0, Lit.YES,
             ((300, 40), (292, 250), (298, 482), (305, 700))),
    RoadSpec("商贸北路", StreetClass.BRANCH, 9.0, Lit.YES,
             ((-205, 478), (-60, 492), (50, 480), (180, 492), (298, 482))),
    RoadSpec("商贸街", StreetClass.BRANCH, 12.0, Lit.YES, ((-196, 260), (40, 255), (292, 250))),
    RoadSpec("华景路", StreetClass.BRANCH, 9.0, Lit.YES,
             ((294, 330), (420, 350), (560, 372), (820, 440))),
    RoadSpec("三小路", StreetClass.BRANCH, 9.0, Lit.YES,
             ((-190, 70), (-172, -120), (-150, -330), (-120, -700))),
    RoadSpec("磷肥厂路", StreetClass.BRANCH, 8.0, Lit.UNKNOWN,
             ((-520, 85), (-498, -120), (-470, -330), (-440, -700))),
    RoadSpec("化工路", StreetClass.BRANCH, 9.0, Lit.YES,
             ((85, -190), (250, -205), (470, -214), (820, -240))),
    RoadSpec("白龙北路", StreetClass.BRANCH, 8.0, Lit.NO,
             ((-198, 300), (-360, 318), (-560, 300), (-800, 250))),
)


@dataclass(frozen=True)
class ZoneSpec:
    """A block of the skeleton: which zone it is and into how many grids it is cut."""

    label: Coord
    zone: str
    grids: int


ZONES_ORDER = ("商贸城", "华景苑", "三小片区", "磷肥厂", "无机化工厂", "白龙片区")
BLOCKS: tuple[ZoneSpec, ...] = (
    ZoneSpec((-80, 380), "商贸城", 1),
    ZoneSpec((170, 380), "商贸城", 1),
    ZoneSpec((-80, 150), "商贸城", 1),
    ZoneSpec((170, 150), "商贸城", 1),
    ZoneSpec((520, 200), "华景苑", 2),
    ZoneSpec((-40, -250), "三小片区", 3),
    ZoneSpec((-330, -200), "磷肥厂", 3),
    ZoneSpec((450, -80), "无机化工厂", 3),
    ZoneSpec((-450, 450), "白龙片区", 2),
    ZoneSpec((-400, 190), "白龙片区", 2),
    ZoneSpec((-620, -150), "白龙片区", 2),
    ZoneSpec((-90, 530), "白龙片区", 1),
    ZoneSpec((180, 540), "白龙片区", 1),
    ZoneSpec((480, 470), "白龙片区", 1),
    ZoneSpec((450, -400), "白龙片区", 2),
)
TRADE_CITY_ORDER: tuple[Coord, ...] = ((-80, 380), (170, 380), (-80, 150), (170, 150))

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛龚"
)
GIVEN = "文华明国建平志伟红英秀兰玉芳军强林敏静丽勇杰娟涛超霞刚桂荣德新春海燕成福贵珍云鹏飞雪梅"


# --------------------------------------------------------------------------------------------
# Small geometry helpers
# --------------------------------------------------------------------------------------------


def unit(angle_deg: float) -> tuple[float, float]:
    """Return the unit vector at ``angle_deg`` counter-clockwise from east."""
    a = math.radians(angle_deg)
    return math.cos(a), math.sin(a)


def rectangle(cx: float, cy: float, along: float, across: float, angle_deg: float) -> Polygon:
    """Return a rectangle centred on (cx, cy), ``along`` long in direction ``angle_deg``."""
    ux, uy = unit(angle_deg)
    vx, vy = -uy, ux
    a, b = along / 2.0, across / 2.0
    pts = [(cx + sa * a * ux + sb * b * vx, cy + sa * a * uy + sb * b * vy)
           for sa, sb in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    return Polygon(pts)


def parts(geom: shapely.Geometry) -> list[shapely.Geometry]:
    """Return the single-part pieces of a geometry, in GEOS order."""
    if geom.is_empty:
        return []
    return list(getattr(geom, "geoms", [geom]))


def segment_angle(line: LineString, distance: float) -> float:
    """Return the direction (degrees from east) of ``line`` at ``distance`` along it."""
    a = line.interpolate(max(0.0, distance - 1.0))
    b = line.interpolate(min(line.length, distance + 1.0))
    return math.degrees(math.atan2(b.y - a.y, b.x - a.x))


def wobbly_line(origin: Coord, angle_deg: float, half: float, rng: np.random.Generator,
                jitter: float, step: float = 25.0) -> LineString:
    """Return a gently wandering line through ``origin`` (an alley is never ruler-straight)."""
    ux, uy = unit(angle_deg)
    n = max(2, int(2 * half / step) + 1)
    ts = np.linspace(-half, half, n)
    offs = np.convolve(rng.normal(0.0, jitter, n + 2), np.ones(3) / 3.0, mode="valid")
    return LineString([(origin[0] + t * ux - o * uy, origin[1] + t * uy + o * ux)
                       for t, o in zip(ts, offs, strict=True)])


# --------------------------------------------------------------------------------------------
# The line network: streets, the outline ring and grid edges, with exact shared vertices
# --------------------------------------------------------------------------------------------


@dataclass
class Line:
    """A polyline in the network; ``role`` is street, outline or edge (grid partition)."""

    coords: list[Coord]
    role: str
    cls: str = ""
    name: str | None = None
    width: float = 0.0
    lit: str = Lit.UNKNOWN.value
    zone: str = ""
    _geom: LineString | None = field(default=None, repr=False)

    @property
    def geom(self) -> LineString:
        """The shapely LineString of the current coordinates (cached)."""
        if self._geom is None:
            self._geom = LineString(self.coords)
        return self._geom

    def set_coords(self, coords: list[Coord]) -> None:
        """Replace the coordinates and drop the cached geometry."""
        self.coords = coords
        self._geom = None


class Network:
    """Lines that join each other exactly: a joining end becomes a vertex of the line it meets."""

    def __init__(self, outline: Polygon) -> None:
        self.outline = outline
        self.lines: list[Line] = [Line(list(outline.exterior.coords), "outline")]

    @property
    def streets(self) -> list[Line]:
        """The lines that are streets, in insertion order."""
        return [ln for ln in self.lines if ln.role == "street"]

    def attach(self, line: Line, p: Coord) -> Coord:
        """Make ``p`` (a point on or next to ``line``) a vertex of ``line``; return the vertex.

        An existing vertex within 0.5 m is reused so no tiny segments appear.
        """
        g = line.geom
        d = g.project(Point(p))
        q = g.interpolate(d)
        best = min(line.coords, key=lambda c: (c[0] - q.x) ** 2 + (c[1] - q.y) ** 2)
        if math.hypot(best[0] - q.x, best[1] - q.y) <= 0.5:
            return best
        acc = 0.0
        cs = line.coords
        for i in range(len(cs) - 1):
            seg = math.hypot(cs[i + 1][0] - cs[i][0], cs[i + 1][1] - cs[i][1])
            if acc + seg >= d:
                qc = (q.x, q.y)
                line.set_coords(cs[: i + 1] + [qc] + cs[i + 1 :])
                return qc
            acc += seg
        return cs[-1]

    def nearest(self, p: Coord, tol: float, skip: Line | None = None,
                roles: Sequence[str] = ("street", "outline")) -> Line | None:
        """Return the line nearest to ``p`` within ``tol`` metres, or None."""
        best, best_d = None, tol
        pt = Point(p)
        for ln in self.lines:
            if ln is skip or ln.role not in roles:
                continue
            d = ln.geom.distance(pt)
            if d <= best_d:
                best, best_d = ln, d
        return best

    def add(self, coords: Sequence[Coord], role: str = "street", snap: float = 0.01,
            roles: Sequence[str] = ("street", "outline"), **attrs: object) -> list[Line]:
        """Clip a polyline to the outline, join its ends to lines within ``snap`` m, store it."""
        added = []
        for piece in parts(LineString(coords).intersection(self.outline)):
            if piece.geom_type != "LineString" or piece.length < 8.0:
                continue
            cs = [(float(x), float(y)) for x, y in piece.coords]
            new = Line(cs, role, **attrs)  # type: ignore[arg-type]  # attrs are Line fields
            for end in (0, -1):
                target = self.nearest(cs[end], snap, roles=roles)
                if target is not None:
                    cs[end] = self.attach(target, cs[end])
            new.set_coords(_dedupe(cs))
            if len(new.coords) >= 2 and new.geom.length >= 8.0:
                self.lines.append(new)
                added.append(new)
        return added

    def trim_overshoots(self, tol: float) -> None:
        """Cut street ends that run past a crossing by less than ``tol`` m (drawn overshoots)."""
        for ln in self.streets:
            for at_start in (True, False):
                end = ln.coords[0] if at_start else ln.coords[-1]
                if self.nearest(end, 1e-6, skip=ln) is not None:
                    continue
                cut = self._closest_crossing(ln, at_start, tol)
                if cut is None:
                    continue
                other, p, d = cut
                q = self.attach(other, p)
                g = ln.geom
                along = [g.project(Point(c)) for c in ln.coords]
                keep = [c for c, a in zip(ln.coords, along, strict=True)
                        if (a > d if at_start else a < d)]
                ln.set_coords(_dedupe([q] + keep if at_start else keep + [q]))

    def _closest_crossing(self, ln: Line, at_start: bool,
                          tol: float) -> tuple[Line, Coord, float] | None:
        """Return the crossing of ``ln`` nearest to one end, if within ``tol`` of that end."""
        g = ln.geom
        best: tuple[Line, Coord, float] | None = None
        for other in self.lines:
            if other is ln or other.role not in ("street", "outline"):
                continue
            for pt in parts(g.intersection(other.geom)):
                if pt.geom_type != "Point":
                    continue
                d = g.project(pt)
                off = d if at_start else g.length - d
                if 1e-6 < off <= tol and (best is None or off < (best[2] if at_start
                                                                  else g.length - best[2])):
                    best = (other, (pt.x, pt.y), d)
        return best


def _dedupe(cs: list[Coord]) -> list[Coord]:
    """Drop consecutive vertices closer than 5 cm (they would collapse when rounded)."""
    out = [cs[0]]
    for c in cs[1:]:
        if math.hypot(c[0] - out[-1][0], c[1] - out[-1][1]) > 0.05:
            out.append(c)
    if len(out) == 1 and len(cs) > 1:
        out.append(cs[-1])
    return out


# --------------------------------------------------------------------------------------------
# Grids
# --------------------------------------------------------------------------------------------


@dataclass
class Grid:
    """One management grid, in local metres."""

    number: int
    zone: str
    geom: Polygon
    staff: str = ""


def lloyd_seeds(block: Polygon, k: int, rng: np.random.Generator, rounds: int = 10) -> list[Coord]:
    """Return ``k`` well-spread seed points in ``block`` (Lloyd relaxation of random points)."""
    minx, miny, maxx, maxy = block.bounds
    seeds: list[Coord] = []
    while len(seeds) < k:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if block.contains(Point(x, y)):
            seeds.append((float(x), float(y)))
    for _ in range(rounds):
        cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=block.envelope.buffer(200),
                                         ordered=True)
        seeds = [(c.centroid.x, c.centroid.y) for c in
                 (cell.intersection(block) for cell in cells.geoms)]
    return seeds


def build_grids(net: Network, rng: np.random.Generator) -> tuple[list[Grid], dict[str, Polygon]]:
    """Cut the outline into blocks along the skeleton, and blocks into the 26 grids.

    Returns the grids (numbered: trade city 1-4, then zone by zone, north to south) and the
    blocks keyed by their label (``"x,y"`` of the ZoneSpec label).
    """
    blocks = list(polygonize(unary_union([ln.geom for ln in net.lines])))
    labelled: dict[str, Polygon] = {}
    for spec in BLOCKS:
        hits = [b for b in blocks if b.contains(Point(spec.label))]
        if len(hits) != 1:
            raise RuntimeError(f"block label {spec.label} hits {len(hits)} blocks")
        if any(hits[0].equals(b) for b in labelled.values()):
            raise RuntimeError(f"block label {spec.label} shares its block with another label")
        labelled[_key(spec.label)] = hits[0]
    if len(blocks) != len(BLOCKS):
        raise RuntimeError(f"skeleton makes {len(blocks)} blocks, expected {len(BLOCKS)}")
    seeds_of: list[tuple[str, Coord]] = []
    for spec in BLOCKS:
        block = labelled[_key(spec.label)]
        if spec.grids == 1:
            seeds_of.append((spec.zone, block.representative_point().coords[0]))
            continue
        seeds = lloyd_seeds(block, spec.grids, rng)
        seeds_of.extend((spec.zone, s) for s in seeds)
        edges = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=block.envelope.buffer(200),
                                         only_edges=True)
        for edge in parts(edges.intersection(block)):
            net.add(list(edge.coords), role="edge", snap=0.01)
    faces = list(polygonize(unary_union([ln.geom for ln in net.lines])))
    if len(faces) != 26:
        raise RuntimeError(f"partition has {len(faces)} faces, expected 26")
    grids = []
    for face in faces:
        zone, seed = next((z, s) for z, s in seeds_of if face.contains(Point(s)))
        grids.append(Grid(0, zone, shapely.orient_polygons(face), ""))
    trade = {_key(lbl): i + 1 for i, lbl in enumerate(TRADE_CITY_ORDER)}

    def order(g: Grid) -> tuple[int, float, float]:
        for k, n in trade.items():
            if g.geom.contains(Point(_unkey(k))):
                return (0, n, 0.0)
        c = g.geom.centroid
        return (ZONES_ORDER.index(g.zone), round(-c.y, 3), round(c.x, 3))

    grids.sort(key=order)
    for i, g in enumerate(grids, start=1):
        g.number = i
    return grids, labelled


def _key(p: Coord) -> str:
    return f"{p[0]:g},{p[1]:g}"


def _unkey(k: str) -> Coord:
    x, y = k.split(",")
    return float(x), float(y)


# --------------------------------------------------------------------------------------------
# Streets beyond the skeleton
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatticeSpec:
    """One family of roughly parallel streets laid across a region."""

    angle: float
    spacing: float
    cls: StreetClass
    width: tuple[float, float]
    lit: tuple[float, float, float]  # probabilities of yes, no, unknown
    keep: float = 1.0  # share of pieces kept (the rest is dropped for irregularity)
    jitter: float = 2.0


def pick_lit(rng: np.random.Generator, probs: tuple[float, float, float]) -> str:
    """Draw a Lit value with probabilities (yes, no, unknown)."""
    return str(rng.choice([Lit.YES.value, Lit.NO.value, Lit.UNKNOWN.value], p=list(probs)))


def add_lattice(net: Network, region: Polygon, zone: str, spec: LatticeSpec,
                rng: np.random.Generator, avoid: shapely.Geometry | None = None) -> None:
    """Lay one family of streets across ``region`` (minus ``avoid``), joined to what is there."""
    area = region if avoid is None else region.difference(avoid)
    c = region.centroid
    minx, miny, maxx, maxy = region.bounds
    half = math.hypot(maxx - minx, maxy - miny) / 2 + spec.spacing
    nx_, ny_ = unit(spec.angle + 90)
    off = -half + rng.uniform(0, spec.spacing)
    while off < half:
        line = wobbly_line((c.x + off * nx_, c.y + off * ny_), spec.angle, half, rng, spec.jitter)
        for piece in parts(line.intersection(area)):
            if piece.geom_type != "LineString" or piece.length < 15 or rng.random() > spec.keep:
                continue
            cls = spec.cls
            if cls == StreetClass.ALLEY and piece.length < 45 and rng.random() < 0.35:
                cls = StreetClass.STEPS
            net.add(list(piece.coords), snap=26.0, cls=cls.value, name=None,
                    width=round(float(rng.uniform(*spec.width)), 1), lit=pick_lit(rng, spec.lit),
                    zone=zone)
        off += spec.spacing * rng.uniform(0.85, 1.15)


def add_village_roads(net: Network, grid: Grid, rng: np.random.Generator) -> None:
    """Wind a village road and a couple of footpaths into a hillside grid of 白龙片区."""
    inner = grid.geom.buffer(-12)
    if inner.is_empty:
        return
    start = _nearest_street_point(net, grid.geom.representative_point())
    heading = math.degrees(math.atan2(grid.geom.centroid.y - start[1],
                                      grid.geom.centroid.x - start[0]))
    road = _random_walk(start, heading, rng, steps=int(rng.integers(6, 10)), step=30.0, turn=25.0)
    made = net.add(road, snap=14.0, cls=StreetClass.RESIDENTIAL.value,
                   name=f"白龙村道{grid.number}号", width=round(float(rng.uniform(4, 5.5)), 1),
                   lit=pick_lit(rng, (0.0, 0.5, 0.5)), zone=grid.zone)
    for ln in made:
        for frac in sorted(rng.uniform(0.25, 0.95, size=2)):
            p = ln.geom.interpolate(float(frac), normalized=True)
            side = 90 if rng.random() < 0.5 else -90
            ang = segment_angle(ln.geom, ln.geom.project(p)) + side + rng.normal(0, 15)
            walk = _random_walk((p.x, p.y), ang, rng, steps=int(rng.integers(3, 6)), step=22.0,
                                turn=30.0)
            steps_len = int(rng.integers(1, 3))
            net.add(walk[: steps_len + 1], snap=3.0, cls=StreetClass.STEPS.value, name=None,
                    width=round(float(rng.uniform(1.5, 2.5)), 1),
                    lit=pick_lit(rng, (0.0, 0.6, 0.4)), zone=grid.zone)
            net.add(walk[steps_len:], snap=3.0, cls=StreetClass.PATH.value, name=None,
                    width=round(float(rng.uniform(1.0, 1.8)), 1),
                    lit=Lit.NO.value, zone=grid.zone)


def _random_walk(start: Coord, heading: float, rng: np.random.Generator, steps: int,
                 step: float, turn: float) -> list[Coord]:
    """Return a polyline that wanders from ``start`` roughly along ``heading``."""
    pts = [start]
    h = heading
    for _ in range(steps):
        h += rng.normal(0, turn)
        ux, uy = unit(h)
        s = step * rng.uniform(0.7, 1.3)
        pts.append((pts[-1][0] + s * ux, pts[-1][1] + s * uy))
    return pts


def _nearest_street_point(net: Network, p: Point) -> Coord:
    """Return the point of the street network nearest to ``p``."""
    ln = min(net.streets, key=lambda s: s.geom.distance(p))
    q = ln.geom.interpolate(ln.geom.project(p))
    return q.x, q.y


def connect_components(net: Network) -> None:
    """Join every street component to the largest one with a short footway or steps."""
    while True:
        comps = street_components(net.streets)
        if len(comps) == 1:
            return
        main = unary_union([net.streets[i].geom for i in comps[0]])
        comp = comps[1]
        geom = unary_union([net.streets[i].geom for i in comp])
        a, b = nearest_points(geom, main)
        length = a.distance(b)
        cls = StreetClass.STEPS if length < 30 else StreetClass.FOOTWAY
        zone = net.streets[comp[0]].zone
        src = net.nearest((a.x, a.y), 1e-6)
        dst = net.nearest((b.x, b.y), 1e-6)
        if src is None or dst is None:
            raise RuntimeError("connector ends not on the network")
        pa, pb = net.attach(src, (a.x, a.y)), net.attach(dst, (b.x, b.y))
        extra = Line([pa, pb], "street", cls.value, None, 2.0, Lit.UNKNOWN.value, zone)
        net.lines.append(extra)


def street_components(streets: Sequence[Line], tol: float = 0.5) -> list[list[int]]:
    """Return groups of street indices that touch or cross (within ``tol``), largest first."""
    geoms = np.array([s.geom for s in streets])
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tol)
    g = nx.Graph()
    g.add_nodes_from(range(len(streets)))
    g.add_edges_from(zip(left.tolist(), right.tolist(), strict=True))
    comps = [sorted(c) for c in nx.connected_components(g)]
    return sorted(comps, key=lambda c: (-len(c), c[0]))


@dataclass(frozen=True)
class Core:
    """Where a compound's own streets and houses are: an ellipse, clipped to its block."""

    centre: Coord
    radii: tuple[float, float]
    angle: float
    lattice: tuple[LatticeSpec, ...]


CORES: dict[str, Core] = {
    "华景苑": Core((505, 205), (240, 150), 12, (
        LatticeSpec(12, 52, StreetClass.RESIDENTIAL, (5, 6), (1.0, 0, 0), 1.0, 3.0),
        LatticeSpec(102, 85, StreetClass.FOOTWAY, (1.5, 2.5), (0.0, 0.3, 0.7), 0.8, 3.0))),
    "三小片区": Core((-10, -215), (165, 260), -8, (
        LatticeSpec(-5, 62, StreetClass.RESIDENTIAL, (4, 5.5), (0.0, 0.4, 0.6), 1.0, 4.0),
        LatticeSpec(85, 50, StreetClass.ALLEY, (2, 3), (0.0, 0.5, 0.5), 0.85, 4.0))),
    "磷肥厂": Core((-330, -150), (170, 210), 5, (
        LatticeSpec(-8, 55, StreetClass.RESIDENTIAL, (4, 6), (0.0, 0.4, 0.6), 1.0, 3.0),
        LatticeSpec(82, 80, StreetClass.SERVICE, (3.5, 4.5), (0.0, 0.4, 0.6), 0.9, 3.0))),
    "无机化工厂": Core((400, -95), (260, 125), -3, (
        LatticeSpec(5, 55, StreetClass.RESIDENTIAL, (4, 6), (0.0, 0.4, 0.6), 1.0, 3.0),
        LatticeSpec(95, 75, StreetClass.ALLEY, (2, 3), (0.0, 0.5, 0.5), 0.9, 3.0))),
}
TRADE_ALLEYS = (LatticeSpec(0, 44, StreetClass.ALLEY, (2.0, 3.5), (0.0, 0.6, 0.4), 0.95, 3.0),
                LatticeSpec(90, 58, StreetClass.ALLEY, (2.0, 3.0), (0.0, 0.55, 0.45), 0.8, 3.0))


def core_region(core: Core) -> Polygon:
    """Return the ellipse of a compound core."""
    circle = Point(core.centre).buffer(1.0, quad_segs=16)
    ell = shapely.affinity.scale(circle, core.radii[0], core.radii[1], origin=core.centre)
    return shapely.affinity.rotate(ell, core.angle, origin=core.centre)


def build_streets(net: Network, grids: list[Grid], blocks: dict[str, Polygon],
                  rng: np.random.Generator) -> None:
    """Lay alleys, compound roads, footways and steps, then make the network connected."""
    main_buf = unary_union([s.geom.buffer(s.width / 2 + 10) for s in net.streets
                            if s.cls in (StreetClass.MAIN, StreetClass.BRANCH)])
    for i, lbl in enumerate(TRADE_CITY_ORDER):
        for spec in TRADE_ALLEYS:
            turned = dataclasses.replace(spec, angle=spec.angle + 8 + 5 * i)
            add_lattice(net, blocks[_key(lbl)], "商贸城", turned, rng, main_buf)
    campus = school_campus(grids)
    for spec in BLOCKS:
        core = CORES.get(spec.zone)
        if core is None:
            continue
        region = blocks[_key(spec.label)].intersection(core_region(core))
        avoid = main_buf if spec.zone != "三小片区" else main_buf.union(campus.buffer(6))
        for ls in core.lattice:
            add_lattice(net, region, spec.zone, ls, rng, avoid)
    for g in grids:
        if g.zone == "白龙片区":
            add_village_roads(net, g, rng)
    connect_components(net)
    split_at_crossings(net, rng)


def split_at_crossings(net: Network, rng: np.random.Generator, min_piece: float = 10.0) -> None:
    """Cut minor streets where other streets cross or join them, so each piece is one block long.

    Each cut point becomes a vertex of both lines. Pieces of alleys draw their own ``lit`` (one
    segment of an alley may have a lamp, the next not).
    """
    minor = ("alley", "residential", "service", "footway")
    for ln in list(net.streets):
        if ln.cls not in minor or ln.name:
            continue
        g = ln.geom
        cuts: list[float] = []
        for other in net.streets:
            if other is ln:
                continue
            for pt in parts(g.intersection(other.geom)):
                if pt.geom_type == "Point":
                    cuts.append(g.project(pt))
            for end in (other.coords[0], other.coords[-1]):
                if g.distance(Point(end)) < 1e-6:
                    cuts.append(g.project(Point(end)))
        kept: list[float] = []
        for d in sorted(cuts):
            inside = min_piece < d < g.length - min_piece
            if inside and (not kept or d - kept[-1] > min_piece):
                kept.append(d)
        if not kept:
            continue
        points = [g.interpolate(d) for d in kept]
        for pt in points:
            for other in net.streets:
                if other is not ln and other.geom.distance(pt) < 1e-6:
                    net.attach(other, (pt.x, pt.y))
        verts = [net.attach(ln, (p.x, p.y)) for p in points]
        pieces: list[list[Coord]] = [[]]
        for c in ln.coords:
            pieces[-1].append(c)
            if c in verts and len(pieces[-1]) > 1:
                pieces.append([c])
        pieces = [pc for pc in pieces if len(pc) >= 2]
        ln.set_coords(pieces[0])
        at = net.lines.index(ln)
        for k, pc in enumerate(pieces[1:], start=1):
            lit = ln.lit
            if ln.cls == "alley":
                lit = pick_lit(rng, (0.0, 0.6, 0.4))
            net.lines.insert(at + k, Line(pc, "street", ln.cls, ln.name, ln.width, lit, ln.zone))


SCHOOL_AT: Coord = (-70, -250)


def school_campus(grids: list[Grid]) -> Polygon:
    """Return the No.3 school campus: a walled rectangle inside one school-area grid."""
    grid = next(g for g in grids if g.geom.contains(Point(SCHOOL_AT)))
    return rectangle(*SCHOOL_AT, 130, 95, -4).intersection(grid.geom.buffer(-10))


# --------------------------------------------------------------------------------------------
# Buildings
# --------------------------------------------------------------------------------------------


@dataclass
class Building:
    """A footprint with its attributes (leader filled in later)."""

    geom: Polygon
    kind: str
    compound: str
    floors: int
    households: int
    grid: int
    name: str = ""
    order: int = 0
    source_id: str = ""
    address: str = ""
    leader_name: str | None = None
    leader_phone: str | None = None


@dataclass(frozen=True)
class HouseSpec:
    """How houses of one kind look along a street: size ranges, setback, floors."""

    kind: BuildingKind
    along: tuple[float, float]
    across: tuple[float, float]
    floors: tuple[int, int]
    setback: tuple[float, float] = (0.8, 2.5)
    gap: tuple[float, float] = (1.0, 3.0)


class Placer:
    """Places footprints that overlap no street, no other footprint and no grid boundary."""

    def __init__(self, net: Network, grids: list[Grid]) -> None:
        self.grids = grids
        self.grid_inner = [g.geom.buffer(-0.6) for g in grids]
        shapely.prepare(self.grid_inner)
        self.grid_tree = shapely.STRtree([g.geom for g in grids])
        self.street_buf = unary_union([s.geom.buffer(s.width / 2 + 0.5) for s in net.streets])
        shapely.prepare(self.street_buf)
        self.placed: list[Polygon] = []
        self._cells: dict[tuple[int, int], list[int]] = {}

    def grid_of(self, fp: Polygon) -> int | None:
        """Return the number of the one grid that holds ``fp`` with margin, else None."""
        for i in self.grid_tree.query(fp):
            if self.grid_inner[int(i)].contains(fp):
                return self.grids[int(i)].number
        return None

    def fits(self, fp: Polygon, blocked: shapely.Geometry | None = None) -> int | None:
        """Return the grid number if ``fp`` may be placed, else None."""
        if self.street_buf.intersects(fp) or (blocked is not None and blocked.intersects(fp)):
            return None
        grid = self.grid_of(fp)
        if grid is None:
            return None
        probe = fp.buffer(0.5)
        for j in self._near(fp):
            if self.placed[j].intersects(probe):
                return None
        return grid

    def _cells_of(self, fp: Polygon) -> list[tuple[int, int]]:
        minx, miny, maxx, maxy = fp.bounds
        return [(i, j) for i in range(int(minx // 25) - 1, int(maxx // 25) + 2)
                for j in range(int(miny // 25) - 1, int(maxy // 25) + 2)]

    def _near(self, fp: Polygon) -> list[int]:
        found: list[int] = []
        for cell in self._cells_of(fp):
            found.extend(self._cells.get(cell, []))
        return sorted(set(found))

    def add(self, fp: Polygon) -> None:
        """Record a placed footprint."""
        idx = len(self.placed)
        self.placed.append(fp)
        minx, miny, maxx, maxy = fp.bounds
        for i in range(int(minx // 25), int(maxx // 25) + 1):
            for j in range(int(miny // 25), int(maxy // 25) + 1):
                self._cells.setdefault((i, j), []).append(idx)


def frontage(placer: Placer, street: Line, spec: HouseSpec, rng: np.random.Generator,
             region: shapely.Geometry, blocked: shapely.Geometry | None = None
             ) -> list[tuple[Polygon, int, int]]:
    """Walk both sides of ``street`` and return fitting footprints with (grid, floors)."""
    out = []
    g = street.geom
    for side in (1, -1):
        s = float(rng.uniform(2, 8))
        while s < g.length - 3:
            along = float(rng.uniform(*spec.along))
            across = float(rng.uniform(*spec.across))
            d = s + along / 2
            if d > g.length - 2:
                break
            p = g.interpolate(d)
            ang = segment_angle(g, d)
            nx_, ny_ = unit(ang + 90 * side)
            off = street.width / 2 + float(rng.uniform(*spec.setback)) + across / 2
            fp = rectangle(p.x + off * nx_, p.y + off * ny_, along, across, ang + rng.normal(0, 2))
            if region.contains(fp):
                grid = placer.fits(fp, blocked)
                if grid is not None:
                    placer.add(fp)
                    out.append((fp, grid, int(rng.integers(spec.floors[0], spec.floors[1] + 1))))
            s += along + float(rng.uniform(*spec.gap))
    return out


HOUSES: dict[str, tuple[tuple[str, HouseSpec], ...]] = {
    "商贸城": (
        ("frontage", HouseSpec(BuildingKind.COMMERCIAL, (9, 15), (12, 18), (2, 5), gap=(0.8, 2))),
        ("alley", HouseSpec(BuildingKind.SELF_BUILT, (8, 13), (9, 14), (3, 7), (0.6, 1.5),
                            (0.8, 2.5))),
    ),
    "华景苑": (
        ("frontage", HouseSpec(BuildingKind.COMMERCIAL, (10, 16), (12, 16), (3, 6))),
        ("alley", HouseSpec(BuildingKind.RESIDENTIAL, (22, 34), (11, 13), (5, 8), (3, 6), (6, 12))),
    ),
    "三小片区": (
        ("frontage", HouseSpec(BuildingKind.SELF_BUILT, (9, 14), (11, 15), (3, 6))),
        ("alley", HouseSpec(BuildingKind.SELF_BUILT, (8, 12), (9, 13), (3, 6), gap=(1.5, 5))),
    ),
    "磷肥厂": (
        ("frontage", HouseSpec(BuildingKind.SELF_BUILT, (9, 13), (10, 14), (2, 5))),
        ("alley", HouseSpec(BuildingKind.FACTORY_COMPOUND, (30, 48), (10, 12.5), (4, 6), (3, 6),
                            (8, 16))),
    ),
    "无机化工厂": (
        ("frontage", HouseSpec(BuildingKind.SELF_BUILT, (9, 13), (10, 14), (2, 5))),
        ("alley", HouseSpec(BuildingKind.FACTORY_COMPOUND, (28, 44), (10, 12.5), (4, 6), (3, 6),
                            (8, 16))),
    ),
    "白龙片区": (
        ("frontage", HouseSpec(BuildingKind.SELF_BUILT, (9, 13), (9, 13), (2, 5), gap=(4, 12))),
        ("alley", HouseSpec(BuildingKind.SELF_BUILT, (7, 11), (7, 11), (2, 4), gap=(6, 20))),
    ),
}
TARGETS = {"商贸城": 205, "华景苑": 48, "三小片区": 56, "磷肥厂": 46, "无机化工厂": 46,
           "白龙片区": 104}
LANDMARKS: tuple[tuple[str, str, BuildingKind, Coord, float, float, int], ...] = (
    ("白龙社区服务中心", "商贸城", BuildingKind.PUBLIC, (95, 95), 30, 18, 4),
    ("白龙警务室", "商贸城", BuildingKind.PUBLIC, (-150, 240), 14, 11, 3),
    ("商贸城农贸市场", "商贸城", BuildingKind.COMMERCIAL, (170, 300), 42, 28, 2),
    ("华景苑物业用房", "华景苑", BuildingKind.PUBLIC, (430, 250), 16, 10, 2),
    ("白龙社区卫生服务站", "白龙片区", BuildingKind.PUBLIC, (-300, 120), 18, 12, 3),
)


def build_buildings(net: Network, grids: list[Grid], rng: np.random.Generator) -> list[Building]:
    """Place landmarks, school buildings and the compounds' houses; return them unsorted."""
    placer = Placer(net, grids)
    zone_of = {g.number: g.zone for g in grids}
    zone_geom = {z: unary_union([g.geom for g in grids if g.zone == z]) for z in ZONES_ORDER}
    out: list[Building] = []
    for name, zone, kind, near, along, across, floors in LANDMARKS:
        fp, grid = _place_near(placer, net, near, along, across, zone_geom[zone])
        out.append(Building(fp, kind.value, zone, floors, 0 if kind != "commercial" else 6, grid,
                            name))
    campus = school_campus(grids)
    out.extend(_school(placer, campus))
    for zone in ZONES_ORDER:
        cands: list[tuple[Polygon, int, int, str]] = []
        region = zone_geom[zone]
        streets = sorted(
            (s for s in net.streets if s.geom.intersects(region.buffer(20))),
            key=lambda s: _front_rank(s, zone),
        )
        for s in streets:
            which = "frontage" if _front_rank(s, zone) == 0 else "alley"
            spec = dict(HOUSES[zone])[which]
            blocked = campus.buffer(3) if zone == "三小片区" else None
            for fp, grid, floors in frontage(placer, s, spec, rng, region, blocked):
                if zone_of[grid] == zone:
                    cands.append((fp, grid, floors, spec.kind.value))
        have = sum(1 for b in out if b.compound == zone)
        want = TARGETS[zone] - have
        if len(cands) < want:
            raise RuntimeError(f"{zone}: room for {len(cands)} houses, want {want}")
        pick = sorted(rng.choice(len(cands), size=want, replace=False).tolist())
        for i in pick:
            fp, grid, floors, kind = cands[i]
            kind = _vary_kind(kind, zone, rng)
            out.append(Building(fp, kind, zone, floors, _households(kind, floors, rng), grid))
    return out


def _front_rank(s: Line, zone: str) -> int:
    """Main and branch roads (and village roads in 白龙片区) get frontage houses first."""
    if s.cls in (StreetClass.MAIN, StreetClass.BRANCH):
        return 0
    if zone == "白龙片区" and s.cls == StreetClass.RESIDENTIAL:
        return 0
    return 1


def _vary_kind(kind: str, zone: str, rng: np.random.Generator) -> str:
    """Mix kinds a little: some ground-floor shops in alleys, some self-built among blocks."""
    r = rng.random()
    if zone == "商贸城" and kind == BuildingKind.SELF_BUILT and r < 0.18:
        return BuildingKind.COMMERCIAL.value
    if zone == "华景苑" and kind == BuildingKind.RESIDENTIAL and r < 0.3:
        return BuildingKind.SELF_BUILT.value
    if zone == "白龙片区" and r < 0.06:
        return BuildingKind.OTHER.value
    return kind


def _households(kind: str, floors: int, rng: np.random.Generator) -> int:
    """Return a plausible number of households for a building."""
    per_floor = {"self_built": (0.6, 1.6), "commercial": (0.3, 1.0), "residential": (2.0, 4.0),
                 "factory_compound": (2.0, 4.0), "other": (0.0, 0.5)}
    return int(round(floors * rng.uniform(*per_floor.get(kind, (0.0, 0.0)))))


def _place_near(placer: Placer, net: Network, near: Coord, along: float, across: float,
                region: shapely.Geometry) -> tuple[Polygon, int]:
    """Place one footprint facing the street nearest to ``near``, as close as it fits."""
    p = Point(near)
    streets = sorted(net.streets, key=lambda s: (s.geom.distance(p), s.cls))
    for s in streets[:6]:
        d0 = s.geom.project(p)
        for dd in (0, 6, -6, 12, -12, 20, -20, 30, -30, 45, -45):
            d = min(max(d0 + dd, along / 2 + 1), s.geom.length - along / 2 - 1)
            q = s.geom.interpolate(d)
            ang = segment_angle(s.geom, d)
            for side in (1, -1):
                nx_, ny_ = unit(ang + 90 * side)
                off = s.width / 2 + 1.5 + across / 2
                fp = rectangle(q.x + off * nx_, q.y + off * ny_, along, across, ang)
                if region.contains(fp) and (grid := placer.fits(fp)) is not None:
                    placer.add(fp)
                    return fp, grid
    raise RuntimeError(f"no room for a landmark near {near}")


def _school(placer: Placer, campus: Polygon) -> list[Building]:
    """Return the school buildings of 白龙三小, laid out inside the campus."""
    c = campus.centroid
    layout = (("白龙三小教学楼A", -25, 28, 56, 14, 4),
              ("白龙三小教学楼B", -25, 2, 56, 14, 4),
              ("白龙三小综合楼", 38, 22, 22, 16, 3),
              ("白龙三小食堂", 38, -14, 24, 13, 1))
    out = []
    for name, dx, dy, along, across, floors in layout:
        fp = rectangle(c.x + dx, c.y + dy, along, across, -4)
        grid = placer.fits(fp)
        if grid is None or not campus.contains(fp):
            raise RuntimeError(f"school building {name} does not fit")
        placer.add(fp)
        out.append(Building(fp, BuildingKind.SCHOOL.value, "三小片区", floors, 0, grid, name))
    return out


def finish_buildings(buildings: list[Building], rng: np.random.Generator) -> list[Building]:
    """Sort buildings, give ids, names, addresses and building leaders."""
    def key(b: Building) -> tuple[int, int, float, float]:
        c = b.geom.centroid
        return (b.grid, ZONES_ORDER.index(b.compound), round(-c.y, 2), round(c.x, 2))

    buildings = sorted(buildings, key=key)
    counters: dict[str, int] = {}
    for i, b in enumerate(buildings, start=1):
        b.source_id = f"B{i:04d}"
        n = counters[b.compound] = counters.get(b.compound, 0) + 1
        unit_name = f"{b.compound}{n}号" if b.compound == "白龙片区" else f"{b.compound}{n}栋"
        b.name = b.name or unit_name
        b.address = f"白龙社区{unit_name}"
    assign_leaders(buildings, rng)
    return buildings


def assign_leaders(buildings: list[Building], rng: np.random.Generator) -> None:
    """Give ``N_LEADERS`` distinct leaders 1-3 neighbouring buildings each; ~5% get none."""
    homes = [i for i, b in enumerate(buildings) if b.kind in ("self_built", "commercial")]
    weights = np.array([3.0 if buildings[i].compound in ("商贸城", "白龙片区") else 1.0
                        for i in homes])
    n_none = int(round(NO_LEADER_SHARE * len(buildings)))
    none = set(rng.choice(homes, size=n_none, replace=False, p=weights / weights.sum()).tolist())
    by_grid: dict[int, list[int]] = {}
    for i, b in enumerate(buildings):
        if i not in none:
            by_grid.setdefault(b.grid, []).append(i)
    grids = sorted(by_grid)
    counts = np.array([len(by_grid[g]) for g in grids])
    lo, hi = np.ceil(counts / 3).astype(int), counts
    share = counts * N_LEADERS / counts.sum()
    alloc = np.clip(np.floor(share).astype(int), lo, hi)
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    k = 0
    while alloc.sum() != N_LEADERS:
        j = order[k % len(order)]
        step = 1 if alloc.sum() < N_LEADERS else -1
        if lo[j] <= alloc[j] + step <= hi[j]:
            alloc[j] += step
        k += 1
    names = unique_names(rng, N_LEADERS)
    leader = 0
    for g, n_lead in zip(grids, alloc.tolist(), strict=True):
        members = by_grid[g]
        sizes = np.ones(n_lead, dtype=int)
        for _ in range(len(members) - n_lead):
            free = np.flatnonzero(sizes < 3)
            sizes[rng.choice(free)] += 1
        pos = 0
        for size in sizes.tolist():
            for i in members[pos : pos + size]:
                buildings[i].leader_name = names[leader]
                buildings[i].leader_phone = f"138-0000-{leader + 1:04d}"
            pos += size
            leader += 1


def unique_names(rng: np.random.Generator, n: int, taken: Iterable[str] = ()) -> list[str]:
    """Return ``n`` distinct made-up Chinese names (surname + one or two given characters)."""
    seen = set(taken)
    out: list[str] = []
    while len(out) < n:
        k = 1 if rng.random() < 0.3 else 2
        name = SURNAMES[int(rng.integers(len(SURNAMES)))] + "".join(
            GIVEN[int(rng.integers(len(GIVEN)))] for _ in range(k))
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


# --------------------------------------------------------------------------------------------
# Lights and cameras
# --------------------------------------------------------------------------------------------


@dataclass
class Light:
    """A streetlight (point in local metres)."""

    xy: Coord
    height_m: float
    intensity_cd: int
    power_w: int
    status: str
    mount: str
    installed_on: str


@dataclass
class Camera:
    """A camera (point in local metres); heading in degrees from true north, None for a dome."""

    xy: Coord
    heading_deg: float | None
    fov_deg: int
    lens_mm: float
    range_m: int
    status: str
    installed_on: str


LENSES = {2.8: (88, 20), 4.0: (68, 30), 8.0: (37, 60)}  # lens mm -> (fov deg, observe range m)


def _date(rng: np.random.Generator, start: str, end: str) -> str:
    """Return an ISO date drawn uniformly between two ISO dates."""
    a, b = np.datetime64(start), np.datetime64(end)
    return str(a + np.timedelta64(int(rng.integers(0, int((b - a).astype(int)) + 1)), "D"))


def road_lights(net: Network, rng: np.random.Generator) -> list[Light]:
    """Poles along main roads (both sides, staggered) and lit branch/compound roads."""
    out = []
    for s in net.streets:
        if s.lit != Lit.YES or s.cls not in ("main", "branch", "residential"):
            continue
        if s.cls == "main":
            spacing, sides, h, cd, w, dates = 40.0, (1, -1), 8.0, (2400, 3000), (100, 150), (
                "2017-04-01", "2019-10-31")
        elif s.cls == "branch":
            spacing, sides, h, cd, w, dates = 40.0, (1,), 7.0, (1500, 2200), (60, 90), (
                "2019-03-01", "2022-12-31")
        elif s.zone == "华景苑":
            spacing, sides, h, cd, w, dates = 45.0, (1,), 6.0, (1000, 1500), (40, 60), (
                "2025-03-01", "2025-05-31")
        else:
            continue
        g = s.geom
        for k, side in enumerate(sides):
            d = spacing / 2 * k + float(rng.uniform(4, 10))
            while d < g.length - 4:
                p = g.interpolate(d)
                nx_, ny_ = unit(segment_angle(g, d) + 90 * side)
                off = max(s.width / 2 - 1.0, 0.8)
                status = AssetStatus.BROKEN.value if rng.random() < 0.06 else "working"
                out.append(Light((p.x + off * nx_, p.y + off * ny_),
                                 max(6.0, h + float(rng.choice([-1.0, 0.0, 0.0]))),
                                 int(rng.integers(cd[0], cd[1] + 1) // 50 * 50),
                                 int(rng.integers(w[0], w[1] + 1) // 10 * 10), status,
                                 LightMount.POLE.value, _date(rng, *dates)))
                d += spacing
    return out


def wall_point(alley: Line, d: float, footprints: shapely.STRtree,
               geoms: Sequence[Polygon]) -> Coord | None:
    """Return a spot 0.2 m off the wall of the building nearest the alley at ``d``, if close."""
    p = alley.geom.interpolate(d)
    i = footprints.nearest(p)
    b = geoms[int(i)]
    if b.distance(p) > alley.width / 2 + 4:
        return None
    q = nearest_points(b.exterior, p)[0]
    dx, dy = p.x - q.x, p.y - q.y
    n = math.hypot(dx, dy) or 1.0
    return q.x + 0.2 * dx / n, q.y + 0.2 * dy / n


def trade_city_alley_works(net: Network, buildings: list[Building],
                           rng: np.random.Generator) -> tuple[list[Light], list[Camera]]:
    """The report's lighting works: 12 wall lamps and 4 cameras in four trade-city back alleys."""
    geoms = [b.geom for b in buildings]
    tree = shapely.STRtree(geoms)
    cands: list[tuple[Line, list[Coord]]] = []
    for s in net.streets:
        if s.zone != "商贸城" or s.cls != "alley" or not 45 <= s.geom.length <= 140:
            continue
        walls = [wall_point(s, s.geom.length * k / 4, tree, geoms) for k in (1, 2, 3)]
        if all(w is not None for w in walls):
            cands.append((s, [w for w in walls if w is not None]))
    lights: list[Light] = []
    cams: list[Camera] = []
    for n, i in enumerate(sorted(rng.choice(len(cands), size=4, replace=False).tolist())):
        alley, walls = cands[i]
        alley.lit = Lit.YES.value
        for xy in walls:
            lights.append(Light(xy, float(rng.choice([3.0, 3.5, 4.0])),
                                int(rng.integers(16, 25)) * 50, int(rng.choice([20, 25, 30])),
                                "working", LightMount.WALL.value,
                                _date(rng, "2025-06-01", "2025-08-31")))
        g = alley.geom
        d = g.length * 0.1
        xy = wall_point(alley, d, tree, geoms) or _xy(g.interpolate(d))
        lens = 2.8 if n % 2 == 0 else 4.0
        fov, range_m = LENSES[lens]
        cams.append(Camera(xy, _heading(xy, _xy(g.interpolate(g.length * 0.6))), fov, lens,
                           range_m, "working", _date(rng, "2025-06-01", "2025-08-31")))
    return lights, cams


def junction_cameras(net: Network, rng: np.random.Generator) -> list[Camera]:
    """Police cameras at the main junctions: one dome where the two main roads cross."""
    by_name = {s.name: s for s in net.streets if s.name}
    pairs = (("白龙大道", "播南路"), ("白龙大道", "商贸街"), ("白龙大道", "化工路"),
             ("播南路", "三小路"), ("播南路", "商贸东路"))
    out = []
    for k, (a, b) in enumerate(pairs):
        x = by_name[a].geom.intersection(by_name[b].geom)
        x = parts(x)[0] if x.geom_type != "Point" else x
        ga = by_name[a].geom
        ang = segment_angle(ga, ga.project(x))
        ux, uy = unit(ang + 45)
        corner = (x.x + 14 * ux, x.y + 14 * uy)
        if k == 0:
            out.append(Camera(corner, None, 360, 2.8, 25, "working", "2018-06-15"))
            continue
        lens = 8.0 if k % 2 else 4.0
        fov, rng_m = LENSES[lens]
        status = AssetStatus.BROKEN.value if k == 3 else "working"
        out.append(Camera(corner, _heading(corner, (x.x, x.y)), fov, lens, rng_m, status,
                          _date(rng, "2018-01-01", "2021-12-31")))
    return out


def _xy(p: Point) -> Coord:
    return p.x, p.y


def _heading(a: Coord, b: Coord) -> float:
    """Bearing from a to b (local metres) in degrees from true north, clockwise."""
    (lon1, lon2), (lat1, lat2) = to_lonlat(np.array([a[0], b[0]]), np.array([a[1], b[1]]))
    dx = (lon2 - lon1) * math.cos(math.radians(lat1))
    dy = lat2 - lat1
    return float(round(math.degrees(math.atan2(dx, dy)) % 360, 0))


# --------------------------------------------------------------------------------------------
# Hazards
# --------------------------------------------------------------------------------------------

SLA = {"urgent": timedelta(days=1), "high": timedelta(days=3), "medium": timedelta(days=7),
       "low": timedelta(days=15)}
SEVERITY_OF = {
    "parking": ("low", "medium", "medium"), "dirty_alley": ("low", "medium", "medium"),
    "dim_lighting": ("medium", "medium", "high"), "peeling_wall": ("medium", "high", "high"),
    "leaking_drain": ("medium", "high", "high"), "fire_risk": ("high", "urgent", "urgent"),
    "dispute": ("low", "medium", "high"),
}
TEXTS = {
    "parking": ("{place}门前车辆乱停乱放，消防通道被占用",
                "{place}附近停车位不足，晚上车辆停到路中间",
                "{place}院坝被私家车占满，老人出行不便"),
    "dirty_alley": ("{place}背后小巷垃圾堆积，气味大", "{place}旁巷道污水横流、杂物乱堆",
                    "{place}附近巷子有建筑垃圾未清运"),
    "dim_lighting": ("{place}旁巷道晚上没有路灯，老人夜里出行怕摔",
                     "{place}楼道灯坏了很久，晚上一片漆黑",
                     "{place}附近台阶没有照明，下雨天容易滑倒"),
    "peeling_wall": ("{place}外墙墙皮大块脱落，下方是通道", "{place}楼道墙面起皮掉灰",
                     "{place}外墙瓷砖松动，有坠落风险"),
    "leaking_drain": ("{place}排水管道老旧漏水，墙根长期潮湿", "{place}门口化粪池外溢",
                      "{place}附近下水道堵塞，雨天积水"),
    "fire_risk": ("{place}一楼商铺电动车室内充电", "{place}楼道堆放纸箱等易燃杂物",
                  "{place}商铺私拉乱接电线"),
    "dispute": ("{place}邻里因漏水问题发生纠纷", "{place}商户与住户因噪音产生矛盾",
                "{place}住户因公共区域占用发生争执"),
}
PLAN_STATUS = (("reported", 8), ("assigned", 7), ("in_progress", 8), ("resolved", 7),
               ("revisited", 6), ("closed", 16))
PLAN_CATEGORY = (("parking", 9), ("dirty_alley", 9), ("dim_lighting", 8), ("peeling_wall", 7),
                 ("leaking_drain", 8), ("fire_risk", 6), ("dispute", 5))
LEVELS = [lv.value for lv in Level]
FLOW = ("reported", "assigned", "in_progress", "resolved", "revisited", "closed")
ACTION_TO = {"assign": "assigned", "start": "in_progress", "resolve": "resolved",
             "revisit": "revisited", "close": "closed"}
NOTES = {
    "report": "楼栋长收集上报", "assign": "网格员分派处理", "start": "已到现场处理",
    "resolve": "已处理完毕", "revisit": "回访居民", "close": "回访满意，办结",
    "escalate": "本级无法解决，上报", "reopen": "回访不满意，重新处理",
}


@dataclass
class Hazard:
    """A hazard with its closed-loop history."""

    geom: shapely.Geometry
    category: str
    description: str
    severity: str
    status: str
    level: str
    reported_at: datetime
    due_at: datetime
    reporter_name: str
    reporter_contact: str
    assignee: str | None
    history: list[dict[str, object]]


def hazard_places(net: Network, buildings: list[Building], category: str,
                  rng: np.random.Generator) -> tuple[shapely.Geometry, Building]:
    """Return a point for a hazard of ``category`` and the building it is reported from."""
    pref = {"parking": ("商贸城", "华景苑"), "dirty_alley": ("商贸城", "三小片区"),
            "dim_lighting": ("商贸城", "白龙片区"),
            "peeling_wall": ("磷肥厂", "无机化工厂", "商贸城"),
            "leaking_drain": ("磷肥厂", "无机化工厂", "华景苑"), "fire_risk": ("商贸城",),
            "dispute": ("华景苑", "商贸城", "三小片区")}[category]
    pool = [b for b in buildings if b.compound in pref and b.kind != "school"]
    if category == "fire_risk":
        pool = [b for b in pool if b.kind == "commercial"]
    b = pool[int(rng.integers(len(pool)))]
    if category in ("peeling_wall", "dispute", "fire_risk"):
        c = b.geom.centroid
        q = nearest_points(b.geom.exterior, c)[0] if category != "dispute" else c
        if category == "peeling_wall":
            v = (q.x - c.x, q.y - c.y)
            n = math.hypot(*v) or 1.0
            q = Point(q.x + 0.5 * v[0] / n, q.y + 0.5 * v[1] / n)
        return q, b
    want = {"parking": ("branch", "residential", "service"), "dirty_alley": ("alley",),
            "dim_lighting": ("alley", "steps", "path"),
            "leaking_drain": ("residential", "service", "alley")}[category]
    streets = [s for s in net.streets if s.cls in want]
    s = min(streets, key=lambda s: s.geom.distance(b.geom))
    return s.geom.interpolate(s.geom.project(b.geom.centroid)), b


def yard_polygon(buildings: list[Building], net: Network) -> Polygon:
    """Return an open yard between Huajingyuan buildings (a parking hazard drawn as an area)."""
    taken = unary_union([b.geom for b in buildings] +
                        [s.geom.buffer(s.width / 2) for s in net.streets])
    hua = [b for b in buildings if b.compound == "华景苑" and b.kind == "residential"]
    for b in hua:
        c = b.geom.centroid
        for dx, dy in ((0, 20), (0, -20), (22, 0), (-22, 0), (15, 15), (-15, -15)):
            yard = rectangle(c.x + dx, c.y + dy, 18, 12, 12)
            if not yard.intersects(taken):
                return yard
    raise RuntimeError("no open yard found in 华景苑")


def build_hazards(net: Network, buildings: list[Building], grids: list[Grid],
                  rng: np.random.Generator) -> list[Hazard]:
    """Create hazards in every status and level, with histories that match them."""
    statuses = [s for s, n in PLAN_STATUS for _ in range(n)]
    cats = [c for c, n in PLAN_CATEGORY for _ in range(n)]
    cats = [cats[i] for i in rng.permutation(len(cats)).tolist()]
    grid_tree = shapely.STRtree([g.geom for g in grids])
    staff = {g.number: g.staff for g in grids}
    residents = unique_names(rng, 40, [b.leader_name for b in buildings if b.leader_name])
    dark = [s for s in net.streets if s.zone == "商贸城" and s.cls == "alley" and s.lit == "no"
            and s.geom.length > 60]
    out = []
    open_idx = [i for i, s in enumerate(statuses) if s in ("reported", "assigned", "in_progress")]
    overdue = set(rng.choice(open_idx, size=6, replace=False).tolist())
    closed = [i for i, s in enumerate(statuses) if s == "closed"]
    reopen = set(closed[:2]) | {statuses.index("in_progress")}
    line_slots = [i for i, c in enumerate(cats) if c == "dim_lighting"][:2]
    yard_slot = next(i for i, c in enumerate(cats) if c == "parking")
    for i, (status, cat) in enumerate(zip(statuses, cats, strict=True)):
        geom, b = hazard_places(net, buildings, cat, rng)
        template = int(rng.integers(len(TEXTS[cat])))
        if i in line_slots:  # a whole dark alley, reported from the house beside it
            geom = dark.pop(int(rng.integers(len(dark)))).geom
            b, template = min(buildings, key=lambda x: x.geom.distance(geom)), 0
        if i == yard_slot:  # a yard full of parked cars, drawn as an area
            geom = yard_polygon(buildings, net)
            b, template = min(buildings, key=lambda x: x.geom.distance(geom)), 2
        grid_no = grids[int(grid_tree.query(geom.representative_point(), "intersects")[0])].number
        severity = str(rng.choice(SEVERITY_OF[cat]))
        level = _final_level(severity, rng)
        by_leader = b.leader_name is not None and rng.random() < 0.6
        reporter = b.leader_name if by_leader else residents[int(rng.integers(len(residents)))]
        contact = b.leader_phone if by_leader else f"150-0000-{int(rng.integers(1, 9999)):04d}"
        text = TEXTS[cat][template].format(place=b.name)
        out.append(_life(geom, cat, text, severity, status, level, reporter, str(contact), b,
                         staff[grid_no], i in overdue, i in reopen, rng))
    _cover_levels(out)
    return out


def _final_level(severity: str, rng: np.random.Generator) -> str:
    """Draw the level a hazard ends up at: worse problems climb higher."""
    probs = {"low": (0.7, 0.3, 0.0, 0.0), "medium": (0.45, 0.4, 0.15, 0.0),
             "high": (0.15, 0.4, 0.3, 0.15), "urgent": (0.0, 0.3, 0.4, 0.3)}[severity]
    return str(rng.choice(LEVELS, p=list(probs)))


def _cover_levels(hazards: list[Hazard]) -> None:
    """Check every status and every level occurs (the plan and seed make sure of it)."""
    seen_s = {h.status for h in hazards}
    seen_l = {h.level for h in hazards}
    missing = [s for s in HazardStatus if s not in seen_s]
    missing += [lv for lv in Level if lv not in seen_l]
    if missing:
        raise RuntimeError(f"hazards miss {missing}; change SEED or the plan")


def _life(geom: shapely.Geometry, cat: str, text: str, severity: str, status: str, level: str,
          reporter: str, contact: str, b: Building, grid_staff: str, overdue: bool, reopen: bool,
          rng: np.random.Generator) -> Hazard:
    """Build one hazard's timeline: report, escalations, assignment, work, revisit, close."""
    start_level = "building" if by_building(reporter, b) else "grid"
    if LEVELS.index(level) < LEVELS.index(start_level):
        start_level = level
    sla = SLA[severity]
    is_open = status in ("reported", "assigned", "in_progress")
    if is_open:
        frac = rng.uniform(1.3, 3.0) if overdue else rng.uniform(0.15, 0.8)
        age = sla * frac
    else:
        age = timedelta(days=float(rng.uniform(12, 80)))
    t0 = (BASE_TIME - age).replace(second=0, microsecond=0)
    t0 = t0.replace(minute=(t0.minute // 5) * 5)
    actions: list[str] = ["report"]
    climbs = LEVELS.index(level) - LEVELS.index(start_level)
    target = FLOW.index(status)
    if status == "reported":
        actions += ["escalate"] * climbs
    else:
        actions += ["assign"] + ["escalate"] * climbs
        for st in FLOW[2 : target + 1]:
            actions.append({"in_progress": "start", "resolved": "resolve", "revisited": "revisit",
                            "closed": "close"}[st])
        if reopen:
            if status == "closed":
                k = actions.index("revisit")
                actions[k + 1 : k + 1] = ["reopen", "resolve", "revisit"]
            else:
                k = actions.index("start")
                actions[k + 1 : k + 1] = ["resolve", "revisit", "reopen"]
    times = _event_times(t0, len(actions), is_open, rng)
    handler = {"building": b.leader_name or grid_staff, "grid": grid_staff,
               "community": "白龙社区居委会", "subdistrict": "播南街道综治中心"}
    history: list[dict[str, object]] = []
    st: str | None = None
    lv: str | None = None
    bad_revisit = reopen
    for action, at in zip(actions, times, strict=True):
        new_st, new_lv = st, lv
        actor = handler[lv] if lv else reporter
        sat = None
        if action == "report":
            new_st, new_lv, actor = "reported", start_level, reporter
        elif action == "escalate":
            new_lv = LEVELS[LEVELS.index(str(lv)) + 1]
        elif action == "reopen":
            new_st = "in_progress"
        else:
            new_st = ACTION_TO[action]
            if action == "assign":
                actor = grid_staff
            elif action == "revisit":
                actor = grid_staff
                sat = 2 if bad_revisit else int(rng.choice([4, 5, 5]))
                bad_revisit = False
        note = NOTES[action]
        if action == "report" and not by_building(reporter, b):
            note = "居民向楼栋长反映" if start_level == "building" else "居民向网格员反映"
        history.append({"at": _iso(at), "actor": actor, "action": action, "from_status": st,
                        "to_status": new_st, "from_level": lv, "to_level": new_lv, "note": note,
                        "satisfaction": sat})
        st, lv = new_st, new_lv
    assert st == status and lv == level, (st, status, lv, level)
    assignee = None if status == "reported" else handler[level]
    return Hazard(geom, cat, text, severity, status, level, t0, t0 + sla, reporter, contact,
                  assignee, history)


def by_building(reporter: str, b: Building) -> bool:
    """True when the reporter is the building's own leader (a building-level report)."""
    return reporter == b.leader_name


def _event_times(t0: datetime, n: int, is_open: bool, rng: np.random.Generator) -> list[datetime]:
    """Return ``n`` increasing times from ``t0``, all before ``BASE_TIME``."""
    gaps = rng.uniform(2, 40, size=n - 1)  # hours
    total = float(gaps.sum())
    room = (BASE_TIME - t0).total_seconds() / 3600 - 1
    if total > room:
        gaps = gaps * (room / total)
    times = [t0]
    for g in gaps.tolist():
        t = times[-1] + timedelta(minutes=max(5, int(g * 60) // 5 * 5))
        times.append(t)
    if times[-1] >= BASE_TIME:
        raise RuntimeError("event after base time")
    return times


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------
# Output: to lon/lat, rounded, sorted, fixed key order
# --------------------------------------------------------------------------------------------

@functools.cache
def origin() -> Coord:
    """The EPSG:4545 coordinates of CENTRE_LONLAT, rounded to whole metres."""
    x, y = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True).transform(*CENTRE_LONLAT)
    return float(round(x)), float(round(y))


@functools.cache
def _to_lonlat_transformer() -> Transformer:
    return Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres -> (lon, lat) arrays."""
    ox, oy = origin()
    lon, lat = _to_lonlat_transformer().transform(np.asarray(x, float) + ox,
                                                  np.asarray(y, float) + oy)
    return np.asarray(lon), np.asarray(lat)


def _ring(cs: Sequence[Coord]) -> list[list[float]]:
    arr = np.asarray(cs, float)
    lon, lat = to_lonlat(arr[:, 0], arr[:, 1])
    out: list[list[float]] = []
    for a, b in zip(lon.tolist(), lat.tolist(), strict=True):
        p = [round(a, DECIMALS), round(b, DECIMALS)]
        if not out or p != out[-1]:
            out.append(p)
    return out


def geojson_geometry(geom: shapely.Geometry) -> dict[str, object]:
    """Return a GeoJSON geometry in lon/lat with 7-decimal coordinates."""
    if geom.geom_type == "Point":
        return {"type": "Point", "coordinates": _ring([(geom.x, geom.y)])[0]}
    if geom.geom_type == "LineString":
        return {"type": "LineString", "coordinates": _ring(list(geom.coords))}
    if geom.geom_type == "Polygon":
        g = shapely.orient_polygons(geom)
        rings = [g.exterior] + list(g.interiors)
        return {"type": "Polygon", "coordinates": [_ring(list(r.coords)) for r in rings]}
    raise TypeError(geom.geom_type)


def feature(props: dict[str, object], geom: shapely.Geometry) -> dict[str, object]:
    """Return a GeoJSON feature (type, properties, geometry: in that order)."""
    return {"type": "Feature", "properties": props, "geometry": geojson_geometry(geom)}


def write_collection(path: Path, name: str, description: str,
                     features: Sequence[dict[str, object]]) -> None:
    """Write a FeatureCollection, one feature per line, UTF-8, no ASCII escaping."""
    head = {"type": "FeatureCollection", "name": name, "description": description}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"features":[\n'
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    text += ",\n".join(lines) + "\n]}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def grid_features(grids: list[Grid]) -> list[dict[str, object]]:
    """The grids as GeoJSON features."""
    out = []
    for g in grids:
        tc = g.zone == "商贸城"
        props = {"number": g.number,
                 "code": f"{DISTRICT_CODE}{SUBDISTRICT_CODE}{COMMUNITY_CODE}{g.number:02d}",
                 "name": f"商贸城第{g.number}网格" if tc else f"白龙社区第{g.number}网格",
                 "zone": g.zone, "party_group": f"第{g.number}网格党小组", "staff": g.staff,
                 "illustrative": True}
        out.append(feature(props, g.geom))
    return out


def building_features(buildings: list[Building]) -> list[dict[str, object]]:
    """The buildings as GeoJSON features, in source_id order."""
    return [feature({"source_id": b.source_id, "name": b.name, "address": b.address,
                     "floors": b.floors, "households": b.households, "kind": b.kind,
                     "compound": b.compound, "leader_name": b.leader_name,
                     "leader_phone": b.leader_phone, "illustrative": True}, b.geom)
            for b in buildings]


def street_features(net: Network) -> list[dict[str, object]]:
    """The streets as GeoJSON features, numbered in network order."""
    return [feature({"source_id": f"S{i:04d}", "name": s.name, "class": s.cls,
                     "width_m": s.width, "lit": s.lit}, LineString(s.coords))
            for i, s in enumerate(net.streets, start=1)]


def light_features(lights: list[Light]) -> list[dict[str, object]]:
    """The streetlights as GeoJSON features."""
    return [feature({"source_id": f"L{i:03d}", "height_m": lt.height_m,
                     "intensity_cd": lt.intensity_cd, "power_w": lt.power_w, "status": lt.status,
                     "mount": lt.mount, "installed_on": lt.installed_on}, Point(lt.xy))
            for i, lt in enumerate(lights, start=1)]


def camera_features(cams: list[Camera]) -> list[dict[str, object]]:
    """The cameras as GeoJSON features."""
    return [feature({"source_id": f"C{i:02d}", "heading_deg": c.heading_deg,
                     "fov_deg": c.fov_deg, "lens_mm": c.lens_mm, "range_m": c.range_m,
                     "status": c.status, "installed_on": c.installed_on}, Point(c.xy))
            for i, c in enumerate(cams, start=1)]


def hazard_features(hazards: list[Hazard]) -> list[dict[str, object]]:
    """The hazards as GeoJSON features, oldest report first."""
    hazards = sorted(hazards, key=lambda h: (h.reported_at, h.category, h.description))
    return [feature({"source_id": f"H{i:04d}", "category": h.category,
                     "description": h.description, "severity": h.severity, "status": h.status,
                     "level": h.level, "reported_at": _iso(h.reported_at),
                     "due_at": _iso(h.due_at), "reporter_name": h.reporter_name,
                     "reporter_contact": h.reporter_contact, "assignee": h.assignee,
                     "history": h.history}, h.geom)
            for i, h in enumerate(hazards, start=1)]


# --------------------------------------------------------------------------------------------
# Self-checks on the rounded output
# --------------------------------------------------------------------------------------------


def _shape(f: dict[str, object]) -> shapely.Geometry:
    return shape(f["geometry"])


def validate(grids: list[dict], buildings: list[dict], streets: list[dict]) -> None:
    """Raise if the rounded output breaks the sample's promises (tiling, overlaps, network)."""
    fwd = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)

    def metric(f: dict[str, object]) -> shapely.Geometry:
        return shapely.transform(_shape(f), lambda c: np.column_stack(fwd.transform(c[:, 0],
                                                                                     c[:, 1])))

    gs = [metric(f) for f in grids]
    if not all(g.is_valid for g in gs):
        raise RuntimeError("invalid grid polygon")
    union = unary_union(gs)
    if union.geom_type != "Polygon" or len(union.interiors) != 0:
        raise RuntimeError("grids do not make one polygon without holes")
    if abs(sum(g.area for g in gs) - union.area) > 1e-3:
        raise RuntimeError("grids overlap")
    bs = [metric(f) for f in buildings]
    tree = shapely.STRtree(bs)
    left, right = tree.query(bs, predicate="intersects")
    if int((left != right).sum()):
        raise RuntimeError("buildings overlap")
    if not all(union.contains(b) for b in bs):
        raise RuntimeError("a building lies outside the community")
    grid_tree = shapely.STRtree(gs)
    for f, b in zip(buildings, bs, strict=True):
        hits = [int(i) for i in grid_tree.query(b, predicate="intersects")
                if gs[int(i)].intersection(b).area > 1e-6]
        if len(hits) != 1:
            raise RuntimeError(f"{f['properties']['source_id']} is in {len(hits)} grids")
    ls = [metric(f) for f in streets]
    widths = [float(f["properties"]["width_m"]) for f in streets]
    road = unary_union([g.buffer(w / 2) for g, w in zip(ls, widths, strict=True)])
    if any(road.intersects(b) for b in bs):
        raise RuntimeError("a building overlaps a street")
    if not network_connected(ls):
        raise RuntimeError("street network is not connected")


def network_connected(lines: Sequence[LineString], snap: float = 0.5) -> bool:
    """True when lines split at crossings, with ends joined within ``snap`` m, form one graph."""
    noded = parts(shapely.node(shapely.MultiLineString([list(g.coords) for g in lines])))
    ends = np.array([c for seg in noded for c in (seg.coords[0], seg.coords[-1])])
    g = nx.Graph()
    g.add_nodes_from(range(len(ends)))
    g.add_edges_from((2 * i, 2 * i + 1) for i in range(len(noded)))
    g.add_edges_from(cKDTree(ends).query_pairs(snap))
    return nx.is_connected(g)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def generate(out: Path) -> dict[str, Path]:
    """Build every layer and write it under ``out``; return the paths written."""
    rng = np.random.default_rng(SEED)
    net = Network(Polygon(OUTLINE))
    for road in SKELETON:
        net.add(road.coords, snap=12.0, cls=road.cls.value, name=road.name, width=road.width,
                lit=road.lit.value, zone="")
    net.trim_overshoots(30.0)
    grids, blocks = build_grids(net, rng)
    for g, name in zip(grids, unique_names(rng, len(grids)), strict=True):
        g.staff = name
    for s in net.streets:
        if not s.zone:
            c = s.geom.interpolate(0.5, normalized=True)
            s.zone = next((g.zone for g in grids if g.geom.intersects(c.buffer(1))), "白龙片区")
    build_streets(net, grids, blocks, rng)
    buildings = finish_buildings(build_buildings(net, grids, rng), rng)
    lights = road_lights(net, rng)
    alley_lights, alley_cams = trade_city_alley_works(net, buildings, rng)
    cams = alley_cams + junction_cameras(net, rng)
    hazards = build_hazards(net, buildings, grids, rng)

    f_grids = grid_features(grids)
    f_buildings = building_features(buildings)
    f_streets = street_features(net)
    validate(f_grids, f_buildings, f_streets)
    desc = f"{NOTE_ZH} {NOTE_EN}"
    paths = {
        "grids": out / "data" / "grids.geojson",
        "buildings": out / "data" / "sample" / "buildings.geojson",
        "streets": out / "data" / "sample" / "streets.geojson",
        "lights": out / "data" / "sample" / "lights.geojson",
        "cameras": out / "data" / "sample" / "cameras.geojson",
        "hazards": out / "data" / "sample" / "hazards.geojson",
    }
    write_collection(paths["grids"], "白龙社区网格 (Bailong community grids)",
                     desc + " 26 grids; codes 520304 (Bozhou district) + 001 + 003 (made up) + "
                     "grid number.", f_grids)
    write_collection(paths["buildings"], "白龙社区建筑 (buildings)", desc, f_buildings)
    write_collection(paths["streets"], "白龙社区街巷 (streets and alleys)", desc, f_streets)
    write_collection(paths["lights"], "白龙社区路灯 (streetlights)",
                     desc + " L" + f"{len(lights) + 1:03d}-L{len(lights) + 12:03d}"
                     " are the report's 12 trade-city alley lamps.",
                     light_features(lights + alley_lights))
    write_collection(paths["cameras"], "白龙社区监控 (cameras)",
                     desc + " C01-C04 are the report's 4 trade-city alley cameras; range_m is the "
                     "'observe' distance (IEC 62676-4 DORI) for a 4 MP camera.",
                     camera_features(cams))
    write_collection(paths["hazards"], "白龙社区隐患 (hazards)",
                     desc + f" Times are fixed relative to {_iso(BASE_TIME)}, not the clock; "
                     "due_at = reported_at + 1/3/7/15 days for urgent/high/medium/low.",
                     hazard_features(hazards))
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1],
                        help="directory to write data/ under (default: the repository root)")
    args = parser.parse_args(argv)
    for layer, path in generate(args.out).items():
        print(f"{layer:10s} {path}")


if __name__ == "__main__":
    main()
