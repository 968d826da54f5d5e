"""The installable patrol app: ``/patrol``, its manifest and its service worker.

``GET /patrol`` (signed-in patrol members and staff) is one page that draws the member's grids
and their streets, buildings, lights, cameras and open hazards itself (no basemap), lists the
member's routes, records the shift's GPS track (``static/patrol/track.js``) and queues the
track and hazard reports in IndexedDB until they can be sent (``static/patrol/queue.js``).
The page names every GeoJSON URL it fetches (``data_urls``), so the service worker caches
exactly those, network first, and the page opens and draws after an offline reload.

``GET /sw.js`` is the worker at the root scope: a one-line configuration (Workbox module URLs
under ``/vendor``, the app shell to precache) followed by ``static/patrol/sw.js``. It is built on
Workbox (npm, pinned in ``package.json``), served from ``node_modules`` like the other vendored
libraries, never from a CDN. ``GET /manifest.webmanifest`` makes the page installable.
``GET /patrol/csrf`` gives a fresh CSRF token to a page that was opened from the cache.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, jsonify, make_response, render_template

from geo_service.features import store
from geo_service.vocab import HazardCategory
from geo_service.web import vendor
from geo_service.web.auth import csrf_token, current_user
from geo_service.web.db import engine
from geo_service.web.i18n import label, page_words, translate

blueprint = Blueprint("patrol_app", __name__)
NAV = [("/patrol", "nav_patrol_app")]

SW_SOURCE = vendor.STATIC_DIR / "patrol" / "sw.js"
WORKBOX_MODULES = ("workbox-core", "workbox-routing", "workbox-strategies", "workbox-precaching")
LAYERS = ("grids", "streets", "buildings", "lights", "cameras", "hazards")
ITEM_LIMIT = 10_000
ROUTE_PLANS = 5  # the newest stored plans the page keeps
WORKER_POLICY = "default-src 'self'; frame-ancestors 'none'"
LEAFLET_IMAGES = ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")
SHELL_FILES = ("patrol/app.js", "patrol/queue.js", "patrol/track.js", "patrol/patrol.css")


def local_url(name: str) -> str:
    """URL of one of our own static files (content-hashed, so cacheable for good)."""
    return f"{vendor.SOURCES['local'].url}/{name}"


def member_bbox(user: Any) -> tuple[float, float, float, float] | None:
    """West, south, east, north of the member's grids; every grid's when they have none."""
    ids = sorted(user.grid_ids) if user is not None else []
    with engine().connect() as conn:
        box = store.grids_extent(conn, ids)
    return None if box is None else tuple(round(v, 6) for v in box)  # type: ignore[return-value]


def data_urls(bbox: tuple[float, float, float, float] | None) -> dict[str, str]:
    """Layer name -> the GeoJSON URL the page fetches (and the worker caches) for it."""
    if bbox is None:
        return {}
    box = ",".join(f"{v:.6f}" for v in bbox)
    return {layer: f"/api/collections/{layer}/items?"
                   + urlencode({"bbox": box, "limit": ITEM_LIMIT}, safe=",")
            for layer in LAYERS}


def shell_urls() -> list[str]:
    """What the worker precaches: Leaflet and the page's own script and style files."""
    leaflet = vendor.SOURCES["leaflet"].url
    return [vendor.asset_url("leaflet"), vendor.asset_url("leaflet_css"),
            *(f"{leaflet}/dist/images/{name}" for name in LEAFLET_IMAGES),
            vendor.asset_url("bootstrap_css"), *(local_url(name) for name in SHELL_FILES)]


def workbox_urls() -> dict[str, str]:
    """Workbox module name -> URL of its production build under ``/vendor``."""
    urls = {}
    for name in ("workbox-sw", *WORKBOX_MODULES):
        source = vendor.SOURCES[name]
        file = "workbox-sw.js" if name == "workbox-sw" else f"{name}.prod.js"
        urls[name] = f"{source.url}/build/{file}"
    return urls


@blueprint.get("/patrol")
def page() -> Response:
    """The patrol app page."""
    user = current_user()
    bbox = member_bbox(user)
    config = {
        "lang": g.lang,
        "bbox": bbox,
        "grids": sorted(user.grid_numbers) if user is not None else [],
        "data": data_urls(bbox),
        "routes": {"list": "/api/routes", "plans": ROUTE_PLANS},
        "report": "/api/hazards",
        "track": "/api/patrol/tracks",
        "csrf": "/patrol/csrf",
        "sw": "/sw.js",
        "words": page_words("pa_"),
        "categories": {c.value: label(c.value, g.lang) for c in HazardCategory},
    }
    html = render_template("patrol_app.html", config=config, local_url=local_url)
    response = make_response(html)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/patrol/csrf")
def fresh_csrf() -> Response:
    """The session's CSRF token, for a page opened from the cache (network only)."""
    response = jsonify(csrf_token=csrf_token())
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest: name, start URL, colours, icons."""
    body = {
        "name": translate("pa_app_name"),
        "short_name": translate("pa_short_name"),
        "start_url": "/patrol",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#212529",
        "icons": [{"src": local_url("patrol/icon.svg"), "sizes": "any",
                   "type": "image/svg+xml", "purpose": "any"},
                  *({"src": local_url(f"patrol/icon-{size}.png"), "sizes": f"{size}x{size}",
                     "type": "image/png"} for size in (192, 512))],
    }
    response = Response(json.dumps(body, ensure_ascii=False),
                        mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def worker_config() -> dict[str, Any]:
    """What ``static/patrol/sw.js`` reads from ``self.PATROL_SW``."""
    shell = shell_urls()
    return {"workbox": workbox_urls(), "shell": shell, "page": "/patrol",
            "version": hashlib.sha256(" ".join(shell).encode()).hexdigest()[:10]}


@blueprint.get("/sw.js")
def service_worker() -> Response:
    """The service worker (root scope), never cached by the browser's HTTP cache."""
    config = json.dumps(worker_config(), separators=(",", ":"))
    body = f"self.PATROL_SW = {config};\n" + SW_SOURCE.read_text(encoding="utf-8")
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    # a worker runs under its own script's policy: it imports and fetches from the app only
    response.headers["Content-Security-Policy"] = WORKER_POLICY
    return response
