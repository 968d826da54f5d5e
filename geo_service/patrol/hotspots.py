"""Hotspot scores and planned walking frequencies from the hazards stored in PostGIS."""

from __future__ import annotations

from datetime import datetime

import networkx as nx
import pandas as pd
from sqlalchemy import Connection

from geo_service.analysis.hotspots import HotspotParams, hotspot_scores, weekly_frequency
from geo_service.patrol.store import read_events


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
