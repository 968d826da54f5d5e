"""Map matching of noisy phone tracks to the sample street network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geo_service.analysis.matching import (
    MatchParams,
    StreetVisit,
    covered_lengths,
    match_track,
    trim_spurs,
    visit_geometry,
    zigzag_length,
)
from geo_service.analysis.network import street_graph
from geo_service.config import PROJECT_ROOT
from geo_service.ingest import node_streets
from geo_service.patrol.simulate import path_line, random_path, simulate_fixes

START = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sample_graph():  # noqa: ANN201
    """The sample streets, noded, as a walking graph (ids 1..n)."""
    streets = gpd.read_file(PROJECT_ROOT / "data" / "sample" / "streets.geojson")
    network = node_streets(streets.rename(columns={"class": "street_class"}),
                           metric_crs="EPSG:4545")
    segments = network.segments.reset_index(drop=True)
    segments["id"] = np.arange(1, len(segments) + 1)
    return street_graph(segments, crs="EPSG:4545")


def score(graph, path, result) -> tuple[float, float]:  # noqa: ANN001
    """Share of the path's length matched, and extra length matched off the path."""
    lengths = {k: graph.edges[u, v, k]["length_m"] for u, v, k in path}
    total = sum(lengths.values())
    hit = sum(min(c, lengths[s]) for s, c in result.covered_m.items() if s in lengths)
    extra = sum(c for s, c in result.covered_m.items() if s not in lengths)
    return hit / total, extra / total


@pytest.mark.parametrize("seed", range(8))
def test_noisy_tracks_are_matched_to_the_path(sample_graph, seed: int) -> None:  # noqa: ANN001
    path = random_path(sample_graph, seed, 1500.0)
    fixes = simulate_fixes(sample_graph, path, seed=seed, sigma_m=8.0, outlier_rate=0.03,
                           start=START)
    result = match_track(sample_graph, fixes)
    recall, extra = score(sample_graph, path, result)
    assert recall >= 0.95
    assert extra < 0.05
    assert result.breaks == 0
    # visits in walking order, times within the track, entry before exit
    times = [(v.entered_at, v.left_at) for v in result.visits]
    assert all(START <= a <= b <= fixes[-1][2] for a, b in times)
    assert [a for a, _ in times] == sorted(a for a, _ in times)
    ids = [k for _, _, k in path]
    assert result.streets[0] in ids[:2] and result.streets[-1] in ids[-2:]
    walked = sum(sample_graph.edges[e]["length_m"] for e in path)
    assert result.walked_m == pytest.approx(walked, rel=0.1)


def test_outliers_and_untimed_route_points(sample_graph) -> None:  # noqa: ANN001
    path = random_path(sample_graph, 11, 1200.0)
    fixes = simulate_fixes(sample_graph, path, seed=4, outlier_rate=0.06, start=START)
    timed = match_track(sample_graph, fixes)
    untimed = match_track(sample_graph, [(x, y, None) for x, y, _ in fixes])
    for result in (timed, untimed):
        recall, extra = score(sample_graph, path, result)
        assert recall >= 0.95 and extra < 0.06
    assert timed.skipped  # the wild fixes were left out
    assert all(v.entered_at is None and v.left_at is None for v in untimed.visits)


def test_partial_street_counts_the_stretch_walked(sample_graph) -> None:  # noqa: ANN001
    u, v, key = max(sample_graph.edges(keys=True),
                    key=lambda e: sample_graph.edges[e]["length_m"])
    data = sample_graph.edges[u, v, key]
    length = data["length_m"]
    # walk from 20 % to 70 % of the longest street, clean fixes every 5 m
    line = path_line(sample_graph, [(data["source"], data["target"], key)])
    to_lonlat = pyproj.Transformer.from_crs(4545, 4326, always_xy=True)
    fixes = []
    for n, along in enumerate(np.arange(0.2, 0.7001, 5 / line.length) * line.length):
        point = line.interpolate(along)
        lon, lat = to_lonlat.transform(point.x, point.y)
        fixes.append((lon, lat, START + timedelta(seconds=4 * n)))
    result = match_track(sample_graph, fixes)
    assert result.streets == [key]
    assert result.covered_m[key] == pytest.approx(0.5 * length, rel=0.03)
    visit = result.visits[0]
    assert visit.start_m == pytest.approx(0.2 * length, rel=0.03)
    piece = visit_geometry(sample_graph, visit)
    assert piece.length == pytest.approx(0.5 * data["geometry"].length, rel=0.03)
    assert shapely.Point(line.interpolate(0.45 * line.length)).distance(piece) < 0.01


def test_far_away_track_matches_nothing(sample_graph) -> None:  # noqa: ANN001
    fixes = [(100.0 + i * 1e-4, 20.0, None) for i in range(5)]
    result = match_track(sample_graph, fixes)
    assert result.visits == [] and result.skipped == list(range(5))


def test_spurs_union_and_zigzag() -> None:
    run = [StreetVisit(1, 0, 100, 100), StreetVisit(2, 0, 8, 16), StreetVisit(1, 100, 100, 0),
           StreetVisit(3, 0, 40, 40), StreetVisit(4, 30, 50, 20)]
    lengths = {1: 100.0, 2: 60.0, 3: 40.0, 4: 50.0}
    kept = trim_spurs(run, lengths, 15.0)
    assert [v.street_id for v in kept] == [1, 3, 4]  # 8 m into street 2 and back was noise
    assert covered_lengths([StreetVisit(1, 0, 10, 10), StreetVisit(1, 5, 20, 15),
                            StreetVisit(1, 30, 40, 10)]) == {1: 30.0}
    assert zigzag_length([0, 10, 6, 20, 14, 30], 16) == 30  # jitter is not walking
    assert zigzag_length([0, 50, 10], 16) == 90  # turning back is
    assert MatchParams().sigma_m == 8.0
