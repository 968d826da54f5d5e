"""Patrol plan types: what a plan is asked (:class:`PlanOptions`), given (:class:`PlanInputs`)
and gives (:class:`Plan` with its :class:`RouteRecord` and :class:`StopRecord` rows)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx
import pandas as pd
from shapely.geometry import LineString, Point

from geo_service.analysis.network import DEFAULT_MARGIN_M
from geo_service.analysis.routing import (
    DEFAULT_SPEED_KMH,
)

REQUIRED_MODES = ("all", "alleys", "hazards", "hot")
POINT_MODES = ("hazards", "broken-lights")
#: Street classes that ``--required alleys`` asks for: back alleys and stairways.
ALLEY_CLASSES = frozenset({"alley", "steps"})
#: Points farther than this from every walkable street are left out (with a note).
MAX_SNAP_M = 80.0
MAX_TEAMS = 12
DAYS = 7
#: Euler tours of the one-team walk split for K teams, and how many are re-solved route by route.
TOURS, TRIED = 64, 8
WGS84 = "EPSG:4326"


class PlanError(ValueError):
    """A plan that cannot be made as asked; ``code`` names the problem for the API."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code, self.details = code, details


@dataclass(frozen=True)
class PlanOptions:
    """What to plan (the CLI's options and the API's body).

    Attributes
    ----------
    grids
        Grid numbers (empty: every street, all in the area).
    teams
        K routes (teams, or shifts) sharing the work.
    start
        ``(lon, lat)`` of the start; ``None``: the default start (the police post).
    required
        Streets to cover: ``all`` of the grids, ``alleys`` (back alleys and stairways),
        ``hazards`` (streets with an open hazard), ``hot`` (streets in a hotspot).
    points
        Visit points instead of covering streets: ``hazards`` (open) or ``broken-lights``.
    week
        The week's routes by hotspot frequency (7 days x ``shifts`` x ``teams``).
    shifts
        Shifts per day of a week plan.
    speed_kmh, margin_m
        Walking speed; margin around the grids whose streets a route may use.
    community_id, metric_crs
        The community planned in (``None``: every stored street) and its metric CRS.
    """

    grids: tuple[int, ...] = (1, 2, 3, 4)
    teams: int = 1
    start: tuple[float, float] | None = None
    required: str = "all"
    points: str | None = None
    week: bool = False
    shifts: int = 2
    speed_kmh: float = DEFAULT_SPEED_KMH
    margin_m: float = DEFAULT_MARGIN_M
    community_id: int | None = None
    metric_crs: str | None = None

    def check(self) -> None:
        """Raise :class:`PlanError` for options that do not make sense."""
        if not 1 <= self.teams <= MAX_TEAMS:
            raise PlanError("bad_teams", f"teams must be from 1 to {MAX_TEAMS}")
        if self.required not in REQUIRED_MODES:
            raise PlanError("bad_required", f"required must be one of {', '.join(REQUIRED_MODES)}")
        if self.points is not None and self.points not in POINT_MODES:
            raise PlanError("bad_points", f"points must be one of {', '.join(POINT_MODES)}")
        if self.points and self.week:
            raise PlanError("bad_combination", "a week plan covers streets; it takes no points")
        if not 1 <= self.shifts <= 4:
            raise PlanError("bad_shifts", "shifts must be from 1 to 4")
        if self.week and self.shifts * self.teams > MAX_TEAMS:
            raise PlanError("bad_teams", f"shifts x teams must be at most {MAX_TEAMS}")
        if not 1.0 <= self.speed_kmh <= 10.0:
            raise PlanError("bad_speed", "walking speed must be from 1 to 10 km/h")
        if not 0.0 <= self.margin_m <= 1000.0:
            raise PlanError("bad_margin", "margin must be from 0 to 1000 m")
        if self.start is not None:
            lon, lat = self.start
            if not (-180 <= lon <= 180 and -90 <= lat <= 90) or not all(
                    map(math.isfinite, self.start)):
                raise PlanError("bad_start", "start must be longitude,latitude in WGS 84")

    @property
    def kind(self) -> str:
        """``cover``, ``points`` or ``week``."""
        return "points" if self.points else "week" if self.week else "cover"

    def to_json(self) -> dict[str, Any]:
        """The options as stored with a plan."""
        out = asdict(self)
        out["grids"] = list(self.grids)
        out["start"] = list(self.start) if self.start else None
        return out


@dataclass(frozen=True)
class Place:
    """A point a route visits or passes: an open hazard or a broken light (EPSG:4326)."""

    kind: str
    ref_id: int
    label: str
    detail: str | None
    geometry: Point


@dataclass
class PlanInputs:
    """Everything a plan is computed from (read from PostGIS by :mod:`.store`).

    Attributes
    ----------
    graph
        Walkable graph with ``in_area`` flags (:func:`geo_service.patrol.load_network`).
    start, start_label, start_default
        The start point (EPSG:4326), what it is, and whether it is the default.
    hazards, lights
        Open hazards and broken lights in the chosen grids.
    names
        Street id -> ``(name or None, source id)`` for the turn-by-turn directions.
    frequency
        Street id -> required walks per week (week plans and ``required=hot``).
    """

    graph: nx.MultiGraph
    start: Point
    start_label: str
    start_default: bool = True
    hazards: list[Place] = field(default_factory=list)
    lights: list[Place] = field(default_factory=list)
    names: Mapping[int, tuple[str | None, str | None]] = field(default_factory=dict)
    frequency: Mapping[int, int] | None = None


@dataclass
class StopRecord:
    """A numbered stop of a route (EPSG:4326)."""

    stop: int
    kind: str
    ref_id: int | None
    label: str
    detail: str | None
    after_m: float
    geometry: Point


@dataclass
class RouteRecord:
    """One stored route: a team's (or a shift's) closed walk, in EPSG:4326.

    ``directions`` is the turn-by-turn list: per run of steps along one street ``name``,
    ``ref`` (source id), ``street_class``, ``length_m``, ``turn`` (start, straight,
    slight_left, left, slight_right, right, back), ``repeated`` (walked before) and ``stops``
    (stop numbers reached on it).
    """

    team: int
    order: int
    length_m: float
    minutes: float
    repeated_m: float
    lower_bound_m: float | None
    method: str
    geometry: LineString | None
    day: int | None = None
    shift: int | None = None
    directions: list[dict[str, Any]] = field(default_factory=list)
    streets: list[int] = field(default_factory=list)
    stops: list[StopRecord] = field(default_factory=list)

    def params(self) -> dict[str, Any]:
        """What is stored in the route's JSON column."""
        return {"directions": self.directions, "streets": self.streets}


@dataclass
class Plan:
    """A computed (and maybe stored) patrol plan."""

    kind: str
    options: PlanOptions
    routes: list[RouteRecord]
    summary: dict[str, Any]
    coverage: pd.DataFrame | None = None
    id: int | None = None
    created_at: Any = None

    def lines(self) -> list[str]:
        """The summary as the command line prints it (stderr)."""
        s = self.summary
        head = f"plan {self.id}: " if self.id is not None else ""
        out = [f"{head}{s['kind']} plan, grids {s['grids'] or 'all'}, start {s['start']['label']} "
               f"({s['start']['lon']:.6f},{s['start']['lat']:.6f})"
               + (" [default start; give --start LON,LAT to change]"
                  if s["start"]["default"] else "")]
        if s.get("required_m") is not None:
            out.append(f"required: {s['required']} - {s['required_streets']} streets, "
                       f"{s['required_m'] / 1000:.2f} km")
        if s.get("stops") is not None:
            out.append(f"stops: {s['stops']} {s['points']}")
        out.append(f"total {s['total_m'] / 1000:.2f} km, repeated {s['repeated_m'] / 1000:.2f} km, "
                   f"{s['minutes']:.0f} min walking at {s['speed_kmh']:g} km/h")
        if s.get("one_team_m") is not None:
            gap = s["one_team_m"] - s["one_team_bound_m"]
            out.append(f"one team: {s['one_team_m']:,.1f} m, lower bound "
                       f"{s['one_team_bound_m']:,.1f} m (gap {gap:,.1f} m) - "
                       f"{s['one_team_method']}")
        if s.get("teams", 1) > 1 and s.get("bound_m") is not None and self.kind != "week":
            out.append(f"{s['teams']} teams: longest {s['longest_m']:,.1f} m vs bound "
                       f"{s['bound_m']:,.1f} m = max(one-team bound / {s['teams']} = "
                       f"{s['one_team_bound_m'] / s['teams']:,.1f} m, round trip "
                       f"{s['round_trip_m']:,.1f} m); ratio {s['ratio']:.3f}")
            out.append(f"  method: {s['method']}")
        for r in self.routes:
            when = (f"day {r.day + 1} shift {r.shift} " if r.day is not None else "")
            out.append(f"  {when}team {r.team}: {r.length_m:,.1f} m, {r.minutes:.0f} min, "
                       f"repeated {r.repeated_m:,.1f} m, {len(r.streets)} streets, "
                       f"{len(r.stops)} stops")
        if self.coverage is not None:
            cov = self.coverage
            below = int((cov["times"] < cov["required"]).sum())
            out.append(f"week coverage: {len(cov)} streets, {below} walked less often than "
                       "required")
            for f, grp in cov.groupby("required"):
                out.append(f"  required {f}x/week: {len(grp)} streets, walked "
                           f"{grp['times'].min()}-{grp['times'].max()}x "
                           f"(mean {grp['times'].mean():.1f})")
        out.extend(f"note: {n}" for n in s.get("notes", []))
        return out
