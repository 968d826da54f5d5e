"""The one GPX writer: tracks, routes and waypoints in WGS 84 as GPX 1.1 text (gpxpy).

Everything that hands a walk to a phone writes through :func:`gpx_text`: planned routes
(:mod:`geo_service.analysis.route_output`, :mod:`geo_service.patrol_routes.export`) and simulated
patrol tracks (:mod:`geo_service.patrol.simulate`). Reading GPX is :mod:`geo_service.patrol.gpx`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import gpxpy.gpx

#: ``(lon, lat)`` or ``(lon, lat, time)`` in WGS 84.
Point = tuple[float, float] | tuple[float, float, datetime | None]


@dataclass(frozen=True)
class Track:
    """One track of one segment (a walk, timed or not); ``number`` is GPX's ``<number>``."""

    name: str | None
    points: Sequence[Point]
    description: str | None = None
    number: int | None = None


@dataclass(frozen=True)
class Route:
    """A GPX route: points in order, without times (a planned walk a phone can follow)."""

    name: str | None
    points: Sequence[Point]


@dataclass(frozen=True)
class Waypoint:
    """A named point (a stop, a hazard); ``symbol`` is GPX's ``<sym>``."""

    lon: float
    lat: float
    name: str | None
    description: str | None = None
    symbol: str | None = None


def _time(point: Point) -> datetime | None:
    return point[2] if len(point) > 2 else None  # type: ignore[misc]


def gpx_text(tracks: Iterable[Track] = (), waypoints: Iterable[Waypoint] = (), *,
             routes: Iterable[Route] = (), creator: str = "geo-service",
             name: str | None = None) -> str:
    """GPX 1.1 text with these tracks (one segment each), routes and waypoints."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = creator
    if name is not None:
        gpx.name = name
    for route in routes:
        rte = gpxpy.gpx.GPXRoute(name=route.name)
        rte.points = [gpxpy.gpx.GPXRoutePoint(p[1], p[0]) for p in route.points]
        gpx.routes.append(rte)
    for track in tracks:
        trk = gpxpy.gpx.GPXTrack(name=track.name, description=track.description)
        if track.number is not None:
            trk.number = track.number
        trk.segments.append(gpxpy.gpx.GPXTrackSegment(
            [gpxpy.gpx.GPXTrackPoint(p[1], p[0], time=_time(p)) for p in track.points]))
        gpx.tracks.append(trk)
    for point in waypoints:
        gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(
            latitude=point.lat, longitude=point.lon, name=point.name,
            description=point.description, symbol=point.symbol))
    return gpx.to_xml(version="1.1")
