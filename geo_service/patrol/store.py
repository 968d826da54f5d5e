"""Every SQL statement of the patrol log: roster, streets of the walkable network, tracks, walks.

The pure parts (GPX parsing, map matching, the graph) live in :mod:`geo_service.patrol.gpx`,
:mod:`geo_service.analysis`; :mod:`geo_service.patrol.service` holds the transactions.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text


def active_member_names(conn: Connection) -> list[str]:
    """Names of the active patrol members, alphabetically."""
    return list(conn.execute(text(
        "SELECT name FROM patrol_members WHERE active ORDER BY name")).scalars())


def track_walks(conn: Connection, track_id: int) -> dict[str, Any]:
    """The streets one track walked, as a GeoJSON FeatureCollection (in walking order)."""
    rows = conn.execute(text(
        "SELECT w.id, w.street_id, s.name, s.source_id, w.walked_m, w.walked_at, "
        "ST_AsGeoJSON(w.geom, 7) AS geometry FROM patrol_walks w LEFT JOIN streets s "
        "ON s.id = w.street_id WHERE w.track_id = :track ORDER BY w.walked_at, w.id"),
        {"track": track_id}).mappings().all()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r["id"], "geometry": json.loads(r["geometry"]),
         "properties": {"street_id": r["street_id"], "name": r["name"], "ref": r["source_id"],
                        "walked_m": round(r["walked_m"], 1),
                        "walked_at": r["walked_at"].isoformat()}} for r in rows]}
