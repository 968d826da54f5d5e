"""Reading each format: GeoJSON, GeoPackage, Shapefile (GBK), GPX, CSV; and file-level errors."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from geo_service.ingest import CRSError, IngestError, SourceError, read_layer

COMMUNITY = (106.83, 27.52)


def near(dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    """A position a few hundred metres from the sample community (offsets in 1e-3 degrees)."""
    return COMMUNITY[0] + dx / 1000, COMMUNITY[1] + dy / 1000


def write_geojson(path: Path, features: list[tuple[dict, dict | None]]) -> Path:
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geometry}
        for props, geometry in features]}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def square(dx: float, dy: float, size: float = 0.2) -> shapely.Polygon:
    x, y = near(dx, dy)
    return shapely.box(x, y, x + size / 1000, y + size / 1000)


def chinese_buildings() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "编号": ["B001", "B002"],
        "名称": ["幸福小区1栋", "机械厂家属院3栋"],
        "层数": [6, 4],
        "类型": ["住宅", "厂区家属院"],
        "楼栋长": ["张三", "李四"],
        "联系电话": ["0851-2812345", "13800000000"],
    }, geometry=[square(0, 0), square(1, 1)], crs=4326)


# -- GeoJSON ---------------------------------------------------------------------------------
def test_geojson_with_chinese_headers_and_values(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "lights.geojson", [
        ({"编号": "L1", "灯高": "6 m", "状态": "正常", "安装方式": "灯杆",
          "安装日期": "2021年5月3日"}, shapely.geometry.mapping(shapely.Point(near()))),
        ({"编号": "L2", "灯高": 4.5, "状态": "损坏", "功率": "60W"},
         shapely.geometry.mapping(shapely.Point(near(1, 1)))),
        ({"编号": "L3", "状态": None}, shapely.geometry.mapping(shapely.Point(near(2, 1)))),
    ])
    data = read_layer(path, "lights")
    frame = data.frame
    assert data.layer == "lights" and data.source == "lights.geojson"
    assert list(frame.columns) == ["source_id", "height_m", "intensity_cd", "power_w", "status",
                                   "mount", "installed_on", "geometry"]
    assert frame["source_id"].tolist() == ["L1", "L2", "L3"]
    assert frame["height_m"].tolist()[:2] == [6.0, 4.5]
    assert frame["status"].tolist() == ["working", "broken", "working"]  # default: working
    assert frame["mount"].iloc[0] == "pole" and frame["power_w"].iloc[1] == 60.0
    assert str(frame["installed_on"].iloc[0]) == "2021-05-03"
    assert frame.crs.to_epsg() == 4326 and (frame.geom_type == "Point").all()
    assert data.problems == []


def test_missing_ids_get_stable_ids_from_file_and_index(tmp_path: Path) -> None:
    point = shapely.geometry.mapping(shapely.Point(near()))
    path = write_geojson(tmp_path / "cams.geojson", [({}, point), ({"id": "C9"}, point)])
    first = read_layer(path, "cameras").frame["source_id"].tolist()
    assert first == ["cams.geojson#0", "C9"]
    assert read_layer(path, "cameras").frame["source_id"].tolist() == first


# -- GeoPackage ------------------------------------------------------------------------------
def test_geopackage_layers_by_name_and_by_source_layer(tmp_path: Path) -> None:
    path = tmp_path / "community.gpkg"
    chinese_buildings().to_file(path, layer="buildings")
    lines = gpd.GeoDataFrame({"name": ["一号路"], "class": ["支路"]},
                             geometry=[shapely.LineString([near(), near(2, 0)])], crs=4326)
    lines.to_file(path, layer="roads")
    assert len(read_layer(path, "buildings").frame) == 2  # the layer named like the target
    with pytest.raises(SourceError, match="several layers"):
        read_layer(path, "streets")
    streets = read_layer(path, "streets", source_layer="roads").frame
    assert streets["street_class"].tolist() == ["branch"] and streets["name"].iloc[0] == "一号路"
    with pytest.raises(SourceError, match="no layer 'nope'"):
        read_layer(path, "streets", source_layer="nope")


# -- Shapefile and encodings -----------------------------------------------------------------
@pytest.fixture()
def gbk_shapefile(tmp_path: Path) -> Path:
    path = tmp_path / "楼栋.shp"
    pyogrio.write_dataframe(chinese_buildings(), path, encoding="GBK")
    assert (tmp_path / "楼栋.cpg").read_text().strip().upper() == "GBK"
    assert "幸福".encode("gbk") in (tmp_path / "楼栋.dbf").read_bytes()
    return path


def assert_chinese_read_right(frame: gpd.GeoDataFrame) -> None:
    assert frame["name"].tolist() == ["幸福小区1栋", "机械厂家属院3栋"]
    assert frame["kind"].tolist() == ["residential", "factory_compound"]
    assert frame["leader_name"].tolist() == ["张三", "李四"]
    assert frame["leader_phone"].tolist() == ["0851-2812345", "13800000000"]
    assert frame["floors"].tolist() == [6, 4]


def test_gbk_shapefile_honours_cpg(gbk_shapefile: Path) -> None:
    data = read_layer(gbk_shapefile, "buildings")
    assert_chinese_read_right(data.frame)
    assert (data.frame.geom_type == "MultiPolygon").all()
    assert data.problems == []


def test_gbk_shapefile_without_cpg_reads_with_encoding(gbk_shapefile: Path) -> None:
    gbk_shapefile.with_suffix(".cpg").unlink()
    data = read_layer(gbk_shapefile, "buildings", encoding="GBK")
    assert_chinese_read_right(data.frame)
    assert data.problems == []


def test_gbk_shapefile_without_cpg_is_guessed_with_a_warning(gbk_shapefile: Path) -> None:
    gbk_shapefile.with_suffix(".cpg").unlink()
    data = read_layer(gbk_shapefile, "buildings")
    assert_chinese_read_right(data.frame)
    assert len(data.problems) == 1 and data.problems[0].action == "warning"
    assert "--encoding" in data.problems[0].reason


def test_wrong_encoding_is_a_clear_error(gbk_shapefile: Path) -> None:
    gbk_shapefile.with_suffix(".cpg").write_text("UTF-8")
    with pytest.raises(SourceError, match="cannot be decoded.*--encoding GBK"):
        read_layer(gbk_shapefile, "buildings")
    with pytest.raises(SourceError, match="unknown encoding 'klingon'"):
        read_layer(gbk_shapefile, "buildings", encoding="klingon")


def test_shapefile_without_prj_needs_crs(gbk_shapefile: Path) -> None:
    gbk_shapefile.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match="--crs 4326 or --crs gcj02"):
        read_layer(gbk_shapefile, "buildings")
    assert len(read_layer(gbk_shapefile, "buildings", crs="4326").frame) == 2


# -- CSV -------------------------------------------------------------------------------------
def test_csv_with_chinese_lon_lat_columns(tmp_path: Path) -> None:
    path = tmp_path / "cameras.csv"
    path.write_text("编号,经度,纬度,朝向,视角,焦距,状态\n"
                    "C1,106.830,27.520,90,88,2.8 mm,正常\n"
                    "C2,106.831,27.521,270,37,8,规划\n", encoding="utf-8-sig")
    frame = read_layer(path, "cameras", crs="4326").frame
    assert frame["source_id"].tolist() == ["C1", "C2"]
    assert frame["heading_deg"].tolist() == [90.0, 270.0]
    assert frame["lens_mm"].tolist() == [2.8, 8.0]
    assert frame["status"].tolist() == ["working", "planned"]
    assert frame.geometry.iloc[1].equals(shapely.Point(106.831, 27.521))


def test_csv_of_x_y_without_crs_asks_for_crs(tmp_path: Path) -> None:
    path = tmp_path / "lights.csv"
    path.write_text("id,x,y\nL1,106.83,27.52\n", encoding="utf-8")
    with pytest.raises(CRSError) as caught:
        read_layer(path, "lights")
    assert "--crs" in str(caught.value) and "--crs 4326 or --crs gcj02" in str(caught.value)


def test_csv_of_degree_columns_needs_no_crs(tmp_path: Path) -> None:
    path = tmp_path / "lights.csv"
    path.write_text("id,经度,纬度\nL1,106.83,27.52\nL2,106.831,27.521\n", encoding="utf-8")
    data = read_layer(path, "lights")
    assert data.frame.geometry.iloc[0].equals(shapely.Point(106.83, 27.52))
    assert any("WGS-84" in p.reason and "gcj02" in p.reason for p in data.problems)


def test_csv_in_gbk_reads_with_encoding(tmp_path: Path) -> None:
    path = tmp_path / "hazards.csv"
    path.write_text("编号,经度,纬度,类别,描述,严重程度\nH1,106.83,27.52,停车难,巷口乱停车,严重\n",
                    encoding="gbk")
    with pytest.raises(SourceError, match="--encoding"):
        read_layer(path, "hazards", crs="4326")
    frame = read_layer(path, "hazards", crs="4326", encoding="GBK").frame
    assert frame[["category", "description", "severity"]].iloc[0].tolist() == [
        "parking", "巷口乱停车", "high"]


def test_csv_without_coordinates_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "lights.csv"
    path.write_text("id,where\nL1,somewhere\n", encoding="utf-8")
    with pytest.raises(SourceError, match="lon/lat columns"):
        read_layer(path, "lights", crs="4326")


def test_csv_row_without_numbers_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "lights.csv"
    path.write_text("id,lng,latitude\nL1,106.83,27.52\nL2,abc,27.52\n", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        read_layer(path, "lights", crs="4326")
    [problem] = caught.value.problems
    assert problem.feature == "#1 (id=L2)" and problem.field == "geometry"
    assert "lon/lat missing or not numbers" in problem.reason


# -- GPX -------------------------------------------------------------------------------------
GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="27.5200" lon="106.8300"><name>L1</name><desc>pole by the gate</desc></wpt>
  <wpt lat="27.5210" lon="106.8310"><name>L2</name></wpt>
  <trk><name>巷道一</name><type>alley</type><trkseg>
    <trkpt lat="27.5200" lon="106.8300"/><trkpt lat="27.5205" lon="106.8310"/>
  </trkseg><trkseg>
    <trkpt lat="27.5210" lon="106.8300"/><trkpt lat="27.5215" lon="106.8310"/>
  </trkseg></trk>
  <rte><name>route</name>
    <rtept lat="27.5220" lon="106.8300"/><rtept lat="27.5220" lon="106.8320"/>
  </rte>
</gpx>
"""


def test_gpx_waypoints_and_tracks(tmp_path: Path) -> None:
    path = tmp_path / "walk.gpx"
    path.write_text(GPX, encoding="utf-8")
    hazards = read_layer(path, "hazards").frame
    assert len(hazards) == 2 and hazards["description"].iloc[0] == "pole by the gate"
    streets = read_layer(path, "streets").frame
    assert len(streets) == 3  # a two-segment track split into parts, and a route
    assert (streets.geom_type == "LineString").all()
    assert streets["street_class"].tolist() == ["alley", "alley", "other"]
    assert streets["name"].tolist()[:2] == ["巷道一", "巷道一"]
    with pytest.raises(SourceError, match="not buildings polygons"):
        read_layer(path, "buildings")


# -- file-level errors -----------------------------------------------------------------------
def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="file not found"):
        read_layer(tmp_path / "nope.geojson", "streets")


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "streets.dwg"
    path.write_bytes(b"\0")
    with pytest.raises(SourceError, match=r"unknown format '\.dwg'"):
        read_layer(path, "streets")


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "streets.geojson"
    path.write_text("{ this is not json", encoding="utf-8")
    with pytest.raises(SourceError, match="cannot read"):
        read_layer(path, "streets")


def test_unknown_layer(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "x.geojson", [])
    with pytest.raises(SourceError, match="unknown layer 'trees'"):
        read_layer(path, "trees")


def test_missing_required_field(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "grids.geojson", [
        ({"名称": "一网格"}, shapely.geometry.mapping(square(0, 0)))])
    with pytest.raises(SourceError) as caught:
        read_layer(path, "grids")
    [problem] = caught.value.problems
    assert problem.field == "number" and "required field is missing" in problem.reason
    assert "网格号" in problem.reason
