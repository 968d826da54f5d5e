"""Entry points: database in, results out (what the command line, the API and pages call).

Each function takes a SQLAlchemy connection or engine, reads the layers of the chosen grids
(:mod:`.store`), runs the pure analysis and returns results in EPSG:4326. Models are cached per
data version (a load, a repaired lamp or a new hazard changes the version), so a planner trying
several budgets on the page pays for the coverage matrix once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, Engine

from geo_service.analysis.candidates import CandidateCosts
from geo_service.analysis.placement import SolverOptions
from geo_service.planning.community import community_crs
from geo_service.planning.coverage import (
    KINDS,
    CoverageState,
    agreement,
    grid_summary,
    state_for,
)
from geo_service.planning.layers import Layers, PlanningError
from geo_service.planning.matrix import (
    DEFAULT_COSTS,
    ELIGIBLE,
    PlacementModel,
    build_demand,
    camera_model,
    light_model,
)
from geo_service.planning.plan import PlanResult, Question, answer
from geo_service.planning.scenario import scenario
from geo_service.planning.store import (
    connection_of,
    data_version,
    grids_by_community,
    read_layers,
)

ASSETS = {"lights": "light", "cameras": "camera", "light": "light", "camera": "camera"}
T = TypeVar("T")


class _Cache:
    """A small LRU of computed results keyed by data version and arguments."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.items: OrderedDict[tuple, Any] = OrderedDict()

    def get(self, key: tuple, make: Callable[[], T]) -> T:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


CACHE = _Cache()


def _grids_key(grids: Sequence[int] | None) -> tuple[int, ...]:
    return tuple(sorted({int(g) for g in grids or ()}))


def _version(conn: Connection) -> tuple[str, str]:
    """Which database, and which state of its data (cache keys must tell databases apart)."""
    url = conn.engine.url
    return f"{url.host}:{url.port}/{url.database}", data_version(conn)


def _layers(conn: Connection, grids: Sequence[int] | None, metric_crs: str | None,
            by_id: bool = False, cache: bool = True, community_id: int | None = None) -> Layers:
    def make() -> Layers:
        return read_layers(conn, grids, metric_crs=metric_crs, by_id=by_id,
                           community_id=community_id)

    if not cache:
        return make()
    key = ("layers", _version(conn), _grids_key(grids), metric_crs, by_id, community_id)
    return CACHE.get(key, make)


def layers_for(conn_or_engine: Connection | Engine, grids: Sequence[int] | None = None, *,
               metric_crs: str | None = None, community_id: int | None = None) -> Layers:
    """The layers of the chosen grids of the community (cached per data version), e.g. for a
    map's context."""
    with connection_of(conn_or_engine) as conn:
        return _layers(conn, grids, metric_crs, community_id=community_id)


@dataclass(frozen=True)
class GapReport:
    """Gaps of one kind with their per-grid summary (and the tag agreement for lighting)."""

    kind: str
    layers: Layers
    state: CoverageState
    grids: pd.DataFrame
    agreement: pd.DataFrame | None

    @property
    def gaps(self) -> gpd.GeoDataFrame:
        """The gap stretches, EPSG:4326."""
        return self.state.gaps

    def to_geojson(self) -> dict[str, Any]:
        """FeatureCollection of the gaps; per-grid summary as the foreign member ``summary``."""
        from geo_service.planning.plan import features, records

        frame = self.gaps.copy()
        for column in ("start_m", "end_m", "length_m", "priority", "weighted_m"):
            frame[column] = frame[column].astype(float).round(2)
        summary = {"kind": self.kind, "data_complete": self.state.gap_params.data_complete,
                   "metric_crs": self.layers.crs.to_string(),
                   "grids": records(self.grids.round(4))}
        if self.agreement is not None:
            summary["tag_agreement"] = records(self.agreement.round(4))
        return {"type": "FeatureCollection", "features": features(frame), "summary": summary}


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise PlanningError("bad_kind", f"unknown gap kind {kind!r}; use lighting or cameras")
    return kind


def gap_report(conn_or_engine: Connection | Engine, kind: str,
               grids: Sequence[int] | None = None, *, metric_crs: str | None = None,
               complete: bool | None = None, by_id: bool = False,
               cache: bool = True, community_id: int | None = None) -> GapReport:
    """Gaps of ``kind`` ("lighting" or "cameras") in the grids (numbers) of the community
    (``None``: every stored street), with summaries."""
    kind = _kind(kind)
    with connection_of(conn_or_engine) as conn:
        layers = _layers(conn, grids, metric_crs, by_id, cache, community_id)

        def make() -> GapReport:
            state = state_for(layers, kind, complete=complete)
            return GapReport(kind, layers, state, grid_summary(state, layers), agreement(state))

        if not cache:
            return make()
        key = ("gaps", _version(conn), kind, _grids_key(grids), metric_crs, complete, by_id,
               community_id)
        return CACHE.get(key, make)


def gaps_for(conn_or_engine: Connection | Engine, kind: str,
             grids: Sequence[int] | None = None, *, metric_crs: str | None = None,
             complete: bool | None = None, by_id: bool = False,
             community_id: int | None = None) -> gpd.GeoDataFrame:
    """Gap stretches of ``kind`` for the collections API (EPSG:4326).

    Parameters
    ----------
    conn_or_engine:
        Connection or engine on the service's database.
    kind:
        ``"lighting"`` or ``"cameras"``.
    grids:
        Grid **numbers** (database ids with ``by_id=True``); ``None`` or empty: every street.
    metric_crs:
        Preferred metric CRS (the community's, :mod:`.community`); used when the data lie in
        its area.
    complete:
        Take the lamp (camera) inventory as complete; ``None`` decides from the data (a
        community's own layer is complete, an OpenStreetMap one is not).

    Returns
    -------
    GeoDataFrame
        Columns of :data:`geo_service.analysis.gaps.GAP_COLUMNS` plus ``grid`` (the number),
        most important first. An empty frame when the grids hold no street.
    """
    try:
        return gap_report(conn_or_engine, kind, grids, metric_crs=metric_crs,
                          complete=complete, by_id=by_id, community_id=community_id).gaps
    except PlanningError as error:
        if error.code != "no_streets":
            raise
        from geo_service.analysis.gaps import GAP_COLUMNS

        columns = list(GAP_COLUMNS)
        columns.insert(columns.index("grid_id") + 1, "grid")
        return _empty(columns)


MAP_GAP_COLUMNS = ["id", "layer", "kind", "street_id", "street_class", "grid", "lit",
                   "length_m", "open_hazards", "disputes", "priority", "weighted_m", "grid_id",
                   "geometry"]


def coverage_gaps(conn_or_engine: Connection | Engine, grid_ids: Sequence[int], *,
                  metric_crs: str | None = None) -> gpd.GeoDataFrame:
    """Lighting and camera stretches of the grids (database ids) for the map, one frame.

    The same stretches as :func:`gaps_for` for these grids (one cache), each with an ``id``
    (``layer-street-start``), figures rounded to centimetres, most important first. The grids
    of each community are computed in that community's metric CRS (``metric_crs`` is only the
    fallback for grids of no community). No grid: an empty frame.
    """
    ids = _grids_key(grid_ids)
    if not ids:
        return _empty(MAP_GAP_COLUMNS)
    with connection_of(conn_or_engine) as conn:
        def make() -> gpd.GeoDataFrame:
            frames = [gaps_for(conn, kind, mine, by_id=True, community_id=community,
                               metric_crs=community_crs(conn, community, metric_crs))
                      for community, mine in grids_by_community(conn, ids).items()
                      for kind in KINDS]
            gaps = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
            if gaps.empty:
                return _empty(MAP_GAP_COLUMNS)
            gaps["grid_id"] = gaps["grid_id"].astype("int64")
            gaps["grid"] = gaps["grid"].astype("int64")
            gaps["id"] = [f"{layer}-{street}-{start:.1f}" for layer, street, start in
                          zip(gaps["layer"], gaps["street_id"], gaps["start_m"], strict=True)]
            for column in ("length_m", "priority", "weighted_m"):
                gaps[column] = gaps[column].astype(float).round(2)
            gaps = gaps.sort_values(["weighted_m", "id"], ascending=[False, True])
            return gaps[MAP_GAP_COLUMNS].reset_index(drop=True)

        key = ("map_gaps", _version(conn), ids, metric_crs)
        return CACHE.get(key, make)


def _empty(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in columns if c != "geometry"},
                            geometry=gpd.GeoSeries([], crs="EPSG:4326"))


def placement_model(conn_or_engine: Connection | Engine, asset: str,
                    grids: Sequence[int] | None = None, *, metric_crs: str | None = None,
                    complete: bool | None = None, include_unknown: bool = False,
                    costs: CandidateCosts = DEFAULT_COSTS, cache: bool = True,
                    community_id: int | None = None) -> PlacementModel:
    """The coverage matrix for new lights or cameras in the grids of the community (cached
    per data version)."""
    asset = ASSETS.get(asset, asset)
    if asset not in ("light", "camera"):
        raise PlanningError("bad_asset", f"unknown asset {asset!r}; use lights or cameras")
    kind = "lighting" if asset == "light" else "cameras"
    with connection_of(conn_or_engine) as conn:
        layers = _layers(conn, grids, metric_crs, cache=cache, community_id=community_id)

        def make() -> PlacementModel:
            state = state_for(layers, kind, complete=complete)
            eligible = ELIGIBLE[kind] + (("unknown",) if include_unknown else ())
            demand = build_demand(state, layers, eligible=eligible)
            build = light_model if asset == "light" else camera_model
            return build(state, layers, demand, costs=costs)

        if not cache:
            return make()
        key = ("model", _version(conn), asset, _grids_key(grids), metric_crs, complete,
               include_unknown, costs, community_id)
        return CACHE.get(key, make)


def place(conn_or_engine: Connection | Engine, asset: str, question: Question,
          grids: Sequence[int] | None = None, *, metric_crs: str | None = None,
          complete: bool | None = None, include_unknown: bool = False,
          costs: CandidateCosts = DEFAULT_COSTS, options: SolverOptions | None = None,
          cache: bool = True, community_id: int | None = None) -> PlanResult:
    """Where the next lights (cameras) go: sites, stretches, before/after per grid, totals."""
    model = placement_model(conn_or_engine, asset, grids, metric_crs=metric_crs,
                            complete=complete, include_unknown=include_unknown, costs=costs,
                            cache=cache, community_id=community_id)
    return answer(model, question, options)


def run_scenario(conn_or_engine: Connection | Engine, grids: Sequence[int] | None = None, *,
                 metric_crs: str | None = None, options: SolverOptions | None = None,
                 cache: bool = True, community_id: int | None = None) -> dict[str, Any]:
    """The preset "12 lights and 4 cameras" comparison in the grids of the community (see
    :mod:`.scenario`)."""
    with connection_of(conn_or_engine) as conn:
        layers = _layers(conn, grids, metric_crs, cache=cache, community_id=community_id)
        if not cache:
            return scenario(layers, options=options)
        key = ("scenario", _version(conn), _grids_key(grids), metric_crs, community_id)
        return CACHE.get(key, lambda: scenario(layers, options=options))


def overview(conn_or_engine: Connection | Engine, grids: Sequence[int] | None = None, *,
             metric_crs: str | None = None, community_id: int | None = None) -> pd.DataFrame:
    """Per grid of the community: lit/unlit metres, share lit, seen/unseen metres, share seen,
    open hazards."""
    light = gap_report(conn_or_engine, "lighting", grids, metric_crs=metric_crs,
                       community_id=community_id)
    cams = gap_report(conn_or_engine, "cameras", grids, metric_crs=metric_crs,
                      community_id=community_id)
    table = light.grids.merge(
        cams.grids[["grid", "seen_m", "unseen_m", "share_seen", "unseen_gap_m", "gaps"]],
        on="grid", how="outer", suffixes=("", "_cameras"))
    names = light.layers.grids.set_index("number")["name"]
    table.insert(1, "name", table["grid"].map(names))
    return table
