"""The patrol rota: members to (day, shift, zone), rotating so everyone covers every zone.

Rotating duty, each member responsible for a zone (轮流值班、分区负责):

- The active members are dealt into ``Z`` groups, sorted by unit first, so every group mixes
  police, governance-centre and community staff.
- **Latin square**: in week ``w`` group ``g`` is responsible for zone ``(g + w) mod Z``. Over a
  cycle of ``Z`` weeks every group (so every member) is responsible for every zone once.
- Each week is an integer programme (``scipy.optimize.milp``, HiGHS): every (day, shift, zone)
  gets exactly ``team_size`` members; nobody works more than ``max_per_day`` shifts a day or
  ``max_per_week`` a week, or when unavailable; every member with any shift that week works at
  least one in the zone they are responsible for; the rest of the cost keeps members in their
  own zone and rotates day and evening shifts (member ``m`` prefers shift ``(m + day) mod K``).
- **Balance**: loads follow a water level over the cycle so far, so over the cycle the loads of
  members who were available differ by at most one shift (and within a week too when that
  fits); members with less availability get fewer shifts.

The printable weekly rota is CSV (:func:`rota_csv`) and the values of an HTML page
(:func:`rota_sheet`; Chinese by default, English with ``lang="en"``), which the command line
renders with ``templates/rota.html`` (:mod:`geo_service.cli.rota_page`).
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo_service.i18n import weekday

UNITS_EN = {"派出所": "Police station", "综治中心": "Governance centre",
            "社区服务中心": "Community service centre"}
LABELS = {
    "zh": {"title": "巡防排班表", "week": "第{n}周", "zone": "片区", "shift": "班次",
           "member": "队员", "unit": "单位", "shifts": "班数", "date": "日期",
           "weekday": "星期", "start": "开始", "end": "结束", "responsible": "负责片区",
           "cycle": "轮换周期：{n}周，每人每周负责一个片区，{n}周内轮遍所有片区。",
           "team": "每班每片区{n}人", "none": "—"},
    "en": {"title": "Patrol rota", "week": "Week {n}", "zone": "Zone", "shift": "Shift",
           "member": "Member", "unit": "Unit", "shifts": "Shifts", "date": "Date",
           "weekday": "Day", "start": "Start", "end": "End", "responsible": "Zone in charge",
           "cycle": "Cycle of {n} weeks: each member is in charge of one zone a week and of "
                    "every zone once in {n} weeks.",
           "team": "{n} per shift and zone", "none": "-"},
}


class RotaError(ValueError):
    """The rota cannot be made as asked; the message says what is short."""


@dataclass(frozen=True)
class Member:
    """A patrol team member (``phone`` is personal data)."""

    name: str
    unit: str
    phone: str | None = None
    active: bool = True


@dataclass(frozen=True)
class Shift:
    """A shift of the day."""

    name: str
    name_en: str
    start: str = ""
    end: str = ""

    def label(self, lang: str = "zh") -> str:
        """Name in the language (with times when known)."""
        name = self.name_en if lang == "en" else self.name
        return f"{name} {self.start}-{self.end}" if self.start else name


@dataclass(frozen=True)
class Zone:
    """A patrol zone: a group of grids or one of K balanced routes."""

    name: str
    name_en: str | None = None
    grids: tuple[int, ...] = ()

    def label(self, lang: str = "zh") -> str:
        """Name in the language."""
        return (self.name_en or self.name) if lang == "en" else self.name


@dataclass(frozen=True)
class Assignment:
    """One member on one shift in one zone on one day."""

    day: date
    shift: int
    zone: int
    member: str


@dataclass
class Rota:
    """A rota over ``weeks`` weeks from ``start``.

    ``home[(member, week)]`` is the zone (index) the member is responsible for that week.
    """

    start: date
    weeks: int
    members: list[Member]
    shifts: list[Shift]
    zones: list[Zone]
    team_size: int
    assignments: list[Assignment] = field(default_factory=list)
    home: dict[tuple[str, int], int] = field(default_factory=dict)

    def week_of(self, day: date) -> int:
        """Week number (0-based) of a day of the rota."""
        return (day - self.start).days // 7

    def load(self, week: int | None = None) -> dict[str, int]:
        """Shifts per member (in one week, or over the whole rota)."""
        counts = Counter(a.member for a in self.assignments
                         if week is None or self.week_of(a.day) == week)
        return {m.name: counts.get(m.name, 0) for m in self.members}

    def zones_covered(self) -> dict[str, set[int]]:
        """Zones each member patrols at least once over the rota."""
        covered: dict[str, set[int]] = {m.name: set() for m in self.members}
        for a in self.assignments:
            covered[a.member].add(a.zone)
        return covered

    def at(self, day: date, shift: int, zone: int) -> list[str]:
        """Members on a shift in a zone on a day."""
        return sorted(a.member for a in self.assignments
                      if a.day == day and a.shift == shift and a.zone == zone)


# -- roster ------------------------------------------------------------------------------------
ROSTER_COLUMNS = {"name": ("name", "姓名"), "unit": ("unit", "单位"),
                  "phone": ("phone", "电话", "手机"), "active": ("active", "在岗")}


def read_roster(path: Path | str) -> list[Member]:
    """Members from a CSV with ``name``, ``unit`` and optional ``phone``, ``active``.

    Chinese headers (姓名, 单位, 电话, 在岗) work too; ``active`` is false for
    ``0/false/no/否``. Raises ``ValueError`` naming the file when a column or name is missing.
    """
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    headers = {h.strip() for h in (rows[0].keys() if rows else [])}
    found = {key: next((h for h in names if h in headers), None)
             for key, names in ROSTER_COLUMNS.items()}
    for key in ("name", "unit"):
        if found[key] is None:
            raise ValueError(f"{path.name}: no '{key}' column (have: {', '.join(headers)})")
    members = []
    for number, row in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        name = row[found["name"]]
        if not name:
            raise ValueError(f"{path.name} line {number}: empty name")
        active = row.get(found["active"] or "", "").lower() not in ("0", "false", "no", "否")
        members.append(Member(name, row[found["unit"]], row.get(found["phone"] or "") or None,
                              active))
    names = Counter(m.name for m in members)
    twice = sorted(n for n, c in names.items() if c > 1)
    if twice:
        raise ValueError(f"{path.name}: names listed twice: {', '.join(twice)}")
    return members


# -- zones and shifts --------------------------------------------------------------------------
def default_shifts(count: int = 2) -> list[Shift]:
    """Day and evening shifts for two; numbered shifts otherwise."""
    if count == 2:
        return [Shift("日间", "Day", "09:00", "17:00"), Shift("夜间", "Evening", "18:00", "22:00")]
    return [Shift(f"第{k}班", f"Shift {k}") for k in range(1, count + 1)]


def zones_from_grids(groups: Sequence[Sequence[int]]) -> list[Zone]:
    """One zone per group of grid numbers, e.g. ``[[1], [2], [3, 4]]``."""
    zones = []
    for group in groups:
        numbers = tuple(int(g) for g in group)
        text = "+".join(map(str, numbers))
        zones.append(Zone(f"{text}号网格", f"Grid {text}", numbers))
    return zones


def zones_from_routes(count: int) -> list[Zone]:
    """One zone per balanced route (team), numbered from 1."""
    return [Zone(f"路线{k}", f"Route {k}") for k in range(1, count + 1)]


# -- planning ----------------------------------------------------------------------------------
def groups_of(members: Sequence[Member], zones: int) -> dict[str, int]:
    """Deal members into ``zones`` groups, sorted by unit then name, so units mix."""
    ordered = sorted(members, key=lambda m: (m.unit, m.name))
    return {m.name: k % zones for k, m in enumerate(ordered)}


def water_level(done: np.ndarray, capacity: np.ndarray, demand: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on this week's shifts per member that keep cumulative loads level.

    The level ``L`` solves ``sum(clip(L - done, 0, capacity)) = demand``; each member gets
    between ``floor(L) - done`` and ``ceil(L) - done`` (clipped to ``[0, capacity]``).
    """
    if demand > capacity.sum():
        raise RotaError(f"the week needs {demand} member-shifts but the available members "
                        f"can work at most {int(capacity.sum())}: raise the weekly maximum, "
                        "shrink the teams or add members")
    lo, hi = float(done.min()), float((done + capacity).max())
    for _ in range(100):
        level = (lo + hi) / 2
        if np.clip(level - done, 0, capacity).sum() < demand:
            lo = level
        else:
            hi = level
    level = hi
    low = np.clip(np.floor(level + 1e-9) - done, 0, capacity)
    high = np.clip(np.ceil(level - 1e-9) - done, 0, capacity)
    return low.astype(int), high.astype(int)


def _week(members: list[Member], week_days: list[date], shifts: int, zones: int,
          team_size: int, home: dict[str, int], low: np.ndarray, high: np.ndarray,
          max_per_day: int, off: set[tuple[str, date, int | None]]) -> list[Assignment]:
    """Solve one week's assignment as an integer programme."""
    variables = [(m, d, s, z) for m, member in enumerate(members)
                 for d, day in enumerate(week_days) for s in range(shifts) for z in range(zones)
                 if (member.name, day, None) not in off and (member.name, day, s) not in off]
    for d, day in enumerate(week_days):
        for s in range(shifts):
            free = {m for m, dd, ss, _ in variables if dd == d and ss == s}
            if len(free) < zones * team_size:
                raise RotaError(f"{day.isoformat()} shift {s + 1}: {len(free)} members "
                                f"available, {zones * team_size} needed")
    count = len(variables)
    cost = np.array([(0.0 if z == home[members[m].name] else 1.0)
                     + (0.0 if s == (m + d) % shifts else 0.01)
                     for m, d, s, z in variables])
    rows: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []

    def add(selected: Iterable[int], lo: float, hi: float) -> None:
        picked = np.fromiter(selected, dtype=np.int64)
        line = np.zeros(count)
        line[picked] = 1.0
        rows.append(line)
        lower.append(lo)
        upper.append(hi)

    by_slot = defaultdict(list)
    by_day = defaultdict(list)
    by_member = defaultdict(list)
    at_home = defaultdict(list)
    for v, (m, d, s, z) in enumerate(variables):
        by_slot[d, s, z].append(v)
        by_day[m, d].append(v)
        by_member[m].append(v)
        if z == home[members[m].name]:
            at_home[m].append(v)
    for chosen in by_slot.values():
        add(chosen, team_size, team_size)
    for chosen in by_day.values():
        add(chosen, 0, max_per_day)
    for m in range(len(members)):
        add(by_member[m], low[m], high[m])
        if low[m] >= 1:
            add(at_home[m], 1, np.inf)
    matrix = sparse.csr_array(np.vstack(rows))
    result = milp(cost, constraints=LinearConstraint(matrix, lower, upper),
                  integrality=np.ones(count), bounds=Bounds(0, 1),
                  options={"time_limit": 30.0})
    if result.x is None:
        raise RotaError(f"no rota for the week of {week_days[0].isoformat()}: {result.message}")
    return [Assignment(week_days[d], s, z, members[m].name)
            for v, (m, d, s, z) in enumerate(variables) if result.x[v] > 0.5]


def make_rota(members: Sequence[Member], zones: Sequence[Zone | str], start: date, *,
              weeks: int | None = None, shifts: Sequence[Shift] | int = 2, team_size: int = 1,
              max_per_week: int = 4, max_per_day: int = 1,
              unavailable: Iterable[tuple[str, date] | tuple[str, date, int]] = ()) -> Rota:
    """Plan the rota.

    Parameters
    ----------
    members
        The roster; inactive members are left out.
    zones
        Zones (``Zone`` or plain names), e.g. from :func:`zones_from_grids`.
    start
        First day (a Monday prints best).
    weeks
        Length; default one full rotation cycle (as many weeks as zones).
    shifts
        Shifts of the day, or how many (default day and evening).
    team_size
        Members per shift and zone.
    max_per_week, max_per_day
        Most shifts a member works in a week and in a day.
    unavailable
        ``(name, day)`` for a whole day off, ``(name, day, shift index)`` for one shift.

    Raises
    ------
    RotaError
        When the members cannot fill the shifts under these rules.
    """
    active = [m for m in members if m.active]
    zone_list = [z if isinstance(z, Zone) else Zone(str(z)) for z in zones]
    shift_list = default_shifts(shifts) if isinstance(shifts, int) else list(shifts)
    if not active or not zone_list or not shift_list:
        raise RotaError("need at least one active member, one zone and one shift")
    weeks = weeks or len(zone_list)
    off = {(u[0], u[1], u[2] if len(u) > 2 else None) for u in unavailable}  # type: ignore[misc]
    group = groups_of(active, len(zone_list))
    rota = Rota(start, weeks, active, shift_list, zone_list, team_size)
    done = np.zeros(len(active))
    demand = 7 * len(shift_list) * len(zone_list) * team_size
    for week in range(weeks):
        days = [start + timedelta(days=7 * week + d) for d in range(7)]
        home = {m.name: (group[m.name] + week) % len(zone_list) for m in active}
        rota.home.update({(name, week): zone for name, zone in home.items()})
        capacity = np.array([min(max_per_week, max_per_day * sum(
            (m.name, day, None) not in off and any((m.name, day, s) not in off
                                                  for s in range(len(shift_list)))
            for day in days)) for m in active])
        low, high = water_level(done, capacity, demand)
        week_low, week_high = water_level(np.zeros(len(active)), capacity, demand)
        both_low, both_high = np.maximum(low, week_low), np.minimum(high, week_high)
        if (both_low <= both_high).all() and both_low.sum() <= demand <= both_high.sum():
            low, high = both_low, both_high  # level this week too, when the cycle allows
        found = _week(active, days, len(shift_list), len(zone_list), team_size, home,
                      low, high, max_per_day, off)
        rota.assignments.extend(found)
        load = Counter(a.member for a in found)
        done += np.array([load.get(m.name, 0) for m in active])
    rota.assignments.sort(key=lambda a: (a.day, a.shift, a.zone, a.member))
    return rota


# -- output ------------------------------------------------------------------------------------
def rota_csv(rota: Rota, lang: str = "zh") -> str:
    """The rota as CSV text, one row per member and shift (write it as ``utf-8-sig`` for Excel).

    Columns: date, weekday, shift, start, end, zone, member, unit (headers in ``lang``).
    """
    lang = "en" if lang == "en" else "zh"
    words = LABELS[lang]
    units = {m.name: m.unit for m in rota.members}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([words[k] for k in ("date", "weekday", "shift", "start", "end", "zone",
                                         "member", "unit")])
    for a in rota.assignments:
        shift = rota.shifts[a.shift]
        unit = units[a.member]
        writer.writerow([a.day.isoformat(), weekday(a.day.weekday(), lang, short=True),
                         shift.name_en if lang == "en" else shift.name, shift.start, shift.end,
                         rota.zones[a.zone].label(lang), a.member,
                         UNITS_EN.get(unit, unit) if lang == "en" else unit])
    return out.getvalue()


def rota_sheet(rota: Rota, lang: str = "zh", weeks: Sequence[int] | None = None
               ) -> dict[str, object]:
    """What the printable rota shows for ``weeks`` (0-based; default all), as plain values.

    Per week a table of zones and shifts by day, then each member's zone in charge per week
    and number of shifts in those weeks. The caller renders it (``templates/rota.html``).
    """
    lang = "en" if lang == "en" else "zh"
    words = LABELS[lang]
    weeks = list(range(rota.weeks) if weeks is None else weeks)
    tables = []
    for week in weeks:
        days = [rota.start + timedelta(days=7 * week + d) for d in range(7)]
        rows = [{"zone": zone.label(lang), "shift": shift.label(lang),
                 "cells": [rota.at(day, s, z) for day in days]}
                for z, zone in enumerate(rota.zones) for s, shift in enumerate(rota.shifts)]
        tables.append({"title": words["week"].format(n=week + 1),
                       "days": [(day.isoformat(), weekday(day.weekday(), lang, short=True))
                                for day in days],
                       "rows": rows})
    loads = [rota.load(w) for w in weeks]
    people = [{"name": m.name, "unit": UNITS_EN.get(m.unit, m.unit) if lang == "en" else m.unit,
               "zones": [rota.zones[rota.home[(m.name, w)]].label(lang) for w in weeks],
               "shifts": sum(load[m.name] for load in loads)} for m in rota.members]
    first, last = (min(weeks), max(weeks)) if weeks else (0, rota.weeks - 1)
    return {"lang": lang, "words": words, "tables": tables, "people": people,
            "weeks": [words["week"].format(n=w + 1) for w in weeks],
            "cycle": words["cycle"].format(n=len(rota.zones)),
            "team": words["team"].format(n=rota.team_size),
            "start": (rota.start + timedelta(days=7 * first)).isoformat(),
            "end": (rota.start + timedelta(days=7 * last + 6)).isoformat()}
