"""Load files into PostGIS: read and validate first, then store everything in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine

from geo_service.analysis.rota import read_roster
from geo_service.ingest import LayerData, read_layer, read_osm
from geo_service.ingest.store import LoadSummary, community_area, store_layer
from geo_service.patrol.store import store_roster

SAMPLE_LAYERS = ("buildings", "streets", "lights", "cameras", "hazards")
# Grids first: the others are checked against the community they outline.
OSM_LAYERS = ("buildings", "streets", "lights", "cameras")


def load_file(engine: Engine, layer: str, path: Path, *, community_name: str,
              crs: str | None = None, encoding: str | None = None,
              source_layer: str | None = None, skip_invalid: bool = False,
              progress: Callable[[str], None] | None = None) -> list[LoadSummary]:
    """Read, validate and store one file as LAYER (or ``osm``: all its layers at once).

    Raises ``IngestError`` before anything is written when a feature is rejected (unless
    ``skip_invalid``); a database error rolls the whole load back.
    """
    with engine.connect() as conn:
        area = community_area(conn)
    if layer == "osm":
        found = read_osm(path, reference_area=area, skip_invalid=skip_invalid)
        datasets = [found[name] for name in OSM_LAYERS if name in found]
    else:
        datasets = [read_layer(path, layer, crs=crs, encoding=encoding,
                               source_layer=source_layer, reference_area=area,
                               skip_invalid=skip_invalid)]
    with engine.begin() as conn:
        return store_all(conn, datasets, community_name=community_name, progress=progress)


def store_all(conn: Connection, datasets: list[LayerData], *, community_name: str,
              progress: Callable[[str], None] | None = None) -> list[LoadSummary]:
    """Store several layers in the caller's transaction, reporting progress per layer."""
    summaries = []
    for data in datasets:
        if progress:
            progress(f"storing {len(data.frame)} {data.layer} from {data.source} ...")
        summaries.append(store_layer(conn, data, community_name))
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
        summaries = store_all(conn, datasets, community_name=community_name, progress=progress)
        roster = store_roster(conn, members)
    summaries.append(LoadSummary("patrol members", "roster.csv", roster.inserted, roster.updated,
                                 roster.unchanged))
    return summaries
