"""Ingest: read vector files, convert them to EPSG:4326, map and validate their attributes.

The pure half of loading data (no database): ``read_layer`` and ``read_osm`` turn files into
validated ``LayerData``; ``node_streets`` turns street lines into a network.
"""

from .crs import metric_crs_for
from .gcj02 import (
    gcj02_geometries_to_wgs84,
    gcj02_to_wgs84,
    wgs84_geometries_to_gcj02,
    wgs84_to_gcj02,
)
from .noding import NodedNetwork, node_streets
from .osm import read_osm
from .pipeline import LayerData
from .problems import CRSError, IngestError, Problem, SourceError
from .reader import read_layer
from .schema import LAYERS

__all__ = [
    "LAYERS",
    "CRSError",
    "IngestError",
    "LayerData",
    "NodedNetwork",
    "Problem",
    "SourceError",
    "gcj02_geometries_to_wgs84",
    "gcj02_to_wgs84",
    "metric_crs_for",
    "node_streets",
    "read_layer",
    "read_osm",
    "wgs84_geometries_to_gcj02",
    "wgs84_to_gcj02",
]
