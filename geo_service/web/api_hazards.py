"""JSON API for hazards: report, read with history, move through the loop, list, export, photo.

Errors are JSON ``{"error": {"code", "message", "messages": {"zh", "en"}, "field"?, ...}}``:
400 for a body that cannot be read, 422 for a wrong field, 404, 409 for a likely duplicate or a
refused transition, 413 for a too large upload. User text is returned verbatim (JSON, never
HTML-escaped); pages that show it must escape it.

What of a hazard an answer holds depends on who asks (:mod:`geo_service.auth.privacy`): the
public never gets a person (reporter, assignee, event actors); staff get the reporter only for
the hazards in their grids or buildings, residents for their own reports.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_file, url_for
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from geo_service.auth import privacy
from geo_service.auth.policy import actor_of
from geo_service.hazards import photos, service
from geo_service.hazards.errors import (
    HazardError,
    InvalidInput,
    NotFound,
    PhotoRefused,
    TransitionRefused,
)
from geo_service.hazards.export import to_csv, to_geojson
from geo_service.hazards.inputs import (
    parse_event,
    parse_filters,
    parse_report,
    refuse_unstorable_text,
    to_int,
)
from geo_service.hazards.messages import both
from geo_service.web.auth import current_user
from geo_service.web.clients import client_scope
from geo_service.web.db import engine
from geo_service.web.i18n import lang

blueprint = Blueprint("api_hazards", __name__)

FORM_OVERHEAD = 256 * 1024  # room for the text fields beside a photo in a multipart body
JSON_LIMIT = 2 * 1024 * 1024
PAGE_MAX = 1000


# -- responses -------------------------------------------------------------------------------
def error_response(status: int, body: dict[str, Any]) -> Response:
    """``{"error": body}`` with ``status``."""
    response = jsonify(error=body)
    response.status_code = status
    return response


@blueprint.errorhandler(HazardError)
def hazard_error(error: HazardError) -> Response:
    """Typed service errors -> 400/404/409/413/422."""
    if isinstance(error, InvalidInput):
        status = 400 if error.malformed else 422
    elif isinstance(error, NotFound):
        status = 404
    elif isinstance(error, TransitionRefused):
        status = 409
    elif isinstance(error, PhotoRefused):
        status = 413 if error.too_big else 422
    else:
        status = 400
    return error_response(status, error.as_dict(lang()))


@blueprint.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Response:
    """A body over the size limit (413)."""
    messages = both("hz.too_large")
    return error_response(413, {"code": "too_large", "message": messages[lang()],
                                "messages": messages})


@blueprint.errorhandler(BadRequest)
def bad_request(_error: BadRequest) -> Response:
    """A body werkzeug could not parse (broken multipart, bad encoding)."""
    return hazard_error(InvalidInput("body", "hz.bad_json", malformed=True))


@blueprint.errorhandler(DataError)
@blueprint.errorhandler(IntegrityError)
def refused_by_database(_error: Exception) -> Response:
    """Safety net: a value the checks let through but PostGIS refused (422, not 500)."""
    messages = both("hz.db_refused")
    return error_response(422, {"code": "invalid_input", "message": messages[lang()],
                                "messages": messages})


@blueprint.after_request
def no_sniffing(response: Response) -> Response:
    """Browsers must take our content types at their word."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def with_links(item: dict[str, Any]) -> dict[str, Any]:
    """Add the hazard's API links."""
    links = {"self": url_for("api_hazards.get_one", hazard_id=item["id"]),
             "events": url_for("api_hazards.post_event", hazard_id=item["id"])}
    if item.get("has_photo"):
        links["photo"] = url_for("api_hazards.photo", hazard_id=item["id"])
    return item | {"links": links}


# -- request bodies ---------------------------------------------------------------------------
def read_body() -> tuple[dict[str, Any], FileStorage | None]:
    """The request's fields (JSON object, urlencoded or multipart form) and its photo;
    text that cannot be stored (NUL, a lone surrogate) is a 400 naming its field."""
    if request.is_json or (request.mimetype in ("", "text/plain") and request.content_length):
        raw = request.get_data(cache=True)
        if not raw.strip():
            return {}, None
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise InvalidInput("body", "hz.bad_json", malformed=True) from None
        if not isinstance(data, dict):
            raise InvalidInput("body", "hz.not_object", malformed=True)
        refuse_unstorable_text(data)
        return data, None
    fields = request.form.to_dict(flat=True)
    refuse_unstorable_text(fields)
    return fields, request.files.get("photo")


def hazard_id_from(raw: str) -> int:
    """A path id; anything but a positive 32-bit integer is simply not found (404)."""
    try:
        value = to_int(raw, "id", required=True)
    except InvalidInput:
        value = None
    if value is None:
        raise NotFound("hz.not_found", id=raw[:20])
    return value


def settings() -> Any:
    """The app's settings."""
    return current_app.config["SETTINGS"]


# -- routes ------------------------------------------------------------------------------------
@blueprint.post("/api/hazards")
def create() -> Response:
    """Report a hazard: 201 created, 200 replayed (same idempotency key and body from the same
    client), 422 for a key reused with another body, 409 likely duplicate."""
    limit = photos.max_bytes(settings())
    request.max_content_length = max(limit + FORM_OVERHEAD, JSON_LIMIT)
    data, upload = read_body()
    header_key = request.headers.get("Idempotency-Key")
    user = current_user()
    report = parse_report(data, idempotency_key=header_key or None, actor=actor_of(user),
                          client=client_scope())
    photo = service.PhotoUpload(upload.stream, upload.filename) if upload is not None else None
    result = service.submit_report(engine(), report, settings=settings(), user=user,
                                   upload=photo)
    duplicates, hazard = result.duplicates, result.hazard
    if result.outcome == "duplicate":
        messages = both("hz.duplicate", radius=int(service.DUPLICATE_RADIUS_M))
        return error_response(409, {
            "code": "likely_duplicate", "message": messages[lang()], "messages": messages,
            "field": "confirm_duplicate",
            "duplicates": [with_links(d) for d in duplicates]})
    assert hazard is not None
    from geo_service.web.follow import answer_for_report  # the reporter's private follow link
    response = jsonify(with_links(hazard) | {"follow": answer_for_report(hazard["id"])})
    response.status_code = 201 if result.outcome == "created" else 200
    response.headers["Location"] = url_for("api_hazards.get_one", hazard_id=hazard["id"])
    if result.outcome == "replayed":
        response.headers["Idempotent-Replayed"] = "true"
    return response


@blueprint.get("/api/hazards/<hazard_id>")
def get_one(hazard_id: str) -> Response:
    """One hazard with its history (the reporter only for those who may see it)."""
    with engine().connect() as conn:
        item = service.get_hazard(conn, hazard_id_from(hazard_id), private=True)
        return jsonify(with_links(privacy.view_one(conn, item, current_user())))


@blueprint.post("/api/hazards/<hazard_id>/events")
def post_event(hazard_id: str) -> Response:
    """Move a hazard through its loop: 201 with the event and the hazard, 409 when refused."""
    ident = hazard_id_from(hazard_id)
    request.max_content_length = JSON_LIMIT
    data, _ = read_body()
    user = current_user()
    event = parse_event(data, actor=actor_of(user))  # who acts: never the body's "actor"
    with engine().begin() as conn:
        result = service.apply_event(conn, ident, event)
        hazard = privacy.view_one(conn, result["hazard"], user)
    response = jsonify(event=result["event"], hazard=with_links(hazard))
    response.status_code = 201
    response.headers["Location"] = url_for("api_hazards.get_one", hazard_id=ident)
    return response


@blueprint.get("/api/hazards")
def list_all() -> Response:
    """Filtered hazards: JSON pages, or ``format=csv|geojson`` for all of the filtered set."""
    filters = parse_filters(request.args)
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv", "geojson"):
        raise InvalidInput("format", "hz.one_of", value=fmt[:20],
                           allowed=["json", "csv", "geojson"])
    with engine().connect() as conn:
        if fmt in ("csv", "geojson"):
            every = service.list_hazards(conn, filters, limit=None, private=True).items
            shown = privacy.view_all(conn, every, current_user())
        if fmt == "csv":
            body = to_csv(shown, lang())
            return Response(body, mimetype="text/csv", headers={
                "Content-Disposition": 'attachment; filename="hazards.csv"'})
        if fmt == "geojson":
            collection = to_geojson(shown)
            response = jsonify(collection)
            response.mimetype = "application/geo+json"
            response.headers["Content-Disposition"] = 'attachment; filename="hazards.geojson"'
            return response
        cap = min(PAGE_MAX, getattr(settings(), "page_size_cap", PAGE_MAX) or PAGE_MAX)
        limit = to_int(request.args.get("limit"), "limit", low=1, high=cap) or min(100, cap)
        offset = to_int(request.args.get("offset"), "offset", low=0) or 0
        page = service.list_hazards(conn, filters, limit=limit, offset=offset, private=True)
        items = privacy.view_all(conn, page.items, current_user())
    return jsonify(hazards=[with_links(i) for i in items], total=page.total,
                   limit=limit, offset=offset)


@blueprint.get("/api/hazards/<hazard_id>/photo")
def photo(hazard_id: str) -> Response:
    """The hazard's photo, found by hazard id (no path ever comes from the request)."""
    ident = hazard_id_from(hazard_id)
    with engine().connect() as conn:
        name = service.photo_name(conn, ident)
    path = photos.path_for(photos.uploads_dir(settings()), name)
    response = send_file(path, mimetype=photos.mime_type(name), max_age=3600,
                         download_name=f"hazard-{ident}.{name.rsplit('.', 1)[1]}")
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

