"""Open311 GeoReport v2 over the same hazards, in JSON and XML (:mod:`.open311_xml`).

Services are the hazard categories; service requests are hazards. Our states map to ``open``
(everything but closed) and ``closed``, with the detail (resolved, revisited, overdue) in
``status_notes``; ``agency_responsible`` is the level holding the hazard. The reporter's
email, name and phone are stored privately and never appear in any response. Errors are
Open311's ``[{"code", "description"}]`` (``errors/error`` in XML).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request, url_for
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from geo_service.auth.policy import actor_of
from geo_service.errors import ServiceError
from geo_service.hazards import lifecycle, service
from geo_service.hazards.errors import HazardError, InvalidInput, KeyReused, NotFound
from geo_service.hazards.inputs import (
    HazardFilter,
    choice,
    parse_report,
    refuse_unstorable_text,
    to_int,
    values_of,
    when,
)
from geo_service.hazards.inputs import (
    text as string_field,
)
from geo_service.hazards.messages import say
from geo_service.vocab import HazardCategory, HazardStatus
from geo_service.web.auth import current_user
from geo_service.web.clients import client_scope
from geo_service.web.db import engine
from geo_service.web.i18n import label, lang
from geo_service.web.open311_xml import as_json, as_xml, error_list

blueprint = Blueprint("open311", __name__)

BASE = "/open311/v2"
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)  # the list without start_date (GeoReport v2)
BODY_LIMIT = 1024 * 1024
GROUPS: dict[str, str] = {
    "parking": "traffic", "dirty_alley": "environment", "dim_lighting": "facilities",
    "broken_light": "facilities", "broken_camera": "facilities", "peeling_wall": "housing",
    "leaking_drain": "housing", "fire_risk": "safety", "dispute": "neighbours",
    "other": "other",
}


class Open311Error(ServiceError):
    """An error answered in Open311's format (rendered by geo_service.web.errors)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__("open311_error", http_status=status, code="open311",
                         messages={"zh": description, "en": description})
        self.status, self.description = status, description


FORMATS = ("json", "xml")


def check_format(fmt: str) -> None:
    """Refuse formats other than GeoReport v2's JSON and XML."""
    if fmt not in FORMATS:
        raise Open311Error(400, say("hz.open311.formats", lang()))


def answer(fmt: str, root: str, payload: Any, status: int = 200) -> Response:
    """``payload`` as JSON, or as XML under ``root`` (``services``, ``service_requests``,
    ``service_definition``)."""
    return as_xml(root, payload, status) if fmt == "xml" else as_json(payload, status)


def errors(status: int, description: str) -> Response:
    """Open311's error list in the format the path asks for."""
    return error_list(status, description, request.path)


@blueprint.errorhandler(HazardError)
def hazard_error(error: HazardError) -> Response:
    """Service errors: not found -> 404, a reused idempotency key -> 422, everything else the
    client sent -> 400."""
    status = 404 if isinstance(error, NotFound) else 422 if isinstance(error, KeyReused) else 400
    return errors(status, error.message(lang()))


@blueprint.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Response:
    """A body over the limit."""
    return errors(413, say("hz.too_large", lang()))


@blueprint.errorhandler(BadRequest)
def bad_request(_error: BadRequest) -> Response:
    """A body werkzeug could not parse."""
    return errors(400, say("hz.bad_json", lang()))


@blueprint.errorhandler(DataError)
@blueprint.errorhandler(IntegrityError)
def refused_by_database(_error: Exception) -> Response:
    """Safety net: a value the checks let through but PostGIS refused (400, not 500)."""
    return errors(400, say("hz.db_refused", lang()))


# -- services ------------------------------------------------------------------------------------
def service_dict(category: str) -> dict[str, Any]:
    """One service (a hazard category) in the request's language."""
    language = lang()
    return {
        "service_code": category,
        "service_name": label(category, language),
        "description": say(f"hz.service.{category}", language),
        "metadata": bool(attributes_of(category)),
        "type": "realtime",
        "keywords": ",".join(dict.fromkeys([category, label(category, "zh"),
                                            label(category, "en")])),
        "group": say(f"hz.group.{GROUPS.get(category, 'other')}", language),
    }


@blueprint.get(f"{BASE}/services.<fmt>")
def services(fmt: str) -> Response:
    """The hazard categories as services."""
    check_format(fmt)
    return answer(fmt, "services", [service_dict(c.value) for c in HazardCategory])


def attributes_of(category: str) -> list[dict[str, Any]]:
    """A service's attributes (its extra questions) in GeoReport v2's shape: ``variable``,
    ``code``, ``datatype``, ``required``, ``datatype_description``, ``order``,
    ``description`` and ``values``. No category declares questions yet, so the list is
    empty; ``metadata`` in the service list follows it."""
    del category
    return []


@blueprint.get(f"{BASE}/services/<code>.<fmt>")
def service_definition(code: str, fmt: str) -> Response:
    """A service definition: the category's code and its attributes (an empty list when it
    asks nothing more)."""
    check_format(fmt)
    if code not in {c.value for c in HazardCategory}:
        raise Open311Error(404, say("hz.open311.unknown_service", lang(), value=code[:40]))
    return answer(fmt, "service_definition",
                  {"service_code": code, "attributes": attributes_of(code)})


@blueprint.get("/open311/discovery.json")
def discovery() -> Response:
    """Open311 service discovery: where the GeoReport v2 endpoint is and what it speaks."""
    return as_json({
        "changeset": "2026-01-01T00:00:00+08:00",
        "contact": current_app.config["SETTINGS"].community_name,
        "key_service": "",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                       "url": request.host_url.rstrip("/") + BASE,
                       "changeset": "2026-01-01T00:00:00+08:00",
                       "type": "production", "formats": ["application/json", "text/xml"]}],
    })


# -- requests ------------------------------------------------------------------------------------
def status_notes(item: dict[str, Any], language: str) -> str:
    """Our detailed state in words (resolved and revisited are 'open' to Open311)."""
    state = item["status"]
    if item.get("closed_as") in {a.value for a in lifecycle.DISMISSALS}:
        state = item["closed_as"]  # closed in one step: invalid, not ours, duplicate of #N
    note = say(f"hz.note.{state}", language, satisfaction=item.get("satisfaction") or "-",
               id=item.get("duplicate_of") or "-")
    if item["overdue"]:
        note += " " + say(f"hz.note.overdue_{item['overdue_kind']}", language)
    return note


def request_dict(item: dict[str, Any]) -> dict[str, Any]:
    """A hazard as an Open311 service request (never the reporter's contact or name)."""
    language = lang()
    media = item.get("media_url")
    if media is None and item.get("has_photo"):
        media = url_for("api_hazards.photo", hazard_id=item["id"], _external=True)
    return {
        "service_request_id": str(item["id"]),
        "status": "closed" if item["status"] == HazardStatus.CLOSED else "open",
        "status_notes": status_notes(item, language),
        "service_name": label(item["category"], language),
        "service_code": item["category"],
        "description": item["description"] or "",
        "agency_responsible": label(item["level"], language),
        "service_notice": "",
        "requested_datetime": item["reported_at"],
        "updated_datetime": item["updated_at"],
        "expected_datetime": item["due_at"],
        "address": item.get("address") or "",
        "address_id": "",
        "zipcode": "",
        "lat": item["lat"],
        "long": item["lon"],
        "media_url": media or "",
    }


def read_fields() -> dict[str, Any]:
    """POSTed fields: form-encoded (the Open311 way) or a JSON object."""
    request.max_content_length = BODY_LIMIT
    if request.is_json:
        try:
            data = json.loads(request.get_data(cache=True) or b"{}")
        except (ValueError, RecursionError):
            raise Open311Error(400, say("hz.bad_json", lang())) from None
        if not isinstance(data, dict):
            raise Open311Error(400, say("hz.not_object", lang()))
    else:
        data = request.form.to_dict(flat=True)
    refuse_unstorable_text(data)  # NUL, a lone surrogate: 400 naming the field
    return data


def media_url(data: dict[str, Any]) -> str | None:
    """An http(s) link to a photo, or None (other schemes could run script in a page)."""
    value = string_field(data, "media_url", limit=500)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise Open311Error(400, say("hz.open311.media_url", lang()))
    return value


def reporter(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """Name and contact from Open311's personal fields (kept private)."""
    first, last = string_field(data, "first_name"), string_field(data, "last_name")
    name = " ".join(p for p in (first, last) if p) or string_field(data, "name")
    contact = "; ".join(p for p in (string_field(data, "email"), string_field(data, "phone"))
                        if p) or None
    if name and len(name) > 100:
        raise InvalidInput("first_name", "hz.too_long", limit=100)
    if contact and len(contact) > 100:
        raise InvalidInput("email", "hz.too_long", limit=100)
    return name, contact


def possible_duplicates(hazard: dict[str, Any]) -> list[int]:
    """The open hazards nearby that the report event names (stored anyway, flagged for staff)."""
    for event in hazard.get("events") or []:
        if event["action"] == lifecycle.Action.REPORT:
            return list((event.get("extra") or {}).get("possible_duplicates") or [])
    return []


@blueprint.post(f"{BASE}/requests.<fmt>")
def post_request(fmt: str) -> Response:
    """Create a service request: ``[{service_request_id, service_notice, account_id}]``."""
    check_format(fmt)
    data = read_fields()
    code = data.get("service_code")
    if code in (None, ""):
        raise Open311Error(400, say("hz.required", lang(), field="service_code"))
    if not isinstance(code, str) or code not in {c.value for c in HazardCategory}:
        raise Open311Error(400, say("hz.open311.unknown_service", lang(), value=str(code)[:40]))
    if data.get("lat") in (None, "") and data.get("long") in (None, ""):
        raise Open311Error(400, say("hz.open311.no_location", lang()))
    name, contact = reporter(data)
    extra = {k: v for k, v in (("media_url", media_url(data)),
                               ("address_string", string_field(data, "address_string", limit=300)))
             if v is not None}
    fields = {"category": code, "description": data.get("description"),
              "lat": data.get("lat"), "long": data.get("long"),
              "severity": data.get("severity"),
              # GeoReport v2 has no duplicate step: a report near an open one is stored and
              # flagged for staff (possible_duplicates on its report event)
              "confirm_duplicate": True,
              "reporter_name": name, "reporter_contact": contact,
              "idempotency_key": data.get("idempotency_key")}
    user = current_user()
    report = parse_report(fields, idempotency_key=request.headers.get("Idempotency-Key") or None,
                          channel="open311", extra=extra, actor=actor_of(user),
                          client=client_scope())
    result = service.submit_report(engine(), report, settings=current_app.config["SETTINGS"],
                                   user=user)
    assert result.hazard is not None
    hazard = result.hazard
    notice = say("hz.service_notice", lang(), due=hazard["due_at"])
    near = possible_duplicates(hazard)
    if near:
        notice += " " + say("hz.open311.possible_duplicate", lang(),
                            ids=", ".join(f"#{n}" for n in near))
    response = answer(fmt, "service_requests",
                      [{"service_request_id": str(hazard["id"]), "service_notice": notice,
                        "account_id": None}], 201 if result.outcome == "created" else 200)
    response.headers["Location"] = url_for("open311.get_request", fmt=fmt,
                                           service_request_id=str(hazard["id"]))
    return response


def filters_from_query(now: datetime | None = None) -> HazardFilter:
    """Open311 query parameters -> hazard filters, as GeoReport v2 reads them.

    ``service_request_id`` (comma-separated) overrides every other parameter. Without
    ``start_date`` the window is the 90 days before ``end_date`` (before now without either).
    """
    args = request.args
    ids = tuple(to_int(v, "service_request_id") for v in values_of(args, "service_request_id"))
    if ids:
        return HazardFilter(ids=ids)
    codes = tuple(choice(v, "service_code", HazardCategory)
                  for v in values_of(args, "service_code"))
    statuses: list[str] = []
    for value in values_of(args, "status"):
        if value == "open":
            statuses.extend(s.value for s in lifecycle.OPEN_STATUSES)
        elif value == "closed":
            statuses.append(HazardStatus.CLOSED.value)
        else:
            raise InvalidInput("status", "hz.one_of", value=value[:20], allowed=["open", "closed"])
    start, end = values_of(args, "start_date"), values_of(args, "end_date")
    date_to = when(end[0], "end_date", end=True) if end else None
    date_from = (when(start[0], "start_date") if start
                 else (date_to or now or service.utcnow()) - DEFAULT_WINDOW)
    return HazardFilter(ids=ids, categories=codes, statuses=tuple(statuses),
                        date_from=date_from, date_to=date_to)


@blueprint.get(f"{BASE}/requests.<fmt>")
def get_requests(fmt: str) -> Response:
    """Service requests, newest first, at most 1000 (filters as in GeoReport v2)."""
    check_format(fmt)
    filters = filters_from_query()
    with engine().connect() as conn:
        page = service.list_hazards(conn, filters, limit=MAX_RESULTS)
    return answer(fmt, "service_requests", [request_dict(item) for item in page.items])


@blueprint.get(f"{BASE}/requests/<service_request_id>.<fmt>")
def get_request(service_request_id: str, fmt: str) -> Response:
    """One service request, as a list of one."""
    check_format(fmt)
    try:
        ident = to_int(service_request_id, "service_request_id", required=True)
    except InvalidInput:
        ident = None
    if ident is None:
        raise Open311Error(404, say("hz.open311.not_found", lang(),
                                    id=service_request_id[:20]))
    with engine().connect() as conn:
        try:
            item = service.get_hazard(conn, ident, events=False)
        except NotFound:
            raise Open311Error(404, say("hz.open311.not_found", lang(), id=ident)) from None
    return answer(fmt, "service_requests", [request_dict(item)])
