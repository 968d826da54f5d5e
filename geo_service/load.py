"""Load files into PostGIS: read and validate first, then store everything in one transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Engine

from geo_service.analysis.rota import read_roster
from geo_service.ingest import LayerData, read_layer, read_osm
from geo_service.ingest.communities import (
    CommunityInfo,
    community_for_file,
    create_community,
    find_community,
    outline_union,
    read_communities,
)
from geo_service.ingest.store import LoadSummary, store_layer
from geo_service.patrol.store import store_roster

SAMPLE_LAYERS = ("buildings", "streets", "lights", "cameras", "hazards")
# Grids first: the others are checked against the community they outline.
OSM_LAYERS = ("buildings", "streets", "lights", "cameras")


def load_file(engine: Engine, layer: str, path: Path, *, community_name: str,
              community: str | None = None, crs: str | None = None,
              encoding: str | None = None, source_layer: str | None = None,
              skip_invalid: bool = False, progress: Callable[[str], None] | None = None
              ) -> list[LoadSummary]:
    """Read, validate and store one file as LAYER (or ``osm``: all its layers at once) into
    ``community`` (created on first use), or, when none is named, into the stored community
    the file lies in (``community_name``, the setting, when there is none yet).

    Raises ``IngestError`` before anything is written when a feature is rejected (unless
    ``skip_invalid``) or the file lies far from its community; a database error rolls the
    whole load back.
    """
    with engine.connect() as conn:
        named = find_community(conn, community) if community else None
        area = named.outline if named else (None if community else
                                            outline_union(read_communities(conn)))
    if layer == "osm":
        found = read_osm(path, reference_area=area, skip_invalid=skip_invalid)
        datasets = [found[name] for name in OSM_LAYERS if name in found]
    else:
        datasets = [read_layer(path, layer, crs=crs, encoding=encoding,
                               source_layer=source_layer, reference_area=area,
                               skip_invalid=skip_invalid)]
    geometries = np.concatenate([np.asarray(d.frame.geometry.values, dtype=object)
                                 for d in datasets]) if datasets else np.empty(0, dtype=object)
    with engine.begin() as conn:
        target = community_for_file(conn, geometries, community, community_name, path.name)
        return store_all(conn, datasets, community=target, progress=progress)


def store_all(conn: Connection, datasets: list[LayerData], *, community: CommunityInfo,
              progress: Callable[[str], None] | None = None) -> list[LoadSummary]:
    """Store several layers into a community in the caller's transaction, reporting progress
    per layer."""
    summaries = []
    for data in datasets:
        if progress:
            progress(f"storing {len(data.frame)} {data.layer} from {data.source} "
                     f"into {community.name} ...")
        summaries.append(store_layer(conn, data, community))
    return summaries


def load_sample(engine: Engine, sample_dir: Path, *, community_name: str,
                progress: Callable[[str], None] | None = None) -> list[LoadSummary]:
    """Load ``grids.geojson``, ``sample/*.geojson`` and the patrol roster in one transaction
    (idempotent)."""
    grids = read_layer(sample_dir / "grids.geojson", "grids")
    area = grids.frame.geometry.union_all()
    datasets = [grids]
    for layer in SAMPLE_LAYERS:
        path = sample_dir / "sample" / f"{layer}.geojson"
        if progress:
            progress(f"reading {path.name} ...")
        datasets.append(read_layer(path, layer, reference_area=area))
    members = read_roster(sample_dir / "sample" / "roster.csv")
    with engine.begin() as conn:
        community = find_community(conn, community_name) or sample_community(
            conn, sample_dir, community_name, grids)
        summaries = store_all(conn, datasets, community=community, progress=progress)
        roster = store_roster(conn, members)
    summaries.append(LoadSummary("patrol members", "roster.csv", roster.inserted, roster.updated,
                                 roster.unchanged))
    return summaries


def sample_community(conn: Connection, sample_dir: Path, name: str, grids: LayerData
                     ) -> CommunityInfo:
    """Create the sample's community as ``sample/community.json`` describes it (English name,
    subdistrict, time zone, metric CRS) under ``name``."""
    described = json.loads((sample_dir / "sample" / "community.json").read_text("utf-8"))
    same = described["name"] == name
    return create_community(
        conn, name, np.asarray(grids.frame.geometry.values, dtype=object),
        name_en=described.get("name_en") if same else None,
        time_zone=described.get("time_zone", "Asia/Shanghai"),
        metric_epsg=described.get("metric_epsg"), subdistrict=described.get("subdistrict"))
