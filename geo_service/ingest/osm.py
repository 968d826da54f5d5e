"""``read_osm``: buildings, streets, lights and cameras from an OpenStreetMap .osm or .pbf file.

GDAL's OSM driver (through pyogrio) gives the layers ``points`` (nodes), ``lines`` (ways) and
``multipolygons`` (closed ways and relations); tags it has no column for are in ``other_tags``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
from shapely.geometry.base import BaseGeometry

from . import osm_tags
from .crs import WGS84, SourceCRS
from .pipeline import LayerData, canonical_names, raise_if_rejected, validate
from .problems import Problem, SourceError
from .sources import format_of, read_noting_warnings
from .values import is_blank

OSM_LAYERS = ("buildings", "streets", "lights", "cameras")
GDAL_LAYER = {"buildings": "multipolygons", "streets": "lines", "lights": "points",
              "cameras": "points"}
BROKEN = "geometry could not be built from the OSM data (an incomplete or broken way/relation)"
Tags = dict[str, str]


def read_features(path: Path, gdal_layer: str, notes: list[str] | None = None
                  ) -> gpd.GeoDataFrame:
    """One layer of the GDAL OSM driver, as read; the reader's warnings go to ``notes``."""
    try:
        return read_noting_warnings([] if notes is None else notes, path, layer=gdal_layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise SourceError(path.name, f"cannot read the OSM file: {error}") from None


def _tags(frame: gpd.GeoDataFrame) -> Iterator[tuple[int, Tags]]:
    """Each feature's tags: the driver's own columns merged with ``other_tags``."""
    skip = {"osm_id", "osm_way_id", "other_tags", "z_order", "geometry"}
    columns = [c for c in frame.columns if c not in skip]
    for position, record in enumerate(frame[columns].to_dict("records")):
        tags = {k: str(v) for k, v in record.items() if not is_blank(v)}
        tags.update(osm_tags.parse_other_tags(frame["other_tags"].iat[position]
                                              if "other_tags" in frame else None))
        yield position, tags


class _Rows:
    """Canonical rows for one layer, plus warnings for tags that could not be read."""

    def __init__(self, file: str, layer: str) -> None:
        self.file = file
        self.layer = layer
        self.records: list[dict[str, Any]] = []
        self.positions: list[int] = []
        self.warnings: list[Problem] = []
        self.left_out: list[Problem] = []

    def leave_out(self, source_id: str, reason: str) -> None:
        """A source feature that is deliberately not taken as this layer."""
        self.left_out.append(Problem(self.file, f"id={source_id}", None, reason, "warning"))

    def read(self, source_id: str, field: str, tag: str, parse: Callable[[Any], Any],
             value: Any) -> Any:
        """``parse(value)``; on ValueError a warning and None."""
        try:
            return parse(value)
        except ValueError as error:
            self.warnings.append(Problem(self.file, f"id={source_id}", field,
                                         f"tag {tag}: {error}; left empty", "warning"))
            return None

    def add(self, position: int, record: dict[str, Any]) -> None:
        self.records.append(record)
        self.positions.append(position)


def _buildings(frame: gpd.GeoDataFrame, rows: _Rows) -> None:
    for position, tags in _tags(frame):
        if tags.get("building", "no") == "no":
            continue
        way = frame["osm_way_id"].iat[position]
        source_id = (osm_tags.osm_source_id("way", way) if not is_blank(way) else
                     osm_tags.osm_source_id("relation", frame["osm_id"].iat[position]))
        rows.add(position, {
            "source_id": source_id,
            "name": tags.get("name"),
            "address": osm_tags.address(tags),
            "floors": rows.read(source_id, "floors", "building:levels", osm_tags.whole_number,
                                tags.get("building:levels")),
            "households": rows.read(source_id, "households", "building:flats",
                                    osm_tags.whole_number, tags.get("building:flats")),
            "kind": osm_tags.building_kind(tags),
        })


def _streets(frame: gpd.GeoDataFrame, rows: _Rows) -> None:
    for position, tags in _tags(frame):
        street_class = osm_tags.street_class(tags)
        source_id = osm_tags.osm_source_id("way", frame["osm_id"].iat[position])
        if street_class is None:
            reason = osm_tags.left_out_reason(tags)
            if reason is not None:
                rows.leave_out(source_id, f"left out: {reason}")
            continue
        rows.add(position, {
            "source_id": source_id,
            "name": tags.get("name"),
            "street_class": street_class,
            "width_m": rows.read(source_id, "width_m", "width", osm_tags.length_m,
                                 tags.get("width") or tags.get("est_width")),
            "lit": osm_tags.lit(tags),
            "level": osm_tags.level(tags),
        })


def _lights(frame: gpd.GeoDataFrame, rows: _Rows) -> None:
    for position, tags in _tags(frame):
        if tags.get("highway") != "street_lamp":
            continue
        source_id = osm_tags.osm_source_id("node", frame["osm_id"].iat[position])
        rows.add(position, {
            "source_id": source_id,
            "height_m": rows.read(source_id, "height_m", "height", osm_tags.length_m,
                                  tags.get("height")),
            "mount": rows.read(source_id, "mount", "lamp_mount", osm_tags.lamp_mount, tags),
            "installed_on": rows.read(source_id, "installed_on", "start_date",
                                      osm_tags.start_date, tags),
        })


def _cameras(frame: gpd.GeoDataFrame, rows: _Rows) -> None:
    for position, tags in _tags(frame):
        if not osm_tags.is_camera(tags):
            continue
        source_id = osm_tags.osm_source_id("node", frame["osm_id"].iat[position])
        rows.add(position, {
            "source_id": source_id,
            "heading_deg": rows.read(source_id, "heading_deg", "camera:direction",
                                     osm_tags.camera_heading, tags),
            "installed_on": rows.read(source_id, "installed_on", "start_date",
                                      osm_tags.start_date, tags),
        })


BUILDERS: dict[str, Callable[[gpd.GeoDataFrame, _Rows], None]] = {
    "buildings": _buildings, "streets": _streets, "lights": _lights, "cameras": _cameras}


def _layer(features: gpd.GeoDataFrame, layer: str, file: str,
           reference_area: BaseGeometry | None) -> LayerData:
    """Pick ``layer``'s features from a GDAL OSM layer and validate them."""
    rows = _Rows(file, layer)
    BUILDERS[layer](features, rows)
    table = pd.DataFrame.from_records(rows.records, columns=canonical_names(layer))
    geometry = features.geometry.values[rows.positions] if rows.positions else []
    raw = gpd.GeoDataFrame(table, geometry=list(geometry), crs=WGS84)
    broken = {i: BROKEN for i in raw.index[raw.geometry.isna()]}
    data = validate(raw, layer, file=file, source_crs=SourceCRS(WGS84),
                    reference_area=reference_area, earlier=rows.warnings,
                    missing_reasons=broken, index_labels=False)
    data.left_out = rows.left_out
    return data


def _check_osm(path: str | Path) -> Path:
    path = Path(path)
    if format_of(path) != "OSM":
        raise SourceError(path.name, "not an OpenStreetMap file (.osm or .pbf)")
    return path


def read_osm_layer(path: str | Path, layer: str, *,
                   reference_area: BaseGeometry | None = None) -> LayerData:
    """One of ``OSM_LAYERS`` from an OSM file, validated; rejected features are dropped and
    listed in ``problems`` (the caller decides whether to raise)."""
    path = _check_osm(path)
    return _layer(read_features(path, GDAL_LAYER[layer]), layer, path.name, reference_area)


def read_osm(path: str | Path, *, reference_area: BaseGeometry | None = None,
             skip_invalid: bool = False) -> dict[str, LayerData]:
    """Buildings, streets, lights and cameras from an OSM file, keyed by layer name.

    Source ids are ``osm:node/<id>``, ``osm:way/<id>`` or ``osm:relation/<id>``. Tags that
    cannot be read leave their field empty with a warning. Raises IngestError when any feature
    of any layer is rejected, unless ``skip_invalid``.
    """
    path = _check_osm(path)
    read: dict[str, gpd.GeoDataFrame] = {}
    layers = {}
    for layer in OSM_LAYERS:
        gdal_layer = GDAL_LAYER[layer]
        notes: list[str] = []
        if gdal_layer not in read:
            read[gdal_layer] = read_features(path, gdal_layer, notes)
        data = _layer(read[gdal_layer], layer, path.name, reference_area)
        data.problems = [Problem(path.name, "", None, note, "warning") for note in notes] + [
            _extract_defect_as_warning(p) for p in data.problems]
        layers[layer] = data
    raise_if_rejected([p for data in layers.values() for p in data.problems], skip_invalid)
    return layers


def _extract_defect_as_warning(problem: Problem) -> Problem:
    """An extract's own geometry defects (ways cut at its edge, degenerate rings) are skipped
    with a warning: the user cannot mend them, and refusing the whole extract helps nobody."""
    defect = problem.field == "geometry" and problem.action == "rejected" and (
        problem.reason == BROKEN or "Too few points" in problem.reason)
    if not defect:
        return problem
    return replace(problem, reason=f"skipped: {problem.reason}", action="warning")
