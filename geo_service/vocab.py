"""The controlled vocabularies every layer shares: street classes, statuses, categories, levels.

Each vocabulary is a ``StrEnum`` so values compare equal to the plain strings stored in PostGIS
and written in GeoJSON. Chinese labels live beside them so the UI, the loaders (which accept
Chinese values in attribute tables) and the sample all use the same words.
"""

from __future__ import annotations

from enum import StrEnum


class StreetClass(StrEnum):
    """Kinds of street, from main road down to stairways."""

    MAIN = "main"
    BRANCH = "branch"
    RESIDENTIAL = "residential"
    SERVICE = "service"
    ALLEY = "alley"
    FOOTWAY = "footway"
    PATH = "path"
    STEPS = "steps"
    OTHER = "other"


class Lit(StrEnum):
    """Whether a street is lit, as the source says."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class BuildingKind(StrEnum):
    """Kinds of building found in the community."""

    SELF_BUILT = "self_built"
    COMMERCIAL = "commercial"
    RESIDENTIAL = "residential"
    FACTORY_COMPOUND = "factory_compound"
    SCHOOL = "school"
    PUBLIC = "public"
    OTHER = "other"


class AssetStatus(StrEnum):
    """Life of a streetlight or camera."""

    WORKING = "working"
    BROKEN = "broken"
    PLANNED = "planned"


class LightMount(StrEnum):
    """Where a lamp hangs: its own pole or a bracket on a wall."""

    POLE = "pole"
    WALL = "wall"


class HazardCategory(StrEnum):
    """Categories of problem, from the report's list of livelihood problems."""

    PARKING = "parking"
    DIRTY_ALLEY = "dirty_alley"
    DIM_LIGHTING = "dim_lighting"
    PEELING_WALL = "peeling_wall"
    LEAKING_DRAIN = "leaking_drain"
    FIRE_RISK = "fire_risk"
    DISPUTE = "dispute"
    BROKEN_LIGHT = "broken_light"
    BROKEN_CAMERA = "broken_camera"
    OTHER = "other"


class Severity(StrEnum):
    """How bad a hazard is; sets its due time."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class HazardStatus(StrEnum):
    """States of the closed loop: report, assign, resolve, revisit, close."""

    REPORTED = "reported"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REVISITED = "revisited"
    CLOSED = "closed"


class Level(StrEnum):
    """Escalation level holding a hazard: building -> grid -> community -> subdistrict."""

    BUILDING = "building"
    GRID = "grid"
    COMMUNITY = "community"
    SUBDISTRICT = "subdistrict"


LABELS_ZH: dict[str, str] = {
    # street classes
    "main": "主干道",
    "branch": "支路",
    "residential": "小区道路",
    "service": "服务道路",
    "alley": "背街小巷",
    "footway": "人行道",
    "path": "小路",
    "steps": "台阶",
    # lit
    "yes": "有照明",
    "no": "无照明",
    "unknown": "未知",
    # building kinds
    "self_built": "自建房",
    "commercial": "商铺",
    "factory_compound": "厂区家属院",
    "school": "学校",
    "public": "公共建筑",
    # asset status
    "working": "正常",
    "broken": "损坏",
    "planned": "规划",
    "pole": "灯杆",
    "wall": "壁装",
    # hazard categories
    "parking": "停车难",
    "dirty_alley": "背街小巷脏乱",
    "dim_lighting": "照明昏暗",
    "peeling_wall": "墙面脱落",
    "leaking_drain": "管网老化渗漏",
    "fire_risk": "消防隐患",
    "dispute": "邻里纠纷",
    "broken_light": "路灯损坏",
    "broken_camera": "监控损坏",
    "other": "其他",
    # severity
    "low": "轻微",
    "medium": "一般",
    "high": "严重",
    "urgent": "紧急",
    # hazard status
    "reported": "已上报",
    "assigned": "已分派",
    "in_progress": "处理中",
    "resolved": "已解决",
    "revisited": "已回访",
    "closed": "已办结",
    # levels
    "building": "楼栋",
    "grid": "网格",
    "community": "社区",
    "subdistrict": "街道",
}


def values(enum: type[StrEnum]) -> list[str]:
    """Return the stored string values of a vocabulary, in declaration order."""
    return [member.value for member in enum]
