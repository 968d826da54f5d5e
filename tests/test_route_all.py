"""``route --all``: every street of a community without grids, one closed walk over its
largest connected piece with the bound printed; ``check grids`` there says what to load."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import networkx as nx
import pytest
from sqlalchemy import Engine, text


def pyrosm_pbf() -> Path:
    """pyrosm's ``data/test.osm.pbf`` (Kotka, Finland), a test dependency."""
    spec = importlib.util.find_spec("pyrosm")
    assert spec is not None, "pyrosm (a test dependency) is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "test.osm.pbf"


@pytest.mark.slow  # loads an OSM extract and routes all of it (~20 s)
def test_route_all_walks_every_street_of_the_largest_piece(cli, engine: Engine,
                                                          tmp_path: Path) -> None:
    loaded = cli("load", "osm", str(pyrosm_pbf()), "--community", "Kotka")
    assert loaded.exit_code == 0, loaded.output
    checked = cli("check", "grids", "--community", "Kotka")
    assert checked.exit_code != 0
    said = str(checked.exception) + checked.output
    assert "no grids loaded in community Kotka" in said and "load grids FILE" in said
    out = tmp_path / "kotka.geojson"
    result = cli("route", "--all", "--community", "Kotka", "--no-store", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "lower bound" in result.output and "grids all" in result.output
    with engine.connect() as conn:
        edges = conn.execute(text(
            "SELECT s.id, s.source, s.target, s.length_m FROM streets s "
            "JOIN communities c ON c.id = s.community_id WHERE c.name = 'Kotka'")).all()
    graph = nx.MultiGraph()
    for street, u, v, length in edges:
        graph.add_edge(u, v, key=street, length=length)
    largest = max(nx.connected_components(graph), key=lambda nodes: sum(
        d["length"] for _, _, d in graph.subgraph(nodes).edges(data=True)))
    wanted = {k for _, _, k in graph.subgraph(largest).edges(keys=True)}
    wanted_m = sum(d["length"] for _, _, d in graph.subgraph(largest).edges(data=True))
    collection = json.loads(out.read_text())
    routes = [f for f in collection["features"] if f["properties"]["kind"] == "route"]
    assert len(routes) == 1
    line = routes[0]["geometry"]["coordinates"]
    assert line[0] == line[-1]  # a closed walk
    stats = collection["stats"]
    assert stats["required_streets"] == len(wanted) < len(edges)
    assert stats["required_m"] == pytest.approx(wanted_m, abs=0.01)
    route = routes[0]["properties"]
    assert wanted_m - 0.01 <= route["lower_bound_m"] <= route["length_m"] + 1e-6
    stored = cli("route", "--all", "--community", "Kotka")
    assert stored.exit_code == 0, stored.output
    with engine.connect() as conn:
        owner = conn.execute(text(
            "SELECT c.name FROM patrol_plans p JOIN communities c ON c.id = p.community_id "
            "ORDER BY p.id DESC LIMIT 1")).scalar_one()
    assert owner == "Kotka"
