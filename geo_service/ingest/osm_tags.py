"""OpenStreetMap tags: parse GDAL's ``other_tags`` and read the few tags this service uses.

Every reader returns None for a tag that is absent; a tag that is present but unreadable raises
ValueError with a reason, which the OSM reader reports as a warning and leaves the value empty.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date

from geo_service.vocab import BuildingKind, LightMount, Lit, StreetClass

from .schema import BUILDING_KINDS, HIGHWAY_CLASSES

Tags = Mapping[str, str]

# "key"=>"value" pairs; backslash escapes a quote or a backslash inside either string.
_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*(?:"((?:[^"\\]|\\.)*)"|(NULL))')
_ESCAPE = re.compile(r"\\(.)")
_LENGTH = re.compile(r"^\s*(\d+(?:[.,]\d+)?|\.\d+)\s*(m|metres?|meters?|km|ft|feet|'|)\s*$",
                     re.IGNORECASE)
_FEET_INCHES = re.compile(r"^\s*(\d+)\s*'\s*(\d+(?:\.\d+)?)\s*\"\s*$")
_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")

COMPASS = {name: i * 22.5 for i, name in enumerate(
    ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
     "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"))}
LIT_YES = frozenset({"yes", "24/7", "automatic", "limited", "interval", "sunset-sunrise"})
LIT_NO = frozenset({"no", "disused"})
WALL_MOUNTS = frozenset({"wall", "wall_mounted", "wall_mount", "suspended"})
POLE_MOUNTS = frozenset({"pole", "poles", "straight_mast", "bent_mast", "cast_steel_mast",
                         "mast", "street_lamp", "ground"})
#: highway values that are never streets here, even when HIGHWAY_CLASSES grows.
NOT_STREETS = frozenset({"motorway", "motorway_link", "construction", "proposed", "platform",
                         "raceway", "bus_guideway", "abandoned", "disused", "razed", "escape"})


def parse_other_tags(text: str | None) -> dict[str, str]:
    """The tags in GDAL's hstore-like ``other_tags`` string (``"k"=>"v","k2"=>"v2"``).

    Quotes and backslashes escaped inside keys or values are honoured; ``NULL`` values are
    dropped; text that is not a pair is skipped.
    """
    if not text or not isinstance(text, str):
        return {}
    tags = {}
    for match in _PAIR.finditer(text):
        key, value, null = match.groups()
        if null is None:
            tags[_ESCAPE.sub(r"\1", key)] = _ESCAPE.sub(r"\1", value)
    return tags


def osm_source_id(kind: str, number: object) -> str:
    """``osm:node/123``, ``osm:way/45`` or ``osm:relation/6``."""
    return f"osm:{kind}/{int(float(str(number)))}"


def length_m(text: str | None) -> float | None:
    """A length tag (``3``, ``3 m``, ``3,5``, ``10'``, ``12'6"``, ``0.01 km``) in metres."""
    if text is None:
        return None
    match = _FEET_INCHES.match(text)
    if match:
        return round((int(match.group(1)) * 12 + float(match.group(2))) * 0.0254, 3)
    match = _LENGTH.match(text)
    if match is None:
        raise ValueError(f"'{text}' is not a length")
    number = float(match.group(1).replace(",", "."))
    unit = match.group(2).lower()
    factor = {"km": 1000.0, "ft": 0.3048, "feet": 0.3048, "'": 0.3048}.get(unit, 1.0)
    return round(number * factor, 3)


def whole_number(text: str | None) -> int | None:
    """A count tag such as ``building:levels``; a fraction or list is unreadable."""
    if text is None:
        return None
    try:
        number = float(text.strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None
    if not math.isfinite(number) or number < 0 or not number.is_integer():
        raise ValueError(f"'{text}' is not a whole number")
    return int(number)


def street_class(tags: Tags) -> StreetClass | None:
    """The street class of a way, or None when it is not a street for this service."""
    highway = tags.get("highway")
    if highway is None or highway in NOT_STREETS or tags.get("area") == "yes":
        return None
    if highway == "service" and tags.get("service") == "alley":
        return StreetClass.ALLEY
    return HIGHWAY_CLASSES.get(highway)


#: The rule a left-out way broke, as the load report states it.
LEFT_OUT_RULE = ("highway values that are not walked streets here (motorways, platforms, "
                 "construction and other values outside the street classes) and highway areas")


def left_out_reason(tags: Tags) -> str | None:
    """Why a way tagged ``highway`` is not stored as a street, or None when it is one (or has
    no ``highway`` tag at all, so was never a candidate)."""
    highway = tags.get("highway")
    if highway is None or street_class(tags) is not None:
        return None
    if tags.get("area") == "yes":
        return f"highway={highway} with area=yes is an area, not a street"
    return f"highway={highway} is not a walked street for this service"


def level(tags: Tags) -> int:
    """The level a way lies on: its ``layer`` (a whole number), else 1 for a ``bridge`` and
    -1 for a ``tunnel`` (as OSM's convention implies), else 0 (the ground)."""
    raw = tags.get("layer", "").strip().replace("+", "")
    try:
        return max(-10, min(10, round(float(raw.split(";")[0]))))
    except ValueError:
        pass
    if tags.get("bridge", "no").strip().lower() not in ("", "no"):
        return 1
    if tags.get("tunnel", "no").strip().lower() not in ("", "no"):
        return -1
    return 0


def lit(tags: Tags) -> Lit:
    """``lit``: yes (also 24/7, automatic ...), no, or unknown."""
    value = tags.get("lit", "").strip().lower()
    if value in LIT_YES:
        return Lit.YES
    if value in LIT_NO:
        return Lit.NO
    return Lit.UNKNOWN


def building_kind(tags: Tags) -> BuildingKind:
    """The building kind from ``building=*``; unlisted values are "other"."""
    return BUILDING_KINDS.get(tags.get("building", ""), BuildingKind.OTHER)


def address(tags: Tags) -> str | None:
    """``addr:full``, else street and house number."""
    if tags.get("addr:full"):
        return tags["addr:full"]
    parts = [tags.get("addr:street"), tags.get("addr:housenumber")]
    text = " ".join(p for p in parts if p)
    return text or None


def lamp_mount(tags: Tags) -> LightMount | None:
    """``lamp_mount`` or ``support``: wall or pole."""
    value = tags.get("lamp_mount") or tags.get("support")
    if value is None:
        return None
    value = value.strip().lower()
    if value in WALL_MOUNTS:
        return LightMount.WALL
    if value in POLE_MOUNTS:
        return LightMount.POLE
    raise ValueError(f"'{value}' is not a known lamp mount")


def camera_heading(tags: Tags) -> float | None:
    """``camera:direction`` (degrees or compass points) in degrees; None for dome cameras."""
    if tags.get("camera:type", "").lower() == "dome":
        return None
    value = tags.get("camera:direction") or tags.get("direction")
    if value is None:
        return None
    text = value.strip().upper()
    if text in COMPASS:
        return COMPASS[text]
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"'{value}' is not a direction") from None
    if not 0 <= number <= 360:
        raise ValueError(f"'{value}' is outside 0-360")
    return number


def is_camera(tags: Tags) -> bool:
    """``man_made=surveillance`` with ``surveillance:type`` camera or absent."""
    return (tags.get("man_made") == "surveillance"
            and tags.get("surveillance:type", "camera") == "camera")


def start_date(tags: Tags) -> date | None:
    """``start_date`` when it names a day (YYYY-MM-DD)."""
    value = tags.get("start_date")
    if value is None:
        return None
    match = _ISO_DAY.match(value)
    if match is None:
        raise ValueError(f"'{value}' is not a day (YYYY-MM-DD)")
    return date(*map(int, match.groups()))
