"""Hotspot scores and planned walking frequencies from the hazards stored in PostGIS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import geopandas as gpd
import networkx as nx
import pandas as pd
from sqlalchemy import Connection, text

from geo_service.analysis.hotspots import HotspotParams, hotspot_scores, weekly_frequency


def read_events(conn: Connection, *, days: float | None = 365.0,
                now: datetime | None = None) -> gpd.GeoDataFrame:
    """Hazards and disputes reported within ``days`` (all when ``None``), any status.

    Resolved and closed ones count too: they show where trouble happens.
    """
    where, params = "", {}
    if days is not None:
        where = "WHERE reported_at >= :since"
        params = {"since": (now or datetime.now(UTC)) - timedelta(days=days)}
    return gpd.read_postgis(
        text(f"SELECT id, category, severity, status, reported_at, geom FROM hazards {where} "
             "ORDER BY id"), conn, geom_col="geom", params=params).rename_geometry("geometry")


def street_hotspots(conn: Connection, network: nx.MultiGraph, *, days: float | None = 365.0,
                    params: HotspotParams | None = None,
                    now: datetime | None = None) -> pd.DataFrame:
    """:func:`~geo_service.analysis.hotspots.hotspot_scores` of the stored hazards."""
    return hotspot_scores(network, read_events(conn, days=days, now=now), params)


def planned_from_hotspots(conn: Connection, network: nx.MultiGraph, *, base: int = 1,
                          max: int = 7, method: str = "gi",  # noqa: A002
                          days: float | None = 365.0, params: HotspotParams | None = None,
                          now: datetime | None = None) -> pd.Series:
    """Required walks per week per street id, from the hotspots of the stored hazards."""
    scores = street_hotspots(conn, network, days=days, params=params, now=now)
    return weekly_frequency(scores, base=base, max=max, method=method)
