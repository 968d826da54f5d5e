"""The home page: what is loaded, per layer and per grid."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request
from sqlalchemy import text
from werkzeug.wrappers import Response

from geo_service.web.db import engine

blueprint = Blueprint("home", __name__)
NAV = [("/overview", "nav_home")]

LAYER_TABLES = ("grids", "buildings", "streets", "lights", "cameras", "hazards")


@blueprint.get("/")
def index() -> Response:
    """The service opens on the map (keeping ``?lang=``)."""
    query = request.query_string.decode()
    return redirect("/map" + (f"?{query}" if query else ""))


@blueprint.get("/overview")
def overview() -> str:
    """List what is loaded: counts per layer and per grid."""
    with engine().connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in LAYER_TABLES}
        km = conn.execute(text("SELECT coalesce(sum(length_m), 0) / 1000 FROM streets")).scalar()
        grids = conn.execute(text("""
            SELECT g.number, g.name, g.zone,
                   (SELECT count(*) FROM buildings b WHERE b.grid_id = g.id) AS buildings,
                   (SELECT count(*) FROM buildings b WHERE b.grid_id = g.id
                        AND b.leader_name IS NULL) AS no_leader,
                   (SELECT count(*) FROM hazards h WHERE h.grid_id = g.id
                        AND h.status <> 'closed') AS open_hazards
            FROM grids g ORDER BY g.number""")).mappings().all()
        community = conn.execute(text("SELECT name FROM community LIMIT 1")).scalar()
    layers = [(t, counts[t]) for t in LAYER_TABLES]
    return render_template("index.html", layers=layers, grids=grids,
                           street_km=float(km), community=community)
