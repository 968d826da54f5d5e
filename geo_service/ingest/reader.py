"""``read_layer``: one file (or one layer of it) in, one validated layer out."""

from __future__ import annotations

from pathlib import Path

from shapely.geometry.base import BaseGeometry

from .crs import resolve_crs
from .osm import OSM_LAYERS, read_osm_layer
from .pipeline import LayerData, raise_if_rejected, validate
from .problems import SourceError
from .schema import LAYERS
from .sources import format_of, open_source


def read_layer(path: str | Path, layer: str, *, crs: str | None = None,
               encoding: str | None = None, source_layer: str | None = None,
               reference_area: BaseGeometry | None = None,
               skip_invalid: bool = False) -> LayerData:
    """Read ``layer`` (one of ``LAYERS``) from a GeoJSON, GeoPackage, Shapefile, GPX, CSV or OSM
    file and validate it.

    Parameters
    ----------
    crs
        The coordinates' CRS when the file has none, or to override it: ``"4326"``,
        ``"EPSG:2868"``, or ``"gcj02"`` for GCJ-02 lon/lat (converted to WGS-84).
    encoding
        Text encoding of the attributes (overrides a Shapefile's ``.cpg``).
    source_layer
        The layer to read in a multi-layer file (default: the only one, or the one named
        like ``layer``).
    reference_area
        The community (EPSG:4326); features far from it are rejected when the file lies near it.
    skip_invalid
        Drop rejected features (still listed in ``problems``) instead of raising.

    Raises
    ------
    IngestError
        When a feature is rejected (unless ``skip_invalid``); its subclasses SourceError and
        CRSError when the file cannot be read as asked.
    """
    path = Path(path)
    if layer not in LAYERS:
        raise SourceError(path.name, f"unknown layer '{layer}' (layers: {', '.join(LAYERS)})")
    if format_of(path) == "OSM":
        if layer not in OSM_LAYERS:
            raise SourceError(path.name, f"OpenStreetMap files hold {', '.join(OSM_LAYERS)}, "
                                         f"not {layer}")
        data = read_osm_layer(path, layer, reference_area=reference_area)
    else:
        source = open_source(path, layer, encoding=encoding, source_layer=source_layer)
        source_crs, note = resolve_crs(source.crs, crs, source.file)
        inferred = [source.crs_note] if source.crs_note and crs is None else []
        notes = [*source.notes, *inferred, *([note] if note else [])]
        data = validate(source.frame, layer, file=source.file, source_crs=source_crs,
                        reference_area=reference_area, notes=notes,
                        missing_reasons=source.geometry_reasons)
    raise_if_rejected(data.problems, skip_invalid)
    return data
