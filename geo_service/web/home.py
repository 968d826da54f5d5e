"""The home page: what is loaded, per layer and per grid."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request
from werkzeug.wrappers import Response

from geo_service.features import store
from geo_service.features.store import LAYER_TABLES
from geo_service.web.db import engine

blueprint = Blueprint("home", __name__)
NAV = [("/overview", "nav_home")]



@blueprint.get("/")
def index() -> Response:
    """The service opens on the map (keeping ``?lang=``)."""
    query = request.query_string.decode()
    return redirect("/map" + (f"?{query}" if query else ""))


@blueprint.get("/overview")
def overview() -> str:
    """List what is loaded: counts per layer and per grid."""
    with engine().connect() as conn:
        loaded = store.overview(conn)
    layers = [(t, loaded.counts[t]) for t in LAYER_TABLES]
    return render_template("index.html", layers=layers, grids=loaded.grids,
                           street_km=loaded.street_km, community=loaded.community)
