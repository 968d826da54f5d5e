"""Browser libraries served by the app itself instead of folium's CDN links.

Every script, style sheet, image and font that a folium page loads comes from one of three
trees, each published under ``/vendor/<name>@<version>/...`` (see :mod:`geo_service.web.assets`):

* npm packages pinned in ``package.json`` / ``package-lock.json`` and installed into
  ``node_modules/`` by the set-up (``npm ci``); only their ``dist``-like folders are public;
* ``folium``: the installed folium package's own patched ``leaflet_heat.min.js``;
* ``local``: our small stand-ins in ``geo_service/web/static/`` for folium assets that are not
  on npm (the Bootstrap 3 glyphicons style sheet and folium's marker-rotation classes).

The version in every URL is the pinned one (a content hash for ``local``), so the files can be
cached for a year and a new pin changes the URL.

:func:`localise_all` (called once by the app factory) rewrites ``default_js`` / ``default_css``
of :class:`folium.Map` and of the plugins in :data:`LOCALISED` to these URLs; :func:`check_offline`
renders a map with all of them and lists any external URL that is left.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import folium
from folium.plugins import Draw, Fullscreen, HeatMap, LocateControl, MarkerCluster, MeasureControl

from geo_service.config import PROJECT_ROOT

VENDOR_URL = "/vendor"
"""URL prefix under which :mod:`geo_service.web.assets` serves every source."""

NODE_MODULES = PROJECT_ROOT / "node_modules"
PACKAGE_JSON = PROJECT_ROOT / "package.json"
STATIC_DIR = Path(__file__).resolve().parent / "static"
FOLIUM_TEMPLATES = Path(folium.__file__).resolve().parent / "templates"

SETUP_HINT = "run the set-up (scripts/dev setup, which runs `npm ci`) to install node_modules/"

# npm package (as named in package.json) -> folders or single files the browser may load.
NPM_PUBLIC: dict[str, tuple[str, ...]] = {
    "leaflet": ("dist",),
    "jquery": ("dist",),
    "bootstrap": ("dist/css", "dist/js"),
    "bootstrap3": ("dist/fonts",),
    "@fortawesome/fontawesome-free": ("css", "webfonts"),
    "drmonty-leaflet-awesome-markers": ("css", "js"),
    "leaflet.markercluster": ("dist",),
    "leaflet.fullscreen": (  # no dist folder: the files sit at the package root
        "Control.FullScreen.js", "Control.FullScreen.css", "icon-fullscreen.svg",
    ),
    "leaflet-measure": ("dist",),
    "leaflet.locatecontrol": ("dist",),
    "leaflet-draw": ("dist",),
    "chart.js": ("dist",),
    "leaflet.vectorgrid": ("dist",),
}


@dataclass(frozen=True)
class Source:
    """One tree of files the browser may load, and the parts of it that are public.

    Attributes
    ----------
    name:
        URL namespace: the npm package name, ``folium`` or ``local``.
    root:
        Folder on disk.
    version:
        Version in the URL (pinned npm version, folium's version, or a content hash).
    public:
        Folders or single files under ``root`` (POSIX, relative) that may be served;
        ``""`` stands for the whole tree.
    npm:
        Whether the tree is installed by npm (and so may be missing before the set-up).
    """

    name: str
    root: Path
    version: str
    public: tuple[str, ...]
    npm: bool = False

    @property
    def url(self) -> str:
        """URL of the tree's root, without a trailing slash."""
        return f"{VENDOR_URL}/{self.name}@{self.version}"

    def installed_version(self) -> str | None:
        """Version found on disk (``package.json`` of the installed npm package), if any."""
        if not self.npm:
            return self.version
        try:
            return json.loads((self.root / "package.json").read_bytes())["version"]
        except (OSError, ValueError, KeyError):
            return None


def pinned_versions(package_json: Path = PACKAGE_JSON) -> dict[str, str]:
    """Exact versions pinned in ``package.json`` (``npm:pkg@1.2.3`` aliases give ``1.2.3``)."""
    try:
        dependencies = json.loads(package_json.read_bytes())["dependencies"]
    except (OSError, ValueError, KeyError):
        return {}
    return {name: spec.rpartition("@")[2] if spec.startswith("npm:") else spec
            for name, spec in dependencies.items()}


def _content_hash(folder: Path) -> str:
    """Short hash of every file under ``folder`` (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _sources() -> dict[str, Source]:
    """Every source, keyed by its URL namespace."""
    pins = pinned_versions()
    sources = {
        name: Source(name, NODE_MODULES / name, pins.get(name, "unpinned"), public, npm=True)
        for name, public in NPM_PUBLIC.items()
    }
    sources["folium"] = Source("folium", FOLIUM_TEMPLATES, folium.__version__,
                               ("leaflet_heat.min.js",))
    sources["local"] = Source("local", STATIC_DIR, _content_hash(STATIC_DIR), ("",))
    return sources


SOURCES: dict[str, Source] = _sources()


def _url(source: str, path: str) -> str:
    """URL of ``path`` inside ``source``."""
    return f"{SOURCES[source].url}/{path}"


AWESOME = "drmonty-leaflet-awesome-markers"
FONTAWESOME = "@fortawesome/fontawesome-free"

ASSETS: dict[str, str] = {
    # folium.Map
    "leaflet": _url("leaflet", "dist/leaflet.js"),
    "jquery": _url("jquery", "dist/jquery.min.js"),
    "bootstrap": _url("bootstrap", "dist/js/bootstrap.bundle.min.js"),
    # not the .min.js: that stale build lacks ``extraClasses``, which folium's Icon(angle=) uses
    "awesome_markers": _url(AWESOME, "js/leaflet.awesome-markers.js"),
    "leaflet_css": _url("leaflet", "dist/leaflet.css"),
    "bootstrap_css": _url("bootstrap", "dist/css/bootstrap.min.css"),
    "glyphicons_css": _url("local", "glyphicons.css"),
    "awesome_markers_font_css": _url(FONTAWESOME, "css/all.min.css"),
    "awesome_markers_css": _url(AWESOME, "css/leaflet.awesome-markers.css"),
    "awesome_rotate_css": _url("local", "leaflet.awesome.rotate.css"),
    # folium.plugins.MarkerCluster (and FastMarkerCluster, which inherits it)
    "markerclusterjs": _url("leaflet.markercluster", "dist/leaflet.markercluster.js"),
    "markerclustercss": _url("leaflet.markercluster", "dist/MarkerCluster.css"),
    "markerclusterdefaultcss": _url("leaflet.markercluster", "dist/MarkerCluster.Default.css"),
    # folium.plugins.HeatMap: folium's own copy carries a weights fix the npm 0.2.0 lacks
    "leaflet-heat.js": _url("folium", "leaflet_heat.min.js"),
    # folium.plugins.Fullscreen
    "Control.Fullscreen.js": _url("leaflet.fullscreen", "Control.FullScreen.js"),
    "Control.FullScreen.css": _url("leaflet.fullscreen", "Control.FullScreen.css"),
    # folium.plugins.MeasureControl
    "leaflet_measure_js": _url("leaflet-measure", "dist/leaflet-measure.min.js"),
    "leaflet_measure_css": _url("leaflet-measure", "dist/leaflet-measure.css"),
    # folium.plugins.LocateControl
    "Control_locate_min_js": _url("leaflet.locatecontrol", "dist/L.Control.Locate.min.js"),
    "Control_locate_min_css": _url("leaflet.locatecontrol", "dist/L.Control.Locate.min.css"),
    # folium.plugins.Draw
    "leaflet_draw_js": _url("leaflet-draw", "dist/leaflet.draw.js"),
    "leaflet_draw_css": _url("leaflet-draw", "dist/leaflet.draw.css"),
    # not folium: for our own pages (dashboard charts)
    "chartjs": _url("chart.js", "dist/chart.umd.min.js"),
    # not folium: vector tiles on the map (/map?tiles=1); the bundle includes its pbf reader
    "vectorgrid": _url("leaflet.vectorgrid", "dist/Leaflet.VectorGrid.bundled.min.js"),
}
"""Asset name (folium's ``default_js`` / ``default_css`` names) -> local URL."""

LOCALISED: tuple[type, ...] = (
    folium.Map, MarkerCluster, HeatMap, Fullscreen, MeasureControl, LocateControl, Draw,
)
"""Folium classes whose CDN links :func:`localise_all` replaces."""

# URLs that appear in folium's rendered HTML but are never loaded (comments in templates).
NOT_LOADED: frozenset[str] = frozenset({
    "https://github.com/ljagis/leaflet-measure/issues/171",  # comment in MeasureControl's JS
})

_URL = re.compile(r"""https?://[^\s"'<>()\\]+""")
_PROTOCOL_RELATIVE = re.compile(r"""(?:src|href)\s*=\s*["'](//[^"']+)""", re.IGNORECASE)
_LOCAL = re.compile(r"""(?:src|href)\s*=\s*["'](""" + re.escape(VENDOR_URL) + r"""/[^"']+)""")


def asset_url(name: str) -> str:
    """Local URL of an asset by name (``KeyError`` for an unknown name)."""
    return ASSETS[name]


def _local_links(links: Iterable[tuple[str, str]], owner: str) -> list[tuple[str, str]]:
    """``(name, url)`` pairs with every URL replaced by the local one."""
    links = list(links)
    unknown = [name for name, _ in links if name not in ASSETS]
    if unknown:
        raise KeyError(f"{owner}: no local copy of {', '.join(unknown)}; add it to vendor.ASSETS")
    return [(name, ASSETS[name]) for name, _ in links]


def localise(target: type | object) -> None:
    """Point ``target``'s ``default_js`` / ``default_css`` at the local copies.

    ``target`` is a folium class (every instance, and subclasses that do not override the
    lists, then use the local files) or one element (only that element changes). Idempotent.
    Raises ``KeyError`` when an asset has no local copy in :data:`ASSETS`.
    """
    owner = target.__name__ if isinstance(target, type) else type(target).__name__
    for attribute in ("default_js", "default_css"):
        links = getattr(target, attribute, None)
        if links:
            setattr(target, attribute, _local_links(links, owner))


def localise_all() -> None:
    """Localise :class:`folium.Map` and every plugin in :data:`LOCALISED` (call at app start)."""
    for cls in LOCALISED:
        localise(cls)


def external_urls(html: str, ignore: Iterable[str] = ()) -> list[str]:
    """Distinct absolute (``http(s)://`` or ``//``) URLs in ``html``, minus ``ignore``."""
    skip = set(ignore)
    found = _URL.findall(html) + _PROTOCOL_RELATIVE.findall(html)
    return sorted({url for url in found if url not in skip})


def local_urls(html: str) -> list[str]:
    """Distinct ``/vendor/...`` URLs in ``src`` / ``href`` attributes of ``html``."""
    return sorted(set(_LOCAL.findall(html)))


def tile_urls(m: folium.Map) -> set[str]:
    """URLs belonging to the map's tile layers (templates and attribution links)."""
    urls: set[str] = set()
    pending = list(m._children.values())
    while pending:
        element = pending.pop()
        pending.extend(element._children.values())
        if isinstance(element, folium.TileLayer | folium.WmsTileLayer):
            text = " ".join(str(v) for v in (getattr(element, "tiles", ""),
                                             getattr(element, "url", ""),
                                             element.options.get("attribution", "")))
            urls.update(_URL.findall(text))
    return urls


def demo_map(tiles: str | None = None, attr: str | None = None) -> folium.Map:
    """A small map using the Map's own assets and every plugin in :data:`LOCALISED`.

    Without tiles the map itself is given ``maxZoom``: Leaflet.markercluster throws
    "Map has no maxZoom specified" otherwise (a tile layer normally provides it).
    """
    m = folium.Map(location=[30.66, 104.06], zoom_start=16, tiles=tiles, attr=attr,
                   control_scale=True, **({} if tiles else {"maxZoom": 19}))
    cluster = MarkerCluster(name="clustered").add_to(m)
    folium.Marker([30.660, 104.060], icon=folium.Icon()).add_to(cluster)  # glyphicon prefix
    folium.Marker([30.661, 104.061],
                  icon=folium.Icon(prefix="fa", icon="lightbulb", angle=45)).add_to(cluster)
    HeatMap([[30.660, 104.060, 1.0], [30.662, 104.063, 0.5]], name="heat").add_to(m)
    Fullscreen().add_to(m)
    MeasureControl().add_to(m)
    LocateControl().add_to(m)
    Draw().add_to(m)
    folium.LayerControl().add_to(m)
    return m


def check_offline(tiles: str | None = None, attr: str | None = None) -> list[str]:
    """External URLs left in a rendered :func:`demo_map` (expected: none).

    Checks the classes as they are now, so call :func:`localise_all` first. URLs of the tile
    layer (a setting) and known comments (:data:`NOT_LOADED`) are not reported.
    """
    m = demo_map(tiles=tiles, attr=attr)
    html = m.get_root().render()
    return external_urls(html, ignore=tile_urls(m) | NOT_LOADED)


def locate(filename: str) -> tuple[Source, Path, str] | None:
    """Where ``/vendor/<filename>`` lives: ``(source, directory, name inside directory)``.

    ``None`` when the name is malformed, names an unknown source or a version other than the
    pinned one, or points outside the source's public folders. The returned directory is the
    public folder itself, so ``flask.send_from_directory(directory, name)`` cannot leave it.
    """
    parts = filename.split("/")
    if parts[0].startswith("@"):
        parts = [f"{parts[0]}/{parts[1]}", *parts[2:]] if len(parts) > 1 else []
    if len(parts) < 2:
        return None
    name, _, version = parts[0].rpartition("@")
    rest = parts[1:]
    source = SOURCES.get(name)
    if source is None or version != source.version:
        return None
    if any(not part or part.startswith(".") or "\\" in part or "\0" in part for part in rest):
        return None
    for entry in source.public:
        prefix = [part for part in entry.split("/") if part]
        if rest[: len(prefix)] != prefix:
            continue
        if len(rest) == len(prefix):  # a single public file
            return source, source.root.joinpath(*prefix[:-1]), prefix[-1]
        return source, source.root.joinpath(*prefix), "/".join(rest[len(prefix):])
    return None


def missing_files() -> list[str]:
    """Asset URLs not served as pinned (e.g. before the set-up has run ``npm ci``)."""
    missing = []
    for url in ASSETS.values():
        found = locate(url.removeprefix(VENDOR_URL + "/"))
        if (found is None or not (found[1] / found[2]).is_file()
                or found[0].installed_version() != found[0].version):
            missing.append(url)
    return missing
