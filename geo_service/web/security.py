"""Security headers on every response, from one after-request hook.

* ``Content-Security-Policy``: scripts only from the app, plus an inline script that carries
  this request's nonce (``<script nonce="{{ csp_nonce() }}">``, or the ``nonce_scripts``
  filter on trusted markup: the map page's folium scripts); the nonce enters the policy only
  on a response whose page asked for it; the map page also allows ``'unsafe-eval'`` for its
  vendored measure plugin (:data:`EXTRA_SCRIPTS`). Styles from the app and inline (Leaflet
  positions its layers with inline styles); images from the app, ``data:`` and the
  configured basemap's tile host (and ``blob:`` on the hazard pages, for the photo preview);
  no plugins, no foreign forms, no framing (``frame-ancestors 'none'``). A response that sets
  its own policy (a photo's ``sandbox``) keeps it. Non-HTML answers get
  ``default-src 'none'; frame-ancestors 'none'``.
* ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin`` everywhere;
* ``Strict-Transport-Security`` only on a request that came over HTTPS, directly or by a
  trusted proxy's ``X-Forwarded-Proto`` (``Settings.trusted_proxies``, ProxyFix in the app
  factory); on by default (``Settings.hsts_seconds``, a year; 0: none).

Error pages and 404s pass through the same hook (Flask runs after-request hooks on the
responses of error handlers too).
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from markupsafe import Markup

from geo_service.maps import basemap_config

#: Script sources a blueprint's pages need beyond the app and the nonce: the map's vendored
#: leaflet-measure plugin compiles its templates with ``new Function`` (it breaks without).
EXTRA_SCRIPTS: dict[str, tuple[str, ...]] = {"map_page": ("'unsafe-eval'",)}
#: Image sources a blueprint's pages need beyond the common ones.
EXTRA_IMAGES: dict[str, tuple[str, ...]] = {"hazard_pages": ("blob:",)}
NON_HTML_POLICY = "default-src 'none'; frame-ancestors 'none'"
REFERRER_POLICY = "same-origin"
INLINE_SCRIPT = re.compile(r"<script>", re.IGNORECASE)


def csp_nonce() -> str:
    """This request's script nonce (made on first use; using it puts it in the policy)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def nonce_scripts(html: str) -> Markup:
    """Trusted markup (folium's page header) with this request's nonce on its inline scripts
    (``{{ page.header|nonce_scripts }}``)."""
    return Markup(INLINE_SCRIPT.sub(f'<script nonce="{csp_nonce()}">', str(html)))


def tile_source() -> str | None:
    """The basemap's tile host as a CSP source (``https://*.host`` for numbered subdomains)."""
    basemap = basemap_config(current_app.config["SETTINGS"])
    if not basemap:
        return None
    host = urlsplit(basemap["url"].replace("{s}", "x")).netloc
    return "https://" + (host if not host.startswith("tx.") else "*." + host[3:])


def page_policy() -> str:
    """The policy of an HTML page of this request."""
    scripts = ["'self'"]
    if g.get("csp_nonce"):
        scripts.append(f"'nonce-{g.csp_nonce}'")
    scripts.extend(EXTRA_SCRIPTS.get(request.blueprint or "", ()))
    images = ["'self'", "data:", *EXTRA_IMAGES.get(request.blueprint or "", ())]
    tiles = tile_source()
    if tiles:
        images.append(tiles)
    return (f"default-src 'self'; script-src {' '.join(scripts)}; "
            "style-src 'self' 'unsafe-inline'; "
            f"img-src {' '.join(images)}; connect-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def security_headers(response: Response) -> Response:
    """Add the headers of the module's docstring to ``response``."""
    headers = response.headers
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = (page_policy() if response.mimetype == "text/html"
                                              else NON_HTML_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    seconds = current_app.config["SETTINGS"].hsts_seconds
    if request.is_secure and seconds > 0:
        headers.setdefault("Strict-Transport-Security", f"max-age={seconds}")
    return response


def init_app(app: Flask) -> None:
    """Install the hook and the ``csp_nonce()`` template function."""
    app.after_request(security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["nonce_scripts"] = nonce_scripts
