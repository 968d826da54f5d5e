"""Where a report may land: inside a community's outline, or within a small margin of it.

Every report (JSON API, the report page, Open311) passes :func:`refuse_outside` in
:func:`geo_service.hazards.service.submit_report` before anything is stored. A place farther
than the margin (``GEO_SERVICE_REPORT_MARGIN_M``, 500 m by default) from every community's
outline is refused with :class:`~geo_service.hazards.errors.InvalidInput` on the field
``location`` (422; Open311 answers it in its error body, the page shows the form again), its
message naming the nearest community and the distance to it. A place inside (or near) a
community but in no grid is stored and belongs to that community (the ``community_at``
database function gives it the nearest one), so that community's staff see it.

With no community outline stored yet (an empty database) every place is taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from geo_service.hazards.errors import InvalidInput

FIELD = "location"

NEAREST = text("""
    SELECT id, name, ST_Distance(outline::geography, ST_GeomFromText(:place, 4326)::geography)
           AS distance_m
    FROM communities WHERE outline IS NOT NULL
    ORDER BY distance_m, id LIMIT 1""")


@dataclass(frozen=True)
class Landing:
    """The community nearest a place and how far the place lies outside its outline."""

    community_id: int
    community: str
    distance_m: float


def nearest_community(conn: Connection, place: BaseGeometry) -> Landing | None:
    """The community whose outline is nearest ``place`` (lon/lat), 0 m when inside; ``None``
    when no community has an outline."""
    row = conn.execute(NEAREST, {"place": shapely.to_wkt(place, rounding_precision=-1)}).first()
    if row is None:
        return None
    return Landing(int(row.id), row.name, float(row.distance_m))


def refuse_outside(conn: Connection, place: BaseGeometry | None, margin_m: float
                   ) -> Landing | None:
    """The landing of a report at ``place``; :class:`InvalidInput` (field ``location``) when
    it lies more than ``margin_m`` outside every community. ``None`` when there is nothing to
    check (no place given, or no community outline stored)."""
    if place is None or place.is_empty:
        return None
    landing = nearest_community(conn, place)
    if landing is not None and landing.distance_m > margin_m:
        raise InvalidInput(FIELD, "hz.outside_communities", community=landing.community,
                           distance_km=f"{landing.distance_m / 1000:,.1f}",
                           margin_m=f"{margin_m:,.0f}")
    return landing
