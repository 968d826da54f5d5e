"""The community a web request is about: its ``community`` parameter (a name, English name or
id), else the only one, else the one ``GEO_SERVICE_COMMUNITY`` names.

The choice itself is :func:`geo_service.planning.community.planning_scope`, the same one the
command line uses; this module only reads the request and turns a refusal into a bilingual 400
naming the field ``community``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from sqlalchemy import Connection

from geo_service.errors import ServiceError
from geo_service.ingest.communities import CommunityError, read_communities
from geo_service.planning.community import Scope, planning_scope

MAX_NAME = 200


def requested_community(body: dict[str, Any] | None = None) -> str | int | None:
    """The ``community`` of a JSON body (when given) or of the query string."""
    value: Any = (body or {}).get("community") if body is not None else None
    if value is None:
        value = request.args.get("community")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int) or len(str(value)) > MAX_NAME:
        raise ServiceError("api.community.bad", field="community", code="bad_community")
    return value


def request_scope(conn: Connection, body: dict[str, Any] | None = None) -> Scope:
    """The :class:`Scope` (community id and metric CRS) of this request; a 400 naming the
    stored communities when the request names none that is stored, or cannot choose."""
    settings = current_app.config["SETTINGS"]
    wanted = requested_community(body)
    try:
        return planning_scope(conn, wanted, settings.community_name, settings.metric_crs)
    except CommunityError:
        known = ", ".join(c.name for c in read_communities(conn)) or "-"
        key = "api.community.unknown" if wanted is not None else "api.community.several"
        raise ServiceError(key, field="community", code="unknown_community",
                           name=str(wanted), known=known) from None
