"""Flask application factory: one blueprint per concern."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine

from geo_service.config import PROJECT_ROOT, Settings, load_settings
from geo_service.db.engine import engine_for, resolve_url

# (path, message key) of the navigation bar; pages register themselves in later issues.
NAV_ITEMS: list[tuple[str, str]] = [("/", "nav_home")]


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
    settings = settings or load_settings()
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"))
    app.config["SETTINGS"] = settings
    app.config["ENGINE"] = engine or engine_for(resolve_url(settings))
    app.config["JSON_AS_ASCII"] = False

    from geo_service.web import assets, health, home, i18n, vendor

    vendor.localise_all()
    i18n.init_app(app)
    app.jinja_env.globals["nav_items"] = NAV_ITEMS
    app.register_blueprint(assets.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(home.blueprint)
    return app
