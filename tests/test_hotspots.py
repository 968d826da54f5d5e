"""Hotspots along the network: kernel density and Getis-Ord Gi*, and walks per week."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_service.analysis.hotspots import (
    HotspotParams,
    distance_band_weights,
    getis_ord,
    hotspot_scores,
    weekly_frequency,
)
from geo_service.analysis.network import graph_arrays, street_graph
from geo_service.ingest import node_streets

X0, Y0 = 500_000.0, 3_045_000.0


def ladder() -> gpd.GeoDataFrame:
    """Two parallel 1 km streets 80 m apart in 50 m segments, with rungs every 200 m."""
    rows = []
    for side, y in ((0, 0.0), (1, 80.0)):
        for n in range(20):
            rows.append((len(rows) + 1, side * 100 + n, side * 100 + n + 1,
                         shapely.LineString([(X0 + 50 * n, Y0 + y), (X0 + 50 * n + 50, Y0 + y)])))
    for n in range(0, 21, 4):
        rows.append((len(rows) + 1, n, 100 + n,
                     shapely.LineString([(X0 + 50 * n, Y0), (X0 + 50 * n, Y0 + 80)])))
    ids, source, target, geoms = zip(*rows, strict=True)
    return gpd.GeoDataFrame({"id": ids, "source": source, "target": target,
                             "street_class": "alley"}, geometry=list(geoms), crs=4545)


def events_at(points: list[tuple[float, float]], category: str = "parking") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"category": [category] * len(points)},
                            geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in points],
                            crs=4545)


def test_known_cluster_on_a_crafted_network() -> None:
    graph = street_graph(ladder())
    rng = np.random.default_rng(1)
    cluster = [(610 + rng.uniform(-20, 20), rng.uniform(-4, 4)) for _ in range(12)]
    scattered = [(rng.uniform(0, 1000), 80 + rng.uniform(-3, 3)) for _ in range(4)]
    scores = hotspot_scores(graph, events_at(cluster + scattered), HotspotParams(band_m=100))
    assert scores["events"].sum() == pytest.approx(16)
    hottest = scores["kde"].idxmax()
    assert hottest == 13  # the segment 600-650 m on the first street holds the cluster
    assert scores.loc[13, "hot"] == 99
    lines = {k: d["geometry"] for _, _, k, d in graph.edges(keys=True, data=True)}
    centre = shapely.Point(X0 + 610, Y0)
    hot = scores.index[scores["hot"] == 99]
    assert all(lines[k].distance(centre) < 100 for k in hot)  # Gi*: the cluster's neighbours
    assert all(lines[k].distance(centre) < 60 for k in scores["kde"].nlargest(3).index)
    far = scores.loc[[1, 2, 20, 21, 40]]
    assert (far["hot"] == 0).all() and (far["kde"] < scores.loc[13, "kde"] / 10).all()
    weekly = weekly_frequency(scores)
    assert weekly.loc[13] == 7 and weekly.loc[1] == 1
    assert weekly.min() == 1 and weekly.max() == 7


def test_disputes_weigh_more_and_far_events_are_left_out() -> None:
    graph = street_graph(ladder())
    points = [(125.0, 2.0), (825.0, 2.0)]
    plain = hotspot_scores(graph, events_at(points))
    both = pd.concat([events_at(points[:1], "dispute"), events_at(points[1:])])
    weighted = hotspot_scores(graph, both)
    assert plain.loc[3, "kde"] == pytest.approx(plain.loc[17, "kde"])
    assert weighted.loc[3, "kde"] == pytest.approx(2 * weighted.loc[17, "kde"])
    lonely = hotspot_scores(graph, events_at([(500.0, 500.0)]))
    assert lonely["events"].sum() == 0 and (lonely["kde"] == 0).all()
    assert (lonely["gi_z"] == 0).all()


def test_kernel_density_integrates_to_the_events_on_a_long_line() -> None:
    line = gpd.GeoDataFrame({"id": [1], "source": [0], "target": [1]},
                            geometry=[shapely.LineString([(X0, Y0), (X0 + 2000, Y0)])],
                            crs=4545)
    scores = hotspot_scores(street_graph(line), events_at([(1000.0, 0.0)] * 3),
                            HotspotParams(lixel_m=1.0))
    # density (per km) times length (km) is the number of events when the kernel fits inside
    assert scores.loc[1, "kde"] * 2.0 == pytest.approx(3.0, rel=1e-3)


def test_getis_ord_matches_esda() -> None:
    import esda
    from libpysal import weights as weights_module

    arrays = graph_arrays(street_graph(ladder()))
    weights = distance_band_weights(arrays, 150.0)
    values = np.random.default_rng(3).poisson(1.0, len(arrays.keys)).astype(float)
    w = weights_module.WSP(weights.tocsr()).to_W(silence_warnings=True)
    reference = esda.G_Local(values, w, star=True, transform="B", permutations=0)
    assert getis_ord(values, weights) == pytest.approx(reference.Zs, abs=1e-9)


def test_weekly_frequency_mapping() -> None:
    scores = pd.DataFrame({"hot": [0, 90, 95, 99], "kde": [0.0, 1.0, 2.0, 4.0]},
                          index=pd.Index([1, 2, 3, 4], name="street_id"))
    assert weekly_frequency(scores).tolist() == [1, 3, 5, 7]
    assert weekly_frequency(scores, base=2, max=5).tolist() == [2, 3, 4, 5]
    assert weekly_frequency(scores, method="kde").tolist() == [1, 3, 4, 7]
    assert weekly_frequency(scores.assign(kde=0.0), method="kde").tolist() == [1, 1, 1, 1]
    with pytest.raises(ValueError):
        weekly_frequency(scores, base=3, max=2)
    with pytest.raises(ValueError):
        weekly_frequency(scores, method="magic")


def geodanet() -> Path:
    import libpysal

    folder = Path(libpysal.__file__).parent / "examples" / "geodanet"
    assert (folder / "crimes.shp").exists(), "libpysal's geodanet example is not installed"
    return folder


def test_geodanet_hottest_segments_are_at_the_densest_crime_cluster() -> None:
    folder = geodanet()
    metric = "EPSG:32612"  # Mesa, Arizona; the files are in State Plane feet
    streets = gpd.read_file(folder / "streets.shp").to_crs(4326)
    crimes = gpd.read_file(folder / "crimes.shp").to_crs(metric)
    frame = streets[["geometry"]].assign(source_id=[f"g{i}" for i in range(len(streets))],
                                         street_class="residential")
    network = node_streets(frame, metric_crs=metric)
    segments = network.segments.assign(id=np.arange(1, len(network.segments) + 1))
    graph = street_graph(segments, crs=metric)
    # crimes are geocoded to parcels, up to 100 m from the street centre lines
    scores = hotspot_scores(graph, crimes, HotspotParams(max_snap_m=100.0))
    assert scores["events"].sum() == len(crimes)
    # the densest crime cluster: the crime with the most others within 150 m
    xy = np.column_stack([crimes.geometry.x, crimes.geometry.y])
    near = (np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) < 150).sum(axis=1)
    centre = shapely.Point(xy[np.argmax(near)])
    lines = {k: d["geometry"] for _, _, k, d in graph.edges(keys=True, data=True)}
    assert lines[scores["kde"].idxmax()].distance(centre) < 100  # other, smaller clusters
    for street in scores["gi_z"].nlargest(5).index:  # come next on density; Gi* sees the
        assert lines[street].distance(centre) < 300  # neighbourhood of the biggest
    assert scores.loc[scores["kde"].idxmax(), "hot"] >= 95
    weekly = weekly_frequency(scores)
    assert weekly.loc[scores["gi_z"].idxmax()] == 7
    assert (weekly == 1).mean() > 0.8  # most streets keep the base frequency
