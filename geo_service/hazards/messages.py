"""The hazard API's user-facing words (Chinese first, English second) and how to render them.

Messages are registered with :mod:`geo_service.i18n` under ``hz.`` keys, so pages and the API
share them. Parameters wrapped in :class:`Term` are vocabulary values or actions and are shown by
their label in each language.
"""

from __future__ import annotations

from geo_service.i18n import Term, Word, both, register_messages, render, say

__all__ = ["MESSAGES", "Term", "Word", "both", "render", "say"]

MESSAGES: dict[str, tuple[str, str]] = {
    # actions of the loop
    "hz.action.report": ("上报", "report"),
    "hz.action.assign": ("分派", "assign"),
    "hz.action.start": ("开始处理", "start"),
    "hz.action.resolve": ("解决", "resolve"),
    "hz.action.revisit": ("回访", "revisit"),
    "hz.action.close": ("办结", "close"),
    "hz.action.escalate": ("上报上级", "escalate"),
    "hz.action.reopen": ("重新处理", "reopen"),
    # refused transitions and event input
    "hz.refused": ("当前状态为“{status}”，不能执行“{action}”。可执行的操作：{allowed}。",
                   "Cannot {action} a hazard that is {status}. Allowed actions: {allowed}."),
    "hz.none": ("无", "none"),
    "hz.top_level": ("已在最高层级“{level}”，无法继续上报。",
                     "Already at the top level ({level}); it cannot be escalated further."),
    "hz.level_not_higher": ("上报的层级必须高于当前层级“{level}”。",
                            "The new level must be above the current level ({level})."),
    "hz.reopen_target": ("重新处理后的状态只能是：{allowed}。",
                         "A reopened hazard goes back to one of: {allowed}."),
    # input problems (field-level)
    "hz.required": ("缺少必填项：{field}。", "Missing required field: {field}."),
    "hz.not_text": ("{field} 必须是文字。", "{field} must be text."),
    "hz.too_long": ("{field} 太长（最多 {limit} 个字符）。",
                    "{field} is too long (at most {limit} characters)."),
    "hz.blank": ("{field} 不能为空。", "{field} must not be blank."),
    "hz.one_of": ("{field} 的值“{value}”无效，可选：{allowed}。",
                  "{field} has an invalid value '{value}'; choose one of: {allowed}."),
    "hz.not_int": ("{field} 必须是整数。", "{field} must be a whole number."),
    "hz.int_range": ("{field} 必须在 {low} 到 {high} 之间。",
                     "{field} must be between {low} and {high}."),
    "hz.not_bool": ("{field} 必须是 true 或 false。", "{field} must be true or false."),
    "hz.not_number": ("{field} 必须是数字。", "{field} must be a number."),
    "hz.lat_range": ("纬度必须在 -90 到 90 之间。", "Latitude must be between -90 and 90."),
    "hz.lon_range": ("经度必须在 -180 到 180 之间。", "Longitude must be between -180 and 180."),
    "hz.bad_geometry": ("位置（geometry）无效：{reason}。", "Invalid geometry: {reason}."),
    "hz.geometry_kind": ("位置只能是点、线或面（{kind} 不支持）。",
                         "The geometry must be a point, line or polygon ({kind} is not)."),
    "hz.no_location": ("请提供位置：geometry，或 lat 和 lon。",
                       "Give a location: geometry, or lat and lon."),
    "hz.bad_date": ("{field} 不是有效的日期或时间（ISO 8601）。",
                    "{field} is not a valid date or time (ISO 8601)."),
    "hz.bad_bbox": ("bbox 必须是 4 个数字：西,南,东,北。",
                    "bbox must be four numbers: west,south,east,north."),
    "hz.no_asset": ("找不到编号为 {id} 的{kind}。", "No {kind} with id {id}."),
    "hz.not_object": ("请求内容必须是一个 JSON 对象。", "The request body must be a JSON object."),
    "hz.bad_json": ("请求内容不是有效的 JSON。", "The request body is not valid JSON."),
    "hz.not_found": ("找不到编号为 {id} 的隐患。", "No hazard with id {id}."),
    "hz.no_photo": ("该隐患没有照片。", "This hazard has no photo."),
    "hz.light": ("路灯", "streetlight"),
    "hz.camera": ("监控", "camera"),
    # photos
    "hz.photo_too_big": ("照片太大（最多 {limit_mb} MB）。",
                         "The photo is too big (at most {limit_mb} MB)."),
    "hz.photo_type": ("照片必须是 JPEG、PNG 或 WebP 图片。",
                      "The photo must be a JPEG, PNG or WebP image."),
    "hz.photo_empty": ("照片文件是空的。", "The photo file is empty."),
    "hz.photo_too_many_pixels": ("照片像素太多（{width}×{height}，最多 {limit_mp} 百万像素）。",
                                 "The photo has too many pixels ({width}x{height}; at most "
                                 "{limit_mp} megapixels)."),
    "hz.too_large": ("请求太大。", "The request is too large."),
    # duplicates and replays
    "hz.duplicate": ("附近 {radius} 米内已有同类未办结隐患，可能重复。确认不是同一问题请设 "
                     "confirm_duplicate=true 重新提交。",
                     "An open hazard of the same category is within {radius} m: this looks like "
                     "a duplicate. If it is a different problem, send again with "
                     "confirm_duplicate=true."),
    "hz.db_refused": ("数据不符合要求，未保存。",
                      "The database refused the data; nothing was stored."),
    "hz.open311.no_location": ("请提供 lat 和 long（暂不支持按地址定位）。",
                               "Give lat and long (addresses are not geocoded)."),
    "hz.open311.duplicates": ("可能重复的请求：{ids}。", "Likely duplicates: {ids}."),
    # Open311 service groups and descriptions
    "hz.group.traffic": ("交通出行", "Traffic"),
    "hz.group.environment": ("环境卫生", "Environment"),
    "hz.group.facilities": ("照明与监控设施", "Lights and cameras"),
    "hz.group.housing": ("房屋与管网", "Buildings and pipes"),
    "hz.group.safety": ("安全隐患", "Safety"),
    "hz.group.neighbours": ("邻里关系", "Neighbours"),
    "hz.group.other": ("其他", "Other"),
    "hz.service.parking": ("乱停车、车位不足、通道被占。",
                           "Cars parked in the way, too few spaces, blocked passages."),
    "hz.service.dirty_alley": ("背街小巷垃圾堆积、脏乱。", "Rubbish and dirt in back alleys."),
    "hz.service.dim_lighting": ("小巷、楼梯间照明昏暗或没有照明。",
                                "Alleys or stairwells that are dim or unlit."),
    "hz.service.peeling_wall": ("外墙、墙皮脱落，有坠落风险。",
                                "Peeling facades or plaster that may fall."),
    "hz.service.leaking_drain": ("管网老化、污水渗漏或堵塞。",
                                 "Old pipes, sewage leaks or blocked drains."),
    "hz.service.fire_risk": ("消防通道堵塞、私拉电线等消防隐患。",
                             "Blocked fire exits, improvised wiring and other fire risks."),
    "hz.service.dispute": ("邻里纠纷，需要调解。", "A dispute between neighbours to mediate."),
    "hz.service.broken_light": ("路灯、壁灯不亮或损坏。",
                                "A streetlight or wall lamp out or broken."),
    "hz.service.broken_camera": ("监控摄像头损坏或离线。", "A camera broken or offline."),
    "hz.service.other": ("其他民生问题。", "Any other livelihood problem."),
    # field names (shown in messages)
    "hz.field.geometry": ("位置", "geometry"),
    # status notes for Open311
    "hz.note.reported": ("已受理，等待分派。", "Received, waiting to be assigned."),
    "hz.note.assigned": ("已分派给处理人。", "Assigned to a worker."),
    "hz.note.in_progress": ("正在处理。", "Being worked on."),
    "hz.note.resolved": ("已解决，等待回访。", "Resolved, waiting for the follow-up visit."),
    "hz.note.revisited": ("已回访（满意度 {satisfaction}/5），等待办结。",
                          "Follow-up visit done (satisfaction {satisfaction}/5), waiting to be "
                          "closed."),
    "hz.note.closed": ("已办结。", "Closed."),
    "hz.note.overdue": ("已超期。", "Overdue."),
    "hz.service_notice": ("已受理，处理时限：{due}。", "Received; due by {due}."),
    "hz.open311.only_json": ("仅支持 JSON 格式（.json）。",
                             "Only the JSON format (.json) is supported."),
    "hz.open311.unknown_service": ("没有这个 service_code：{value}。",
                                   "Unknown service_code: {value}."),
    "hz.open311.not_found": ("找不到该服务请求：{id}。", "No such service request: {id}."),
    "hz.open311.media_url": ("media_url 必须是 http(s) 网址。",
                             "media_url must be an http(s) URL."),
    "hz.open311.no_services": ("服务没有附加属性（metadata=false）。",
                               "Services have no attributes (metadata is false)."),
    # CSV headers
    "hz.col.id": ("编号", "id"),
    "hz.col.category": ("类别", "category"),
    "hz.col.severity": ("严重程度", "severity"),
    "hz.col.status": ("状态", "status"),
    "hz.col.level": ("层级", "level"),
    "hz.col.grid": ("网格", "grid"),
    "hz.col.assignee": ("处理人", "assignee"),
    "hz.col.description": ("描述", "description"),
    "hz.col.reported_at": ("上报时间", "reported at"),
    "hz.col.due_at": ("处理时限", "due at"),
    "hz.col.updated_at": ("更新时间", "updated at"),
    "hz.col.overdue": ("超期", "overdue"),
    "hz.col.lon": ("经度", "longitude"),
    "hz.col.lat": ("纬度", "latitude"),
    "hz.col.geometry": ("几何（WKT）", "geometry (WKT)"),
    "hz.yes": ("是", "yes"),
    "hz.no": ("否", "no"),
}
register_messages(MESSAGES)

