"""JSON API for patrol routes: plan and store, download GPX / GeoJSON, upload a walked track.

Endpoints (blueprint ``api_routes``; the writes are for signed-in patrol members and admins):

``POST /api/routes`` (``api_routes.create_plan``)
    Body ``{"grids": [1, 2, 3, 4], "teams": 3, "start": [lon, lat] | null,
    "required": "all|alleys|hazards|hot", "points": null|"hazards"|"broken-lights",
    "week": false, "shifts": 2, "speed_kmh": 4.5, "margin_m": 100, "community": "白龙社区"}``
    (all optional; ``grids`` missing: the trade-city grids 1-4, empty: every street of the
    community; ``community`` a name or id, default the only one or GEO_SERVICE_COMMUNITY; its
    own metric CRS is used). Computes the plan, stores it and
    answers 201 with the plan as GeoJSON (routes, then numbered stops; ``plan``, ``stats`` and
    ``links`` to its GPX, GeoJSON and route sheet).
``GET /api/routes`` (``api_routes.list_plans``)
    The newest plans.
``GET /api/routes/<plan>.geojson`` / ``.gpx`` (``api_routes.plan_geojson`` / ``plan_gpx``)
    A stored plan; the GPX has a track per route and a waypoint per stop.
``POST /api/patrol/tracks`` (``api_routes.upload_track``)
    ``multipart/form-data``: ``track`` (a GPX file), optional ``member`` (a name on the roster:
    only the patrol's lead may upload for somebody else; everybody else's track is stored for
    themselves, their display name on the roster), optional ``grid`` (repeatable). Matches
    the track to the streets (:func:`geo_service.patrol.service.upload_track`) and answers
    201 with the summary and the stretches matched as GeoJSON.

Errors are ``{"error": {"code", "message", "messages": {"zh", "en"}, "field"?}}``.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for

from geo_service.auth import policy
from geo_service.i18n import both, known
from geo_service.patrol import PatrolError, TrackError
from geo_service.patrol import service as patrol_service
from geo_service.patrol import store as patrol_store
from geo_service.patrol_routes import (
    PlanError,
    PlanOptions,
    get_plan,
    make_plan,
    plan_geojson,
    plan_gpx,
)
from geo_service.patrol_routes.store import list_plans as stored_plans
from geo_service.patrol_routes.store import stop_extras
from geo_service.web.community import request_scope
from geo_service.web.db import engine

blueprint = Blueprint("api_routes", __name__)

PATROL_GRIDS = (1, 2, 3, 4)
FIELDS = ("grids", "teams", "start", "required", "points", "week", "shifts", "speed_kmh",
          "margin_m", "community")
MAX_GRIDS = 100
MAX_TRACK_BYTES = 5 * 2**20
#: Plans computed at once; more requests get 503 instead of queueing.
_SLOTS = threading.BoundedSemaphore(2)


class ApiProblem(Exception):
    """A request that cannot be answered as asked."""

    def __init__(self, code: str, field: str | None = None, status: int = 400,
                 **values: Any) -> None:
        super().__init__(code)
        self.code, self.field, self.status, self.values = code, field, status, values


def error_response(status: int, code: str, field: str | None = None, **values: Any) -> Response:
    """The JSON error body in both languages, the page language as ``message``."""
    key = f"api.routes.{code}" if known(f"api.routes.{code}") else "api.routes.bad_json"
    messages = both(key, field=field, **values)
    body: dict[str, Any] = {"code": code, "message": messages[g.get("lang", "zh")],
                            "messages": messages}
    if field is not None:
        body["field"] = field
    response = jsonify(error=body)
    response.status_code = status
    return response


@blueprint.errorhandler(ApiProblem)
def api_problem(error: ApiProblem) -> Response:
    """Typed request errors -> JSON."""
    return error_response(error.status, error.code, error.field, **error.values)


@blueprint.errorhandler(PlanError)
def plan_error(error: PlanError) -> Response:
    """Unknown grid, nothing to route ... -> 400 JSON naming the field."""
    fields = {"unknown_grid": "grids", "no_streets": "grids", "nothing_required": "required",
              "no_points": "points", "bad_teams": "teams", "bad_start": "start",
              "bad_required": "required", "bad_points": "points", "bad_shifts": "shifts",
              "bad_speed": "speed_kmh", "bad_margin": "margin_m", "bad_combination": "week"}
    grids = ", ".join(map(str, error.details.get("grids", [])))
    code = error.code if known(f"api.routes.{error.code}") else "no_streets"
    return error_response(400, code, fields.get(code), grids=grids)


# -- input ---------------------------------------------------------------------------------------
def _int(body: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ApiProblem(f"bad_{name}", name)
    return value


def _float(body: dict[str, Any], name: str, default: float, code: str) -> float:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ApiProblem(code, name)
    return float(value)


def _start(value: Any) -> tuple[float, float] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, dict):
        value = [value.get("lon"), value.get("lat")]
    try:
        lon, lat = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ApiProblem("bad_start", "start") from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180
            and -90 <= lat <= 90):
        raise ApiProblem("bad_start", "start")
    return lon, lat


def parse_options(body: Any) -> PlanOptions:
    """The request body -> :class:`PlanOptions` (ApiProblem naming the field when wrong)."""
    if not isinstance(body, dict):
        raise ApiProblem("bad_json")
    for name in body:
        if name not in FIELDS:
            raise ApiProblem("unknown_field", str(name)[:40])
    grids = body.get("grids", list(PATROL_GRIDS))
    if grids is None:
        grids = list(PATROL_GRIDS)
    if not isinstance(grids, list) or len(grids) > MAX_GRIDS or any(
            isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in grids):
        raise ApiProblem("bad_grids", "grids")
    for flag in ("week",):
        if flag in body and not isinstance(body[flag], bool):
            raise ApiProblem("bad_flag", flag)
    required = body.get("required") or "all"
    points = body.get("points") or None
    if not isinstance(required, str):
        raise ApiProblem("bad_required", "required")
    if points is not None and not isinstance(points, str):
        raise ApiProblem("bad_points", "points")
    return PlanOptions(
        grids=tuple(sorted(set(grids))), teams=_int(body, "teams", 1, 1, 12),
        start=_start(body.get("start")), required=required, points=points,
        week=bool(body.get("week", False)), shifts=_int(body, "shifts", 2, 1, 4),
        speed_kmh=_float(body, "speed_kmh", 4.5, "bad_speed"),
        margin_m=_float(body, "margin_m", 100.0, "bad_margin"))


def _who() -> str | None:
    user = g.get("user")
    name = getattr(user, "username", None) or (user.get("username") if isinstance(user, dict)
                                               else None)
    return str(name)[:100] if name else None


def plan_links(plan_id: int) -> dict[str, str]:
    """Where a stored plan can be downloaded and printed."""
    return {"geojson": url_for("api_routes.plan_geojson", plan_id=plan_id),
            "gpx": url_for("api_routes.plan_gpx", plan_id=plan_id),
            "sheet": f"/routes/{plan_id}/sheet", "map": "/map"}


def _geojson_response(payload: dict[str, Any], status: int = 200) -> Response:
    response = current_app.response_class(json.dumps(payload, ensure_ascii=False),
                                          mimetype="application/geo+json", status=status)
    response.headers["Cache-Control"] = "no-cache"
    return response


# -- endpoints -----------------------------------------------------------------------------------
@blueprint.post("/api/routes")
def create_plan() -> Response:
    """Compute, store and return a plan (201)."""
    body = request.get_json(silent=True)
    options = parse_options(body)
    with engine().connect() as conn:
        here = request_scope(conn, body)
    options = replace(options, community_id=here.community_id, metric_crs=here.metric_crs)
    options.check()
    if not _SLOTS.acquire(blocking=False):
        raise ApiProblem("busy", status=503)
    try:
        plan = make_plan(engine(), options, created_by=_who())
    finally:
        _SLOTS.release()
    assert plan.id is not None
    with engine().connect() as conn:
        payload = plan_geojson(plan, stop_extras(conn, plan))
    payload["links"] = plan_links(plan.id)
    response = _geojson_response(payload, 201)
    response.headers["Location"] = payload["links"]["geojson"]
    return response


@blueprint.get("/api/routes")
def list_plans() -> Response:
    """The newest stored plans."""
    with engine().connect() as conn:
        plans = stored_plans(conn)
    for plan in plans:
        plan["links"] = plan_links(plan["id"])
    return jsonify(plans=plans)


def _stored(plan_id: int) -> tuple[Any, Any]:
    plan, extras = get_plan(engine(), plan_id)
    if plan is None:
        raise ApiProblem("not_found", "plan", status=404, plan=plan_id)
    return plan, extras


@blueprint.get("/api/routes/<int:plan_id>.geojson", endpoint="plan_geojson")
def plan_geojson_view(plan_id: int) -> Response:
    """A stored plan as GeoJSON."""
    plan, extras = _stored(plan_id)
    payload = plan_geojson(plan, extras)
    payload["links"] = plan_links(plan_id)
    response = _geojson_response(payload)
    response.headers["Content-Disposition"] = f'inline; filename="patrol-plan-{plan_id}.geojson"'
    return response


@blueprint.get("/api/routes/<int:plan_id>.gpx", endpoint="plan_gpx")
def plan_gpx_view(plan_id: int) -> Response:
    """A stored plan as GPX (a track per route, a waypoint per stop) for phones."""
    plan, extras = _stored(plan_id)
    response = current_app.response_class(plan_gpx(plan, extras),
                                          mimetype="application/gpx+xml")
    response.headers["Content-Disposition"] = f'attachment; filename="patrol-plan-{plan_id}.gpx"'
    return response


def track_member(named: str | None) -> str:
    """Whose walks a track records: the uploader's own (their name on the roster), or the
    member they name when they lead the patrol team (:func:`policy.may_upload_for_others`)."""
    user = g.get("user")
    named = (named or "").strip()
    if named and policy.may_upload_for_others(user):
        return named
    return policy.actor_of(user)


@blueprint.post("/api/patrol/tracks")
def upload_track() -> Response:
    """Match an uploaded GPX track to the streets and record the walks (201)."""
    upload = request.files.get("track")
    if upload is None or not upload.filename:
        raise ApiProblem("no_track", "track")
    member = track_member(request.form.get("member"))
    content = upload.stream.read(MAX_TRACK_BYTES + 1)
    if len(content) > MAX_TRACK_BYTES:
        raise ApiProblem("too_large", "track", status=413)
    try:
        grids = [int(v) for v in request.form.getlist("grid") if v.strip()]
    except ValueError:
        raise ApiProblem("bad_grids", "grid") from None
    if any(number < 1 or number > 2**31 - 1 for number in grids):
        raise ApiProblem("bad_grids", "grid")
    try:
        summary = patrol_service.upload_track(engine(), content, member,
                                              source_name=upload.filename[:200],
                                              grids=grids or None)
    except (TrackError, PatrolError) as error:
        raise ApiProblem("bad_track", "track", status=422, detail=str(error)) from None
    except ValueError as error:  # load_network: a grid number that is not in the database
        raise ApiProblem("bad_track", "grid", status=422, detail=str(error)) from None
    with engine().connect() as conn:
        walks = patrol_store.track_walks(conn, summary.track_id)
    body = json.loads(patrol_service.summary_json(summary))
    body["lines"] = summary.lines()
    body["walks"] = walks
    response = jsonify(body)
    response.status_code = 201
    return response
