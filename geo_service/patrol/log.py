"""Record a walked GPS track: parse the GPX, match it to the streets, store track and walks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import networkx as nx
import pyproj
import shapely
from sqlalchemy import Connection

from geo_service.analysis.matching import MatchParams, MatchResult, match_track, visit_geometry
from geo_service.ingest.store import ewkt
from geo_service.patrol import store
from geo_service.patrol.gpx import parse_gpx

#: Stretches shorter than this (metres) are not stored as walks.
MIN_WALK_M = 0.001


@dataclass
class TrackSummary:
    """What recording one track did."""

    track_id: int
    member: str
    source_file: str
    points: int
    skipped_points: int
    started_at: datetime
    ended_at: datetime
    timed: bool
    walked_km: float
    covered_km: float
    street_ids: list[int] = field(default_factory=list)
    breaks: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def streets(self) -> int:
        """Number of distinct streets walked."""
        return len(set(self.street_ids))

    def lines(self) -> list[str]:
        """Human-readable report."""
        when = (f"{self.started_at:%Y-%m-%d %H:%M}-{self.ended_at:%H:%M} UTC" if self.timed
                else f"no times in the file, dated {self.started_at:%Y-%m-%d %H:%M} UTC")
        head = (f"track {self.track_id} of {self.member} from {self.source_file}: "
                f"{self.walked_km:.2f} km walked, {self.covered_km:.2f} km of street covered, "
                f"{self.streets} streets ({when})")
        detail = f"  {self.points} points, {self.skipped_points} left out as off-street or outliers"
        if self.breaks:
            detail += f", {self.breaks} gaps not joined along the streets"
        return [head, detail, *(f"  {note}" for note in self.notes)]


def _linestring(fixes: list[tuple[float, float, datetime | None]]) -> shapely.LineString:
    """The raw track, consecutive repeated positions dropped."""
    coords = [(lon, lat) for lon, lat, _ in fixes]
    kept = [coords[0]] + [c for prev, c in zip(coords[:-1], coords[1:], strict=True) if c != prev]
    return shapely.LineString(kept)


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def record_track(conn: Connection, gpx_bytes: bytes | str, member: str | int, *,
                 network: nx.MultiGraph, source_name: str = "track.gpx",
                 params: MatchParams | None = None,
                 started_at: datetime | None = None) -> TrackSummary:
    """Parse, match and store one patrol track with the streets it walked.

    Parameters
    ----------
    conn
        Connection inside the caller's transaction (e.g. ``engine.begin()``); the track and
        its walks are written in a savepoint, all or nothing.
    gpx_bytes
        The GPX file's content (track points, or route points when there are none).
    member
        Roster name or id of who walked it.
    network
        Street graph from :func:`geo_service.patrol.network.load_network`.
    source_name
        File name, stored and used in error messages.
    params
        Map-matching settings.
    started_at
        When an untimed track (route points) was walked; default now.

    Raises
    ------
    TrackError
        Empty or unreadable GPX, or too few points (nothing is stored).
    PatrolError
        Unknown member (nothing is stored).
    """
    fixes = parse_gpx(gpx_bytes, source_name)
    who = store.member_id(conn, member)
    match: MatchResult = match_track(network, fixes, params=params)
    times = [_as_utc(t) for _, _, t in fixes if t is not None]
    timed = bool(times)
    start = min(times) if timed else _as_utc(started_at) or datetime.now(UTC)
    end = max(times) if timed else start
    to_lonlat = pyproj.Transformer.from_crs(network.graph["crs"], 4326, always_xy=True)
    notes = []
    if not match.visits:
        notes.append("no street matched: is the track inside the chosen grids' network?")
    walks = []
    for visit in match.visits:
        if visit.covered_m < MIN_WALK_M:
            continue
        geom = shapely.transform(visit_geometry(network, visit), to_lonlat.transform,
                                interleaved=False)
        walks.append({"street_id": visit.street_id,
                      "walked_at": _as_utc(visit.entered_at) or start,
                      "left_at": _as_utc(visit.left_at) or end,
                      "walked_m": visit.walked_m, "start_m": visit.start_m,
                      "end_m": visit.end_m, "geom": ewkt(geom)})
    track_id = store.insert_track(conn, {
        "member_id": who, "started_at": start, "ended_at": end, "timed": timed,
        "source_file": source_name[:255], "point_count": len(fixes),
        "walked_m": match.walked_m, "covered_m": match.total_covered_m,
        "geom": ewkt(_linestring(fixes))}, walks)
    name = member if isinstance(member, str) else str(member)
    return TrackSummary(
        track_id=track_id, member=name, source_file=source_name, points=len(fixes),
        skipped_points=len(match.skipped), started_at=start, ended_at=end, timed=timed,
        walked_km=match.walked_m / 1000, covered_km=match.total_covered_m / 1000,
        street_ids=[w["street_id"] for w in walks], breaks=match.breaks, notes=notes)
