"""The hazard pages: report (``/hazards/new``), one hazard with its loop (``/hazards/<id>``) and
the filtered list with its exports (``/hazards``).

Everything goes through :mod:`geo_service.hazards.service`; these views only read the request,
call the service and render. The report form works two ways: ``static/hazard_new.js`` posts it
to ``POST /api/hazards`` (multipart, with an ``Idempotency-Key`` made once per form, the 409
likely-duplicate answer turned into a prompt), and without JavaScript the same form posts here
(``lat``/``lon`` typed in). The actions on a hazard page are plain forms posting to
``POST /hazards/<id>/events``, which calls :func:`service.apply_event` and shows a refusal as a
message on the page.

What users typed (descriptions, names, notes, reasons) is only ever rendered by Jinja's
autoescaping or, in the scripts, with ``textContent``. Who may open which page is in
:mod:`geo_service.auth.policy`; what of a hazard each reader sees in
:mod:`geo_service.auth.privacy`: the reporter's name and contact (marked as private) only for
staff whose grids or buildings hold the hazard (and the resident who reported it), the actions
only for those who may take them, no person at all for the public.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import Connection, text
from werkzeug.exceptions import RequestEntityTooLarge

from geo_service.auth import policy, privacy
from geo_service.auth.accounts import mark_reporter
from geo_service.hazards import lifecycle, photos, service
from geo_service.hazards.errors import HazardError, InvalidInput, NotFound, TransitionRefused
from geo_service.hazards.inputs import parse_event, parse_filters, parse_report
from geo_service.maps import basemap_config
from geo_service.vocab import HazardCategory, HazardStatus, Level, Severity
from geo_service.web import vendor
from geo_service.web.auth import current_user
from geo_service.web.db import engine
from geo_service.web.i18n import label, register_messages, translate

blueprint = Blueprint("hazard_pages", __name__)
NAV = [("/hazards/new", "nav_report"), ("/hazards", "nav_hazards")]

PAGE_SIZE = 50
FORM_OVERHEAD = 256 * 1024
DEFAULT_BOUNDS = ((27.514, 106.822), (27.526, 106.838))  # the sample community
# Query parameters that filter a list (the same as GET /api/hazards); everything else
# (page, lang) is not a filter and is not carried to the exports.
FILTER_KEYS = ("id", "grid", "category", "status", "level", "severity", "date_from", "date_to",
               "overdue", "bbox")
ASSET_KINDS = {"light": ("lights", "light_id", HazardCategory.BROKEN_LIGHT.value, "hz.light"),
               "camera": ("cameras", "camera_id", HazardCategory.BROKEN_CAMERA.value,
                          "hz.camera")}
# Security headers (CSP: no inline script runs here) come from geo_service.web.security.

MESSAGES: dict[str, tuple[str, str]] = {
    # report form
    "hn_title": ("上报隐患", "Report a hazard"),
    "hn_intro": ("在地图上点选隐患位置（也可以画一条线或一片区域），填写类别和情况后提交。",
                 "Tap the map where the problem is (or draw a line or an area), choose a "
                 "category, describe it and send."),
    "hn_where": ("位置", "Location"),
    "hn_mode_point": ("点", "Point"),
    "hn_mode_line": ("线（如整条暗巷）", "Line (e.g. a dark alley)"),
    "hn_mode_area": ("面（如院坝）", "Area (e.g. a yard)"),
    "hn_locate": ("用我的位置", "Use my location"),
    "hn_locating": ("正在定位……", "Finding your location…"),
    "hn_locate_failed": ("无法获取位置，请在地图上点选。",
                         "Your location is not available; tap the map instead."),
    "hn_locate_insecure": ("浏览器只在 HTTPS 页面提供定位，请在地图上点选。",
                           "Browsers only share location with HTTPS pages; tap the map "
                           "instead."),
    "hn_clear": ("清除", "Clear"),
    "hn_finish": ("完成绘制", "Finish drawing"),
    "hn_undo": ("撤销一点", "Undo point"),
    "hn_draw_hint_line": ("依次点击巷子经过的位置，点“完成绘制”结束。",
                          "Tap along the alley, then press “Finish drawing”."),
    "hn_draw_hint_area": ("依次点击区域的各个角，点“完成绘制”结束。",
                          "Tap the corners of the area, then press “Finish drawing”."),
    "hn_picked_point": ("已选择位置", "Location picked"),
    "hn_picked_line": ("已画线（{n} 个点）", "Line drawn ({n} points)"),
    "hn_picked_area": ("已画区域（{n} 个角）", "Area drawn ({n} corners)"),
    "hn_no_location": ("请先在地图上点选位置，或填写纬度和经度。",
                       "Pick the location on the map first, or type the latitude and "
                       "longitude."),
    "hn_lat": ("纬度", "Latitude"),
    "hn_lon": ("经度", "Longitude"),
    "hn_latlon_hint": ("点地图会自动填写；不用地图时可直接输入（WGS84）。",
                       "Filled in when you tap the map; type them if the map is not "
                       "available (WGS84)."),
    "hn_category": ("类别", "Category"),
    "hn_choose": ("请选择", "Choose…"),
    "hn_severity": ("严重程度", "Severity"),
    "hn_due_hint": ("处理时限：紧急 1 天，严重 3 天，一般 7 天，轻微 15 天。",
                    "Due within: urgent 1 day, high 3 days, medium 7 days, low 15 days."),
    "hn_description": ("情况描述", "Description"),
    "hn_description_ph": ("发生了什么？具体在哪里？", "What is wrong, and where exactly?"),
    "hn_photo": ("照片（可选）", "Photo (optional)"),
    "hn_photo_hint": ("JPEG、PNG 或 WebP，最大 {mb} MB；过大的照片会自动压缩。",
                      "JPEG, PNG or WebP, at most {mb} MB; larger photos are shrunk before "
                      "sending."),
    "hn_photo_too_big": ("照片太大（最多 {mb} MB），请换一张。",
                         "The photo is too big (at most {mb} MB); choose another."),
    "hn_private": ("联系方式（仅工作人员可见，不会公开）",
                   "Your contact (only staff see this; never published)"),
    "hn_reporter_name": ("姓名", "Name"),
    "hn_reporter_contact": ("电话或其他联系方式", "Phone or other contact"),
    "hn_submit": ("提交", "Send"),
    "hn_sending": ("正在提交……", "Sending…"),
    "hn_network": ("网络不稳定，没有收到服务器的确认。请再点一次“提交”——同一份上报只会保存一次。",
                   "The network dropped before the server answered. Press “Send” again: the "
                   "same report is stored only once."),
    "hn_failed": ("提交失败：{message}", "Not sent: {message}"),
    "hn_duplicate_title": ("附近已有同类隐患", "A similar hazard is already reported nearby"),
    "hn_duplicate_intro": ("25 米内已有下列同类未办结隐患。如果是同一个问题，无需重复上报；"
                           "如果不是，请点“仍然上报”。",
                           "These open hazards of the same category are within 25 m. If yours "
                           "is one of them there is no need to report it again; if not, press "
                           "“Report anyway”."),
    "hn_report_anyway": ("仍然上报", "Report anyway"),
    "hn_metres": ("{m} 米", "{m} m"),
    "hn_asset_light": ("报告路灯 {ref} 损坏", "Report streetlight {ref} broken"),
    "hn_asset_camera": ("报告监控 {ref} 损坏", "Report camera {ref} broken"),
    "hn_asset_hint": ("位置已按设施填好，可以补充说明后直接提交。",
                      "The location is the asset's; add a note if you like and send."),
    "hn_asset_missing": ("找不到编号为 {id} 的{kind}，请按普通隐患上报。",
                         "There is no {kind} {id}; report it as an ordinary hazard."),
    "hn_no_js": ("未启用 JavaScript：地图不可用，请直接填写纬度和经度。",
                 "JavaScript is off: the map is not available, type the latitude and "
                 "longitude."),
    # hazard page
    "hd_title": ("隐患 #{id}", "Hazard #{id}"),
    "hd_details": ("基本信息", "Details"),
    "hd_category": ("类别", "Category"),
    "hd_severity": ("严重程度", "Severity"),
    "hd_status": ("状态", "Status"),
    "hd_level": ("层级", "Level"),
    "hd_grid": ("网格", "Grid"),
    "hd_assignee": ("处理人", "Assignee"),
    "hd_reported_at": ("上报时间", "Reported"),
    "hd_due": ("处理时限", "Due"),
    "hd_overdue": ("已超期", "Overdue"),
    "hd_description": ("情况描述", "Description"),
    "hd_photo": ("照片", "Photo"),
    "hd_asset": ("相关设施", "Asset"),
    "hd_satisfaction": ("满意度", "Satisfaction"),
    "hd_private": ("上报人（仅工作人员可见）", "Reporter (staff only)"),
    "hd_timeline": ("处理记录", "Timeline"),
    "hd_when": ("时间", "When"),
    "hd_who": ("操作人", "Who"),
    "hd_change": ("变化", "Change"),
    "hd_note": ("说明", "Note"),
    "hd_reason": ("上报原因", "Reason"),
    "hd_actions": ("下一步", "Next steps"),
    "hd_no_actions": ("当前没有可执行的操作。", "No action is possible now."),
    "hd_actor": ("您的姓名", "Your name"),
    "hd_new_assignee": ("分派给（网格员或楼栋长）", "Assign to (grid worker or building leader)"),
    "hd_to_level": ("上报到", "Escalate to"),
    "hd_reason_required": ("原因（必填）", "Reason (required)"),
    "hd_reopen_to": ("重新处理后状态", "Back to"),
    "hd_done": ("已完成：{action}。", "Done: {action}."),
    "hd_refused": ("未执行：{message}", "Not done: {message}"),
    "hd_back_to_list": ("返回隐患列表", "Back to the list"),
    "hd_report_another": ("再上报一个", "Report another"),
    "hd_stars": ("{n} / 5", "{n} / 5"),
    "hd_nobody": ("—", "—"),
    # list
    "hl_title": ("隐患列表", "Hazards"),
    "hl_filter": ("筛选", "Filter"),
    "hl_reset": ("清除筛选", "Clear filters"),
    "hl_any": ("全部", "Any"),
    "hl_open": ("未办结", "Open (not closed)"),
    "hl_date_from": ("上报日期从", "Reported from"),
    "hl_date_to": ("到", "to"),
    "hl_overdue": ("超期", "Overdue"),
    "hl_overdue_yes": ("仅超期", "Overdue only"),
    "hl_overdue_no": ("未超期", "Not overdue"),
    "hl_count": ("共 {total} 条", "{total} in all"),
    "hl_export_csv": ("导出 CSV", "Export CSV"),
    "hl_export_geojson": ("导出 GeoJSON", "Export GeoJSON"),
    "hl_export_hint": ("导出的是当前筛选出的全部 {total} 条。",
                       "The exports hold all {total} hazards of this filter."),
    "hl_none": ("没有符合条件的隐患。", "No hazard matches."),
    "hl_prev": ("上一页", "Previous"),
    "hl_next": ("下一页", "Next"),
    "hl_page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "hl_reporter": ("上报人", "Reporter"),
    "hl_bad_filter": ("筛选条件有误：{message}", "A filter is wrong: {message}"),
    "hp_not_found": ("找不到这个隐患。", "There is no such hazard."),
    "hp_cross_site": ("拒绝来自其他网站的提交。", "Submissions from other sites are refused."),
}
register_messages(MESSAGES)


# -- helpers -----------------------------------------------------------------------------------
def say(key: str, **params: Any) -> str:
    """A page word with parameters filled in (parameters are plain text, escaped on render)."""
    return translate(key).format(**params)


def short_time(value: str | None) -> str:
    """``2026-06-13T18:00:00+08:00`` -> ``2026-06-13 18:00`` (already in local time)."""
    return "" if not value else value[:16].replace("T", " ")


def settings() -> Any:
    """The app's settings."""
    return current_app.config["SETTINGS"]


def grids_items_url() -> str | None:
    """``/api/collections/grids/items`` when that endpoint is registered, else ``None``."""
    adapter = current_app.url_map.bind("localhost")
    url = "/api/collections/grids/items"
    try:
        adapter.match(url, method="GET")
    except Exception:  # noqa: BLE001 - NotFound, MethodNotAllowed, RequestRedirect
        return None
    return url


def community_bounds(conn: Connection) -> tuple[tuple[float, float], tuple[float, float]]:
    """``((south, west), (north, east))`` of the grids (or streets), else the sample's."""
    for table in ("grids", "streets"):
        row = conn.execute(text(f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                                f"(SELECT ST_Extent(geom) AS e FROM {table}) x")).one()
        if row[0] is not None:
            west, south, east, north = (float(v) for v in row)
            return (south, west), (north, east)
    return DEFAULT_BOUNDS


def grid_choices(conn: Connection) -> list[dict[str, Any]]:
    """Grid numbers and names, for the filters."""
    return [dict(r) for r in conn.execute(text("SELECT number, name FROM grids ORDER BY number"))
            .mappings()]


def map_config(conn: Connection, **more: Any) -> dict[str, Any]:
    """What the page scripts need: language, basemap, community bounds, grids URL, words."""
    return {"lang": g.lang, "basemap": basemap_config(settings()), "bounds": community_bounds(conn),
            "gridsUrl": grids_items_url(), **more}


def static_url(name: str) -> str:
    """URL of one of our own files in ``static/`` (content-hashed, cached for a year)."""
    return f"{vendor.SOURCES['local'].url}/{name}"


def render_page(template: str, status: int = 200, **context: Any) -> Response:
    """Render a page with the shared helpers (headers: ``geo_service.web.security``)."""
    html = render_template(template, static_url=static_url, short_time=short_time, say=say,
                           **context)
    response = Response(html, status=status, mimetype="text/html")
    return response


@blueprint.before_request
def same_origin_posts() -> Response | None:
    """Refuse form posts sent by another site (a browser always names the page's origin)."""
    if request.method != "POST":
        return None
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        return Response(translate("hp_cross_site"), status=403, mimetype="text/plain")
    return None


# -- /hazards/new ---------------------------------------------------------------------------------
def asset_for(conn: Connection, args: Any) -> dict[str, Any] | None:
    """The light or camera named by ``?light=ID`` / ``?camera=ID`` (or the posted ids)."""
    for kind, (table, column, category, word) in ASSET_KINDS.items():
        raw = args.get(kind) or args.get(column)
        if not raw:
            continue
        try:
            ident = int(str(raw).strip())
        except ValueError:
            ident = None
        row = None
        if ident is not None and 0 < ident < 2**31:
            row = conn.execute(text(
                f"SELECT id, source_id, status, ST_X(geom) AS lon, ST_Y(geom) AS lat "
                f"FROM {table} WHERE id = :id"), {"id": ident}).mappings().first()
        if row is None:
            return {"kind": kind, "missing": True,
                    "message": say("hn_asset_missing", id=str(raw)[:20], kind=translate(word))}
        return {"kind": kind, "column": column, "id": row["id"], "category": category,
                "ref": row["source_id"], "status": row["status"], "lat": row["lat"],
                "lon": row["lon"], "missing": False,
                "title": say(f"hn_asset_{kind}", ref=row["source_id"])}
    return None


def report_form(status: int = 200, *, values: dict[str, Any] | None = None,
                error: HazardError | None = None, duplicates: list[dict[str, Any]] | None = None,
                args: Any = None) -> Response:
    """The report form, filled with ``values`` (after a no-JS post) or a prefilled asset."""
    values = dict(values or {})
    with engine().connect() as conn:
        asset = asset_for(conn, args if args is not None else request.args)
        config = map_config(conn)
    if asset and not asset["missing"]:
        values.setdefault("category", asset["category"])
        values.setdefault("lat", f"{asset['lat']:.7f}")
        values.setdefault("lon", f"{asset['lon']:.7f}")
        values[asset["column"]] = asset["id"]
    limit = photos.max_bytes(settings())
    mb = round(limit / 2**20, 1)
    words = {k: translate(k) for k in MESSAGES if k.startswith("hn_")}
    config |= {"api": f"/api/hazards?lang={g.lang}", "maxPhotoBytes": limit,
               "photoMb": mb, "words": words, "hazardUrl": "/hazards/",
               "asset": None if not asset or asset["missing"] else
               {"lat": asset["lat"], "lon": asset["lon"]},
               "labels": {v: label(v) for v in
                          [*(c.value for c in HazardCategory), *(s.value for s in HazardStatus)]}}
    values.setdefault("idempotency_key", str(uuid.uuid4()))
    return render_page(
        "hazard_new.html", status, config=config, values=values, asset=asset, error=error,
        error_field=getattr(error, "field", None), duplicates=duplicates or [],
        categories=[c.value for c in HazardCategory], severities=[s.value for s in Severity],
        photo_mb=mb)


@blueprint.get("/hazards/new")
def new() -> Response:
    """The phone-friendly report form."""
    return report_form()


@blueprint.post("/hazards/new")
def new_posted() -> Response:
    """The report form sent without JavaScript: store it, or show the problem / duplicates."""
    limit = photos.max_bytes(settings())
    request.max_content_length = limit + FORM_OVERHEAD
    data = request.form.to_dict(flat=True)
    upload = request.files.get("photo")
    values = {k: v for k, v in data.items() if k != "confirm_duplicate"}
    folder = photos.uploads_dir(settings())
    stored: str | None = None
    try:
        report = parse_report(data, channel="web")
        if upload is not None:
            content = photos.read_limited(upload.stream, limit)
            if content or upload.filename:
                stored = photos.save(content, photos.check(content, limit), folder)
                report = replace(report, photo=stored)
        with engine().begin() as conn:
            result = service.create_hazard(conn, report)
            if result.outcome == "created":
                mark_reporter(conn, result.hazard["id"], current_user())
            if result.duplicates:
                result.duplicates = privacy.view_all(conn, result.duplicates, current_user())
    except HazardError as error:
        photos.discard(folder, stored)
        return report_form(422, values=values, error=error, args=data)
    except BaseException:
        photos.discard(folder, stored)
        raise
    if result.outcome != "created":
        photos.discard(folder, stored)
    if result.outcome == "duplicate":
        return report_form(409, values=values, duplicates=result.duplicates, args=data)
    assert result.hazard is not None
    return redirect(url_for("hazard_pages.detail", hazard_id=result.hazard["id"]), code=303)


@blueprint.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Response:
    """An upload over the limit sent without JavaScript: the form again, with the reason."""
    if request.path != "/hazards/new":
        return Response(translate("hz.too_large"), status=413, mimetype="text/plain")
    mb = round(photos.max_bytes(settings()) / 2**20, 1)
    error = InvalidInput("photo", "hz.photo_too_big", limit_mb=mb)
    return report_form(413, error=error, args={})


# -- /hazards/<id> ------------------------------------------------------------------------------
# The step that moves a hazard on from each status: its form comes first, open.
NEXT_STEP = {"reported": "assign", "assigned": "start", "in_progress": "resolve",
             "resolved": "revisit", "revisited": "close", "closed": "reopen"}


def ordered_actions(status: str, level: str) -> list[str]:
    """The allowed actions, the one that moves the hazard on first, the others as they come."""
    allowed = lifecycle.allowed_actions(status, level)
    first = NEXT_STEP.get(status)
    return sorted(allowed, key=lambda a: (a != first, allowed.index(a)))


def level_choices(level: str) -> list[str]:
    """Levels above ``level``, nearest first."""
    order = [lv.value for lv in Level]
    return order[order.index(level) + 1:]


def detail_page(hazard_id: int, status: int = 200, *, error: HazardError | None = None,
                values: dict[str, Any] | None = None) -> Response:
    """One hazard: details, map, timeline, the allowed actions (and a refusal, if any)."""
    with engine().connect() as conn:
        try:
            hazard = service.get_hazard(conn, hazard_id, private=True)
        except NotFound:
            abort(404)
        user = current_user()
        scope = {"grid_id": hazard["grid_id"], "building_id": hazard["building_id"],
                 "level": hazard["level"],
                 "reporter_user_id": privacy.reporters(conn, [hazard_id]).get(hazard_id)}
        show_private = policy.may_see_private(user, scope)
        can_act = policy.decide("hazard_pages.act", "POST", user, hazard=scope).allowed
        hazard = privacy.view(hazard, user, scope["reporter_user_id"])
        config = map_config(conn, geometry=hazard["geometry"])
        if hazard["light_id"] or hazard["camera_id"]:
            table, ident = (("lights", hazard["light_id"]) if hazard["light_id"]
                            else ("cameras", hazard["camera_id"]))
            ref = conn.execute(text(f"SELECT source_id FROM {table} WHERE id = :id"),
                               {"id": ident}).scalar()
            hazard["asset_label"] = (translate("hz.light" if hazard["light_id"]
                                               else "hz.camera") + f" {ref or ident}")
    done = request.args.get("done")
    notice = (say("hd_done", action=translate(f"hz.action.{done}"))
              if done in {a.value for a in lifecycle.Action} and status == 200 else None)
    return render_page(
        "hazard_detail.html", status, hazard=hazard, config=config, error=error,
        error_field=getattr(error, "field", None), values=values or {}, notice=notice,
        show_private=show_private, can_act=can_act,
        actions=ordered_actions(hazard["status"], hazard["level"]) if can_act else [],
        levels_above=level_choices(hazard["level"]),
        reopen_targets=[s.value for s in lifecycle.REOPEN_TARGETS])


@blueprint.get("/hazards/<int:hazard_id>")
def detail(hazard_id: int) -> Response:
    """The hazard's page."""
    return detail_page(hazard_id)


@blueprint.post("/hazards/<int:hazard_id>/events")
def act(hazard_id: int) -> Response:
    """One action from the hazard's page: applied, or the page again saying why not."""
    data = request.form.to_dict(flat=True)
    data.pop("csrf_token", None)
    user = current_user()
    if user is not None and not (data.get("actor") or "").strip():
        data["actor"] = user.name  # who acted, unless the form names somebody
    try:
        event = parse_event(data)
        with engine().begin() as conn:
            service.apply_event(conn, hazard_id, event)
    except NotFound:
        abort(404)
    except TransitionRefused as error:
        return detail_page(hazard_id, 409, error=error, values=data)
    except HazardError as error:
        return detail_page(hazard_id, 422, error=error, values=data)
    target = url_for("hazard_pages.detail", hazard_id=hazard_id, done=event.action)
    return redirect(f"{target}#timeline", code=303)


# -- /hazards ----------------------------------------------------------------------------------
def filter_params(args: Any) -> list[tuple[str, str]]:
    """The request's non-empty filter parameters, in order (repeated ones kept)."""
    return [(k, v) for k, v in args.items(multi=True) if k in FILTER_KEYS and v.strip()]


@blueprint.get("/hazards")
def listing() -> Response:
    """Filtered, paged hazards with links to each and exports of exactly the filtered set."""
    params = filter_params(request.args)
    error: HazardError | None = None
    try:
        filters = parse_filters(request.args)
    except HazardError as problem:
        error, filters = problem, None
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    with engine().connect() as conn:
        grids = grid_choices(conn)
        if filters is not None:
            result = service.list_hazards(conn, filters, limit=PAGE_SIZE,
                                          offset=(page - 1) * PAGE_SIZE, private=True)
            if not result.items and result.total and page > 1:  # past the end: the last page
                page = -(-result.total // PAGE_SIZE)
                result = service.list_hazards(conn, filters, limit=PAGE_SIZE,
                                              offset=(page - 1) * PAGE_SIZE, private=True)
            items, total = privacy.view_all(conn, result.items, current_user()), result.total
        else:
            items, total = [], 0
    pages = max(1, -(-total // PAGE_SIZE))

    def page_url(number: int) -> str:
        return "/hazards?" + urlencode([*params, ("page", str(number))])

    exports = {fmt: "/api/hazards?" + urlencode([*params, ("format", fmt), ("lang", g.lang)])
               for fmt in ("csv", "geojson")}
    chosen = {key: request.args.get(key, "") for key in FILTER_KEYS}
    return render_page(
        "hazard_list.html", 422 if error else 200, items=items, total=total, page=page,
        pages=pages, page_url=page_url, exports=exports, chosen=chosen, grids=grids,
        error=error, categories=[c.value for c in HazardCategory],
        statuses=[s.value for s in HazardStatus], levels=[lv.value for lv in Level],
        severities=[s.value for s in Severity])
