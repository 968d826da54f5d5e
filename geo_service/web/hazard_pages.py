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
from sqlalchemy import Connection
from werkzeug.exceptions import RequestEntityTooLarge

from geo_service.auth import policy, privacy
from geo_service.features import store
from geo_service.hazards import lifecycle, photos, service
from geo_service.hazards import store as hazard_store
from geo_service.hazards.errors import HazardError, InvalidInput, NotFound, TransitionRefused
from geo_service.hazards.inputs import (
    parse_event,
    parse_filters,
    parse_report,
    refuse_unstorable_text,
    to_page,
)
from geo_service.maps import basemap_config
from geo_service.vocab import HazardCategory, HazardStatus, Level, Severity
from geo_service.web import vendor
from geo_service.web.auth import current_user
from geo_service.web.clients import client_scope
from geo_service.web.db import engine
from geo_service.web.i18n import label, page_words, translate

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
    box = store.community_extent(conn)
    if box is None:
        return DEFAULT_BOUNDS
    west, south, east, north = box
    return (south, west), (north, east)


def grid_choices(conn: Connection) -> list[dict[str, Any]]:
    """Grid numbers and names, for the filters."""
    return store.grid_choices(conn)


def map_config(conn: Connection, **more: Any) -> dict[str, Any]:
    """What the page scripts need: language, basemap, community bounds, grids URL, words."""
    return {"lang": g.lang, "basemap": basemap_config(settings()), "bounds": community_bounds(conn),
            "gridsUrl": grids_items_url(), **more}


def static_url(name: str) -> str:
    """URL of one of our own files in ``static/`` (content-hashed, cached for a year)."""
    return f"{vendor.SOURCES['local'].url}/{name}"


def refused_status(error: HazardError) -> int:
    """400 for text that cannot be stored (or a number out of bounds), else 422."""
    return 400 if getattr(error, "malformed", False) else 422


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
            row = hazard_store.asset(conn, table, ident)
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
    words = page_words("hn_")
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
    try:
        refuse_unstorable_text(data)
        user = current_user()
        report = parse_report(data, channel="web", actor=policy.actor_of(user),
                              client=client_scope())
        photo = (service.PhotoUpload(upload.stream, upload.filename) if upload is not None
                 else None)
        result = service.submit_report(engine(), report, settings=settings(), user=user,
                                       upload=photo)
    except HazardError as error:
        return report_form(refused_status(error), values=values, error=error, args=data)
    if result.outcome == "duplicate":
        return report_form(409, values=values, duplicates=result.duplicates, args=data)
    assert result.hazard is not None
    from geo_service.web.follow import flash_link  # success message with the follow link
    flash_link(result.hazard["id"])
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


def ordered_actions(status: str, level: str, role: str | None = None) -> list[str]:
    """The actions ``role`` may take (:func:`lifecycle.actions_for`), the one that moves the
    hazard on first, the others as they come."""
    allowed = lifecycle.actions_for(status, level, role)
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
        # the list is for staff: anyone else goes back to the map, not to the login page
        may_list = policy.decide("hazard_pages.listing", "GET", user).allowed
        hazard = privacy.view(hazard, user, scope["reporter_user_id"])
        config = map_config(conn, geometry=hazard["geometry"])
        if hazard["light_id"] or hazard["camera_id"]:
            table, ident = (("lights", hazard["light_id"]) if hazard["light_id"]
                            else ("cameras", hazard["camera_id"]))
            ref = hazard_store.asset_ref(conn, table, ident)
            hazard["asset_label"] = (translate("hz.light" if hazard["light_id"]
                                               else "hz.camera") + f" {ref or ident}")
    done = request.args.get("done")
    notice = (say("hd_done", action=translate(f"hz.action.{done}"))
              if done in {a.value for a in lifecycle.Action} and status == 200 else None)
    return render_page(
        "hazard_detail.html", status, hazard=hazard, config=config, error=error,
        error_field=getattr(error, "field", None), values=values or {}, notice=notice,
        show_private=show_private, can_act=can_act, may_list=may_list,
        actions=(ordered_actions(hazard["status"], hazard["level"], getattr(user, "role", None))
                 if can_act else []),
        levels_above=level_choices(hazard["level"]),
        reopen_targets=[s.value for s in lifecycle.REOPEN_TARGETS],
        dismissals=[a.value for a in lifecycle.DISMISSALS])


@blueprint.get("/hazards/<int:hazard_id>")
def detail(hazard_id: int) -> Response:
    """The hazard's page."""
    return detail_page(hazard_id)


@blueprint.post("/hazards/<int:hazard_id>/events")
def act(hazard_id: int) -> Response:
    """One action from the hazard's page: applied, or the page again saying why not."""
    data = request.form.to_dict(flat=True)
    data.pop("csrf_token", None)
    try:
        refuse_unstorable_text(data)
        event = parse_event(data, actor=policy.actor_of(current_user()))  # never the form's
        with engine().begin() as conn:
            service.apply_event(conn, hazard_id, event)
    except NotFound:
        abort(404)
    except TransitionRefused as error:
        return detail_page(hazard_id, 409, error=error, values=data)
    except HazardError as error:
        return detail_page(hazard_id, refused_status(error), error=error, values=data)
    target = url_for("hazard_pages.detail", hazard_id=hazard_id, done=event.action)
    return redirect(f"{target}#timeline", code=303)


# -- /hazards ----------------------------------------------------------------------------------
def filter_params(args: Any) -> list[tuple[str, str]]:
    """The request's non-empty filter parameters, in order (repeated ones kept)."""
    return [(k, v) for k, v in args.items(multi=True) if k in FILTER_KEYS and v.strip()]


def worker_grids(user: Any) -> list[int]:
    """The grid numbers of a signed-in grid worker (empty for anyone else)."""
    if getattr(user, "role", None) != "grid_worker" or not getattr(user, "grid_ids", None):
        return []
    with engine().connect() as conn:
        return store.grid_numbers(conn, list(user.grid_ids))


@blueprint.get("/hazards")
def listing() -> Response:
    """Filtered, paged hazards with links to each and exports of exactly the filtered set."""
    mine = worker_grids(current_user())
    if mine and not any(key in request.args for key in FILTER_KEYS):
        # a grid worker's default list: their grids' open hazards (a filter they can clear)
        query = urlencode([("grid", ",".join(map(str, mine))), ("status", "open"),
                           *request.args.items()])
        return redirect(f"/hazards?{query}", code=303)
    order = "work" if mine else "newest"
    params = filter_params(request.args)
    error: HazardError | None = None
    try:
        filters = parse_filters(request.args)
        page = to_page(request.args.get("page")) or 1
    except HazardError as problem:
        error, filters, page = problem, None, 1
    with engine().connect() as conn:
        grids = grid_choices(conn)
        if filters is not None:
            result = service.list_hazards(conn, filters, limit=PAGE_SIZE, order=order,
                                          offset=(page - 1) * PAGE_SIZE, private=True)
            if not result.items and result.total and page > 1:  # past the end: the last page
                page = -(-result.total // PAGE_SIZE)
                result = service.list_hazards(conn, filters, limit=PAGE_SIZE, order=order,
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
        "hazard_list.html", refused_status(error) if error else 200, items=items, total=total,
        page=page, pages=pages, page_url=page_url, exports=exports, chosen=chosen, grids=grids,
        error=error, categories=[c.value for c in HazardCategory],
        statuses=[s.value for s in HazardStatus], levels=[lv.value for lv in Level],
        severities=[s.value for s in Severity],
        my_grids=(",".join(map(str, mine))
                  if mine and chosen["grid"] == ",".join(map(str, mine)) else ""))
