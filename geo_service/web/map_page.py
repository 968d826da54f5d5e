"""``/map``: the map page, all layers; ``?grid=N`` zooms to a grid, ``?community=NAME`` (or id)
to a community's outline, ``?lang=en`` for English; ``?tiles=1`` draws grids, streets,
buildings and lights from vector tiles (``?tiles=0`` from GeoJSON; without the parameter
``Settings.map_tiles`` decides).

The layer declarations are loaded and validated when the blueprint is registered (app
start-up), so a wrong declaration stops the service with a message naming file and key.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, render_template, request

from geo_service import layers as layer_files
from geo_service.features import store
from geo_service.features.catalog import schema
from geo_service.ingest.communities import CommunityError, choose_community
from geo_service.maps import Bounds, build_map
from geo_service.vocab import LABELS_ZH
from geo_service.web import vendor
from geo_service.web.db import engine
from geo_service.web.i18n import label, page_words, translate

blueprint = Blueprint("map_page", __name__)
NAV = [("/map", "nav_map")]

# Where the map opens when no grid is loaded: the sample community (domain brief).
DEFAULT_BOUNDS: Bounds = ((27.514, 106.822), (27.526, 106.838))


@blueprint.record_once
def _load_layers(state: Any) -> None:
    state.app.extensions["map_layers"] = layer_files.load_layers(layer_files.LAYERS_DIR,
                                                                 schema())


def _bounds(row: Any) -> Bounds | None:
    if row is None or row[0] is None:
        return None
    west, south, east, north = (float(v) for v in row)
    return (south, west), (north, east)


def _tiles_wanted(settings: Any) -> bool:
    """``?tiles=1|0`` (also true/false, yes/no, on/off), else the ``map_tiles`` setting."""
    asked = (request.args.get("tiles") or "").strip().lower()
    if asked in ("1", "true", "yes", "on"):
        return True
    if asked in ("0", "false", "no", "off"):
        return False
    return bool(settings.map_tiles)


def _outline_bounds(conn: Any, wanted: str) -> Bounds | None:
    """The bounds of the outline of the community named (or numbered) ``wanted``."""
    try:
        found = choose_community(conn, wanted[:200])
    except CommunityError:
        return None
    return None if found.outline is None else _bounds(found.outline.bounds)


@blueprint.get("/map")
def map_view() -> tuple[str, int]:
    """The map page (404 with a message when ``?grid=N`` names no grid)."""
    lang = g.lang
    settings = current_app.config["SETTINGS"]
    asked = request.args.get("grid")
    status, message, focus = 200, None, None
    with engine().connect() as conn:
        bounds = _bounds(store.community_extent(conn))
        community = request.args.get("community")
        if community:
            outline = _outline_bounds(conn, community)
            if outline is None:
                status, message = 404, translate("map_community_missing").format(
                    community=community[:200])
            bounds = outline or bounds
        if asked is not None:
            number = int(asked) if asked.strip().isdigit() and len(asked) < 10 else None
            found = None
            if number is not None:
                found = _bounds(store.extent_of(conn, "grids", number))
            if found is None:
                status = 404
                message = translate("map_grid_missing").format(grid=asked)
            else:
                bounds, focus = found, number
    notes = []
    if settings.basemap == "tianditu" and not settings.tianditu_key:
        notes.append(translate("map_no_tianditu_key"))
    words = page_words("map_")
    vocab = {value: label(value, lang) for value in LABELS_ZH}
    page = build_map(current_app.extensions["map_layers"], lang=lang,
                     bounds=bounds or DEFAULT_BOUNDS, words=words, vocab=vocab,
                     basemap=settings.basemap, tianditu_key=settings.tianditu_key,
                     focus_grid=focus, tiles=_tiles_wanted(settings))
    return render_template("map.html", page=page, message=message, notes=notes,
                           static_url=vendor.SOURCES["local"].url,
                           vectorgrid_url=vendor.asset_url("vectorgrid")), status
