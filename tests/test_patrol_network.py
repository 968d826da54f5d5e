"""The walkable street graph: chosen grids plus a margin, edges keyed by street id."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import text

from geo_service.analysis.network import (
    graph_arrays,
    graph_streets,
    walkable_classes,
    walkable_network,
)
from geo_service.db.engine import engine_for
from geo_service.patrol import load_network

GRIDS = [1, 2, 3, 4]


def test_load_network_reads_the_grids_and_a_margin(sample_db: str) -> None:
    engine = engine_for(sample_db)
    with engine.connect() as conn:
        graph = load_network(conn, GRIDS, 100.0)
        rows = conn.execute(text("""
            WITH area AS (SELECT ST_Union(geom) AS geom FROM grids WHERE number = ANY(:g))
            SELECT s.id, s.length_m, s.street_class, g.number,
                   ST_DWithin(s.geom::geography, area.geom::geography, 100) AS near
            FROM streets s LEFT JOIN grids g ON g.id = s.grid_id, area"""),
            {"g": GRIDS}).mappings().all()
    by_id = {row["id"]: row for row in rows}
    edges = {k: d for _, _, k, d in graph.edges(keys=True, data=True)}
    inside = {i for i, row in by_id.items() if row["number"] in GRIDS}
    assert {k for k, d in edges.items() if d["in_area"]} == inside
    assert all(by_id[k]["near"] for k in edges)  # margin streets are within 100 m
    margin = {k for k, d in edges.items() if not d["in_area"]}
    assert margin and all(by_id[k]["number"] not in GRIDS for k in margin)
    for key, data in edges.items():  # keys are the streets table's ids
        assert data["id"] == key
        assert data["length_m"] == pytest.approx(by_id[key]["length_m"]) and "length" not in data
        assert data["street_class"] == by_id[key]["street_class"]
        assert data["geometry"].length == pytest.approx(data["length_m"], rel=0.01)
        first = data["geometry"].coords[0]
        node = graph.nodes[data["source"]]
        assert (node["x"], node["y"]) == pytest.approx(first)
    assert graph.graph["crs"].to_epsg() == 4545
    with engine.connect() as conn:
        wider = {k for _, _, k in load_network(conn, GRIDS, 300.0).edges(keys=True)}
    assert set(edges) < wider


def test_walkable_classes_are_a_setting(sample_db: str) -> None:
    with engine_for(sample_db).connect() as conn:
        everything = load_network(conn, GRIDS)
        no_main = load_network(conn, GRIDS, walkable=walkable_classes(exclude=["main"]))
        alleys = load_network(conn, GRIDS, walkable=["alley", "steps", "footway", "path"])
    classes = {d for *_, d in everything.edges(data="street_class")}
    assert "main" in classes  # main roads are walkable by default
    assert "main" not in {d for *_, d in no_main.edges(data="street_class")}
    assert {d for *_, d in alleys.edges(data="street_class")} <= {"alley", "steps", "footway",
                                                                   "path"}
    with pytest.raises(ValueError, match="unknown street classes: motorway"):
        walkable_classes(["motorway"])


def test_unknown_grid_and_all_grids(sample_db: str) -> None:
    with engine_for(sample_db).connect() as conn:
        with pytest.raises(ValueError, match="no grid numbered 99"):
            load_network(conn, [1, 99])
        graph = load_network(conn, None)
        total = conn.execute(text("SELECT count(*) FROM streets")).scalar_one()
    assert graph.number_of_edges() <= total
    assert all(flag for *_, flag in graph.edges(data="in_area"))


def test_walkable_network_from_frames() -> None:
    # three streets in a row along the x axis (metres, EPSG:4545), grid 1 holds the first
    x0, y0 = 500_000.0, 3_045_000.0
    lines = [shapely.LineString([(x0 + a, y0), (x0 + b, y0)])
             for a, b in ((0, 100), (100, 160), (160, 400))]
    streets = gpd.GeoDataFrame({"id": [11, 12, 13], "source": [1, 2, 3], "target": [2, 3, 4],
                                "street_class": ["alley", "main", "alley"]},
                               geometry=lines, crs=4545).to_crs(4326)
    grids = gpd.GeoDataFrame({"number": [1, 2]}, geometry=[
        shapely.box(x0 - 10, y0 - 50, x0 + 100, y0 + 50),
        shapely.box(x0 + 100, y0 - 50, x0 + 500, y0 + 50)], crs=4545)
    graph = walkable_network(streets, grids, [1], margin_m=30)
    assert sorted(k for *_, k in graph.edges(keys=True)) == [11, 12]
    assert graph.edges[1, 2, 11]["in_area"] and not graph.edges[2, 3, 12]["in_area"]
    assert graph.edges[2, 3, 12]["grid"] == 2
    assert graph.edges[1, 2, 11]["length_m"] == pytest.approx(100, abs=0.01)
    no_main = walkable_network(streets, grids, [1], margin_m=30, walkable=["alley"])
    assert [k for *_, k in no_main.edges(keys=True)] == [11]
    frame = graph_streets(graph)
    assert list(frame["id"]) == [11, 12] and frame.crs.to_epsg() == 4545
    arrays = graph_arrays(graph)  # from the start of street 11 to 30 m along street 12
    first, second = arrays.position[11], arrays.position[12]
    dist = arrays.point_distances(np.array([first]), np.array([0.0]), np.array([second]),
                                  np.array([30.0]))
    assert dist[0, 0] == pytest.approx(130.0, abs=0.01)
