"""Each kind of bad input gives a Problem naming file, feature, field and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import mapping

from geo_service.ingest import IngestError, LayerData, Problem, read_layer

LON, LAT = 106.83, 27.52


def at(dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    """Offsets in 1e-3 degrees (about 100 m) from the sample community."""
    return LON + dx / 1000, LAT + dy / 1000


def square(dx: float = 0.0, dy: float = 0.0, size: float = 0.3) -> dict:
    x, y = at(dx, dy)
    return mapping(shapely.box(x, y, x + size / 1000, y + size / 1000))


def point(dx: float = 0.0, dy: float = 0.0) -> dict:
    return mapping(shapely.Point(at(dx, dy)))


def line(*offsets: tuple[float, float]) -> dict:
    return mapping(shapely.LineString([at(*o) for o in offsets]))


def write(path: Path, features: list[tuple[dict, dict | None]]) -> Path:
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geometry}
        for props, geometry in features]}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def rejected(path: Path, layer: str, **options: object) -> list[Problem]:
    """The rejected problems of a file that must fail, after checking the skip_invalid path."""
    with pytest.raises(IngestError) as caught:
        read_layer(path, layer, **options)
    problems = [p for p in caught.value.problems if p.action == "rejected"]
    assert problems, "an IngestError must carry the rejections"
    assert f"{len({p.feature for p in problems})} feature" in str(caught.value)
    kept = read_layer(path, layer, skip_invalid=True, **options)
    assert [p for p in kept.problems if p.action == "rejected"] == problems
    return problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# -- geometry --------------------------------------------------------------------------------
def test_missing_and_empty_geometry(tmp_path: Path) -> None:
    path = write(tmp_path / "buildings.geojson", [
        ({"id": "B1"}, square()),
        ({"id": "B2"}, None),
        ({"id": "B3"}, {"type": "Polygon", "coordinates": []}),
    ])
    problems = rejected(path, "buildings")
    assert [(p.file, p.feature, p.field) for p in problems] == [
        ("buildings.geojson", "#1 (id=B2)", "geometry"),
        ("buildings.geojson", "#2 (id=B3)", "geometry")]
    assert all("missing or empty" in p.reason for p in problems)
    data = read_layer(path, "buildings", skip_invalid=True)
    assert data.frame["source_id"].tolist() == ["B1"]


def test_wrong_geometry_type(tmp_path: Path) -> None:
    path = write(tmp_path / "buildings.geojson", [
        ({"id": "B1"}, square()), ({"id": "B2"}, point(1, 1))])
    problem = only(rejected(path, "buildings"))
    assert problem.feature == "#1 (id=B2)" and problem.field == "geometry"
    assert problem.reason == "Point geometry where buildings need polygons"


def test_geometry_collection_is_not_a_hazard(tmp_path: Path) -> None:
    collection = {"type": "GeometryCollection", "geometries": [point(), line((0, 0), (1, 1))]}
    path = write(tmp_path / "hazards.geojson", [({"id": "H1"}, collection),
                                                ({"id": "H2"}, point())])
    assert "GeometryCollection" in only(rejected(path, "hazards")).reason


def test_multipoint_of_several_points_is_not_a_light(tmp_path: Path) -> None:
    one = {"type": "MultiPoint", "coordinates": [list(at())]}
    two = {"type": "MultiPoint", "coordinates": [list(at()), list(at(1, 1))]}
    path = write(tmp_path / "lights.geojson", [({"id": "L1"}, one), ({"id": "L2"}, two)])
    problem = only(rejected(path, "lights"))
    assert problem.feature == "#1 (id=L2)" and "MultiPoint of 2 points" in problem.reason
    frame = read_layer(path, "lights", skip_invalid=True).frame
    assert frame.geometry.iloc[0].geom_type == "Point"


def test_invalid_polygon_is_repaired_and_reported(tmp_path: Path) -> None:
    x, y = at()
    d = 0.0005
    bowtie = {"type": "Polygon", "coordinates": [
        [[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]]}
    path = write(tmp_path / "buildings.geojson", [({"id": "B1"}, bowtie)])
    data = read_layer(path, "buildings")
    problem = only(data.problems)
    assert (problem.action, problem.feature, problem.field) == ("repaired", "#0 (id=B1)",
                                                                "geometry")
    assert "Self-intersection" in problem.reason and "make_valid" in problem.reason
    geometry = data.frame.geometry.iloc[0]
    assert geometry.is_valid and geometry.geom_type == "MultiPolygon"
    assert len(geometry.geoms) == 2 and geometry.area == pytest.approx(d * d / 2)


def test_polygon_without_area_is_rejected(tmp_path: Path) -> None:
    x, y = at()
    flat = {"type": "Polygon", "coordinates": [
        [[x, y], [x + 0.001, y], [x + 0.002, y], [x, y]]]}
    path = write(tmp_path / "grids.geojson", [({"网格号": 1}, square()),
                                              ({"网格号": 2}, flat)])
    problem = only(rejected(path, "grids"))
    assert problem.feature == "#1 (number=2)"
    assert "cannot be repaired into an area" in problem.reason


def test_zero_length_line_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path / "streets.geojson", [
        ({"id": "S1"}, line((0, 0), (1, 0))), ({"id": "S2"}, line((0, 0), (0, 0)))])
    problem = only(rejected(path, "streets"))
    assert problem.feature == "#1 (id=S2)" and problem.field == "geometry"


def test_coordinates_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path / "lights.geojson", [
        ({"id": "L1"}, point()),
        ({"id": "L2"}, {"type": "Point", "coordinates": [200.0, 95.0]}),
        ({"id": "L3"}, {"type": "Point", "coordinates": [LAT, LON]}),  # swapped
        ({"id": "L4"}, {"type": "Point", "coordinates": [LAT, 300.0]}),
    ])
    problems = rejected(path, "lights")
    by_id = {p.feature: p.reason for p in problems}
    assert set(by_id) == {"#1 (id=L2)", "#2 (id=L3)", "#3 (id=L4)"}
    assert "out of range" in by_id["#1 (id=L2)"] and "lon 200, lat 95" in by_id["#1 (id=L2)"]
    assert "swapped" not in by_id["#1 (id=L2)"]
    assert "latitude and longitude look swapped" in by_id["#2 (id=L3)"]
    assert "swapped" not in by_id["#3 (id=L4)"]


def test_projected_numbers_in_a_lonlat_file_get_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "lights.geojson", [
        ({"id": "L1"}, {"type": "Point", "coordinates": [36500000.0, 3045000.0]})])
    assert "look like projected coordinates" in only(rejected(path, "lights")).reason


def test_feature_far_from_the_rest_of_the_file(tmp_path: Path) -> None:
    features = [({"id": f"L{i}"}, point(i % 5, i // 5)) for i in range(20)]
    features.append(({"id": "FAR"}, point(0, 300)))  # ~33 km north
    path = write(tmp_path / "lights.geojson", features)
    problem = only(rejected(path, "lights"))
    assert problem.feature == "#20 (id=FAR)" and problem.field == "geometry"
    assert "33.0 km" in problem.reason and "median centre of the file" in problem.reason


def test_swapped_feature_in_range_is_caught_as_far_with_hint(tmp_path: Path) -> None:
    # Finland: swapping lon and lat still gives valid coordinates, but far away
    features = [({"id": f"L{i}"}, {"type": "Point", "coordinates": [26.94 + i / 1e4, 60.53]})
                for i in range(5)]
    features.append(({"id": "SW"}, {"type": "Point", "coordinates": [60.53, 26.94]}))
    path = write(tmp_path / "lights.geojson", features)
    problem = only(rejected(path, "lights"))
    assert problem.feature == "#5 (id=SW)"
    assert "latitude and longitude look swapped" in problem.reason


def test_reference_area_near_the_file(tmp_path: Path) -> None:
    area = shapely.box(*at(-1, -1), *at(6, 6))
    features = [({"id": f"L{i}"}, point(i, i)) for i in range(5)]
    features.append(({"id": "OUT"}, point(80, 0)))  # ~7.9 km east of the area's edge
    path = write(tmp_path / "lights.geojson", features)
    problem = only(rejected(path, "lights", reference_area=area))
    assert problem.feature == "#5 (id=OUT)" and "from the reference area" in problem.reason
    # without the area the same feature is measured from the file's own centre
    assert "median centre" in only(rejected(path, "lights")).reason


def test_reference_area_elsewhere_gives_one_warning(tmp_path: Path) -> None:
    area = shapely.box(26.9, 60.5, 27.0, 60.6)  # Finland
    path = write(tmp_path / "lights.geojson", [({"id": f"L{i}"}, point(i, 0)) for i in range(3)])
    data = read_layer(path, "lights", reference_area=area)
    warning = only(data.problems)
    assert warning.action == "warning" and warning.feature == "" and warning.field is None
    assert "km from the reference area" in warning.reason
    assert len(data.frame) == 3


# -- attributes ------------------------------------------------------------------------------
def test_enum_value_not_in_vocabulary(tmp_path: Path) -> None:
    path = write(tmp_path / "streets.geojson", [
        ({"id": "S0000", "lit": "yes"}, line((0, 0), (1, 0))),
        ({"id": "S0001", "lit": "maybe", "class": "residential"}, line((0, 1), (1, 1))),
    ])
    problem = only(rejected(path, "streets"))
    assert str(problem) == ("streets.geojson feature #1 (id=S0001) field 'lit': rejected: "
                            "value 'maybe' is not one of yes, no, unknown")


def test_street_defaults_and_chinese_values(tmp_path: Path) -> None:
    path = write(tmp_path / "streets.geojson", [
        ({"编号": "S1", "道路等级": "背街小巷", "照明": "是", "宽度": "3.5米"},
         line((0, 0), (1, 0))),
        ({"编号": "S2", "highway": "footway", "照明": "无"}, line((0, 1), (1, 1))),
        ({"编号": "S3"}, line((0, 2), (1, 2))),
    ])
    frame = read_layer(path, "streets").frame
    assert frame["street_class"].tolist() == ["alley", "footway", "other"]
    assert frame["lit"].tolist() == ["yes", "no", "unknown"]
    assert frame["width_m"].iloc[0] == 3.5


@pytest.mark.parametrize(("layer", "props", "field", "reason"), [
    ("buildings", {"层数": "six"}, "floors", "value 'six' is not a number"),
    ("buildings", {"floors": -2}, "floors", "value -2 is negative"),
    ("buildings", {"floors": 2.5}, "floors", "value 2.5 is not a whole number"),
    ("buildings", {"类型": "castle"}, "kind", "value 'castle' is not one of self_built, "),
    ("lights", {"灯高": -3}, "height_m", "value -3 is negative"),
    ("lights", {"状态": "坏掉了"}, "status", "is not one of working, broken, planned"),
    ("lights", {"安装日期": "last spring"}, "installed_on", "value 'last spring' is not a date"),
    ("cameras", {"朝向": 400}, "heading_deg", "value 400 is outside 0-360"),
    ("cameras", {"heading": -10}, "heading_deg", "value -10 is outside 0-360"),
    ("cameras", {"fov": 0}, "fov_deg", "value 0 must be more than 0"),
    ("hazards", {"severity": "extreme"}, "severity", "not one of low, medium, high, urgent"),
    ("hazards", {"reported_at": "yesterday"}, "reported_at", "is not a date and time"),
    ("hazards", {"history": "[{'at': 1}"}, "history", "value is not valid JSON"),
    ("hazards", {"history": [1, 2]}, "history", "value is not a list of event objects"),
])
def test_bad_attribute_values(tmp_path: Path, layer: str, props: dict, field: str,
                              reason: str) -> None:
    geometry = square() if layer == "buildings" else point()
    path = write(tmp_path / f"{layer}.geojson", [({"id": "OK"}, geometry),
                                                 ({"id": "BAD", **props}, geometry)])
    problem = only(rejected(path, layer))
    assert (problem.file, problem.feature, problem.field) == (f"{layer}.geojson",
                                                              "#1 (id=BAD)", field)
    assert reason in problem.reason


def test_hazard_defaults_dates_and_history(tmp_path: Path) -> None:
    history = [{"at": "2024-05-01T09:00:00+08:00", "action": "report"}]
    path = write(tmp_path / "hazards.geojson", [
        ({"id": "H1", "类别": "照明昏暗", "reported_at": "2024-05-01 09:00",
          "due_at": "2024-05-03T18:00:00+08:00", "history": json.dumps(history)},
         point()),
        ({"id": "H2", "category": "fire_risk", "严重程度": "紧急", "状态": "已分派", "层级": "网格",
          "history": history}, line((0, 0), (1, 1))),
        ({"id": "H3"}, square()),
    ])
    frame = read_layer(path, "hazards").frame
    assert frame["category"].tolist() == ["dim_lighting", "fire_risk", "other"]
    assert frame["severity"].tolist() == ["medium", "urgent", "medium"]
    assert frame["status"].tolist() == ["reported", "assigned", "reported"]
    assert frame["level"].tolist() == ["building", "grid", "building"]
    assert frame["history"].tolist() == [history, history, []]
    assert str(frame["reported_at"].iloc[0]) == "2024-05-01 09:00:00"
    assert frame["due_at"].iloc[0].utcoffset().total_seconds() == 8 * 3600
    assert frame.geom_type.tolist() == ["Point", "LineString", "Polygon"]


def test_duplicate_grid_numbers_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path / "grids.geojson", [
        ({"网格号": 1, "名称": "一网格"}, square(0, 0)),
        ({"网格号": 2, "名称": "二网格"}, square(1, 0)),
        ({"网格号": "2", "名称": "又一个二网格"}, square(2, 0)),
    ])
    problems = rejected(path, "grids")
    assert [(p.feature, p.field) for p in problems] == [("#1 (number=2)", "number"),
                                                        ("#2 (number=2)", "number")]
    assert "number 2 is used by 2 features" in problems[0].reason
    frame = read_layer(path, "grids", skip_invalid=True).frame
    assert frame["number"].tolist() == [1] and frame["name"].tolist() == ["一网格"]
    assert frame["number"].dtype == "Int64"


def test_duplicate_source_ids_are_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "lights.geojson", [({"id": "L1"}, point()),
                                               ({"id": "L1"}, point(1, 0))])
    data = read_layer(path, "lights")
    assert [p.action for p in data.problems] == ["warning", "warning"]
    assert len(data.frame) == 2


def test_skip_invalid_keeps_the_good_and_lists_the_bad(tmp_path: Path) -> None:
    path = write(tmp_path / "buildings.geojson", [
        ({"id": f"B{i}", "floors": -1 if i % 2 else 3}, square(i, 0)) for i in range(60)])
    with pytest.raises(IngestError) as caught:
        read_layer(path, "buildings")
    assert str(caught.value).splitlines()[0] == "30 features rejected in buildings.geojson:"
    data = read_layer(path, "buildings", skip_invalid=True)
    assert isinstance(data, LayerData)
    assert data.frame["source_id"].tolist() == [f"B{i}" for i in range(0, 60, 2)]
    assert len(data.problems) == 30 and {p.field for p in data.problems} == {"floors"}


def test_multilinestring_streets_are_split_into_parts(tmp_path: Path) -> None:
    multi = {"type": "MultiLineString", "coordinates": [
        [list(at(0, 0)), list(at(1, 0))], [list(at(0, 1)), list(at(1, 1))]]}
    path = write(tmp_path / "streets.geojson", [({"id": "S1", "name": "两段路"}, multi)])
    frame = read_layer(path, "streets").frame
    assert frame["source_id"].tolist() == ["S1", "S1"]
    assert frame["name"].tolist() == ["两段路", "两段路"]
    assert (frame.geom_type == "LineString").all() and list(frame.index) == [0, 1]
