"""``/plan/lighting``: lighting and camera gaps, and where the next lights and cameras go.

The page shows a Leaflet map (local assets only) with the gaps layer, a per-grid table (lit and
unlit metres, share lit, seen and unseen metres, open hazards), a form for the placement
question (lights or cameras; K sites, a budget in yuan or a priority to cover; grids) and the
preset "12 lights and 4 cameras" scenario. ``static/plan_lighting.js`` fetches the gaps, the
plan and the scenario from :mod:`geo_service.web.api_planning` and builds every piece of text
with ``textContent``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, make_response, render_template
from sqlalchemy import text

from geo_service.maps import basemap_config
from geo_service.planning import PlanningError, overview
from geo_service.vocab import LABELS_ZH
from geo_service.web import vendor
from geo_service.web.api_planning import BadRequest, run_limited
from geo_service.web.db import engine
from geo_service.web.i18n import label, register_messages, translate

blueprint = Blueprint("plan_lighting", __name__)
NAV = [("/plan/lighting", "nav_plan_lighting")]

DEFAULT_BOUNDS = ((27.514, 106.822), (27.526, 106.838))

MESSAGES: dict[str, tuple[str, str]] = {
    "pl_title": ("照明与监控规划", "Lighting and camera planning"),
    "pl_intro": ("红线为覆盖盲区：照度低于其道路等级最低要求，或没有摄像头看到（识别级）。"
                 "选择新增路灯或摄像头的数量或预算，查看推荐位置和它们新覆盖的路段。",
                 "Red lines are coverage gaps: below the minimum illuminance of their street "
                 "class, or seen by no camera (at the recognise level). Choose how many new "
                 "lights or cameras, or a budget, to see where they go and what they cover."),
    "pl_grid_table": ("各网格覆盖情况", "Coverage per grid"),
    "pl_grid": ("网格", "Grid"),
    "pl_name": ("名称", "Name"),
    "pl_street_m": ("街巷（米）", "Streets (m)"),
    "pl_lit_m": ("照明达标（米）", "Lit (m)"),
    "pl_unlit_m": ("照明不足（米）", "Unlit (m)"),
    "pl_share_lit": ("达标比例", "Share lit"),
    "pl_seen_m": ("监控可见（米）", "Seen (m)"),
    "pl_unseen_m": ("监控盲区（米）", "Unseen (m)"),
    "pl_share_seen": ("可见比例", "Share seen"),
    "pl_open_hazards": ("附近未办结隐患", "Open hazards nearby"),
    "pl_total": ("合计", "Total"),
    "pl_form": ("规划新增设施", "Plan new sites"),
    "pl_asset": ("设施", "Asset"),
    "pl_lights": ("路灯", "Streetlights"),
    "pl_cameras": ("摄像头", "Cameras"),
    "pl_question": ("问题", "Question"),
    "pl_by_count": ("数量 K", "Number K"),
    "pl_by_budget": ("预算（元）", "Budget (yuan)"),
    "pl_by_priority": ("覆盖优先级不低于", "Cover priority at least"),
    "pl_value": ("数值", "Value"),
    "pl_grids": ("网格（不选则为全部）", "Grids (none = all)"),
    "pl_submit": ("计算", "Compute"),
    "pl_computing": ("计算中…", "Computing…"),
    "pl_result": ("规划结果", "Plan"),
    "pl_before_after": ("各网格规划前后", "Before and after, per grid"),
    "pl_before": ("规划前", "Before"),
    "pl_after": ("规划后", "After"),
    "pl_gap_before": ("盲区前（米）", "Gap before (m)"),
    "pl_gap_after": ("盲区后（米）", "Gap after (m)"),
    "pl_closed": ("消除（米）", "Closed (m)"),
    "pl_covered_before": ("覆盖前（米）", "Covered before (m)"),
    "pl_covered_after": ("覆盖后（米）", "Covered after (m)"),
    "pl_sites": ("新增位置", "Sites"),
    "pl_rank": ("序号", "Rank"),
    "pl_kind": ("类型", "Kind"),
    "pl_cost": ("费用（元）", "Cost (yuan)"),
    "pl_added_m": ("新消除盲区（米）", "Gap closed (m)"),
    "pl_heading": ("朝向（度）", "Heading (°)"),
    "pl_totals": ("{sites} 处，费用 {cost} 元，消除盲区 {closed} 米（原 {before} 米）",
                  "{sites} sites, {cost} yuan, {closed} m of gap closed (of {before} m)"),
    "pl_solver": ("求解：{method}，最优性差距 {gap}，用时 {seconds} 秒",
                  "Solver: {method}, optimality gap {gap}, {seconds} s"),
    "pl_scenario": ("预设情景：12 盏路灯与 4 个摄像头", "Preset: 12 lights and 4 cameras"),
    "pl_scenario_intro": ("社区在背街小巷安装的 12 盏壁灯（L279–L290）和 4 个摄像头（C01–C04），"
                          "与同样数量的最佳布置相比（需求：施工前的背街小巷和台阶盲区长度）。",
                          "The community's 12 wall lamps (L279-L290) and 4 cameras (C01-C04) in "
                          "back alleys, against the best set of the same size (demand: dark or "
                          "unwatched length of alleys and steps before the works)."),
    "pl_sc_open": ("施工前盲区（米）", "Gap before the works (m)"),
    "pl_sc_actual": ("实际布置消除（米）", "Closed by the actual set (m)"),
    "pl_sc_best": ("最佳布置消除（米）", "Closed by the best set (m)"),
    "pl_sc_share": ("实际 / 最佳", "Actual / best"),
    "pl_sc_short": ("差距（米）", "Short of best (m)"),
    "pl_sc_same_cost": ("同类同价最佳（米）", "Best of the same kind and cost (m)"),
    "pl_legend": ("图例", "Legend"),
    "pl_gap_dark": ("照明不足", "Under-lit"),
    "pl_gap_unseen": ("监控盲区", "Not seen by any camera"),
    "pl_gap_unknown": ("缺少数据（待核实）", "No data (to check)"),
    "pl_new_lamp": ("推荐新增路灯", "Recommended lamp"),
    "pl_new_camera": ("推荐新增摄像头", "Recommended camera"),
    "pl_repair_site": ("建议维修（损坏设施）", "Repair of a broken one"),
    "pl_sc_sites": ("数量（数据中找到）", "Sites (found in the data)"),
    "pl_existing_lights": ("现有路灯", "Existing lamp"),
    "pl_existing_cameras": ("现有摄像头", "Existing camera"),
    "pl_broken": ("损坏（白色）", "Broken (white)"),
    "pl_stretch": ("新覆盖路段", "Newly covered stretch"),
    "pl_failed": ("计算失败：", "Failed: "),
    "pl_none": ("没有可新增的位置。", "No site to add."),
    "pl_loading": ("加载中…", "Loading…"),
    "pl_no_data": ("尚未加载街巷数据。", "No streets are loaded yet."),
    "pl_table_later": ("各网格统计仍在计算，请稍后刷新页面。",
                       "The per-grid figures are still being computed; reload the page shortly."),
    "pl_kind_pole": ("新立灯杆", "new pole"),
    "pl_kind_wall": ("壁装灯", "wall bracket"),
    "pl_kind_camera_mount": ("壁装摄像头", "wall camera mount"),
    "pl_kind_repair": ("维修", "repair"),
    "pl_kind_actual": ("实际位置", "actual position"),
    "pl_yes": ("是", "yes"),
    "pl_no": ("否", "no"),
}
register_messages(MESSAGES)

EXTENT = text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
              "(SELECT ST_Extent(geom) AS e FROM {table}) x")


def _bounds(conn: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    for table in ("grids", "streets"):
        row = conn.execute(text(EXTENT.text.format(table=table))).one()
        if row[0] is not None:
            west, south, east, north = (float(v) for v in row)
            return (south, west), (north, east)
    return DEFAULT_BOUNDS


@blueprint.get("/plan/lighting")
def page() -> Response:
    """The planning page."""
    settings = current_app.config["SETTINGS"]
    with engine().connect() as conn:
        bounds = _bounds(conn)
        grids = [dict(r) for r in conn.execute(text(
            "SELECT number, name FROM grids ORDER BY number")).mappings()]
    rows, totals, note = [], None, None
    eng = engine()
    try:
        table = run_limited(lambda: overview(eng, metric_crs=settings.metric_crs))
        rows = table.to_dict("records")
        totals = table.sum(numeric_only=True).to_dict()
        for done, share in (("lit_m", "share_lit"), ("seen_m", "share_seen")):
            totals[share] = totals[done] / totals["length_m"] if totals["length_m"] else None
    except PlanningError:
        note = translate("pl_no_data")
    except BadRequest:  # still computing (a large area): the table comes with a reload
        note = translate("pl_table_later")
    words = {key: translate(key) for key in MESSAGES}
    vocab = {value: label(value, g.lang) for value in LABELS_ZH}
    config = {"lang": g.lang, "bounds": bounds, "basemap": basemap_config(settings),
              "words": words, "vocab": vocab,
              "api": {"lights": "/api/plan/lights", "cameras": "/api/plan/cameras",
                      "scenario": "/api/plan/scenario", "gaps": "/api/plan/gaps",
                      "context": "/api/plan/context"}}
    html = render_template("plan_lighting.html", rows=rows, totals=totals, grids=grids, note=note,
                           config=config, static_url=vendor.SOURCES["local"].url)
    return make_response(html)  # security headers: geo_service.web.security
