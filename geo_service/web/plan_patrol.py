"""``/plan/patrol``: plan patrol routes on a map; ``/routes/<plan>/sheet``: the printable sheet.

The page (Chinese first, ``?lang=en``) offers the grids, the number of teams, the start point
(click on the map; default the police post), the streets to cover or the points to visit, and
shows the K routes in one colour per team with direction arrows and numbered stops, the figures
per team and links to the GPX, GeoJSON and route sheet. It also links to the hazard report form
(a hazard found on patrol goes into the same loop as every other) and uploads a walked GPX
track, showing the stretches matched. ``static/plan_patrol.js`` talks to
:mod:`geo_service.web.api_routes`; every text from the server is set with ``textContent``.

Endpoints: ``plan_patrol.page`` (GET ``/plan/patrol``) and ``plan_patrol.route_sheet``
(GET ``/routes/<plan>/sheet``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, g, make_response, render_template
from sqlalchemy import text

from geo_service.maps import basemap_config
from geo_service.routes import TEAM_COLORS, get_plan, team_color
from geo_service.routes.store import DEFAULT_STARTS, latest_plan_id
from geo_service.vocab import LABELS_ZH
from geo_service.web import vendor
from geo_service.web.db import engine
from geo_service.web.i18n import label, register_messages, translate
from geo_service.web.plan_lighting import _bounds

blueprint = Blueprint("plan_patrol", __name__)
NAV = [("/plan/patrol", "nav_plan_patrol")]

PATROL_GRIDS = (1, 2, 3, 4)

MESSAGES: dict[str, tuple[str, str]] = {
    "pp_title": ("巡逻路线规划", "Patrol route planning"),
    "pp_intro": ("选择网格、巡逻组数和起点（在地图上点击，默认白龙警务室），"
                 "计算覆盖所需街巷的闭合巡逻路线：每组一种颜色，箭头表示行走方向，"
                 "数字为途经的隐患或损坏路灯。",
                 "Choose the grids, the number of teams and the start (click on the map; the "
                 "police post by default) to get closed patrol routes covering the streets "
                 "asked for: one colour per team, arrows for the walking direction, numbers for "
                 "the hazards or broken lights on the way."),
    "pp_form": ("规划参数", "Plan"),
    "pp_grids": ("网格", "Grids"),
    "pp_teams": ("巡逻组数", "Teams"),
    "pp_required": ("必须走到的街巷", "Streets to cover"),
    "pp_req_all": ("所选网格的全部街巷", "every street of the grids"),
    "pp_req_alleys": ("背街小巷与台阶", "back alleys and stairways"),
    "pp_req_hazards": ("有未办结隐患的街巷", "streets with open hazards"),
    "pp_req_hot": ("隐患热点街巷", "streets in hotspots"),
    "pp_points": ("或：依次前往", "Or visit in the best order"),
    "pp_points_none": ("不指定（覆盖街巷）", "nothing (cover streets)"),
    "pp_points_hazards": ("未办结隐患", "open hazards"),
    "pp_points_lights": ("损坏路灯", "broken streetlights"),
    "pp_start": ("起点", "Start"),
    "pp_start_default": ("默认：{name}", "Default: {name}"),
    "pp_start_clicked": ("地图上选定的点 {lon}, {lat}", "Point picked on the map {lon}, {lat}"),
    "pp_start_hint": ("在地图上点击可更换起点。", "Click on the map to move the start."),
    "pp_start_reset": ("恢复默认起点", "Back to the default start"),
    "pp_submit": ("计算路线", "Plan routes"),
    "pp_computing": ("计算中…", "Computing…"),
    "pp_failed": ("计算失败：", "Failed: "),
    "pp_result": ("规划结果", "Plan"),
    "pp_plan_no": ("规划编号 {id}", "Plan {id}"),
    "pp_team": ("巡逻组", "Team"),
    "pp_length": ("长度（米）", "Length (m)"),
    "pp_minutes": ("步行（分钟）", "Walking (min)"),
    "pp_repeated": ("重复（米）", "Repeated (m)"),
    "pp_stops": ("停靠点", "Stops"),
    "pp_total": ("合计", "Total"),
    "pp_bound": ("最长路线 {longest} 米，下界 {bound} 米（比值 {ratio}）",
                 "Longest route {longest} m, lower bound {bound} m (ratio {ratio})"),
    "pp_one_team": ("单组最优 {length} 米（下界 {bound} 米）：{method}",
                    "One team: {length} m (bound {bound} m): {method}"),
    "pp_gpx": ("下载 GPX（手机导航）", "Download GPX (phones)"),
    "pp_geojson": ("下载 GeoJSON", "Download GeoJSON"),
    "pp_sheet": ("打印路线单", "Printable route sheet"),
    "pp_report": ("巡逻中发现隐患？立即上报", "Found a hazard on patrol? Report it"),
    "pp_upload": ("上传巡逻轨迹（GPX）", "Upload a walked track (GPX)"),
    "pp_member": ("队员姓名", "Member"),
    "pp_file": ("GPX 文件", "GPX file"),
    "pp_upload_submit": ("上传并匹配", "Upload and match"),
    "pp_uploading": ("匹配中…", "Matching…"),
    "pp_matched": ("匹配到的路段", "Matched stretches"),
    "pp_legend": ("图例", "Legend"),
    "pp_arrow": ("行走方向", "walking direction"),
    "pp_stop": ("停靠点（编号）", "stop (numbered)"),
    "pp_start_point": ("起点", "start"),
    "pp_walked": ("上传轨迹匹配结果", "uploaded track, matched"),
    "pp_notes": ("说明", "Notes"),
    "pp_last_plan": ("最近的规划", "Latest plan"),
    # the route sheet
    "rs_title": ("巡逻路线单", "Patrol route sheet"),
    "rs_print": ("打印", "Print"),
    "rs_plan": ("规划 {id}，{when}", "Plan {id}, {when}"),
    "rs_grids": ("网格：{grids}", "Grids: {grids}"),
    "rs_start": ("起点/终点：{start}", "Start and end: {start}"),
    "rs_total": ("全部路线 {km} 公里，其中重复 {repeated} 公里，"
                 "步行约 {minutes} 分钟（{speed} 公里/小时）",
                 "All routes {km} km, of which repeated {repeated} km, about {minutes} min "
                 "walking at {speed} km/h"),
    "rs_team": ("第 {team} 组", "Team {team}"),
    "rs_day": ("{day} 第 {shift} 班", "{day}, shift {shift}"),
    "rs_team_line": ("{km} 公里，约 {minutes} 分钟，重复 {repeated} 米",
                     "{km} km, about {minutes} min, {repeated} m repeated"),
    "rs_step": ("步骤", "Step"),
    "rs_turn": ("方向", "Turn"),
    "rs_street": ("街巷", "Street"),
    "rs_distance": ("距离（米）", "Distance (m)"),
    "rs_stops": ("途经停靠点", "Stops"),
    "rs_stop_no": ("编号", "No."),
    "rs_kind": ("类别", "Kind"),
    "rs_ref": ("编号（数据）", "Ref."),
    "rs_detail": ("描述", "Description"),
    "rs_after": ("出发后（米）", "After (m)"),
    "rs_repeat": ("（重复）", " (repeat)"),
    "rs_no_stops": ("本路线没有停靠点。", "No stops on this route."),
    "rs_back": ("回到起点。", "Back at the start."),
    "rs_unnamed": ("无名", "unnamed"),
    "turn_start": ("出发", "start"),
    "turn_straight": ("直行", "straight on"),
    "turn_slight_left": ("稍向左", "bear left"),
    "turn_left": ("左转", "turn left"),
    "turn_slight_right": ("稍向右", "bear right"),
    "turn_right": ("右转", "turn right"),
    "turn_back": ("掉头", "turn back"),
}
register_messages(MESSAGES)

WEEKDAYS = {"zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
            "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                   "Sunday"]}


@blueprint.get("/plan/patrol")
def page() -> Response:
    """The planning page."""
    settings = current_app.config["SETTINGS"]
    with engine().connect() as conn:
        bounds = _bounds(conn)
        grids = [dict(r) for r in conn.execute(text(
            "SELECT number, name FROM grids ORDER BY number")).mappings()]
        members = list(conn.execute(text(
            "SELECT name FROM patrol_members WHERE active ORDER BY name")).scalars())
        start = None
        for name, _ in DEFAULT_STARTS:
            row = conn.execute(text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM "
                "buildings WHERE name = :name ORDER BY id LIMIT 1) b"), {"name": name}).first()
            if row is not None:
                start = {"lon": row[0], "lat": row[1], "name": name}
                break
        latest = latest_plan_id(conn)
    words = {key: translate(key) for key in MESSAGES}
    chosen = [g_["number"] for g_ in grids if g_["number"] in PATROL_GRIDS] or (
        [grids[0]["number"]] if grids else [])
    config = {"lang": g.lang, "bounds": bounds, "basemap": basemap_config(settings),
              "words": words, "start": start, "colors": list(TEAM_COLORS),
              "latest": latest,
              "vocab": {value: label(value, g.lang) for value in LABELS_ZH},
              "api": {"plan": "/api/routes", "track": "/api/patrol/tracks",
                      "grids": "/api/collections/grids/items?limit=1000",
                      "streets": "/api/collections/streets/items?limit=10000",
                      "report": "/hazards/new"}}
    html = render_template("plan_patrol.html", grids=grids, chosen=chosen, members=members,
                           config=config, static_url=vendor.SOURCES["local"].url)
    return make_response(html)  # security headers: geo_service.web.security


def street_words(run: dict[str, Any], lang: str) -> str:
    """A street as the sheet names it: its name, else its class and data reference."""
    if run.get("name"):
        return str(run["name"])
    cls = label(run.get("street_class"), lang) if run.get("street_class") else ""
    ref = run.get("ref") or f"#{run.get('street_id')}"
    return f"{cls} {ref}".strip()


@blueprint.get("/routes/<int:plan_id>/sheet")
def route_sheet(plan_id: int) -> Response:
    """The printable route sheet of a stored plan (Chinese, or ``?lang=en``)."""
    plan, extras = get_plan(engine(), plan_id)
    if plan is None:
        abort(404)
    lang = g.lang
    teams = []
    for route in plan.routes:
        steps = [{"n": i, "turn": translate(f"turn_{run.get('turn', 'straight')}"),
                  "street": street_words(run, lang), "length_m": run.get("length_m", 0.0),
                  "repeated": run.get("repeated", False), "stops": run.get("stops", [])}
                 for i, run in enumerate(route.directions, start=1)]
        stops = []
        for stop in route.stops:
            extra = extras.get((stop.kind, stop.ref_id or 0), {})
            category = extra.get("category") or ("broken_light" if stop.kind == "light" else "")
            stops.append({"stop": stop.stop, "kind": label(category, lang) if category else "",
                          "ref": stop.label, "detail": stop.detail or "",
                          "status": label(extra.get("status"), lang) if extra.get("status")
                          else "", "after_m": stop.after_m,
                          "link": f"/hazards/{stop.ref_id}" if stop.kind == "hazard"
                          and stop.ref_id else None})
        title = translate("rs_team").format(team=route.team)
        if route.day is not None:
            title = translate("rs_day").format(day=WEEKDAYS[lang][route.day],
                                               shift=route.shift) + " · " + title
        teams.append({"title": title, "color": team_color(route.team), "route": route,
                      "steps": steps, "stops": stops})
    s = plan.summary
    html = render_template(
        "route_sheet.html", plan=plan, summary=s, teams=teams,
        when=plan.created_at.strftime("%Y-%m-%d %H:%M") if plan.created_at else "",
        grids=", ".join(map(str, s.get("grids") or [])) or "—",
        start=s.get("start", {}).get("label", ""))
    return make_response(html)  # security headers: geo_service.web.security
