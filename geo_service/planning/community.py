"""Which community a plan is made in, and the metric CRS its figures are computed in.

Every caller that plans (the ``gaps``, ``place`` and ``route`` commands, the planning and
patrol-route APIs, the gaps collection) turns a community into a :class:`Scope` here, so the
metric CRS always comes from the ``communities`` table (``metric_epsg``), never from the
``GEO_SERVICE_METRIC_CRS`` setting, which is only the fallback of a database with no community
stored yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from geo_service.ingest.communities import CommunityInfo, choose_community, read_communities


@dataclass(frozen=True)
class Scope:
    """The community planned in (``None``: every stored street) and its metric CRS."""

    community_id: int | None
    metric_crs: str | None
    name: str | None = None


def scope_of(community: CommunityInfo | None, fallback_crs: str | None = None) -> Scope:
    """The scope of a stored community (``None``: none stored, the fallback CRS)."""
    if community is None:
        return Scope(None, fallback_crs)
    return Scope(community.id, f"EPSG:{community.metric_epsg}", community.name)


def planning_scope(conn: Connection, wanted: str | int | None, setting: str | None,
                   fallback_crs: str | None = None) -> Scope:
    """The scope of the community ``wanted`` (name, English name or id), else the only one,
    else the one the setting names; with no community stored and none asked, every street.

    Raises :class:`geo_service.ingest.communities.CommunityError` when it cannot choose.
    """
    if (wanted is None or not str(wanted).strip()) and not read_communities(conn):
        return scope_of(None, fallback_crs)
    return scope_of(choose_community(conn, wanted, setting))


def community_crs(conn: Connection, community_id: int | None,
                  fallback_crs: str | None = None) -> str | None:
    """The metric CRS of the stored community with this id (the fallback for ``None``)."""
    for community in read_communities(conn):
        if community.id == community_id:
            return f"EPSG:{community.metric_epsg}"
    return fallback_crs
