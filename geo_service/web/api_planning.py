"""JSON API for planning: where the next lights and cameras go, gaps, the preset scenario.

``POST /api/plan/lights`` and ``POST /api/plan/cameras`` take ``{"count": K}``,
``{"budget": yuan}`` or ``{"cover_priority": P}`` (exactly one), optionally ``"grids": [N, ...]``
(grid numbers; all streets when missing or empty), ``"community"`` (name or id; default the
only one, or ``GEO_SERVICE_COMMUNITY``), ``"include_unknown": bool``,
``"complete": bool`` and ``"time_limit": seconds``. They answer the same GeoJSON as
``geo-service place``: a FeatureCollection of the chosen sites (``feature`` = "site") and the
stretches they newly cover (``feature`` = "stretch"), with ``summary`` (totals, before and after
per grid, solver figures).

``GET /api/plan/scenario[?grid=N...]`` gives the preset "12 lights and 4 cameras" comparison,
``GET /api/plan/gaps?kind=lighting|cameras[&grid=N...]`` the gap stretches with a per-grid
summary, ``GET /api/plan/context`` the grid outlines, building footprints, lamps and cameras
the page draws. The GET endpoints take ``?community=`` like the body's field. Every figure is
computed in the community's own metric CRS (:mod:`geo_service.planning.community`).

Errors are ``{"error": {"code", "message", "messages": {"zh", "en"}, "field"?}}`` with 400 for
a request that cannot be answered as asked, 503 when the answer takes longer than the request
time limit (the work goes on and its result is cached, so asking again later is quick) or too
many plans are being computed at once.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from geo_service.analysis.placement import SolverOptions
from geo_service.errors import ServiceError
from geo_service.i18n import both, known
from geo_service.planning import PlanningError, Question, gap_report, place, run_scenario
from geo_service.planning.community import Scope
from geo_service.planning.plan import features
from geo_service.planning.service import layers_for
from geo_service.web.community import request_scope
from geo_service.web.db import engine
from geo_service.web.errors import service_error

blueprint = Blueprint("api_planning", __name__)

#: Seconds a planning request may take before it is answered with 503 (app config
#: ``PLAN_TIME_LIMIT`` overrides).
REQUEST_TIME_LIMIT = 30.0
#: Seconds kept from the request limit for reading the data and building the matrix.
SOLVER_SHARE = 0.6
#: Plans computed at once; further requests get 503 instead of queueing without end.
MAX_RUNNING = 2
MAX_COUNT = 10_000
MAX_GRIDS = 1_000

_POOL = ThreadPoolExecutor(max_workers=MAX_RUNNING, thread_name_prefix="plan")
_SLOTS = threading.BoundedSemaphore(MAX_RUNNING * 2)


class BadRequest(ServiceError):
    """A planning request that cannot be answered as asked (400, or 503 when busy); rendered by
    :mod:`geo_service.web.errors` like every :class:`ServiceError`."""

    def __init__(self, code: str, field: str | None = None, status: int = 400,
                 **values: Any) -> None:
        super().__init__(f"api.planning.{code}", code=code, http_status=status,
                         details={"field": field} if field is not None else None,
                         messages=both(f"api.planning.{code}", field=field, **values))
        self.field = field


@blueprint.errorhandler(PlanningError)
def planning_error(error: PlanningError) -> Response:
    """Unknown grid, no streets ...: a 400 :class:`BadRequest` naming the grids."""
    code = error.code if known(f"api.planning.{error.code}") else "no_streets"
    grids = ", ".join(map(str, error.details.get("grids", [])))
    return service_error(BadRequest(code, "grids" if code in ("unknown_grid", "no_streets")
                                    else None, grids=grids))


# -- input ---------------------------------------------------------------------------------------
def _number(body: dict[str, Any], field: str) -> float | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or value < 0:
        raise BadRequest("bad_number", field)
    return float(value)


def _flag(body: dict[str, Any], field: str) -> bool | None:
    value = body.get(field)
    if value is not None and not isinstance(value, bool):
        raise BadRequest("bad_flag", field)
    return value


def _grids(values: Any) -> list[int]:
    if values is None:
        return []
    if not isinstance(values, list) or len(values) > MAX_GRIDS or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        raise BadRequest("bad_grids", "grids")
    return sorted(set(values))


def _query_grids() -> list[int]:
    raw = request.args.getlist("grid")
    if not all(v.strip().isdigit() and len(v.strip()) < 10 for v in raw):
        raise BadRequest("bad_grids", "grid")
    return _grids([int(v) for v in raw])


FIELDS = {"count", "budget", "cover_priority", "grids", "include_unknown", "complete",
          "time_limit", "community"}


def parse_plan(body: Any) -> dict[str, Any]:
    """Validate a plan request body; :class:`BadRequest` names the first wrong field."""
    if not isinstance(body, dict):
        raise BadRequest("bad_json")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise BadRequest("unknown_field", unknown[0])
    asked = [f for f in ("count", "budget", "cover_priority") if body.get(f) is not None]
    if len(asked) != 1:
        raise BadRequest("one_question")
    count = body.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                              or not 0 <= count <= MAX_COUNT):
        raise BadRequest("bad_count", "count")
    question = Question(count=count, budget=_number(body, "budget"),
                        cover_priority=_number(body, "cover_priority"))
    return {"question": question, "grids": _grids(body.get("grids")),
            "include_unknown": bool(_flag(body, "include_unknown")),
            "complete": _flag(body, "complete"), "time_limit": _number(body, "time_limit")}


# -- running with a time limit -------------------------------------------------------------------
def limit() -> float:
    """Seconds a request may take."""
    return float(current_app.config.get("PLAN_TIME_LIMIT", REQUEST_TIME_LIMIT))


def run_limited(work: Callable[[], Any]) -> Any:
    """Run ``work`` in the planning pool; 503 when it outlasts :func:`limit` or the pool is full.

    A request cannot hang the server: the request thread waits at most the limit. The work
    itself runs on (its result lands in the planning cache) but never more than
    ``2 * MAX_RUNNING`` are admitted at once.
    """
    if not _SLOTS.acquire(blocking=False):
        raise BadRequest("busy", status=503)
    try:
        future = _POOL.submit(work)
    except BaseException:
        _SLOTS.release()
        raise
    future.add_done_callback(lambda _f: _SLOTS.release())
    seconds = limit()
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        raise BadRequest("timeout", status=503, seconds=f"{seconds:g}") from None


# -- endpoints -----------------------------------------------------------------------------------
def _scope(body: dict[str, Any] | None = None) -> Scope:
    """The community of the request (``community`` in the body or query) and its CRS."""
    with engine().connect() as conn:
        return request_scope(conn, body)


def _plan(asset: str) -> Response:
    body = request.get_json(silent=True)
    asked = parse_plan(body)
    here = _scope(body)
    eng = engine()
    seconds = limit()
    wanted = asked["time_limit"] or seconds
    options = SolverOptions(time_limit=max(0.5, min(wanted, seconds * SOLVER_SHARE)))

    def work() -> dict[str, Any]:
        result = place(eng, asset, asked["question"], asked["grids"],
                       metric_crs=here.metric_crs, community_id=here.community_id,
                       complete=asked["complete"], include_unknown=asked["include_unknown"],
                       options=options)
        return result.to_geojson()

    return jsonify(run_limited(work))


@blueprint.post("/api/plan/lights")
def plan_lights() -> Response:
    """New light sites (see the module docstring)."""
    return _plan("light")


@blueprint.post("/api/plan/cameras")
def plan_cameras() -> Response:
    """New camera sites (see the module docstring)."""
    return _plan("camera")


@blueprint.get("/api/plan/scenario")
def scenario() -> Response:
    """The preset "12 lights and 4 cameras" against the actual works."""
    grids = _query_grids()
    here = _scope()
    eng = engine()
    options = SolverOptions(time_limit=max(0.5, limit() * SOLVER_SHARE / 2))
    return jsonify(run_limited(lambda: run_scenario(
        eng, grids, metric_crs=here.metric_crs, community_id=here.community_id,
        options=options)))


@blueprint.get("/api/plan/gaps")
def gaps() -> Response:
    """Gap stretches of one kind, with the per-grid summary."""
    kind = request.args.get("kind", "lighting")
    if kind not in ("lighting", "cameras"):
        raise BadRequest("bad_kind", "kind")
    grids = _query_grids()
    here = _scope()
    eng = engine()
    return jsonify(run_limited(lambda: gap_report(
        eng, kind, grids, metric_crs=here.metric_crs,
        community_id=here.community_id).to_geojson()))


@blueprint.get("/api/plan/context", endpoint="context")
def planning_layers() -> Response:
    """Grid outlines, building footprints, lamps and cameras for the planning map."""
    here = _scope()
    eng = engine()

    def work() -> dict[str, Any]:
        layers = layers_for(eng, metric_crs=here.metric_crs, community_id=here.community_id)
        return {"grids": {"type": "FeatureCollection",
                          "features": features(layers.grids[["number", "name", "geometry"]])},
                "buildings": {"type": "FeatureCollection",
                              "features": features(layers.buildings[["source_id", "geometry"]])},
                "lights": {"type": "FeatureCollection", "features": features(
                    layers.lights[["source_id", "status", "mount", "geometry"]])},
                "cameras": {"type": "FeatureCollection", "features": features(
                    layers.cameras[["source_id", "status", "heading_deg", "geometry"]])}}

    return jsonify(run_limited(work))
