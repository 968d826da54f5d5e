"""Read a phone's GPX file into GPS fixes (track points, or route points when there are none)."""

from __future__ import annotations

import math

import gpxpy
import gpxpy.gpx

from geo_service.analysis.matching import Fix
from geo_service.ingest import SourceError


class TrackError(SourceError):
    """A GPX file that cannot be used as a patrol track; the message names the file."""


def parse_gpx(data: bytes | str, name: str = "track.gpx") -> list[Fix]:
    """The fixes of a GPX file: ``(lon, lat, time or None)`` in file order.

    Track points of every track and segment are used; a file with none falls back to its
    route points (a planned route saved as GPX has no times). Waypoints alone are not a track.

    Raises
    ------
    TrackError
        The file is empty, not GPX, or has fewer than two distinct usable points.
    """
    if not data or not data.strip():
        raise TrackError(name, "the file is empty")
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as error:
        raise TrackError(name, f"not a GPX file: not UTF-8 text ({error.reason})") from None
    if "<gpx" not in text:
        raise TrackError(name, "not a GPX file: no <gpx> element")
    try:
        gpx = gpxpy.parse(text)
    except (gpxpy.gpx.GPXException, ValueError) as error:
        raise TrackError(name, f"not a GPX file: {error}") from None
    points = [p for track in gpx.tracks for segment in track.segments for p in segment.points]
    kind = "track"
    if not points:
        points = [p for route in gpx.routes for p in route.points]
        kind = "route"
    if not points:
        found = f" (only {len(gpx.waypoints)} waypoints)" if gpx.waypoints else ""
        raise TrackError(name, f"no track or route points{found}")
    fixes: list[Fix] = []
    for number, point in enumerate(points, start=1):
        lon, lat = point.longitude, point.latitude
        if not (_finite(lon) and _finite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise TrackError(name, f"{kind} point {number} has no valid position "
                                   f"(lat={lat}, lon={lon})")
        fixes.append((float(lon), float(lat), point.time))
    if len({(lon, lat) for lon, lat, _ in fixes}) < 2:
        raise TrackError(name, f"needs at least two distinct {kind} points, "
                               f"has {len(fixes)} point(s) at one place")
    return fixes


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
