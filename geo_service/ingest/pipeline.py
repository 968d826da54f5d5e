"""From features as read to a validated layer: ids, geometry checks, EPSG:4326, typed columns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from .columns import canonical_columns
from .crs import WGS84, SourceCRS, to_wgs84
from .extent import check_extent
from .geometry import check_lonlat_ranges, check_shapes, repair
from .problems import IngestError, Problem, Reporter
from .schema import FIELDS
from .values import as_text, coerce, is_blank


@dataclass
class LayerData:
    """One validated layer: canonical columns in EPSG:4326, and what was found on the way."""

    layer: str
    frame: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)
    source: str = ""
    #: Source features deliberately not taken as this layer (e.g. OSM ways that are not
    #: streets), one warning each, so the load report can count and list them.
    left_out: list[Problem] = field(default_factory=list)

    @property
    def rejected(self) -> list[Problem]:
        """The problems that dropped a feature."""
        return [p for p in self.problems if p.action == "rejected"]


def canonical_names(layer: str) -> list[str]:
    """The layer's attribute columns, in order."""
    return [spec.name for spec in FIELDS[layer]]


def _ids_and_labels(table: pd.DataFrame, layer: str, file: str, index_labels: bool
                    ) -> tuple[pd.Series | None, dict[int, str]]:
    """Source ids (the file's, else ``<file>#<position>``) and each feature's label."""
    key = "source_id" if "source_id" in table.columns else "number"
    given = [None if is_blank(v) else as_text(v) for v in table[key]]
    labels = {}
    for position, (index, value) in enumerate(zip(table.index, given, strict=True)):
        number = f"#{position}" if index_labels else ""
        shown = f"{'id' if key == 'source_id' else key}={value}" if value is not None else ""
        labels[index] = (f"{number} ({shown})" if number and shown else number or shown
                         or f"#{position}")
    if key != "source_id":
        return None, labels
    ids = pd.Series([value if value is not None else f"{file}#{position}"
                     for position, value in enumerate(given)], index=table.index, dtype=object)
    return ids, labels


def _duplicates(values: pd.Series, report: Reporter, name: str, *, reject: bool) -> None:
    counted = values[values.notna()]
    repeated = counted[counted.duplicated(keep=False)]
    for value, group in repeated.groupby(repeated.astype(str), sort=False):
        shown = ", ".join(report.labels.get(i, str(i)) for i in group.index)
        reason = f"{name} {value} is used by {len(group)} features ({shown})"
        for index in group.index:
            if reject:
                report.reject(index, name, reason)
            else:
                report.warn(index, name, reason + "; the last one wins when stored")


def validate(raw: gpd.GeoDataFrame, layer: str, *, file: str, source_crs: SourceCRS,
             reference_area: BaseGeometry | None = None, notes: Iterable[str] = (),
             earlier: Iterable[Problem] = (), missing_reasons: dict[int, str] | None = None,
             index_labels: bool = True) -> LayerData:
    """Validate features as read (file columns, file CRS) into a layer; rejected ones are
    dropped and listed in ``problems``. ``notes`` are file-level warnings, ``earlier`` problems
    found before (e.g. while reading OSM tags).
    """
    raw = raw.reset_index(drop=True)
    table = canonical_columns(raw, layer, file)
    ids, labels = _ids_and_labels(table, layer, file, index_labels)
    if ids is not None:
        table["source_id"] = ids
    report = Reporter(file, labels)
    for note in notes:
        report.warn(None, None, note)

    geometries = gpd.GeoSeries(raw.geometry.values, index=raw.index)
    check_shapes(geometries, layer, report, missing_reasons)
    if source_crs.geographic:
        check_lonlat_ranges(geometries[~geometries.index.isin(report.rejected)], report)
    geometries[geometries.index.isin(report.rejected)] = None
    geometries = repair(to_wgs84(geometries, source_crs), layer, report)

    values = coerce(table, layer, report)
    if layer == "grids":
        _duplicates(values["number"], report, "number", reject=True)
    elif layer != "streets":
        _duplicates(values["source_id"], report, "source_id", reject=False)
    check_extent(geometries, report, reference_area, lonlat_source=source_crs.geographic)

    keep = ~values.index.isin(report.rejected)
    frame = gpd.GeoDataFrame(values[keep], geometry=geometries[keep].values, crs=WGS84)
    if layer == "streets":
        frame = frame.explode(index_parts=False)
    frame = frame.reset_index(drop=True)
    frame.attrs["source"] = file
    problems = [*earlier, *report.problems]
    return LayerData(layer, frame, problems, file)


def raise_if_rejected(problems: Iterable[Problem], skip_invalid: bool) -> None:
    """Raise IngestError listing the rejections, unless ``skip_invalid``."""
    problems = list(problems)
    if not skip_invalid and any(p.action == "rejected" for p in problems):
        raise IngestError(problems=problems)
