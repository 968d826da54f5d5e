"""Patrol gaps: streets nobody walked lately, and grids walked less often than planned.

A street counts as **walked** in the window when the walks of the last ``days`` days cover at
least ``min_share`` of its length (the union of their stretches: walking it twice does not
make up for the half nobody walked). Walks whose street was since replaced by a reload
(``street_id`` set to NULL) still count: their stored geometry is laid on today's streets
(the stretch of a street within ``reload_tolerance_m`` of it, longer than three times that).

Per grid, ``walks_per_week`` is the length-weighted frequency actually walked, i.e. street
length covered by all walks in the window (each walk counts) per street length and week;
``planned_per_week`` is the length-weighted planned frequency (a flat number, or per street
from :func:`geo_service.patrol.hotspots.planned_from_hotspots`). A grid is ``below_plan``
when it was walked less often than planned.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection

from geo_service.analysis.matching import StreetVisit, covered_lengths
from geo_service.analysis.network import walkable_classes
from geo_service.patrol import store

#: Planned walks per street and week when no plan is given.
DEFAULT_PLANNED_PER_WEEK = 1.0

GAP_COLUMNS = ["street_id", "source_id", "name", "grid", "street_class", "length_m",
               "covered_m", "share", "walks", "last_walked_at", "days_since", "planned_per_week",
               "geometry"]
GRID_COLUMNS = ["grid", "streets", "length_km", "walked_streets", "unwalked_streets",
                "covered_share", "walked_km", "walks_per_week", "planned_km",
                "planned_per_week", "ratio", "below_plan"]


@dataclass
class PatrolGaps:
    """Result of :func:`patrol_gaps`.

    Attributes
    ----------
    streets
        Streets not walked in the window (EPSG:4326), never-walked and longest-unwalked first.
    grids
        Per grid: walks against plan (see the module docstring), ``below_plan`` flagged.
    days, since
        The window.
    """

    streets: gpd.GeoDataFrame
    grids: pd.DataFrame
    days: float
    since: datetime

    def lines(self) -> list[str]:
        """Human-readable report for the command line."""
        out = [f"streets not walked in the last {self.days:g} days: {len(self.streets)} "
               f"({self.streets['length_m'].sum() / 1000:.2f} km)"]
        for row in self.grids.itertuples():
            flag = "  BELOW PLAN" if row.below_plan else ""
            out.append(f"  grid {row.grid}: {row.unwalked_streets}/{row.streets} streets not "
                       f"walked, {row.walks_per_week:.2f} walks/week against "
                       f"{row.planned_per_week:.2f} planned{flag}")
        return out


def _planned(streets: pd.DataFrame, planned: float | Mapping[int, float] | pd.Series | None
             ) -> np.ndarray:
    if planned is None:
        planned = DEFAULT_PLANNED_PER_WEEK
    if isinstance(planned, int | float):
        return np.full(len(streets), float(planned))
    lookup = dict(planned.items())
    return np.array([float(lookup.get(int(s), DEFAULT_PLANNED_PER_WEEK))
                     for s in streets["street_id"]])


def patrol_gaps(conn: Connection, *, days: float = 7, grids: Collection[int] | None = None,
                planned: float | Mapping[int, float] | pd.Series | None = None,
                walkable: Collection[str] | None = None, min_share: float = 0.5,
                now: datetime | None = None, reload_tolerance_m: float = 2.0,
                community_id: int | None = None) -> PatrolGaps:
    """Streets not walked within ``days`` and per-grid walks against the planned frequency.

    Parameters
    ----------
    conn
        Open connection.
    days
        Window length in days.
    grids
        Grid numbers (default: every grid; streets outside all grids are left out then).
    planned
        Walks per street and week: a flat number, or per street id (others get the default,
        1 a week).
    walkable
        Street classes patrolled (default all).
    min_share
        Share of a street's length the window's walks must cover for it to count as walked.
    now
        End of the window (default now).
    reload_tolerance_m
        How close a walk whose street was reloaded must lie to a street to count for it.
    community_id
        Only the streets of this community (``None``: every community).

    Returns
    -------
    PatrolGaps
        ``streets`` (the gaps layer) and ``grids`` (walks against plan).
    """
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    streets = store.patrol_streets(conn, grids, walkable_classes(walkable), community_id)
    if grids is None:
        streets = streets[streets["grid"].notna()]
    ids = [int(i) for i in streets["street_id"]]
    walks = store.walk_stretches(conn, ids, reload_tolerance_m)
    walks = walks[walks["walked_at"] <= pd.Timestamp(now)]
    recent = walks[walks["walked_at"] >= pd.Timestamp(since)]
    visits = [StreetVisit(int(r.street_id), float(r.start_m), float(r.end_m), 0.0)
              for r in recent.itertuples()]
    covered = covered_lengths(visits)
    streets = streets.assign(
        covered_m=[min(covered.get(s, 0.0), length)
                   for s, length in zip(ids, streets["length_m"], strict=True)],
        walks=streets["street_id"].map(recent.groupby("street_id").size()).fillna(0)
        .astype(int),
        last_walked_at=pd.to_datetime(
            streets["street_id"].map(walks.groupby("street_id")["walked_at"].max().to_dict()),
            utc=True),
        planned_per_week=_planned(streets, planned))
    with np.errstate(invalid="ignore", divide="ignore"):
        streets["share"] = np.where(streets["length_m"] > 0,
                                    streets["covered_m"] / streets["length_m"], 1.0)
    age = (pd.Timestamp(now) - pd.to_datetime(streets["last_walked_at"], utc=True))
    streets["days_since"] = age.dt.total_seconds() / 86400.0
    streets["walked"] = streets["share"] >= min_share
    stretch = (recent["end_m"] - recent["start_m"]).groupby(recent["street_id"]).sum()
    streets["walked_length_m"] = streets["street_id"].map(stretch).fillna(0.0)
    gaps = streets[~streets["walked"]].sort_values(
        ["days_since", "grid", "street_id"], ascending=[False, True, True], na_position="first")
    gaps = gpd.GeoDataFrame(gaps[GAP_COLUMNS], geometry="geometry", crs=4326)
    return PatrolGaps(gaps.reset_index(drop=True), _grid_table(streets, days), days, since)


def _grid_table(streets: pd.DataFrame, days: float) -> pd.DataFrame:
    weeks = days / 7.0
    rows = []
    for grid, part in streets.groupby("grid", sort=True):
        length = float(part["length_m"].sum())
        walked_m = float(part["walked_length_m"].sum())
        planned_m = float((part["planned_per_week"] * part["length_m"]).sum()) * weeks
        per_week = walked_m / length / weeks if length > 0 else 0.0
        plan_per_week = planned_m / length / weeks if length > 0 else 0.0
        rows.append({
            "grid": int(grid), "streets": len(part), "length_km": length / 1000,
            "walked_streets": int(part["walked"].sum()),
            "unwalked_streets": int((~part["walked"]).sum()),
            "covered_share": float(part["covered_m"].sum()) / length if length else 0.0,
            "walked_km": walked_m / 1000, "walks_per_week": per_week,
            "planned_km": planned_m / 1000, "planned_per_week": plan_per_week,
            "ratio": walked_m / planned_m if planned_m > 0 else np.inf,
            "below_plan": bool(walked_m < planned_m)})
    return pd.DataFrame(rows, columns=GRID_COLUMNS)
