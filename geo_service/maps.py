"""The map page's folium skeleton, built from the layer declarations in ``layers/``.

Only the frame is rendered on the server: the basemap, the controls (layers, scale, locate,
full screen, measure), one empty FeatureGroup per layer (with a MarkerCluster inside for
clustered layers and a HeatMap overlay for heat layers) and the legend. The features are
fetched by ``static/map.js`` from ``/api/collections/{id}/items`` for the bounding box in view,
so the page is the same size whatever the amount of data.

With ``tiles=True`` the layers that draw plain shapes from a table (:func:`tiled`: grids,
streets, buildings, lights) come as vector tiles from ``/tiles/{layer}/{z}/{x}/{y}.pbf`` instead,
drawn by Leaflet.VectorGrid (``static/map_tiles.js``) with the same styles, labels and popups,
from the zoom their tiles start at; markers that cluster or feed a heat map, cameras with their
sectors and the computed layers (gaps, routes) stay GeoJSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import MacroElement
from folium.plugins import Fullscreen, HeatMap, LocateControl, MarkerCluster, MeasureControl
from folium.template import Template

from geo_service.features.catalog import find
from geo_service.layers import MARKER_COLORS, Layer, LegendEntry, value_key
from geo_service.tiles.mvt import first_zoom

BASEMAPS = ("osm", "tianditu", "none")
MAX_ZOOM = 19
PAGE_SIZE = 1000  # features per API request; a layer pages with links.next up to its cap
API = "/api/collections"
TILES = "/tiles/{layer}/{z}/{x}/{y}.pbf"

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = ('&copy; <a href="https://www.openstreetmap.org/copyright">'
                   "OpenStreetMap</a> contributors")
TIANDITU_TILES = ("https://t{s}.tianditu.gov.cn/DataServer?T={layer}&x={x}&y={y}&l={z}"
                  "&tk={key}")
TIANDITU_ATTRIBUTION = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a>'

# Assets base.html already loads, or that these maps never use (glyphicons, icon rotation).
SKIPPED_ASSETS = frozenset({"bootstrap", "bootstrap_css", "glyphicons_css",
                            "awesome_rotate_css"})

PATH_DEFAULTS: dict[str, Any] = {"color": "#3388ff", "weight": 3, "opacity": 1.0,
                                 "fillOpacity": 0.2, "dashArray": None, "lineCap": "round"}

# The interface words map.js uses (the others are rendered on the server).
SCRIPT_WORDS = ("map_zoom_in", "map_truncated", "map_loading", "map_failed", "map_yes", "map_no")

Bounds = tuple[tuple[float, float], tuple[float, float]]
"""``((south, west), (north, east))`` in degrees."""


class Registry(MacroElement):
    """Publishes the folium objects to ``static/map.js`` as ``window.geoMapObjects``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        window.geoMapObjects = {
            map: {{ this._parent.get_name() }},
            layers: {
            {%- for id, roles in this.names.items() %}
                {{ id|tojson }}: {
                {%- for role, name in roles.items() %} {{ role|tojson }}: {{ name }},{% endfor %}
                },
            {%- endfor %}
            }
        };
        {% endmacro %}
    """)

    def __init__(self, names: Mapping[str, Mapping[str, str]]) -> None:
        super().__init__()
        self._name = "Registry"
        self.names = {k: dict(v) for k, v in names.items()}


@dataclass(frozen=True)
class MapPage:
    """What ``templates/map.html`` embeds."""

    header: str
    html: str
    script: str
    config: dict[str, Any]
    legend: list[dict[str, Any]]
    basemap: str
    tiles: bool = False


def basemap_layers(basemap: str, tianditu_key: str | None) -> list[folium.TileLayer]:
    """Tile layers for a basemap setting (none for ``"none"``, or Tianditu without a key)."""
    if basemap == "osm":
        return [folium.TileLayer(OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap",
                                 max_zoom=MAX_ZOOM, control=False)]
    if basemap == "tianditu" and tianditu_key:
        return [
            folium.TileLayer(TIANDITU_TILES.format(layer=layer, key=tianditu_key, s="{s}",
                                                   x="{x}", y="{y}", z="{z}"),
                             attr=TIANDITU_ATTRIBUTION, name=name, max_zoom=MAX_ZOOM,
                             subdomains="01234567", overlay=overlay, control=False)
            for layer, name, overlay in (("vec_w", "天地图矢量", False),
                                         ("cva_w", "天地图注记", True))
        ]
    return []


def effective_basemap(basemap: str, tianditu_key: str | None) -> str:
    """The basemap actually drawn: Tianditu needs a key, unknown settings draw none."""
    if basemap == "tianditu" and not tianditu_key:
        return "none"
    return basemap if basemap in BASEMAPS else "none"


def basemap_config(settings: Any) -> dict[str, Any] | None:
    """Tile URL template and attribution of the configured basemap for a page's own Leaflet
    map (``None``: no tiles)."""
    drawn = effective_basemap(settings.basemap, settings.tianditu_key)
    if drawn == "osm":
        return {"url": OSM_TILES, "attribution": OSM_ATTRIBUTION, "maxZoom": MAX_ZOOM}
    if drawn == "tianditu":
        return {"url": TIANDITU_TILES.format(layer="vec_w", key=settings.tianditu_key, s="{s}",
                                             x="{x}", y="{y}", z="{z}"),
                "attribution": TIANDITU_ATTRIBUTION, "maxZoom": MAX_ZOOM,
                "subdomains": "01234567"}
    return None


def legend_label(entry: LegendEntry, lang: str, vocab: Mapping[str, str]) -> str:
    """An entry's words: its own label, else the vocabulary label of its one value."""
    if entry.label is not None:
        return entry.label(lang)
    value = value_key(next(iter(entry.when.values()))) if entry.when else ""
    return vocab.get(value, value)


def swatch(layer: Layer, entry: LegendEntry) -> dict[str, Any]:
    """What the legend draws for an entry: the layer's style for the ``when`` properties."""
    style = layer.resolve_style(entry.when)
    if layer.kind == "marker":
        return {"shape": "marker", "fill": MARKER_COLORS.get(style.get("markerColor", "blue")),
                "icon": style.get("icon", "circle"), "icon_color": style.get("iconColor", "white"),
                "opacity": style.get("opacity", 1.0), "halo": style.get("halo")}
    out = {**PATH_DEFAULTS, **{k: v for k, v in style.items() if k != "sector"},
           "shape": layer.kind}
    out.setdefault("fillColor", out["color"])
    out["radius"] = min(float(style.get("radius", 5)), 6.0)
    if "sector" in style:
        sector = {**PATH_DEFAULTS, **style["sector"]}
        sector.setdefault("fillColor", sector["color"])
        out["sector"] = sector
    return out


def legend(layers: list[Layer], lang: str, vocab: Mapping[str, str]) -> list[dict[str, Any]]:
    """Legend sections, one per layer (and its heat overlay), in drawing order, top first."""
    sections = []
    for layer in sorted(layers, key=lambda item: -item.order):
        sections.append({
            "id": layer.id,
            "title": layer.title(lang),
            "min_zoom": layer.min_zoom,
            "show": layer.show,
            "note": layer.empty_note(lang) if layer.empty_note else "",
            "entries": [{"label": legend_label(e, lang, vocab), "swatch": swatch(layer, e)}
                        for e in layer.legend],
        })
    return sections


def tiled(layer: Layer) -> bool:
    """Whether the layer can be drawn from vector tiles: plain shapes of a table (no clusters,
    heat map or sectors, which need every feature's own geometry in the browser)."""
    coll = find(layer.collection)
    return bool(coll and coll.table and layer.cluster is None and layer.heat is None
                and layer.sector is None)


def layer_config(layer: Layer, lang: str, tiles: bool = False) -> dict[str, Any]:
    """A layer's declaration as ``map.js`` uses it, words in the page language; ``tiles``:
    drawn from vector tiles (from ``tiles.minZoom``) when :func:`tiled`."""
    return {
        "tiles": ({"minZoom": first_zoom(layer)} if tiles and tiled(layer) else None),
        "id": layer.id,
        "collection": layer.collection,
        "title": layer.title(lang),
        "kind": layer.kind,
        "order": layer.order,
        "minZoom": first_zoom(layer) if tiles and tiled(layer) else layer.min_zoom,
        "maxFeatures": layer.max_features,
        "style": layer.style,
        "rules": [rule.to_json() for rule in layer.rules],
        "popup": {
            "title": layer.popup_title,
            "fields": [{"field": f.field, "label": f.label(lang), "format": f.format,
                        "labels": {k: v(lang) for k, v in f.labels.items()}}
                       for f in layer.popup],
            "links": [{"label": link.label(lang), "href": link.href} for link in layer.links],
        },
        "label": ({"field": layer.label.field, "minZoom": layer.label.min_zoom}
                  if layer.label else None),
        "cluster": layer.cluster is not None,
        "heat": ({"field": layer.heat.field, "weights": layer.heat.weights,
                  "defaultWeight": layer.heat.default_weight} if layer.heat else None),
        "sector": ({"field": layer.sector.field, "style": layer.sector.style}
                   if layer.sector else None),
        "emptyNote": layer.empty_note(lang) if layer.empty_note else None,
    }


def _focus(layers: list[Layer], grid: int | None) -> dict[str, Any] | None:
    """Which feature map.js outlines: the grid asked for, in the layer showing grids."""
    shown = [layer for layer in layers if layer.collection == "grids"]
    if grid is None or not shown:
        return None
    return {"layer": shown[0].id, "field": "number", "value": grid}


def build_map(layers: list[Layer], *, lang: str, bounds: Bounds, words: Mapping[str, str],
              vocab: Mapping[str, str], basemap: str = "osm", tianditu_key: str | None = None,
              focus_grid: int | None = None, tiles: bool = False) -> MapPage:
    """The map page's folium skeleton and the configuration ``map.js`` reads.

    Parameters
    ----------
    layers:
        Validated declarations (:func:`geo_service.layers.load_layers`), in drawing order.
    lang:
        Page language, ``"zh"`` or ``"en"``.
    bounds:
        What the map shows first (the community, or the grid asked for).
    words:
        Interface words in the page language (``map_*`` messages).
    vocab:
        Vocabulary value -> label in the page language.
    basemap, tianditu_key:
        The basemap setting: ``osm``, ``tianditu`` (with its key) or ``none``.
    focus_grid:
        Number of a grid to outline (``?grid=N``).
    tiles:
        Draw the :func:`tiled` layers from vector tiles.
    """
    drawn = effective_basemap(basemap, tianditu_key)
    (south, west), (north, east) = bounds
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=15,
                   tiles=None, maxZoom=MAX_ZOOM, control_scale=False, prefer_canvas=False)
    m.default_js = [(n, u) for n, u in folium.Map.default_js if n not in SKIPPED_ASSETS]
    m.default_css = [(n, u) for n, u in folium.Map.default_css if n not in SKIPPED_ASSETS]
    for tiles in basemap_layers(drawn, tianditu_key):
        tiles.add_to(m)
    names: dict[str, dict[str, str]] = {}
    for layer in layers:
        group = folium.FeatureGroup(name=layer.title(lang), show=layer.show).add_to(m)
        roles = {"group": group.get_name()}
        if layer.cluster is not None:
            cluster = MarkerCluster(control=False, **layer.cluster).add_to(group)
            roles["cluster"] = cluster.get_name()
        if layer.heat is not None:
            heat = HeatMap([], name=layer.heat.title(lang), show=layer.heat.show,
                           radius=layer.heat.radius, blur=layer.heat.blur,
                           min_opacity=layer.heat.min_opacity, max_zoom=17).add_to(m)
            roles["heat"] = heat.get_name()
        names[layer.id] = roles
    Fullscreen(position="topleft", title=words["map_fullscreen"],
               title_cancel=words["map_fullscreen_exit"]).add_to(m)
    LocateControl(position="topleft", flyTo=True, initialZoomLevel=17,
                  strings={"title": words["map_locate"]}).add_to(m)
    MeasureControl(position="topleft", primary_length_unit="meters",
                   secondary_length_unit="kilometers", primary_area_unit="sqmeters",
                   secondary_area_unit="hectares").add_to(m)
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    Registry(names).add_to(m)

    root = m.get_root()
    root.render()
    config = {
        "lang": lang,
        "api": API,
        "pageSize": PAGE_SIZE,
        "basemap": drawn,
        "focus": _focus(layers, focus_grid),
        "bounds": [[south, west], [north, east]],  # map.js fits them beside the legend
        "words": {key: words[key] for key in SCRIPT_WORDS},
        "vocab": dict(vocab),
        "markerColors": MARKER_COLORS,
        "tiles": {"url": TILES} if tiles else None,
        "layers": [layer_config(layer, lang, tiles) for layer in layers],
    }
    return MapPage(header=root.header.render(), html=root.html.render(),
                   script=root.script.render(), config=config,
                   legend=legend(layers, lang, vocab), basemap=drawn, tiles=tiles)
