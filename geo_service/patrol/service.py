"""One call per patrol-log action, on an engine, for the command line and the web API.

Each opens its own transaction (reads in a connection, writes in ``engine.begin()``), so a
failed upload stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine

from geo_service.analysis.hotspots import HotspotParams, weekly_frequency
from geo_service.analysis.network import DEFAULT_MARGIN_M
from geo_service.analysis.rota import (
    Rota,
    Shift,
    Zone,
    make_rota,
    read_roster,
    zones_from_grids,
    zones_from_routes,
)
from geo_service.patrol.gaps import PatrolGaps, patrol_gaps
from geo_service.patrol.hotspots import planned_from_hotspots, street_hotspots
from geo_service.patrol.log import TrackSummary, record_track
from geo_service.patrol.members import RosterSummary
from geo_service.patrol.network import load_network
from geo_service.patrol.store import read_streets, roster, store_roster

#: The trade-city grids the patrol team walks (domain brief).
PATROL_GRIDS = (1, 2, 3, 4)


def load_roster_file(engine: Engine, path: Path) -> RosterSummary:
    """``geo-service patrol roster PATH``: store the members of a roster CSV."""
    members = read_roster(path)
    with engine.begin() as conn:
        return store_roster(conn, members)


def upload_track(engine: Engine, content: bytes, member: str, *, source_name: str,
                 grids: Sequence[int] | None = None, margin_m: float = DEFAULT_MARGIN_M,
                 walkable: Collection[str] | None = None,
                 started_at: datetime | None = None) -> TrackSummary:
    """``geo-service patrol track FILE --member NAME``: match and store a GPX track.

    The track is matched against the network of ``grids`` plus the margin (default: every
    street), in one transaction.
    """
    with engine.begin() as conn:
        network = load_network(conn, list(grids) if grids else None, margin_m,
                               walkable=walkable)
        return record_track(conn, content, member, network=network, source_name=source_name,
                            started_at=started_at)


def planned_frequency(engine: Engine, planned: str | float, *,
                      grids: Sequence[int] | None = None, base: int = 1, most: int = 7,
                      hazard_days: float | None = 365.0,
                      community_id: int | None = None) -> float | pd.Series:
    """A plan for :func:`gaps_report`: a number (walks per street and week) or
    ``"hotspots"`` (walks per week from the hotspots of the stored hazards)."""
    if planned != "hotspots":
        return float(planned)
    with engine.connect() as conn:
        network = load_network(conn, list(grids) if grids else None, DEFAULT_MARGIN_M,
                               community_id=community_id)
        return planned_from_hotspots(conn, network, base=base, max=most, days=hazard_days)


def gaps_report(engine: Engine, *, days: float = 7, grids: Sequence[int] | None = PATROL_GRIDS,
                planned: str | float = 1.0, walkable: Collection[str] | None = None,
                min_share: float = 0.5, now: datetime | None = None,
                community_id: int | None = None) -> PatrolGaps:
    """``geo-service gaps patrol``: streets not walked in ``days`` and grids below plan (of
    the community, when given)."""
    plan = planned_frequency(engine, planned, grids=grids, community_id=community_id)
    with engine.connect() as conn:
        return patrol_gaps(conn, days=days, grids=list(grids) if grids else None,
                           planned=plan, walkable=walkable, min_share=min_share, now=now,
                           community_id=community_id)


def gaps_geojson(gaps: PatrolGaps) -> str:
    """The gaps layer as GeoJSON text (times as ISO 8601, never-walked as null)."""
    frame = gaps.streets.copy()
    frame["last_walked_at"] = [None if pd.isna(t) else pd.Timestamp(t).isoformat()
                               for t in frame["last_walked_at"]]
    frame["days_since"] = [None if pd.isna(d) else round(float(d), 2)
                           for d in frame["days_since"]]
    return frame.to_json(drop_id=True, ensure_ascii=False)


def hotspot_layer(engine: Engine, *, grids: Sequence[int] | None = PATROL_GRIDS,
                  days: float | None = 365.0, params: HotspotParams | None = None,
                  base: int = 1, most: int = 7) -> gpd.GeoDataFrame:
    """``geo-service patrol hotspots``: per-street scores and walks per week (EPSG:4326)."""
    with engine.connect() as conn:
        network = load_network(conn, list(grids) if grids else None, DEFAULT_MARGIN_M)
        scores = street_hotspots(conn, network, days=days, params=params)
        streets = read_streets(conn, list(grids) if grids else None, DEFAULT_MARGIN_M)
    scores["weekly"] = weekly_frequency(scores, base=base, max=most)
    frame = streets[["id", "name", "grid", "street_class", "in_area", "geometry"]].merge(
        scores.drop(columns="length_m"), left_on="id", right_index=True)
    return gpd.GeoDataFrame(frame.rename(columns={"id": "street_id"}), geometry="geometry",
                            crs=4326)


def parse_zones(grid_groups: Sequence[str] = (), routes: int | None = None) -> list[Zone]:
    """Zones from ``--zone 1,2 --zone 3,4`` (grid groups) or ``--routes K``.

    Default: one zone per trade-city grid.
    """
    if routes:
        return zones_from_routes(routes)
    if grid_groups:
        groups = [[int(g) for g in group.replace("+", ",").split(",") if g.strip()]
                  for group in grid_groups]
        return zones_from_grids(groups)
    return zones_from_grids([[g] for g in PATROL_GRIDS])


def parse_unavailable(values: Sequence[str]) -> list[tuple[str, date] | tuple[str, date, int]]:
    """``NAME:YYYY-MM-DD`` (whole day) or ``NAME:YYYY-MM-DD:SHIFT`` (1-based shift).

    Raises ``ValueError`` naming the bad value.
    """
    found: list[tuple[str, date] | tuple[str, date, int]] = []
    for value in values:
        parts = value.rsplit(":", 2) if value.count(":") >= 2 else value.rsplit(":", 1)
        try:
            day = date.fromisoformat(parts[1])
            if len(parts) == 3:
                found.append((parts[0], day, int(parts[2]) - 1))
            else:
                found.append((parts[0], day))
        except (IndexError, ValueError):
            raise ValueError(f"unavailability {value!r}: use NAME:YYYY-MM-DD[:SHIFT]") from None
    return found


def rota_for(engine: Engine, zones: Sequence[Zone], start: date, *, weeks: int | None = None,
             shifts: Sequence[Shift] | int = 2, team_size: int = 1, max_per_week: int = 4,
             unavailable: Sequence[str] = ()) -> Rota:
    """``geo-service patrol rota``: the rota of the active members on the roster."""
    with engine.connect() as conn:
        members = roster(conn)
    if not members:
        raise ValueError("no active patrol members: load a roster first "
                         "(geo-service patrol roster data/sample/roster.csv)")
    return make_rota(members, zones, start, weeks=weeks, shifts=shifts, team_size=team_size,
                     max_per_week=max_per_week, unavailable=parse_unavailable(unavailable))


def summary_json(summary: TrackSummary) -> str:
    """A track summary for the API."""
    return json.dumps({
        "track_id": summary.track_id, "member": summary.member,
        "source_file": summary.source_file, "points": summary.points,
        "skipped_points": summary.skipped_points, "timed": summary.timed,
        "started_at": summary.started_at.isoformat(), "ended_at": summary.ended_at.isoformat(),
        "walked_km": round(summary.walked_km, 3), "covered_km": round(summary.covered_km, 3),
        "streets": summary.streets, "street_ids": summary.street_ids, "breaks": summary.breaks,
        "notes": summary.notes}, ensure_ascii=False)
