"""The layers of a planning question and the pure rules over them (no SQL here).

:class:`Layers` is what :func:`geo_service.planning.store.read_layers` reads; whether a lamp
(camera) layer counts as a complete inventory, open hazards per grid and the metric CRS to
work in are decided from the layers alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import pyproj
import shapely

from geo_service.ingest import metric_crs_for

#: Share of lamps (cameras) from OpenStreetMap above which an inventory counts as incomplete.
OSM_SHARE_INCOMPLETE = 0.5


class PlanningError(ValueError):
    """A planning question that cannot be answered as asked (unknown grid, no streets ...).

    ``code`` names the problem for API clients; ``message`` says it in English.
    """

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Layers:
    """Everything a planning question reads, in EPSG:4326.

    Attributes
    ----------
    streets:
        ``id``, ``source_id``, ``name``, ``street_class``, ``lit``, ``grid_id``, ``grid``
        (number), line geometry; only streets of the chosen grids.
    lights, cameras, buildings, hazards:
        Features within the margin around those streets.
    grids:
        The chosen grids: ``id``, ``number``, ``name``, ``zone``, polygon geometry (all grids
        when none was chosen).
    grid_numbers:
        The numbers asked for (empty: every street).
    area:
        Union of the chosen grids (EPSG:4326), ``None`` when there are no grids at all.
    crs:
        Metric CRS to work in.
    """

    streets: gpd.GeoDataFrame
    lights: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    hazards: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    grid_numbers: tuple[int, ...]
    area: shapely.Geometry | None
    crs: pyproj.CRS

    def number_of(self) -> dict[int, int]:
        """Grid database id -> grid number."""
        return dict(zip(self.grids["id"].astype(int), self.grids["number"].astype(int),
                        strict=True))


def choose_crs(streets: gpd.GeoDataFrame, preferred: str | None) -> pyproj.CRS:
    """``preferred`` when the streets lie inside its area of use, else ``metric_crs_for``.

    The settings' CRS (EPSG:4545 for the sample) is right for the community it was chosen for;
    an OSM extract elsewhere gets the UTM zone of its data.
    """
    if preferred:
        crs = pyproj.CRS.from_user_input(preferred)
        use = crs.area_of_use
        if crs.is_projected and use is not None and len(streets):
            west, south, east, north = streets.total_bounds
            if use.west <= west and east <= use.east and use.south <= south and north <= use.north:
                return crs
    return metric_crs_for(streets)


def inventory_complete(assets: gpd.GeoDataFrame) -> bool:
    """Whether a lamp (camera) layer reads as a complete inventory.

    A community's own survey (the sample, a GeoPackage from the street office) is taken as
    complete: a shortfall with no lamp nearby is then dark. OpenStreetMap (``source_id``
    ``osm:...``) is known to be incomplete, and a layer with nothing mapped tells nothing, so
    there a shortfall far from any mapped lamp is "unknown".
    """
    if assets.empty:
        return False
    from_osm = assets["source_id"].astype(str).str.startswith("osm:").mean()
    return bool(from_osm < OSM_SHARE_INCOMPLETE)


def open_hazard_counts(hazards: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> pd.Series:
    """Open hazards (reported, assigned, in progress) per grid number."""
    from geo_service.analysis._segments import OPEN_HAZARD_STATES

    open_ = hazards[hazards["status"].isin([str(s) for s in OPEN_HAZARD_STATES])]
    ids = dict(zip(grids["id"], grids["number"], strict=True))
    counts = open_["grid_id"].map(ids).value_counts()
    return counts.reindex(grids["number"], fill_value=0).astype(int)
