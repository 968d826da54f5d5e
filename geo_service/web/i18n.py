"""Chinese first, English second: the page language and the words the UI uses.

The language comes from ``?lang=en|zh`` (remembered in a cookie), else Chinese. Templates get
``t('key')`` for interface words, ``label(value)`` for vocabulary values (street classes, hazard
categories, statuses, levels) and ``lang``.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

from geo_service import i18n as words
from geo_service.i18n import LANGUAGES, MESSAGES, register_messages

__all__ = ["LANGUAGES", "MESSAGES", "current_language", "init_app", "label",
           "register_messages", "translate"]

COOKIE = "lang"

register_messages({
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
})


def current_language() -> str:
    """The request's language: ``?lang=``, then the cookie, then Chinese."""
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    return asked if asked in LANGUAGES else "zh"


def translate(key: str, lang: str | None = None) -> str:
    """Interface word for ``key`` in the page language (the key itself when unknown)."""
    return words.translate(key, lang or g.get("lang", "zh"))


def label(value: str | None, lang: str | None = None) -> str:
    """Display word for a vocabulary value in the page language."""
    return words.label(value, lang or g.get("lang", "zh"))


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
