"""``/api/collections``: every map layer as OGC API - Features style GeoJSON, by bounding box.

The HTTP adapter: it parses the request, calls :mod:`geo_service.features.service` and renders
the answer; the collections and their public fields are defined in
:mod:`geo_service.features.catalog`.

Collections are grids, buildings, streets, lights, cameras, hazards (PostGIS tables, queried
through their GiST index with ``geom && ST_MakeEnvelope(...)``), gaps (lighting and camera
coverage gaps computed on request for the grids in the box, cached per data version) and routes
(the newest stored patrol plan's routes and numbered stops, ``computed: true`` once a plan
exists; before that an empty collection saying so). Who may read a collection's features is
in :mod:`geo_service.auth.policy`: the routes only for staff (the rule of ``/api/routes``);
anybody else gets an empty collection saying so, and 404 for one route or stop.

Only public fields leave the service: never a building leader's name or phone, a reporter's
name or contact, a hazard's assignee or idempotency key, or a grid worker's name; buildings say
``has_leader`` instead.

Endpoints
---------
``GET /api/collections``
    The collections with their extents.
``GET /api/collections/{id}``
    One collection.
``GET /api/collections/{id}/items?bbox=minx,miny,maxx,maxy&limit=&offset=``
    A GeoJSON FeatureCollection with ``numberMatched``, ``numberReturned``, ``timeStamp`` and
    ``links`` (self, collection, next, prev). ``bbox`` is in EPSG:4326 (longitude, latitude);
    ``limit`` defaults to 100 and is clamped to the page size cap (``Settings.page_size_cap``,
    at most 10,000); errors answer 400 with a JSON body.
``GET /api/collections/{id}/items/{fid}``
    One feature.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlalchemy import Connection

from geo_service.auth import policy
from geo_service.errors import ServiceError
from geo_service.features import service
from geo_service.features.catalog import COLLECTIONS, Collection, find
from geo_service.web.auth import current_user
from geo_service.web.db import engine
from geo_service.web.i18n import translate

blueprint = Blueprint("collections", __name__)

API = "/api/collections"
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
INT_MAX = 2**31 - 1  # largest limit/offset accepted
GEOJSON = "application/geo+json"


class ApiError(ServiceError):
    """An error answered as OGC API JSON (``{"code": ..., "description": ...}``, rendered by
    geo_service.web.errors)."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__("collections_error", http_status=status, code=code,
                         messages={"zh": description, "en": description})
        self.status, self.description, self.ogc_code = status, description, code


# -- parameters ---------------------------------------------------------------------------------
def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` in EPSG:4326, or ``None`` when absent; ApiError when wrong."""
    if raw is None or raw.strip() == "":
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        raise ApiError(400, "InvalidParameterValue",
                       f"bbox must be 4 numbers minx,miny,maxx,maxy; got {len(parts)} values")
    try:
        numbers = tuple(float(p) for p in parts)
    except ValueError:
        raise ApiError(400, "InvalidParameterValue",
                       f"bbox must be 4 numbers minx,miny,maxx,maxy; got {raw!r}") from None
    if not all(math.isfinite(n) for n in numbers):
        raise ApiError(400, "InvalidParameterValue", "bbox values must be finite numbers")
    minx, miny, maxx, maxy = numbers
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        raise ApiError(400, "InvalidParameterValue", "bbox longitudes must be within -180..180")
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        raise ApiError(400, "InvalidParameterValue", "bbox latitudes must be within -90..90")
    if minx >= maxx or miny >= maxy:
        raise ApiError(400, "InvalidParameterValue",
                       "bbox minimum must be less than maximum (minx < maxx, miny < maxy)")
    return minx, miny, maxx, maxy


def _integer(name: str, default: int, low: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "InvalidParameterValue",
                       f"{name} must be a whole number; got {raw!r}") from None
    if value < low:
        raise ApiError(400, "InvalidParameterValue", f"{name} must be at least {low}")
    if value > INT_MAX:  # PostgreSQL refuses it (bigint out of range): a 400, not a 500
        raise ApiError(400, "InvalidParameterValue", f"{name} must be at most {INT_MAX}")
    return value


def parse_limit() -> int:
    """``limit``: default 100, at least 1, clamped to the page size cap (at most 10,000)."""
    cap = getattr(current_app.config["SETTINGS"], "page_size_cap", MAX_LIMIT) or MAX_LIMIT
    return min(_integer("limit", DEFAULT_LIMIT, 1), MAX_LIMIT, cap)


def parse_offset() -> int:
    """``offset``: default 0, at least 0."""
    return _integer("offset", 0, 0)


# -- queries ------------------------------------------------------------------------------------
def _collection(cid: str) -> Collection:
    coll = find(cid)
    if coll is None:
        raise ApiError(404, "NotFound", f"no collection {cid!r}; see {API}")
    return coll


def _metric_crs() -> str | None:
    return current_app.config["SETTINGS"].metric_crs


def describe(conn: Connection, coll: Collection) -> dict[str, Any]:
    """The collection's description, with its extent and links."""
    out = {
        "id": coll.id,
        "title": translate(coll.title_key),
        "description": translate(coll.description_key),
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": service.extent(conn, coll),
        "properties": {name: spec.kind for name, spec in coll.fields.items()},
        "links": [
            {"rel": "self", "type": "application/json", "title": "this collection",
             "href": url_for("collections.collection", cid=coll.id, _external=True)},
            {"rel": "items", "type": GEOJSON, "title": "the features",
             "href": url_for("collections.items", cid=coll.id, _external=True)},
        ],
    }
    extras = service.extras(conn, coll)
    extras.pop("note_key", None)
    out.update(extras)
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _geojson(payload: dict[str, Any]) -> Response:
    response = current_app.response_class(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")), mimetype=GEOJSON)
    response.headers["Cache-Control"] = "no-cache"
    return response


# -- routes -------------------------------------------------------------------------------------


@blueprint.get(API)
def collection_list() -> Response:
    """Every collection, with its extent."""
    with engine().connect() as conn:
        collections = [describe(conn, c) for c in COLLECTIONS.values()]
    return jsonify(collections=collections, links=[
        {"rel": "self", "type": "application/json", "title": "this document",
         "href": url_for("collections.collection_list", _external=True)}])


@blueprint.get(f"{API}/<cid>")
def collection(cid: str) -> Response:
    """One collection."""
    coll = _collection(cid)
    with engine().connect() as conn:
        return jsonify(describe(conn, coll))


@blueprint.get(f"{API}/<cid>/items")
def items(cid: str) -> Response:
    """Features in a bounding box, a page at a time."""
    coll = _collection(cid)
    raw_bbox = request.args.get("bbox")
    bbox = parse_bbox(raw_bbox)
    limit, offset = parse_limit(), parse_offset()
    allowed = policy.may_read_collection("collections.items", cid, current_user())
    with engine().connect() as conn:
        if allowed:
            features, matched = service.page(conn, coll, bbox, limit, offset, _metric_crs())
            extras = service.extras(conn, coll)
        else:  # staff only (the policy table): nothing, and why
            features, matched = [], 0
            extras = {"computed": False, "note_key": f"coll_{cid}_staff"}
    query = {"bbox": ",".join(repr(v) for v in bbox)} if bbox else {}

    def page(at: int) -> str:
        return url_for("collections.items", cid=cid, _external=True,
                       **query, limit=limit, offset=at)

    links = [
        {"rel": "self", "type": GEOJSON, "title": "this page", "href": page(offset)},
        {"rel": "collection", "type": "application/json", "title": "the collection",
         "href": url_for("collections.collection", cid=cid, _external=True)},
    ]
    if offset + len(features) < matched:
        links.append({"rel": "next", "type": GEOJSON, "title": "next page",
                      "href": page(offset + limit)})
    if offset > 0:
        links.append({"rel": "prev", "type": GEOJSON, "title": "previous page",
                      "href": page(max(offset - limit, 0))})
    payload: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": _now(),
        "links": links,
    }
    if extras.get("computed") is False:
        payload["note"] = translate(extras.get("note_key", coll.description_key))
    return _geojson(payload)


@blueprint.get(f"{API}/<cid>/items/<fid>")
def item(cid: str, fid: str) -> Response:
    """One feature by id."""
    coll = _collection(cid)
    if not policy.may_read_collection("collections.item", cid, current_user()):
        raise ApiError(404, "NotFound", f"no feature {fid!r} in {cid}")  # staff only
    with engine().connect() as conn:
        feature = service.feature(conn, coll, fid, _metric_crs())
    if feature is None:
        raise ApiError(404, "NotFound", f"no feature {fid!r} in {cid}")
    feature["links"] = [
        {"rel": "self", "type": GEOJSON, "title": "this feature",
         "href": url_for("collections.item", cid=cid, fid=fid, _external=True)},
        {"rel": "collection", "type": "application/json", "title": "the collection",
         "href": url_for("collections.collection", cid=cid, _external=True)},
    ]
    return _geojson(feature)


# -- OpenAPI ------------------------------------------------------------------------------------
def openapi_paths() -> dict[str, Any]:
    """OpenAPI 3 path items of the collection endpoints."""
    cid = {"name": "collectionId", "in": "path", "required": True,
           "schema": {"type": "string", "enum": list(COLLECTIONS)}}
    error = {"description": "bad parameter",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/"
                                                                 "CollectionsError"}}}}
    not_found = {"description": "no such collection or feature"}
    return {
        API: {"get": {
            "summary": "List the map's feature collections", "tags": ["collections"],
            "responses": {"200": {"description": "collections with extents"}}}},
        API + "/{collectionId}": {"get": {
            "summary": "Describe one collection", "tags": ["collections"],
            "parameters": [cid],
            "responses": {"200": {"description": "the collection"}, "404": not_found}}},
        API + "/{collectionId}/items": {"get": {
            "summary": "Features of a collection in a bounding box, a page at a time",
            "tags": ["collections"],
            "parameters": [
                cid,
                {"name": "bbox", "in": "query", "required": False,
                 "description": "minx,miny,maxx,maxy in EPSG:4326 (longitude, latitude)",
                 "schema": {"type": "array", "minItems": 4, "maxItems": 4,
                            "items": {"type": "number"}},
                 "style": "form", "explode": False},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                            "default": DEFAULT_LIMIT},
                 "description": "page size; larger values are clamped to the page size "
                                "cap (setting GEO_SERVICE_PAGE_SIZE_CAP, 10000 by default)"},
                {"name": "offset", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 0, "maximum": INT_MAX,
                            "default": 0}},
            ],
            "responses": {
                "200": {"description": "a GeoJSON FeatureCollection with numberMatched, "
                                       "numberReturned, timeStamp and links",
                        "content": {GEOJSON: {"schema": {"type": "object"}}}},
                "400": error, "404": not_found}}},
        API + "/{collectionId}/items/{featureId}": {"get": {
            "summary": "One feature", "tags": ["collections"],
            "parameters": [cid, {"name": "featureId", "in": "path", "required": True,
                                 "schema": {"type": "string"}}],
            "responses": {"200": {"description": "a GeoJSON Feature",
                                  "content": {GEOJSON: {"schema": {"type": "object"}}}},
                          "404": not_found}}},
    }


ERROR_SCHEMA = {"type": "object", "required": ["code", "description"],
                "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}


def _register_openapi() -> None:
    """Add the paths to the OpenAPI document when that module offers ``register_paths``."""
    try:
        from geo_service.web import openapi
    except ImportError:
        return
    register = getattr(openapi, "register_paths", None)
    if register is not None:
        register(openapi_paths(), schemas={"CollectionsError": ERROR_SCHEMA},
                 tags=[{"name": "collections",
                        "description": "Map layers as OGC API - Features collections"}])


_register_openapi()  # once, at import, as the OpenAPI module asks
