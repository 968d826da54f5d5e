"""``GET /tiles/{layer}/{z}/{x}/{y}.pbf``: a map layer as Mapbox vector tiles.

``layer`` is a layer id of ``layers/`` (the file name), ``z/x/y`` a tile of the Web Mercator
pyramid (XYZ, y down). The tile is built by PostGIS (:mod:`geo_service.tiles.mvt`) and carries
only the public fields the layer's declaration uses (:mod:`geo_service.tiles.fields`).

Each answer has a strong ETag made of the data version (:mod:`geo_service.tiles.version`), the
layer and the address: a request whose ``If-None-Match`` matches answers 304 before any tile is
built. ``Cache-Control`` is ``public, max-age=<Settings.tile_max_age>`` (a short time, then a
304 check). An unknown layer answers 404, an address outside the pyramid 400, both through
:mod:`geo_service.web.errors`.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from geo_service.errors import ServiceError
from geo_service.features.catalog import find
from geo_service.layers import LAYERS_DIR, Layer
from geo_service.tiles import mvt, version
from geo_service.web.db import engine
from geo_service.web.openapi import register_paths

blueprint = Blueprint("tiles", __name__)

TILE_URL = "/tiles/{layer}/{z}/{x}/{y}.pbf"
MVT_TYPE = "application/vnd.mapbox-vector-tile"
DEFAULT_MAX_AGE = 60


def _layer(layer_id: str) -> Layer:
    """The declared layer with this id, else a 404 ServiceError."""
    for layer in current_app.extensions.get("map_layers", []):
        if layer.id == layer_id:
            return layer
    raise ServiceError("tiles_unknown_layer", http_status=404, code="not_found",
                       layer=layer_id[:40])


def _max_age() -> int:
    value = getattr(current_app.config["SETTINGS"], "tile_max_age", DEFAULT_MAX_AGE)
    return max(0, int(value if value is not None else DEFAULT_MAX_AGE))


def _current(tag: str) -> bool:
    """Whether the client's ``If-None-Match`` names this tag (as sent, or with the coding
    suffix Flask-Compress adds, ``"tag:gzip"``)."""
    return any(sent.split(":", 1)[0] == tag for sent in request.if_none_match.as_set())


@blueprint.get("/tiles/<layer_id>/<int:z>/<int:x>/<int:y>.pbf")
def tile(layer_id: str, z: int, x: int, y: int) -> Response:
    """One vector tile of one layer (304 when the client's copy is current)."""
    layer = _layer(layer_id)
    try:
        mvt.check_address(z, x, y)
    except mvt.TileRequestError:
        raise ServiceError("tiles_bad_address", http_status=400, code="bad_request",
                           z=z, x=x, y=y, max_zoom=mvt.MAX_ZOOM) from None
    coll = find(layer.collection)
    assert coll is not None  # the layer loader checked the collection
    settings = current_app.config["SETTINGS"]
    with engine().connect() as conn:
        tag = version.tile_etag(version.data_version(conn, layer), layer, z, x, y)
        if _current(tag):
            response = Response(status=304)
        else:
            body = mvt.build_tile(conn, layer, coll, z, x, y, metric_crs=settings.metric_crs)
            response = Response(body, mimetype=MVT_TYPE)
    response.set_etag(tag)
    response.cache_control.public = True
    response.cache_control.max_age = _max_age()
    response.headers["Vary"] = "Accept-Encoding"
    return response


def _describe() -> dict[str, dict[str, object]]:
    """The OpenAPI path item of the tile endpoint."""
    html = {"text/html": {"schema": {"type": "string"}}}
    number = {"type": "integer", "minimum": 0}
    params = [{"name": "layer", "in": "path", "required": True,
               "description": "A layer id of layers/ (the declaration's file name).",
               "schema": {"type": "string",
                          "enum": sorted(p.stem for p in LAYERS_DIR.glob("*.toml"))}},
              {"name": "z", "in": "path", "required": True, "description": "Zoom.",
               "schema": {**number, "maximum": mvt.MAX_ZOOM}},
              {"name": "x", "in": "path", "required": True,
               "description": "Column, 0 .. 2^z - 1.", "schema": number},
              {"name": "y", "in": "path", "required": True,
               "description": "Row from the north, 0 .. 2^z - 1.", "schema": number}]
    return {"/tiles/{layer}/{z}/{x}/{y}.pbf": {"get": {
        "tags": ["tiles"], "summary": "A map layer as a Mapbox vector tile",
        "description": "Built by PostGIS (ST_AsMVT), public fields only, simplified to the "
                       "zoom; empty below the layer's first zoom. Strong ETag from the data "
                       "version; If-None-Match answers 304.",
        "parameters": params,
        "responses": {
            "200": {"description": "The tile (possibly empty).",
                    "headers": {"ETag": {"schema": {"type": "string"}},
                                "Cache-Control": {"schema": {"type": "string"}}},
                    "content": {MVT_TYPE: {"schema": {"type": "string",
                                                      "format": "binary"}}}},
            "304": {"description": "The client's copy (its If-None-Match) is current."},
            "400": {"description": "The zoom, x or y is outside the pyramid.",
                    "content": html},
            "404": {"description": "No such layer.", "content": html}}}}}


register_paths(_describe(), tags=[{"name": "tiles", "description": "Vector tiles of the "
                                                                    "map layers."}])
