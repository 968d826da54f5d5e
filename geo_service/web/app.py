"""Flask application factory: one blueprint per concern."""

from __future__ import annotations

from importlib import import_module

from flask import Flask
from sqlalchemy import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from geo_service.config import PROJECT_ROOT, Settings, load_settings
from geo_service.db.engine import engine_for, resolve_url

# Each module has a ``blueprint``; one with ``NAV = [(path, message key), ...]`` adds its pages
# to the navigation bar, in this order.
BLUEPRINT_MODULES = ("auth_pages", "assets", "health", "home", "map_page", "collections",
                     "api_hazards", "open311", "openapi", "plan_lighting", "api_planning",
                     "hazard_pages", "dashboard", "plan_patrol", "api_patrol_routes",
                     "notifications", "follow", "tiles")


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Flask:
    """Build the web application.

    Parameters
    ----------
    settings:
        Configuration; read from the environment when omitted.
    engine:
        Database engine; resolved from the settings (embedded cluster or DATABASE_URL) when
        omitted.
    """
    from geo_service.web import i18n, vendor

    settings = settings or load_settings()
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"))
    app.config["SETTINGS"] = settings
    app.config["ENGINE"] = engine or engine_for(resolve_url(settings))
    app.json.ensure_ascii = False
    if settings.trusted_proxies > 0:  # believe that many proxies about client, scheme, host
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    vendor.localise_all()
    i18n.init_app(app)
    import_module("geo_service.web.auth").init_app(app)  # sessions, CSRF, access policy
    nav: list[tuple[str, str]] = []
    for name in BLUEPRINT_MODULES:
        module = import_module(f"geo_service.web.{name}")
        app.register_blueprint(module.blueprint)
        nav.extend(getattr(module, "NAV", []))
    app.jinja_env.globals["nav_items"] = nav
    import_module("geo_service.web.errors").init_app(app)  # limits, 4xx/503 handlers (last)
    import_module("geo_service.web.security").init_app(app)  # CSP, nosniff, HSTS: every answer
    return app
