"""``/healthz``: 200 with the database reachable, 503 otherwise."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from geo_service.features.store import postgis_version
from geo_service.web.db import engine

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():  # noqa: ANN201
    """Report whether PostGIS answers."""
    try:
        with engine().connect() as conn:
            version = postgis_version(conn)
    except SQLAlchemyError as error:
        response = jsonify(status="unavailable", database=type(error).__name__)
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response
    return jsonify(status="ok", postgis=version)
