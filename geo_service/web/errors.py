"""Errors and limits for the whole app: every refusal is a clear 4xx, never a stack trace.

:func:`init_app` (called once by the app factory, after the blueprints) sets

* ``MAX_CONTENT_LENGTH`` from ``Settings.max_request_bytes`` (routes that take photos set
  their own, larger or smaller, limit per request);
* the report rate limit (:mod:`geo_service.web.ratelimit`): 429 with ``Retry-After``;
* app-wide error handlers, used wherever a blueprint has no handler of its own:

  - a domain refusal (:class:`geo_service.errors.ServiceError`: code, HTTP status, field,
    bilingual message) answers in the format of its path, through :func:`render`, the one
    renderer of every error body;

  - an HTTP error (404, 405, 413, 429, ...) answers in the format of its path: JSON
    ``{"error": {"code", "message", "messages": {"zh", "en"}}}`` under ``/api/``,
    ``{"code", "description"}`` under ``/api/collections`` (OGC API style, as that module
    answers), Open311's ``[{"code", "description"}]`` under ``/open311/``, and an HTML page in
    the request's language (zh/en) everywhere else;
  - the database being unreachable (SQLAlchemy ``OperationalError``, ``InterfaceError``,
    pool timeout, a connection lost mid-request, psycopg connection errors) answers 503 with
    ``Retry-After`` in the same formats: the client retries (a report with the same
    idempotency key) and nothing that was acknowledged is lost;
  - anything else is a bug: the traceback goes to the server log under a short reference and
    the client gets 500 with a plain message and that reference, never the trace.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template_string, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from geo_service.errors import ServiceError
from geo_service.i18n import both, say, translate
from geo_service.web import ratelimit
from geo_service.web.open311_xml import error_list

log = logging.getLogger("geo_service.web.errors")

#: Seconds a client is asked to wait while the database is unreachable.
DB_RETRY_AFTER = 3

# status -> (machine code, OGC-style code); the words are the catalogues' ``err.<status>``
# (``err.4xx``/``err.5xx`` for others), with {mb}, {seconds}, {ref} filled in.
CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "InvalidParameterValue"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "NotFound"),
    405: ("method_not_allowed", "MethodNotAllowed"),
    406: ("not_acceptable", "NotAcceptable"),
    408: ("request_timeout", "RequestTimeout"),
    409: ("conflict", "Conflict"),
    411: ("length_required", "LengthRequired"),
    413: ("too_large", "PayloadTooLarge"),
    414: ("uri_too_long", "URITooLong"),
    415: ("unsupported_media_type", "UnsupportedMediaType"),
    422: ("invalid_input", "InvalidParameterValue"),
    429: ("rate_limited", "TooManyRequests"),
    431: ("headers_too_large", "RequestHeaderFieldsTooLarge"),
    500: ("internal_error", "InternalServerError"),
    503: ("unavailable", "ServiceUnavailable"),
}
#: OGC API exception code of a status (the collections family names errors so).
OGC_CODES: dict[int, str] = {status: words[1] for status, words in CODES.items()}
GENERIC_4XX = ("refused", "InvalidRequest")
GENERIC_5XX = ("server_error", "ServerError")

PAGE = """{% extends "base.html" %}
{% block title %}{{ status }} · {{ t('app_title') }}{% endblock %}
{% block content %}
<div class="container" style="max-width: 44rem" id="error" data-status="{{ status }}">
  <h1 class="h3">{{ heading }}</h1>
  <p class="lead">{{ message }}</p>
  <p><a href="/map">{{ back }}</a></p>
</div>
{% endblock %}"""


# -- what kind of error ----------------------------------------------------------------------
def database_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) says the database cannot be reached or used now.

    Connection refused or lost, server shutting down or starting, too many connections, a
    statement cancelled, the pool exhausted: all transient, all worth a retry.
    """
    from sqlalchemy import exc as sa

    kinds: list[type[BaseException]] = [sa.OperationalError, sa.InterfaceError,
                                        sa.DisconnectionError, sa.TimeoutError]
    try:
        import psycopg

        kinds += [psycopg.OperationalError, psycopg.InterfaceError]
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, tuple(kinds)):
            return True
        if isinstance(current, sa.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


def kind_of_path(path: str) -> str:
    """``collections``, ``api``, ``open311`` or ``page``: the error format a path answers in."""
    if path == "/api/collections" or path.startswith("/api/collections/"):
        return "collections"
    if path == "/api" or path.startswith("/api/"):
        return "api"
    if path == "/open311" or path.startswith("/open311/"):
        return "open311"
    return "page"


def language() -> str:
    """The request's language (set by i18n; ``?lang=`` when the error came before that)."""
    chosen = g.get("lang")
    if chosen in ("zh", "en"):
        return chosen
    asked = request.args.get("lang") if request else None
    return asked if asked in ("zh", "en") else "zh"


def words(status: int, **params: Any) -> tuple[str, str, dict[str, str]]:
    """Machine code, OGC code and both messages for a status."""
    code, ogc = CODES.get(status, GENERIC_5XX if status >= 500 else GENERIC_4XX)
    key = f"err.{status}" if status in CODES else f"err.{'5' if status >= 500 else '4'}xx"
    return code, ogc, both(key, **{"mb": "?", "seconds": "?", "ref": "-"} | params)


# -- answering -------------------------------------------------------------------------------
def error_response(status: int, *, headers: dict[str, str] | None = None,
                   **params: Any) -> Response:
    """An HTTP error in the format of the request's path, with ``headers`` added."""
    code, ogc, messages = words(status, **params)
    return render(status, {"code": code, "messages": messages}, ogc, headers=headers)


def render(status: int, body: dict[str, Any], ogc_code: str, *,
           headers: dict[str, str] | None = None) -> Response:
    """THE renderer: ``body`` (``code``, ``messages`` {zh, en}, extra fields) in the format of
    the request's path family: ``{"error": {...}}`` under ``/api/``, OGC's ``{"code",
    "description"}`` under ``/api/collections``, Open311's ``[{"code", "description"}]`` under
    ``/open311/``, an HTML page in the request's language elsewhere."""
    lang = language()
    messages = body["messages"]
    kind = kind_of_path(request.path)
    if kind == "collections":
        response = jsonify(code=ogc_code, description=messages[lang])
    elif kind == "api":
        response = jsonify(error={"code": body["code"], "message": messages[lang], **body})
    elif kind == "open311":
        response = error_list(status, messages[lang], request.path)  # XML for a .xml path
    else:
        response = Response(page(status, messages[lang], lang), mimetype="text/html")
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status >= 500 or status == 429:
        response.headers["Cache-Control"] = "no-store"
    return response


def service_error(error: ServiceError) -> Response:
    """A domain refusal (:class:`~geo_service.errors.ServiceError`) no blueprint rendered."""
    body = {"code": error.code, "messages": error.messages, **error.details}
    return render(error.http_status, body,
                  error.ogc_code or OGC_CODES.get(error.http_status, "InvalidRequest"))


def page(status: int, message: str, lang: str) -> str:
    """The error page (with the site's layout; a bare page if even that fails)."""
    heading, back = say("err.heading", lang, status=status), translate("err.back", lang)
    try:
        return render_template_string(PAGE, status=status, heading=heading, message=message,
                                      back=back)
    except Exception:  # noqa: BLE001 - the error page must not fail
        log.exception("the error page could not be rendered")
        return (f"<!doctype html><html lang=\"{'en' if lang == 'en' else 'zh-CN'}\"><meta "
                f"charset=\"utf-8\"><title>{status}</title><h1>{escape(heading)}</h1>"
                f"<p>{escape(message)}</p><p><a href=\"/map\">{escape(back)}</a></p>")


def request_limit_mb() -> str:
    """The body size limit of this request, in MB, for the 413 message."""
    limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH")
    limit = limit or current_app.config["SETTINGS"].max_request_bytes
    return f"{limit / 2**20:.1f}".rstrip("0").rstrip(".")


def unavailable() -> Response:
    """503 while the database is unreachable."""
    return error_response(503, headers={"Retry-After": str(DB_RETRY_AFTER)},
                          seconds=DB_RETRY_AFTER)


def http_error(error: HTTPException) -> Response | HTTPException:
    """HTTP errors no blueprint handled, in the path's format."""
    status = error.code or 500
    if status < 400:
        return error
    if status == 500 and error.original_exception is not None:  # type: ignore[attr-defined]
        return unexpected(error.original_exception)  # type: ignore[attr-defined]
    headers: dict[str, str] = {}
    for name, value in error.get_headers():
        if name.lower() in ("allow", "retry-after", "www-authenticate"):
            headers[name] = value
    params: dict[str, Any] = {}
    if status == 413:
        params["mb"] = request_limit_mb()
    if status == 429:
        reports = current_app.extensions.get("report_limiter")
        if "Retry-After" not in headers and reports is not None:
            headers["Retry-After"] = str(reports.retry_after())
        params["seconds"] = headers.get("Retry-After", "?")
    if status == 503:
        headers.setdefault("Retry-After", str(DB_RETRY_AFTER))
        params["seconds"] = headers["Retry-After"]
    return error_response(status, headers=headers, **params)


def unexpected(error: BaseException) -> Response:
    """Any other exception: 503 when the database is away, else a logged 500."""
    if isinstance(error, HTTPException):
        result = http_error(error)
        return result if isinstance(result, Response) else error_response(500)
    if database_unavailable(error):
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    type(error).__name__)
        return unavailable()
    ref = secrets.token_hex(4)
    log.error("unexpected error %s on %s %s", ref, request.method, request.path,
              exc_info=error)
    return error_response(500, ref=ref)


def retry_after_on_503(response: Response) -> Response:
    """Every 503 says when to come back (a module's own 503, e.g. planning busy, too)."""
    if response.status_code == 503:
        response.headers.setdefault("Retry-After", str(DB_RETRY_AFTER))
    return response


def init_app(app: Flask) -> None:
    """Limits and app-wide error handlers (call after registering the blueprints)."""
    settings = app.config["SETTINGS"]
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    ratelimit.init_app(app)
    app.after_request(retry_after_on_503)
    app.register_error_handler(ServiceError, service_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)
