"""``/vendor/<name>@<version>/<path>``: the browser libraries listed in :mod:`.vendor`.

Only the public folders of each source are served (``vendor.locate``), through
:func:`flask.send_from_directory`, with a year-long immutable cache: the version is part of
every URL. A missing or out-of-date ``node_modules/`` answers 404 with a hint to run the set-up.
"""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from werkzeug.exceptions import NotFound

from geo_service.web import vendor

blueprint = Blueprint("assets", __name__)

ONE_YEAR = 365 * 24 * 3600

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
