"""The patrol log: roster, walkable network from PostGIS, GPS tracks matched to streets, gaps.

The pure analysis lives in :mod:`geo_service.analysis` (network, matching, hotspots, rota);
``store`` holds every SQL statement, ``service`` the transactions around them.
"""

from .gaps import DEFAULT_PLANNED_PER_WEEK, PatrolGaps, patrol_gaps
from .gpx import TrackError, parse_gpx
from .hotspots import planned_from_hotspots, street_hotspots
from .log import TrackSummary, record_track
from .members import PatrolError, RosterSummary
from .network import load_network
from .store import member_id, read_events, read_streets, roster, store_roster

__all__ = [
    "DEFAULT_PLANNED_PER_WEEK",
    "PatrolError",
    "PatrolGaps",
    "RosterSummary",
    "TrackError",
    "TrackSummary",
    "load_network",
    "member_id",
    "parse_gpx",
    "patrol_gaps",
    "planned_from_hotspots",
    "read_events",
    "read_streets",
    "record_track",
    "roster",
    "store_roster",
    "street_hotspots",
]
