"""Noding crafted street layouts whose segments and nodes can be counted by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geo_service.ingest import node_streets

METRIC = pyproj.CRS.from_epsg(4545)
X0, Y0 = pyproj.Transformer.from_crs(4326, METRIC, always_xy=True).transform(106.83, 27.52)
TO_METRIC = pyproj.Transformer.from_crs(4326, METRIC, always_xy=True)

# '#': two horizontal and two vertical 300 m streets crossing at four points
HASH = {
    "H1": [(0, 100), (300, 100)],
    "H2": [(0, 200), (300, 200)],
    "V1": [(100, 0), (100, 300)],
    "V2": [(200, 0), (200, 300)],
}


def streets(lines: dict[str, list[tuple[float, float]]], **columns: list) -> gpd.GeoDataFrame:
    """Street frame in EPSG:4326 from lines drawn in metres from the sample community."""
    geometries = [shapely.LineString([(X0 + x, Y0 + y) for x, y in pts]) for pts in lines.values()]
    frame = gpd.GeoDataFrame({"source_id": list(lines), "name": None,
                              "street_class": "residential", "width_m": np.nan, "lit": "unknown",
                              **columns}, geometry=geometries, crs=METRIC)
    return frame.to_crs(4326)


def local(points: gpd.GeoSeries) -> np.ndarray:
    """Node positions back in metres from the origin, rounded to the millimetre."""
    x, y = TO_METRIC.transform(points.x.to_numpy(), points.y.to_numpy())
    return np.round(np.column_stack([x - X0, y - Y0]), 3)


def test_hash_shape() -> None:
    network = node_streets(streets(HASH), metric_crs=METRIC, source="hash.geojson")
    segments, nodes = network.segments, network.nodes
    assert len(segments) == 12  # each street cut twice
    assert len(nodes) == 12  # 4 crossings + 8 ends
    assert network.components == [12] and network.problems == []
    assert sorted(nodes["degree"]) == [1] * 8 + [4] * 4
    assert segments["length_m"].to_numpy() == pytest.approx(np.full(12, 100.0), abs=1e-3)
    assert segments.groupby("source_id")["part"].apply(list).to_dict() == {
        s: [0, 1, 2] for s in HASH}
    assert {"source", "target", "length_m", "part", "street_class", "lit"} <= set(segments)
    assert segments.crs.to_epsg() == 4326 and nodes.crs.to_epsg() == 4326
    crossings = {tuple(xy) for xy, d in zip(local(nodes.geometry), nodes["degree"],
                                            strict=True) if d == 4}
    assert crossings == {(100, 100), (100, 200), (200, 100), (200, 200)}


def test_segments_meet_exactly_at_their_nodes() -> None:
    network = node_streets(streets(HASH), metric_crs=METRIC)
    for segment in network.segments.itertuples():
        start, end = segment.geometry.coords[0], segment.geometry.coords[-1]
        assert start == network.nodes.geometry[segment.source].coords[0]
        assert end == network.nodes.geometry[segment.target].coords[0]


def test_node_ids_follow_coordinates_and_ignore_input_order() -> None:
    forward = node_streets(streets(HASH), metric_crs=METRIC)
    backward = node_streets(streets(dict(reversed(list(HASH.items())))), metric_crs=METRIC)
    lon_lat = [(p.x, p.y) for p in forward.nodes.geometry]
    assert lon_lat == sorted(lon_lat)
    assert forward.nodes.geometry.equals(backward.nodes.geometry)
    key = ["source_id", "part"]
    a = forward.segments.sort_values(key).reset_index(drop=True)
    b = backward.segments.sort_values(key).reset_index(drop=True)
    assert a[["source", "target"]].equals(b[["source", "target"]])


def test_detached_line_is_reported() -> None:
    lines = {**HASH, "FAR": [(1000, 1000), (1000, 1150)]}
    network = node_streets(streets(lines), metric_crs=METRIC, source="streets.geojson")
    assert network.components == [12, 1]
    [problem] = network.problems
    assert (problem.file, problem.feature, problem.field, problem.action) == (
        "streets.geojson", "id=FAR", None, "warning")
    assert "150 m" in problem.reason and "source ids FAR" in problem.reason


def test_t_junction_splits_the_street_it_touches() -> None:
    lines = {**HASH, "T": [(250, 300), (250, 200)]}  # ends on H2 between the crossings
    network = node_streets(streets(lines), metric_crs=METRIC)
    assert len(network.segments) == 14 and len(network.nodes) == 14
    assert network.components == [14]
    h2 = network.segments[network.segments["source_id"] == "H2"]
    assert sorted(h2["length_m"].round(3)) == [50, 50, 100, 100]


def test_near_miss_is_snapped_within_snap_m() -> None:
    lines = {**HASH, "T": [(250, 300), (250, 200.3)]}  # stops 30 cm short of H2
    snapped = node_streets(streets(lines), metric_crs=METRIC, snap_m=0.5)
    assert snapped.components == [14] and snapped.problems == []
    t = snapped.segments[snapped.segments["source_id"] == "T"]
    assert t["length_m"].iloc[0] == pytest.approx(100.0, abs=1e-3)
    loose = node_streets(streets(lines), metric_crs=METRIC, snap_m=0.1)
    assert loose.components == [12, 1]
    assert "source ids T" in loose.problems[0].reason


def test_dangling_ends_snap_together_and_the_shorter_line_moves() -> None:
    lines = {**HASH, "E": [(300.2, 100.1), (350, 100)]}  # 22 cm past H1's east end
    network = node_streets(streets(lines), metric_crs=METRIC)
    assert network.components == [13]
    h1 = network.segments[network.segments["source_id"] == "H1"]
    assert h1["length_m"].to_numpy() == pytest.approx([100, 100, 100], abs=1e-3)
    assert (300, 100) in {tuple(xy) for xy in local(network.nodes.geometry)}


def test_end_near_a_crossing_snaps_to_the_crossing() -> None:
    lines = {**HASH, "D": [(100.3, 200.3), (50, 250)]}  # ends 42 cm from H2 x V1
    network = node_streets(streets(lines), metric_crs=METRIC)
    assert len(network.nodes) == 13
    d = network.segments[network.segments["source_id"] == "D"].iloc[0]
    assert network.nodes.loc[d.source, "degree"] == 5 or network.nodes.loc[d.target,
                                                                              "degree"] == 5


def test_bridge_on_another_layer_does_not_join() -> None:
    lines = {**HASH, "BRIDGE": [(150, -50), (150, 350)]}
    flat = node_streets(streets(lines), metric_crs=METRIC)
    assert len(flat.segments) == 12 + 3 + 2  # the bridge crosses H1 and H2 at grade
    bridged = node_streets(streets(lines, layer=[0, 0, 0, 0, 1]), metric_crs=METRIC)
    assert len(bridged.segments) == 13
    assert bridged.components == [12, 1]


def test_multilinestring_input_and_overlap() -> None:
    frame = streets(HASH)
    multi = shapely.MultiLineString([frame.geometry.iloc[0], frame.geometry.iloc[1]])
    frame = frame.iloc[[0, 2, 3]].copy()
    frame.loc[frame.index[0], "geometry"] = multi
    network = node_streets(frame, metric_crs=METRIC)
    assert len(network.segments) == 12
    h = network.segments[network.segments["source_id"] == "H1"]
    assert h["part"].tolist() == list(range(6))


def test_noding_a_noded_network_changes_nothing() -> None:
    lines = {**HASH, "T": [(250, 300), (250, 200.3)], "E": [(300.2, 100.1), (350, 100)]}
    once = node_streets(streets(lines), metric_crs=METRIC)
    again = node_streets(once.segments[["source_id", "name", "street_class", "width_m", "lit",
                                        "geometry"]], metric_crs=METRIC)
    assert again.segments.geometry.to_wkb().tolist() == once.segments.geometry.to_wkb().tolist()
    assert again.nodes.geometry.to_wkb().tolist() == once.nodes.geometry.to_wkb().tolist()
    assert again.segments[["source", "target"]].equals(once.segments[["source", "target"]])


def test_empty_frame() -> None:
    empty = streets({})
    network = node_streets(empty, metric_crs=METRIC)
    assert len(network.segments) == 0 and len(network.nodes) == 0
    assert network.components == [] and network.problems == []
