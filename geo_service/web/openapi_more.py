"""OpenAPI descriptions of the planning, patrol-route, track-upload and Open311 discovery
endpoints (the hazard and Open311 request endpoints are in :mod:`geo_service.web.openapi`, the
collections in :mod:`geo_service.web.collections`).

The limits named here are the ones the views enforce (``geo_service.web.api_planning`` and
``geo_service.web.api_patrol_routes``); ``tests/test_openapi.py`` checks that every JSON rule of the
app is described.
"""

from __future__ import annotations

from typing import Any

from geo_service.vocab import HazardCategory, values
from geo_service.web.open311_openapi import SCHEMAS as OPEN311_SCHEMAS
from geo_service.web.openapi_parts import (
    FORMAT_PARAM,
    api_error,
    json_body,
    open311_error,
    query,
    ref,
)

GEOJSON = "application/geo+json"
GRID_NUMBERS = {"type": "array", "items": {"type": "integer", "minimum": 1}, "uniqueItems": True}
GRID_QUERY = {"name": "grid", "in": "query", "required": False, "style": "form",
              "explode": True, "description": "Grid numbers (repeat the parameter); all grids "
                                                "when absent.",
              "schema": {"type": "array", "items": {"type": "integer", "minimum": 1}}}
FEATURES = {"type": "object", "required": ["type", "features"],
            "properties": {"type": {"const": "FeatureCollection"},
                           "features": {"type": "array", "items": {"type": "object"}}}}
BUSY = api_error("Every planning slot is busy, or the solve outlasted the request time limit; "
                 "try again.")

MORE_SCHEMAS: dict[str, Any] = {
    **OPEN311_SCHEMAS,
    "PlacementRequest": {
        "type": "object", "additionalProperties": False,
        "description": "Exactly one of count, budget and cover_priority.",
        "properties": {
            "count": {"type": "integer", "minimum": 0, "maximum": 10_000,
                      "description": "How many new sites."},
            "budget": {"type": "number", "minimum": 0, "description": "Budget in yuan."},
            "cover_priority": {"type": "number", "minimum": 0, "maximum": 1,
                               "description": "Share of the priority length to cover."},
            "grids": {**GRID_NUMBERS, "maxItems": 1_000},
            "include_unknown": {"type": "boolean",
                                "description": "Count streets of unknown lighting as gaps."},
            "complete": {"type": ["boolean", "null"],
                         "description": "Treat the lamp inventory as complete."},
            "time_limit": {"type": "number", "exclusiveMinimum": 0,
                           "description": "Seconds the solver may take (capped by the "
                                          "server)."}}},
    "PatrolPlanRequest": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "grids": {**GRID_NUMBERS, "maxItems": 100, "default": [1, 2, 3, 4]},
            "teams": {"type": "integer", "minimum": 1, "maximum": 12, "default": 1},
            "start": {"description": "Where every route starts and ends (default: the police "
                                     "post): \"lon,lat\", [lon, lat] or {lon, lat}.",
                      "oneOf": [{"type": "string"},
                                {"type": "array", "items": {"type": "number"},
                                 "minItems": 2, "maxItems": 2},
                                {"type": "object", "properties": {"lon": {"type": "number"},
                                                                  "lat": {"type": "number"}}}]},
            "required": {"type": "string", "enum": ["all", "alleys", "hazards", "hot"],
                         "default": "all"},
            "points": {"type": ["string", "null"], "enum": ["hazards", "broken-lights", None]},
            "week": {"type": "boolean", "default": False},
            "shifts": {"type": "integer", "minimum": 1, "maximum": 4, "default": 2},
            "speed_kmh": {"type": "number", "exclusiveMinimum": 0, "default": 4.5},
            "margin_m": {"type": "number", "minimum": 0, "default": 100}}},
    "StoredPatrolPlan": {
        "type": "object", "required": ["id", "links"],
        "properties": {"id": {"type": "integer"}, "kind": {"type": "string"},
                       "created_at": {"type": "string", "format": "date-time"},
                       "links": ref("PatrolPlanLinks")}},
    "PatrolPlanLinks": {
        "type": "object",
        "properties": {name: {"type": "string"} for name in ("geojson", "gpx", "sheet", "map")}},
}

PLAN_ID = {"name": "plan_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1}}
CODE = {"name": "code", "in": "path", "required": True,
        "schema": {"type": "string", "enum": values(HazardCategory)}}
def _placement(asset: str) -> dict[str, Any]:
    return {"post": {
        "tags": ["planning"], "summary": f"Best sites for new {asset} within a count or budget",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": ref("PlacementRequest")}}},
        "responses": {"200": {"description": "The chosen sites, the stretches they cover and "
                                             "coverage before/after per grid.",
                              "content": {"application/json": {"schema": FEATURES}}},
                      "400": api_error("A field is wrong; `field` names it."),
                      "503": BUSY}}}


MORE_PATHS: dict[str, dict[str, Any]] = {
    "/api/plan/lights": _placement("streetlights"),
    "/api/plan/cameras": _placement("cameras"),
    "/api/plan/gaps": {"get": {
        "tags": ["planning"], "summary": "Unlit or unseen stretches with the per-grid summary",
        "parameters": [query("kind", "lighting or cameras",
                             {"type": "string", "enum": ["lighting", "cameras"],
                              "default": "lighting"}), GRID_QUERY],
        "responses": {"200": {"description": "Gap stretches as GeoJSON.",
                              "content": {"application/json": {"schema": FEATURES}}},
                      "400": api_error("A parameter is wrong."), "503": BUSY}}},
    "/api/plan/scenario": {"get": {
        "tags": ["planning"],
        "summary": "The report's 12 streetlights and 4 cameras against the best 12 and 4",
        "parameters": [GRID_QUERY],
        "responses": {"200": json_body({"type": "object"}, "Both plans with their coverage."),
                      "400": api_error("A parameter is wrong."), "503": BUSY}}},
    "/api/plan/context": {"get": {
        "tags": ["planning"],
        "summary": "Grid outlines, footprints, lamps and cameras for the planning map",
        "responses": {"200": json_body(
            {"type": "object", "properties": {name: FEATURES for name in (
                "grids", "buildings", "lights", "cameras")}}, "Four feature collections."),
            "503": BUSY}}},
    "/api/routes": {
        "post": {"tags": ["patrol"], "summary": "Compute and store patrol routes",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": ref("PatrolPlanRequest")}}},
                 "responses": {"201": {"description": "The plan as GeoJSON (a route per "
                                                      "feature) with its links; Location "
                                                      "points at it.",
                                       "content": {GEOJSON: {"schema": FEATURES}}},
                               "400": api_error("A field is wrong; `field` names it."),
                               "422": api_error("The grids hold no routable streets."),
                               "503": BUSY}},
        "get": {"tags": ["patrol"], "summary": "The newest stored patrol plans",
                "responses": {"200": json_body(
                    {"type": "object", "properties": {"plans": {
                        "type": "array", "items": ref("StoredPatrolPlan")}}}, "Plans.")}}},
    "/api/routes/{plan_id}.geojson": {"get": {
        "tags": ["patrol"], "summary": "A stored plan as GeoJSON", "parameters": [PLAN_ID],
        "responses": {"200": {"description": "The plan.",
                              "content": {GEOJSON: {"schema": FEATURES}}},
                      "404": api_error("No such plan.")}}},
    "/api/routes/{plan_id}.gpx": {"get": {
        "tags": ["patrol"], "summary": "A stored plan as GPX (a track per route, a waypoint "
                                       "per stop)", "parameters": [PLAN_ID],
        "responses": {"200": {"description": "GPX 1.1.",
                              "content": {"application/gpx+xml": {"schema": {
                                  "type": "string"}}}},
                      "404": api_error("No such plan.")}}},
    "/api/patrol/tracks": {"post": {
        "tags": ["patrol"], "summary": "Upload a walked GPX track; it is matched to the streets",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["track"],
            "properties": {"track": {"type": "string", "format": "binary",
                                     "description": "GPX file, 5 MiB at most."},
                           "member": {"type": "string", "description": (
                               "Patrol member name; only the patrol's lead (community admin) "
                               "may name another member, others upload their own track.")},
                           "grid": {"type": "array", "items": {"type": "integer"}}}}}}},
        "responses": {"201": json_body({"type": "object", "properties": {
            "lines": {"type": "array", "items": {"type": "string"}}, "walks": FEATURES}},
            "The match summary and the walked streets."),
            "400": api_error("No track, no member, or a grid that is not a number."),
            "413": api_error("The track is over 5 MiB."),
            "422": api_error("The file is not a GPX track that can be matched, or a grid "
                             "does not exist.")}}},
    "/open311/discovery.json": {"get": {
        "tags": ["open311"], "summary": "Open311 service discovery",
        "responses": {"200": json_body({"type": "object", "required": ["endpoints"], "properties": {
            "endpoints": {"type": "array", "items": {"type": "object"}}}},
            "Where the GeoReport v2 endpoint is.")}}},
    "/open311/v2/services/{code}.{fmt}": {"get": {
        "tags": ["open311"], "summary": "A service definition (its extra questions)",
        "parameters": [CODE, FORMAT_PARAM],
        "responses": {"200": json_body(ref("Open311ServiceDefinition"),
                                       "The service's attributes (an empty list when it "
                                       "asks nothing more)."),
                      "400": open311_error("Unsupported format."),
                      "404": open311_error("Unknown service.")}}},
}

MORE_TAGS = [{"name": "planning", "description": "Streetlight and camera placement."},
             {"name": "patrol", "description": "Patrol routes and walked tracks."}]
