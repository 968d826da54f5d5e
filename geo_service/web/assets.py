"""``/vendor/<name>@<version>/<path>``: the browser libraries listed in :mod:`.vendor`; and the
compression of every text answer of the app.

Only the public folders of each source are served (``vendor.locate``), through
:func:`flask.send_from_directory`, with a year-long immutable cache: the version is part of
every URL. A missing or out-of-date ``node_modules/`` answers 404 with a hint to run the set-up.

Every answer of a text type (:data:`COMPRESSED_TYPES`: pages, JSON, GeoJSON, scripts, styles,
GPX, CSV, vector tiles) of 500 bytes or more is compressed with the best coding the client
accepts (Flask-Compress: zstd, br, gzip or deflate; files sent from disk are compressed as
they stream), registered when this blueprint is, so its hook runs after every other one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, send_from_directory
from flask_compress import Compress
from werkzeug.exceptions import NotFound

from geo_service.web import vendor

blueprint = Blueprint("assets", __name__)

ONE_YEAR = 365 * 24 * 3600

COMPRESSED_TYPES = (
    "text/html", "text/css", "text/javascript", "text/plain", "text/csv", "text/xml",
    "application/javascript", "application/json", "application/geo+json",
    "application/problem+json", "application/xml", "application/gpx+xml", "image/svg+xml",
    "application/vnd.mapbox-vector-tile",
)
"""Media types compressed on the way out (binary images and fonts are compressed already)."""

# Types the platform's mimetypes table may lack.
CONTENT_TYPES: dict[str, str] = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".eot": "application/vnd.ms-fontobject",
}


@blueprint.record_once
def _compress(state: Any) -> None:
    state.app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSED_TYPES))
    # files from disk stream: gzip too, for the clients that know no other coding
    state.app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["zstd", "br", "gzip",
                                                                 "deflate"])
    Compress(state.app)


def _not_found(message: str) -> Response:
    """Plain-text 404 that is never cached."""
    response = Response(message + "\n", status=404, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get(f"{vendor.VENDOR_URL}/<path:filename>")
def vendored(filename: str) -> Response:
    """One public file of a vendored library."""
    found = vendor.locate(filename)
    if found is None:
        return _not_found(f"not a vendored file: {filename}")
    source, directory, name = found
    installed = source.installed_version()
    if installed != source.version:
        state = "missing" if installed is None else f"at {installed}, pinned {source.version}"
        return _not_found(f"node_modules/{source.name} is {state}: {vendor.SETUP_HINT}")
    suffix = "." + name.rpartition(".")[2] if "." in name else ""
    try:
        response = send_from_directory(directory, name, max_age=ONE_YEAR,
                                       mimetype=CONTENT_TYPES.get(suffix.lower()))
    except NotFound:
        return _not_found(f"no such file: {filename}")
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.app_context_processor
def vendor_helpers() -> dict[str, object]:
    """``vendor_url('chartjs')`` in templates: the local URL of a vendored asset."""
    return {"vendor_url": vendor.asset_url}
