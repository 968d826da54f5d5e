"""Chinese first, English second: the page language and the words the UI uses.

The language comes from ``?lang=en|zh`` (remembered in a cookie), else Chinese. Templates get
``t('key')`` for interface words, ``label(value)`` for vocabulary values (street classes, hazard
categories, statuses, levels) and ``lang``.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

from geo_service.vocab import LABELS_ZH

LANGUAGES = ("zh", "en")
COOKIE = "lang"

# key -> (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "app_title": ("巡防与隐患地图", "Patrol and hazard map"),
    "illustrative": ("示例社区数据为示意，并非实测。",
                     "The sample community is illustrative, not surveyed."),
    "nav_home": ("概览", "Overview"),
    "nav_map": ("地图", "Map"),
    "nav_report": ("上报隐患", "Report a hazard"),
    "nav_hazards": ("隐患列表", "Hazards"),
    "nav_dashboard": ("统计", "Dashboard"),
    "nav_plan_lighting": ("照明与监控规划", "Lighting & cameras"),
    "nav_plan_patrol": ("巡逻规划", "Patrol planning"),
    "switch_language": ("English", "中文"),
    "loaded_layers": ("已加载图层", "Loaded layers"),
    "grids": ("网格", "Grids"),
    "buildings": ("建筑", "Buildings"),
    "streets": ("街巷", "Streets"),
    "lights": ("路灯", "Streetlights"),
    "cameras": ("监控", "Cameras"),
    "hazards": ("隐患", "Hazards"),
    "routes": ("巡逻路线", "Patrol routes"),
    "gaps": ("覆盖盲区", "Coverage gaps"),
    "street_km": ("街巷总长（公里）", "Street length (km)"),
    "number": ("编号", "No."),
    "name": ("名称", "Name"),
    "zone": ("片区", "Zone"),
    "without_leader": ("无楼栋长", "Without leader"),
    "open_hazards": ("未办结隐患", "Open hazards"),
}

ENGLISH_LABELS: dict[str, str] = {
    "in_progress": "in progress",
    "dirty_alley": "dirty back alley",
    "dim_lighting": "dim lighting",
    "peeling_wall": "peeling wall",
    "leaking_drain": "leaking drain",
    "fire_risk": "fire risk",
    "broken_light": "broken streetlight",
    "broken_camera": "broken camera",
    "self_built": "self-built house",
    "factory_compound": "factory compound",
    "parking": "hard parking",
    "yes": "lit",
    "no": "unlit",
}


def register_messages(messages: dict[str, tuple[str, str]]) -> None:
    """Add a page's own words (key -> (Chinese, English)); a key may be defined only once."""
    clash = set(messages) & set(MESSAGES)
    if clash:
        raise ValueError(f"message keys defined twice: {sorted(clash)}")
    MESSAGES.update(messages)


def current_language() -> str:
    """The request's language: ``?lang=``, then the cookie, then Chinese."""
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    return asked if asked in LANGUAGES else "zh"


def translate(key: str, lang: str | None = None) -> str:
    """Interface word for ``key`` in the page language (the key itself when unknown)."""
    lang = lang or g.get("lang", "zh")
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def label(value: str | None, lang: str | None = None) -> str:
    """Display word for a vocabulary value (``alley`` -> 背街小巷 / back alley)."""
    if value is None:
        return ""
    lang = lang or g.get("lang", "zh")
    if lang == "zh":
        return LABELS_ZH.get(value, value)
    return ENGLISH_LABELS.get(value, value.replace("_", " "))


def init_app(app: Flask) -> None:
    """Set ``g.lang`` per request, remember an explicit choice, expose helpers to templates."""

    @app.before_request
    def pick_language() -> None:
        g.lang = current_language()

    @app.after_request
    def remember_language(response: Response) -> Response:
        chosen = request.args.get("lang")
        if chosen in LANGUAGES:
            response.set_cookie(COOKIE, chosen, max_age=365 * 86400, samesite="Lax")
        return response

    @app.context_processor
    def helpers() -> dict[str, object]:
        return {"t": translate, "label": label, "lang": g.get("lang", "zh")}
