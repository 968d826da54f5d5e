"""The canonical columns of each layer: types, vocabularies, defaults and accepted header names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from geo_service.vocab import (
    LABELS_ZH,
    AssetStatus,
    BuildingKind,
    HazardCategory,
    HazardStatus,
    Level,
    LightMount,
    Lit,
    Severity,
    StreetClass,
)

LAYERS = ("grids", "buildings", "streets", "lights", "cameras", "hazards")

Kind = Literal["text", "int", "float", "enum", "date", "datetime", "history"]
GeometryKind = Literal["polygon", "line", "point", "any"]

GEOMETRY: dict[str, GeometryKind] = {
    "grids": "polygon",
    "buildings": "polygon",
    "streets": "line",
    "lights": "point",
    "cameras": "point",
    "hazards": "any",
}


@dataclass(frozen=True)
class Field:
    """One canonical column: its type, accepted header names, range and default."""

    name: str
    kind: Kind = "text"
    aliases: tuple[str, ...] = ()
    vocabulary: type[StrEnum] | None = None
    default: str | None = None
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False  # the minimum itself is not allowed


SOURCE_ID = Field("source_id", aliases=("id", "编号", "sourceid", "uid", "osm_id"))
NAME = Field("name", aliases=("名称", "名字", "title"))
STATUS = Field("status", "enum", ("状态",), AssetStatus, default=AssetStatus.WORKING)
INSTALLED_ON = Field("installed_on", "date",
                     ("installed", "install_date", "安装日期", "安装时间", "start_date"))

FIELDS: dict[str, tuple[Field, ...]] = {
    "grids": (
        Field("number", "int", ("no", "grid_no", "grid_number", "网格号", "网格编号", "序号"),
              required=True, minimum=0),
        Field("code", aliases=("grid_code", "代码", "网格代码", "网格编码")),
        Field("name", aliases=("名称", "网格名称", "网格名")),
        Field("zone", aliases=("area", "片区", "区域")),
        Field("party_group", aliases=("party", "党小组", "党支部")),
        Field("staff", aliases=("grid_staff", "网格员", "网格长")),
    ),
    "buildings": (
        SOURCE_ID,
        NAME,
        Field("address", aliases=("addr", "地址", "门牌")),
        Field("floors", "int", ("levels", "building_levels", "层数", "楼层", "楼层数"),
              minimum=0),
        Field("households", "int", ("flats", "户数", "住户数"), minimum=0),
        Field("kind", "enum", ("type", "building", "类型", "用途", "建筑类型"), BuildingKind),
        Field("compound", aliases=("小区", "小区名称", "院落")),
        Field("leader_name", aliases=("leader", "楼栋长", "楼长")),
        Field("leader_phone", aliases=("phone", "电话", "联系电话", "楼栋长电话")),
    ),
    "streets": (
        SOURCE_ID,
        Field("name", aliases=("名称", "路名", "道路名称", "名字")),
        Field("street_class", "enum",
              ("class", "highway", "道路等级", "等级", "道路类型", "type", "类型"),
              StreetClass, default=StreetClass.OTHER),
        Field("width_m", "float", ("width", "宽度", "路宽", "道路宽度"), minimum=0),
        Field("lit", "enum", ("照明", "是否照明", "有无照明", "路灯"), Lit, default=Lit.UNKNOWN),
        Field("level", "int", ("layer", "z_level", "层", "层级", "所在层"), default="0",
              minimum=-10, maximum=10),
    ),
    "lights": (
        SOURCE_ID,
        Field("height_m", "float", ("height", "灯高", "高度", "杆高"), minimum=0),
        Field("intensity_cd", "float", ("intensity", "光强", "发光强度"), minimum=0),
        Field("power_w", "float", ("power", "功率"), minimum=0),
        STATUS,
        Field("mount", "enum", ("lamp_mount", "安装方式"), LightMount),
        INSTALLED_ON,
    ),
    "cameras": (
        SOURCE_ID,
        Field("heading_deg", "float",
              ("heading", "direction", "camera_direction", "朝向", "方向"),
              minimum=0, maximum=360),
        Field("fov_deg", "float", ("fov", "视角", "视场角"), minimum=0, maximum=360,
              above_minimum=True),
        Field("range_m", "float", ("range", "距离", "监控距离", "可视距离"), minimum=0),
        Field("lens_mm", "float", ("lens", "focal_length", "焦距", "镜头"), minimum=0,
              above_minimum=True),
        STATUS,
        INSTALLED_ON,
    ),
    "hazards": (
        SOURCE_ID,
        Field("category", "enum", ("type", "类别", "类型", "问题类型"), HazardCategory,
              default=HazardCategory.OTHER),
        Field("description", aliases=("desc", "描述", "内容", "问题描述")),
        Field("severity", "enum", ("严重程度", "紧急程度"), Severity, default=Severity.MEDIUM),
        Field("status", "enum", ("状态",), HazardStatus, default=HazardStatus.REPORTED),
        Field("level", "enum", ("层级", "级别"), Level, default=Level.BUILDING),
        Field("reported_at", "datetime", ("reported", "time", "上报时间", "报告时间")),
        Field("due_at", "datetime", ("due", "期限", "截止时间")),
        Field("reporter_name", aliases=("reporter", "上报人", "报告人")),
        Field("reporter_contact", aliases=("contact", "联系方式", "联系电话", "电话")),
        Field("assignee", aliases=("负责人", "处理人")),
        Field("history", "history", ("历史", "处理记录")),
    ),
}

#: OSM ``highway`` values and the street class they become; others are not streets here.
HIGHWAY_CLASSES: dict[str, StreetClass] = {
    **dict.fromkeys(("trunk", "primary", "secondary", "tertiary", "trunk_link", "primary_link",
                     "secondary_link", "tertiary_link"), StreetClass.MAIN),
    "unclassified": StreetClass.BRANCH,
    "residential": StreetClass.RESIDENTIAL,
    "living_street": StreetClass.RESIDENTIAL,
    "service": StreetClass.SERVICE,
    **dict.fromkeys(("footway", "pedestrian", "cycleway", "corridor"), StreetClass.FOOTWAY),
    **dict.fromkeys(("path", "track", "bridleway"), StreetClass.PATH),
    "steps": StreetClass.STEPS,
    "road": StreetClass.OTHER,
}

#: OSM ``building`` values and the building kind they become; anything else is "other".
BUILDING_KINDS: dict[str, BuildingKind] = {
    "house": BuildingKind.SELF_BUILT,
    "detached": BuildingKind.SELF_BUILT,
    "commercial": BuildingKind.COMMERCIAL,
    "retail": BuildingKind.COMMERCIAL,
    "apartments": BuildingKind.RESIDENTIAL,
    "residential": BuildingKind.RESIDENTIAL,
    "school": BuildingKind.SCHOOL,
    "industrial": BuildingKind.FACTORY_COMPOUND,
    "public": BuildingKind.PUBLIC,
    "civic": BuildingKind.PUBLIC,
    "government": BuildingKind.PUBLIC,
}

_YES = ("是", "有", "亮", "true", "y", "1", "24/7", "automatic", "照明")
_NO = ("否", "无", "没有", "不亮", "false", "n", "0", "disused")

#: Words accepted for a vocabulary value besides the value itself and its label in ``LABELS_ZH``.
SYNONYMS: dict[type[StrEnum], dict[str, str]] = {
    Lit: {**dict.fromkeys(_YES, Lit.YES), **dict.fromkeys(_NO, Lit.NO),
          "不详": Lit.UNKNOWN, "不明": Lit.UNKNOWN},
    StreetClass: {**HIGHWAY_CLASSES, "主干路": StreetClass.MAIN, "次干道": StreetClass.MAIN,
                  "次干路": StreetClass.MAIN, "干道": StreetClass.MAIN,
                  "巷": StreetClass.ALLEY, "小巷": StreetClass.ALLEY, "巷道": StreetClass.ALLEY,
                  "步行道": StreetClass.FOOTWAY, "楼梯": StreetClass.STEPS,
                  "梯步": StreetClass.STEPS},
    BuildingKind: {**BUILDING_KINDS, "住宅": BuildingKind.RESIDENTIAL,
                   "住宅楼": BuildingKind.RESIDENTIAL, "居民楼": BuildingKind.RESIDENTIAL,
                   "商业": BuildingKind.COMMERCIAL, "厂区": BuildingKind.FACTORY_COMPOUND,
                   "家属院": BuildingKind.FACTORY_COMPOUND},
    AssetStatus: {"ok": AssetStatus.WORKING, "坏": AssetStatus.BROKEN,
                  "故障": AssetStatus.BROKEN, "计划": AssetStatus.PLANNED,
                  "拟建": AssetStatus.PLANNED},
    LightMount: {"杆": LightMount.POLE, "墙": LightMount.WALL, "壁挂": LightMount.WALL,
                 "wall_mounted": LightMount.WALL, "mast": LightMount.POLE},
}


def normalise(word: object) -> str:
    """Lower-case a header or value and join its words with underscores."""
    text = str(word).strip().lower()
    for separator in (" ", "-", ":", "."):
        text = text.replace(separator, "_")
    return text


def vocabulary_words(vocabulary: type[StrEnum]) -> dict[str, str]:
    """Every accepted (normalised) word for a vocabulary, mapped to its stored value."""
    values = {member.value for member in vocabulary}
    words = {normalise(label): value for value, label in LABELS_ZH.items() if value in values}
    words.update({normalise(k): str(v) for k, v in SYNONYMS.get(vocabulary, {}).items()})
    words.update({normalise(member.value): member.value for member in vocabulary})
    return words
