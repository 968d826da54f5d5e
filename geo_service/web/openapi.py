"""``GET /api/openapi.json``: the OpenAPI 3.1 description of the JSON API.

The hazard and Open311 endpoints are described here. Other modules add theirs at import time::

    from geo_service.web.openapi import register_paths
    register_paths({"/api/collections": {"get": {...}}}, schemas={"Collection": {...}})

A path and method may be described only once; schemas are shared under
``#/components/schemas``.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, Response, jsonify

from geo_service.hazards.lifecycle import Action
from geo_service.vocab import HazardCategory, HazardStatus, Level, Severity, values
from geo_service.web.open311_openapi import with_xml_and_api_key
from geo_service.web.openapi_parts import (
    FORMAT_PARAM,
    api_error,
    collections_error,
    json_body,
    open311_error,
    query,
    ref,
)

blueprint = Blueprint("openapi", __name__)

PATHS: dict[str, dict[str, Any]] = {}
SCHEMAS: dict[str, Any] = {}
TAGS: list[dict[str, str]] = []
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def register_paths(paths: dict[str, dict[str, Any]], schemas: dict[str, Any] | None = None,
                   tags: list[dict[str, str]] | None = None) -> None:
    """Add path items (OpenAPI ``paths`` entries), shared schemas and tags to the document.

    Raises ``ValueError`` when a path's method or a schema name is already described.
    """
    for path, item in paths.items():  # check everything before changing anything
        clash = [m for m in item if m in METHODS and m in PATHS.get(path, {})]
        if clash:
            raise ValueError(f"{path}: {', '.join(clash)} described twice")
    for name, schema in (schemas or {}).items():
        if name in SCHEMAS and SCHEMAS[name] != schema:
            raise ValueError(f"schema {name} described twice")
    for path, item in paths.items():
        PATHS.setdefault(path, {}).update(copy.deepcopy(item))
    for name, schema in (schemas or {}).items():
        SCHEMAS[name] = copy.deepcopy(schema)
    for tag in tags or []:
        if tag["name"] not in {t["name"] for t in TAGS}:
            TAGS.append(dict(tag))


def document() -> dict[str, Any]:
    """The whole OpenAPI document as it stands now (with the answers every operation can give,
    :func:`common_responses`)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Patrol and hazard service API", "version": "1",
                 "description": "Hazards and their closed loop (report, assign, start, resolve, "
                                "revisit, close; escalate, reopen), Open311 GeoReport v2, and "
                                "the other JSON endpoints of the service. Times are ISO 8601 "
                                "with offset; geometries are GeoJSON in EPSG:4326."},
        "tags": copy.deepcopy(TAGS),
        "paths": common_responses(dict(sorted(copy.deepcopy(PATHS).items()))),
        "components": {"schemas": copy.deepcopy(SCHEMAS)},
    }


# Operations that store an anonymous report: rate limited (geo_service.web.ratelimit).
REPORT_POSTS = {("/api/hazards", "post"), ("/open311/v2/requests.{fmt}", "post")}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "required": True, "schema": {"type": "integer", "minimum": 1}}}
UNSAFE = ("post", "put", "patch", "delete")


def common_responses(paths: dict[str, Any]) -> dict[str, Any]:
    """Add the answers any operation can give where its module did not describe them.

    401 (a bad API token) and 403 (no CSRF token on a write, or a role without access) from
    the access guard, 413 (body over the size limit) on writes, 429 on report posts, and 503
    with Retry-After while the database is unreachable (geo_service.web.errors). Each in the
    error format of its path: Open311's list under /open311, the hazard API's
    ``{"error": ...}`` under /api (the collections answer 503 in their own
    ``{"code", "description"}``).
    """
    for path, item in paths.items():
        for method, operation in item.items():
            if method not in METHODS or not isinstance(operation, dict):
                continue
            if path.startswith("/open311/"):
                error = open311_error
                unavailable = open311_error
            else:
                error = api_error
                unavailable = collections_error if path.startswith("/api/collections") \
                    else api_error
            extra = {"401": error("Not signed in, or a bad API token."),
                     "403": error("Refused: no CSRF token on a write, or a role without "
                                  "access.")}
            if method in UNSAFE:
                extra["413"] = error("The body is over the size limit.")
            if (path, method) in REPORT_POSTS:
                extra["429"] = error("Too many anonymous reports from this address; "
                                     "Retry-After says when to try again.") | {
                                         "headers": copy.deepcopy(RETRY_AFTER)}
            extra["503"] = unavailable("The database is briefly unavailable; try again "
                                       "after Retry-After seconds.") | {
                                           "headers": copy.deepcopy(RETRY_AFTER)}
            responses = operation.setdefault("responses", {})
            for status, response in extra.items():
                responses.setdefault(status, response)
    return with_xml_and_api_key(paths)  # GeoReport v2's XML and api_key


@blueprint.get("/api/openapi.json")
def openapi_json() -> Response:
    """Serve the document."""
    return jsonify(document())


# -- the hazard and Open311 descriptions -------------------------------------------------------
ID_PARAM = {"name": "hazard_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1}}
NULLABLE_TEXT = {"type": ["string", "null"]}
IGNORED_ACTOR = {"type": "string", "deprecated": True,
                 "description": "Ignored: an action is recorded under the signed-in user "
                                "(\"public\" without an account)."}

HAZARD_SCHEMAS: dict[str, Any] = {
    "Geometry": {"type": "object", "description": "GeoJSON geometry in EPSG:4326: Point, "
                 "LineString, Polygon or their Multi forms.",
                 "properties": {"type": {"type": "string", "enum": [
                     "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                     "MultiPolygon"]}, "coordinates": {"type": "array"}},
                 "required": ["type", "coordinates"]},
    "Error": {"type": "object", "properties": {
        "code": {"type": "string", "examples": ["invalid_input", "transition_refused",
                                                "likely_duplicate", "not_found"]},
        "message": {"type": "string", "description": "In the request's language."},
        "messages": {"type": "object", "properties": {"zh": {"type": "string"},
                                                      "en": {"type": "string"}}},
        "field": {"type": "string", "description": "The input field at fault."},
        "status": {"type": "string"}, "action": {"type": "string"},
        "allowed": {"type": "array", "items": {"type": "string"},
                    "description": "Actions allowed now (refused transitions)."},
        "duplicates": {"type": "array", "items": ref("Hazard"),
                       "description": "Likely duplicates, each with distance_m."}},
        "required": ["code", "message"]},
    "HazardEvent": {"type": "object", "properties": {
        "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
        "actor": NULLABLE_TEXT,
        "action": {"type": "string", "enum": [a.value for a in Action]},
        "from_status": NULLABLE_TEXT, "to_status": NULLABLE_TEXT,
        "from_level": NULLABLE_TEXT, "to_level": NULLABLE_TEXT, "note": NULLABLE_TEXT,
        "satisfaction": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "extra": {"type": "object"}},
        "required": ["id", "at", "action"]},
    "Hazard": {"type": "object", "properties": {
        "id": {"type": "integer"}, "source_id": NULLABLE_TEXT,
        "category": {"type": "string", "enum": values(HazardCategory)},
        "severity": {"type": "string", "enum": values(Severity)},
        "status": {"type": "string", "enum": values(HazardStatus)},
        "level": {"type": "string", "enum": values(Level)},
        "description": NULLABLE_TEXT, "assignee": NULLABLE_TEXT,
        "grid_id": {"type": ["integer", "null"]}, "grid_number": {"type": ["integer", "null"]},
        "building_id": {"type": ["integer", "null"]}, "light_id": {"type": ["integer", "null"]},
        "camera_id": {"type": ["integer", "null"]}, "has_photo": {"type": "boolean"},
        "media_url": NULLABLE_TEXT, "address": NULLABLE_TEXT,
        "satisfaction": {"type": ["integer", "null"]},
        "reported_at": {"type": "string", "format": "date-time"},
        "due_at": {"type": ["string", "null"], "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "revisit_due_at": {"type": ["string", "null"], "format": "date-time",
                           "description": "Last resolve plus the revisit days of its severity."},
        "open": {"type": "boolean"},
        "overdue": {"type": "boolean", "description": "overdue_kind is not null."},
        "overdue_kind": {"type": ["string", "null"], "enum": ["resolve", "revisit", None],
                         "description": "resolve: not resolved and past due_at; revisit: "
                                        "resolved, not revisited, past revisit_due_at."},
        "closed_as": {"type": ["string", "null"],
                      "description": "How a closed hazard was closed: close (after its "
                                     "revisit), invalid, not_ours or duplicate."},
        "duplicate_of": {"type": ["integer", "null"],
                         "description": "The original, when closed as a duplicate."},
        "allowed_actions": {"type": "array", "items": {"type": "string"}},
        "lon": {"type": "number"}, "lat": {"type": "number"},
        "geometry": ref("Geometry"),
        "distance_m": {"type": "number", "description": "Only on likely duplicates."},
        "events": {"type": "array", "items": ref("HazardEvent"),
                   "description": "The history, oldest first (single hazard only)."},
        "links": {"type": "object", "additionalProperties": {"type": "string"}}},
        "required": ["id", "category", "severity", "status", "level", "geometry"]},
    "HazardReport": {"type": "object", "description": "A new hazard. A location (geometry, or "
                     "lat and lon) is needed unless light_id or camera_id is given; category "
                     "likewise (broken_light / broken_camera by default).",
                     "examples": [{"lat": 27.5203, "lon": 106.8302, "category": "dirty_alley",
                                   "description": "背街小巷垃圾堆积", "severity": "medium",
                                   "confirm_duplicate": True}], "properties": {
        "geometry": ref("Geometry"), "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "category": {"type": "string", "enum": values(HazardCategory)},
        "description": {"type": "string", "maxLength": 5000},
        "severity": {"type": "string", "enum": values(Severity), "default": "medium"},
        "reporter_name": {"type": "string", "maxLength": 100,
                          "description": "Private: never returned."},
        "reporter_contact": {"type": "string", "maxLength": 100,
                             "description": "Private: never returned."},
        "light_id": {"type": "integer"}, "camera_id": {"type": "integer"},
        "actor": IGNORED_ACTOR,
        "idempotency_key": {"type": "string", "maxLength": 100},
        "confirm_duplicate": {"type": "boolean", "default": False}}},
    "HazardReportForm": {"type": "object", "description": "HazardReport as form fields "
                         "(geometry as GeoJSON text) with an optional photo.",
                         "properties": {"photo": {"type": "string", "format": "binary",
                                                  "description": "JPEG, PNG or WebP, 5 MB "
                                                                 "at most."}}},
    "EventRequest": {"type": "object", "properties": {
        "action": {"type": "string",
                   "enum": [a.value for a in Action if a != Action.REPORT],
                   "description": "invalid, not_ours and duplicate close the hazard in one "
                                  "step from any open status (a reason required, no "
                                  "satisfaction; duplicate also duplicate_of)."},
        "actor": IGNORED_ACTOR, "note": {"type": "string"},
        "assignee": {"type": "string", "description": "Required by assign."},
        "level": {"type": "string", "enum": values(Level),
                  "description": "escalate: target level (default the next one up)."},
        "reason": {"type": "string",
                   "description": "Required by escalate, invalid, not_ours and duplicate."},
        "duplicate_of": {"type": "integer", "minimum": 1,
                         "description": "duplicate: the original hazard's id."},
        "satisfaction": {"type": "integer", "minimum": 1, "maximum": 5,
                         "description": "Required by revisit (the resident's view)."},
        "status": {"type": "string", "enum": ["in_progress", "assigned"],
                   "description": "reopen: where the hazard goes (default in_progress)."}},
        "required": ["action"]},
    "Open311Service": {"type": "object", "properties": {
        "service_code": {"type": "string"}, "service_name": {"type": "string"},
        "description": {"type": "string"}, "metadata": {"type": "boolean"},
        "type": {"type": "string"}, "keywords": {"type": "string"},
        "group": {"type": "string"}}},
    "Open311Request": {"type": "object", "properties": {
        "service_request_id": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": {"type": "string"}, "service_name": {"type": "string"},
        "service_code": {"type": "string"}, "description": {"type": "string"},
        "agency_responsible": {"type": "string"}, "service_notice": {"type": "string"},
        "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": {"type": "string", "format": "date-time"},
        "expected_datetime": {"type": "string", "format": "date-time"},
        "address": {"type": "string"}, "address_id": {"type": "string"},
        "zipcode": {"type": "string"}, "lat": {"type": "number"}, "long": {"type": "number"},
        "media_url": {"type": "string"}}},
    "Open311Error": {"type": "object", "properties": {"code": {"type": "integer"},
                                                      "description": {"type": "string"}},
                     "required": ["code", "description"]},
}

def listed(name: str, description: str, items: dict[str, Any],
           max_items: int | None = None) -> dict[str, Any]:
    """A query parameter holding a list: comma-separated (``a,b``) or repeated (``x=a&x=b``)."""
    schema: dict[str, Any] = {"type": "array", "items": items}
    if max_items is not None:
        schema |= {"minItems": max_items, "maxItems": max_items}
    return query(name, description, schema) | {"style": "form", "explode": False}


ID_ITEM = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
WHEN = {"type": "string", "description": "YYYY-MM-DD or an ISO 8601 date-time",
        "examples": ["2026-06-01", "2026-06-01T08:00:00+08:00"]}

FILTER_PARAMS = [
    listed("grid", "Grid numbers (comma-separated or repeated).", ID_ITEM),
    listed("category", "Categories.", {"type": "string", "enum": values(HazardCategory)}),
    listed("status", "Statuses; 'open' means every status but closed.",
           {"type": "string", "enum": [*values(HazardStatus), "open"]}),
    listed("level", "Escalation levels.", {"type": "string", "enum": values(Level)}),
    listed("severity", "Severities.", {"type": "string", "enum": values(Severity)}),
    query("date_from", "Reported on or after (date or date-time; dates are local days).",
          WHEN),
    query("date_to", "Reported on or before (a date includes that whole day).", WHEN),
    query("overdue", "true: only overdue (past the resolve or the revisit due); false: only "
          "not overdue.",
          {"type": "boolean"}),
    listed("bbox", "west,south,east,north in degrees (EPSG:4326).", {"type": "number"}, 4),
    listed("id", "Hazard ids.", ID_ITEM),
]

HAZARD_PATHS: dict[str, dict[str, Any]] = {
    "/api/hazards": {
        "post": {
            "tags": ["hazards"], "summary": "Report a hazard",
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "maxLength": 100},
                            "description": "The same key stores the report once."}],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": ref("HazardReport")},
                "multipart/form-data": {"schema": {"allOf": [ref("HazardReport"),
                                                             ref("HazardReportForm")]}},
                "application/x-www-form-urlencoded": {"schema": ref("HazardReport")}}},
            "responses": {
                "201": json_body(ref("Hazard"), "Stored; Location names it."),
                "200": json_body(ref("Hazard"), "Replayed: already stored under this key."),
                "400": api_error("The body could not be read."),
                "409": api_error("Likely duplicate (open, same category, within 25 m); send "
                                 "again with confirm_duplicate=true to store it."),
                "413": api_error("Photo or body too large."),
                "422": api_error("A field is missing or wrong; error.field names it.")}},
        "get": {
            "tags": ["hazards"], "summary": "List or export hazards",
            "parameters": [*FILTER_PARAMS,
                           query("format", "json (paged), csv or geojson (all of the "
                                 "filtered set).", {"type": "string",
                                                    "enum": ["json", "csv", "geojson"]}),
                           query("limit", "Page size (json).", {"type": "integer",
                                                                "minimum": 1, "maximum": 1000}),
                           query("offset", "Page start (json).", {"type": "integer",
                                                                  "minimum": 0}),
                           query("lang", "zh (default) or en: CSV headers and labels.")],
            "responses": {
                "200": {"description": "The hazards.", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "hazards": {"type": "array", "items": ref("Hazard")},
                        "total": {"type": "integer"}, "limit": {"type": "integer"},
                        "offset": {"type": "integer"}}}},
                    "text/csv": {"schema": {"type": "string"}},
                    "application/geo+json": {"schema": {"type": "object"}}}},
                "422": api_error("A filter is wrong.")}},
    },
    "/api/hazards/{hazard_id}": {
        "get": {"tags": ["hazards"], "summary": "One hazard with its history",
                "parameters": [ID_PARAM],
                "responses": {"200": json_body(ref("Hazard"), "The hazard with its events."),
                              "404": api_error("No such hazard.")}}},
    "/api/hazards/{hazard_id}/events": {
        "post": {"tags": ["hazards"], "summary": "Move a hazard through its loop",
                 "parameters": [ID_PARAM],
                 "requestBody": {"required": True, "content": {
                     "application/json": {"schema": ref("EventRequest")},
                     "application/x-www-form-urlencoded": {"schema": ref("EventRequest")}}},
                 "responses": {
                     "201": json_body({"type": "object", "properties": {
                         "event": ref("HazardEvent"), "hazard": ref("Hazard")}},
                         "Recorded."),
                     "400": api_error("The body could not be read."),
                     "404": api_error("No such hazard."),
                     "409": api_error("Not allowed in the current status; error.allowed lists "
                                      "what is."),
                     "422": api_error("A field the action needs is missing or wrong.")}}},
    "/api/hazards/{hazard_id}/photo": {
        "get": {"tags": ["hazards"], "summary": "The hazard's photo",
                "parameters": [ID_PARAM],
                "responses": {"200": {"description": "The image.", "content": {
                    "image/jpeg": {}, "image/png": {}, "image/webp": {}}},
                    "404": api_error("No such hazard or no photo.")}}},
    "/api/openapi.json": {
        "get": {"tags": ["meta"], "summary": "This document",
                "responses": {"200": json_body({"type": "object"}, "OpenAPI 3.1.")}}},
}

OPEN311_PATHS: dict[str, dict[str, Any]] = {
    "/open311/v2/services.{fmt}": {
        "get": {"tags": ["open311"], "summary": "Services: the hazard categories",
                "parameters": [FORMAT_PARAM, query("lang", "zh (default) or en.")],
                "responses": {"200": json_body({"type": "array",
                                                "items": ref("Open311Service")}, "Services."),
                              "400": open311_error("Unsupported format.")}}},
    "/open311/v2/requests.{fmt}": {
        "get": {"tags": ["open311"], "summary": "Service requests (newest first, 1000 at most)",
                "description": "service_request_id overrides every other parameter. Without "
                               "start_date the list holds the 90 days before end_date (before "
                               "now without either).",
                "parameters": [FORMAT_PARAM,
                               listed("service_request_id", "Comma-separated ids.", ID_ITEM),
                               listed("service_code", "Comma-separated service codes.",
                                      {"type": "string", "enum": values(HazardCategory)}),
                               query("start_date", "Requested at or after (ISO 8601).", WHEN),
                               query("end_date", "Requested at or before (ISO 8601).", WHEN),
                               listed("status", "open, closed or both (comma-separated).",
                                      {"type": "string", "enum": ["open", "closed"]})],
                "responses": {"200": json_body({"type": "array",
                                                "items": ref("Open311Request")}, "Requests."),
                              "400": open311_error("A parameter is wrong.")}},
        "post": {"tags": ["open311"], "summary": "Create a service request",
                 "parameters": [FORMAT_PARAM],
                 "requestBody": {"required": True, "content": {
                     "application/x-www-form-urlencoded": {"schema": {
                         "type": "object", "required": ["service_code", "lat", "long"],
                         "properties": {
                             "service_code": {"type": "string",
                                              "enum": values(HazardCategory)},
                             "lat": {"type": "number", "minimum": -90, "maximum": 90},
                             "long": {"type": "number", "minimum": -180, "maximum": 180},
                             "address_string": {"type": "string"},
                             "description": {"type": "string"}, "media_url": {"type": "string"},
                             "email": {"type": "string"}, "first_name": {"type": "string"},
                             "last_name": {"type": "string"}, "phone": {"type": "string"},
                             "severity": {"type": "string", "enum": values(Severity)},
                             "api_key": {"type": "string"},
                             "confirm_duplicate": {"type": "boolean", "description": (
                                 "Not needed: a report near an open one is stored and "
                                 "flagged as a possible duplicate for staff.")}}}},
                     "application/json": {"schema": {"type": "object"}}}},
                 "responses": {
                     "201": json_body({"type": "array", "items": {"type": "object"}},
                                      "[{service_request_id, service_notice, account_id}]"),
                     "200": json_body({"type": "array", "items": {"type": "object"}},
                                      "Replayed (same Idempotency-Key)."),
                     "400": open311_error("A field is missing or wrong.")}}},
    "/open311/v2/requests/{service_request_id}.{fmt}": {
        "get": {"tags": ["open311"], "summary": "One service request (a list of one)",
                "parameters": [{"name": "service_request_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}, FORMAT_PARAM],
                "responses": {"200": json_body({"type": "array",
                                                "items": ref("Open311Request")}, "Request."),
                              "400": open311_error("Unsupported format."),
                              "404": open311_error("No such request.")}}},
}

register_paths(HAZARD_PATHS, HAZARD_SCHEMAS,
               [{"name": "hazards", "description": "Hazards and their closed loop."},
                {"name": "open311", "description": "Open311 GeoReport v2."},
                {"name": "meta", "description": "About the API."}])
register_paths(OPEN311_PATHS)

from geo_service.web.openapi_more import MORE_PATHS, MORE_SCHEMAS, MORE_TAGS  # noqa: E402

register_paths(MORE_PATHS, MORE_SCHEMAS, MORE_TAGS)
