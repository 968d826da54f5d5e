"""Offline browser assets: folium's CDN links replaced and every local file served (no database)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from posixpath import normpath
from urllib.parse import urljoin, urlsplit

import folium
import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from geo_service.config import PROJECT_ROOT
from geo_service.web import assets, vendor

MAP_ASSETS = {
    "leaflet", "jquery", "bootstrap", "awesome_markers", "leaflet_css", "bootstrap_css",
    "glyphicons_css", "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css",
}
PLUGIN_NAMES = {"MarkerCluster", "HeatMap", "Fullscreen", "MeasureControl", "LocateControl", "Draw"}
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


@pytest.fixture(scope="module", autouse=True)
def localised() -> Iterator[None]:
    """Localise folium for this module and put the CDN links back afterwards."""
    missing = vendor.missing_files()
    assert not missing, f"{vendor.SETUP_HINT}; not served as pinned: {missing}"
    with pytest.MonkeyPatch.context() as patch:
        for cls in vendor.LOCALISED:
            for attribute in ("default_js", "default_css"):
                patch.setattr(cls, attribute, list(getattr(cls, attribute)))
        vendor.localise_all()
        yield


@pytest.fixture()
def client() -> FlaskClient:
    """A bare Flask app with only the assets blueprint."""
    app = Flask(__name__)
    app.register_blueprint(assets.blueprint)
    return app.test_client()


def links(cls: type) -> list[tuple[str, str]]:
    """A folium class's script and style links."""
    return list(cls.default_js) + list(cls.default_css)


def test_localised_classes_are_the_map_and_the_plugins_we_use() -> None:
    assert folium.Map in vendor.LOCALISED
    assert {cls.__name__ for cls in vendor.LOCALISED} - {"Map"} == PLUGIN_NAMES
    assert {name for name, _ in links(folium.Map)} == MAP_ASSETS


@pytest.mark.parametrize("cls", vendor.LOCALISED, ids=lambda cls: cls.__name__)
def test_every_asset_maps_to_a_local_file(cls: type) -> None:
    assert links(cls), f"{cls.__name__} has no assets"
    for name, url in links(cls):
        assert url == vendor.ASSETS[name]
        assert url.startswith(vendor.VENDOR_URL + "/"), (name, url)
        found = vendor.locate(url.removeprefix(vendor.VENDOR_URL + "/"))
        assert found is not None, f"{url} is outside the public folders"
        _, directory, filename = found
        assert (directory / filename).is_file(), url


def test_subclasses_and_instances_follow() -> None:
    fast = folium.plugins.FastMarkerCluster([[30.66, 104.06]])
    assert all(url.startswith(vendor.VENDOR_URL) for _, url in links(type(fast)))

    class Custom(folium.MacroElement):
        default_js = [("leaflet", "https://cdn.example.org/leaflet.js")]

    element = Custom()
    vendor.localise(element)
    assert element.default_js == [("leaflet", vendor.ASSETS["leaflet"])]
    assert Custom.default_js == [("leaflet", "https://cdn.example.org/leaflet.js")]


def test_an_asset_without_a_local_copy_is_an_error() -> None:
    class Unknown(folium.MacroElement):
        default_js = [("leaflet", "https://cdn.example.org/leaflet.js"),
                      ("mystery_js", "https://cdn.example.org/mystery.js")]

    with pytest.raises(KeyError, match="mystery_js"):
        vendor.localise(Unknown)


def test_rendered_map_loads_nothing_from_outside() -> None:
    assert vendor.check_offline() == []
    assert vendor.check_offline(tiles="OpenStreetMap") == []
    html = vendor.demo_map().get_root().render()
    assert vendor.external_urls(html, ignore=vendor.NOT_LOADED) == []


def test_check_reports_tiles_only_through_the_setting() -> None:
    m = vendor.demo_map(tiles="OpenStreetMap")
    html = m.get_root().render()
    left = vendor.external_urls(html, ignore=vendor.NOT_LOADED)
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in left
    assert set(left) <= vendor.tile_urls(m)


def test_check_finds_a_cdn_link_left_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    cdn = "https://cdnjs.cloudflare.com/ajax/libs/leaflet.draw/1.0.2/leaflet.draw.js"
    monkeypatch.setattr(folium.plugins.Draw, "default_js", [("leaflet_draw_js", cdn)])
    assert vendor.check_offline() == [cdn]
    html = '<script src="//cdn.example.org/x.js"></script>'
    assert vendor.external_urls(html) == ["//cdn.example.org/x.js"]


def served(client: FlaskClient, url: str) -> tuple[str, bytes]:
    """GET a local URL, asserting 200; returns (mimetype, body)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.data[:200])
    assert response.data, url
    return response.mimetype, response.data


def test_every_local_url_in_the_map_is_served(client: FlaskClient) -> None:
    html = vendor.demo_map().get_root().render()
    urls = vendor.local_urls(html)
    expected = {url for cls in vendor.LOCALISED for _, url in links(cls)}
    assert expected <= set(urls)
    for url in urls:
        mimetype, _ = served(client, url)
        kind = url.rsplit(".", 1)[-1]
        assert mimetype == {"js": "text/javascript", "css": "text/css"}[kind], (url, mimetype)
        cache = client.get(url).headers["Cache-Control"]
        assert "max-age=31536000" in cache and "immutable" in cache


def css_references(client: FlaskClient, css_url: str) -> set[str]:
    """Absolute local URLs that a served style sheet refers to with url(...)."""
    _, body = served(client, css_url)
    refs = set()
    for ref in CSS_URL.findall(body.decode("utf-8")):
        if ref.startswith(("data:", "#")):
            continue
        path = urlsplit(urljoin(css_url, ref)).path
        refs.add(normpath(path))
    return refs


def test_files_referenced_by_style_sheets_are_served(client: FlaskClient) -> None:
    style_sheets = {url for cls in vendor.LOCALISED for _, url in cls.default_css}
    refs = set().union(*(css_references(client, url) for url in style_sheets))
    assert refs, "no url(...) found in any style sheet"
    for ref in refs:
        assert ref.startswith(vendor.VENDOR_URL + "/"), ref
        mimetype, _ = served(client, ref)
        assert mimetype.startswith(("font/", "image/", "application/vnd.ms-fontobject")), (
            ref, mimetype)


def test_font_files_are_served(client: FlaskClient) -> None:
    fontawesome = css_references(client, vendor.ASSETS["awesome_markers_font_css"])
    solid = [ref for ref in fontawesome if ref.endswith("/webfonts/fa-solid-900.woff2")]
    assert solid, fontawesome
    assert served(client, solid[0])[0] == "font/woff2"
    glyphicons = css_references(client, vendor.ASSETS["glyphicons_css"])
    woff2 = [ref for ref in glyphicons if ref.endswith("glyphicons-halflings-regular.woff2")]
    assert woff2, glyphicons
    assert served(client, woff2[0])[0] == "font/woff2"


def test_awesome_markers_script_supports_rotation(client: FlaskClient) -> None:
    # folium.Icon(angle=...) passes extraClasses="fa-rotate-N"; the plugin must apply it.
    _, script = served(client, vendor.ASSETS["awesome_markers"])
    assert b"extraClasses" in script
    _, css = served(client, vendor.ASSETS["awesome_rotate_css"])
    assert b".fa-rotate-45{transform:rotate(45deg)}" in css


def test_heatmap_is_folium_patched_copy(client: FlaskClient) -> None:
    _, script = served(client, vendor.ASSETS["leaflet-heat.js"])
    assert script == (vendor.FOLIUM_TEMPLATES / "leaflet_heat.min.js").read_bytes()


def test_chart_library_is_served_and_reachable_from_templates(client: FlaskClient) -> None:
    with client.application.test_request_context():
        url = render_template_string("{{ vendor_url('chartjs') }}")
    assert url == vendor.ASSETS["chartjs"]
    mimetype, script = served(client, url)
    assert mimetype == "text/javascript" and b"Chart" in script


@pytest.mark.parametrize("path", [
    "/vendor/../../pyproject.toml",
    "/vendor/../pyproject.toml",
    "/vendor/%2e%2e/%2e%2e/pyproject.toml",
    "/vendor/leaflet@1.9.3/../../pyproject.toml",
    "/vendor/leaflet@1.9.3/dist/../package.json",
    "/vendor/leaflet@1.9.3/dist/%2e%2e/package.json",
    "/vendor/leaflet@1.9.3/dist/..%2fpackage.json",
    "/vendor/leaflet@1.9.3/dist/..%5cpackage.json",
    "/vendor/leaflet@1.9.3/dist//etc/passwd",
    "/vendor/local@0/../../config.py",
    "/vendor/folium@0/../__init__.py",
])
def test_path_traversal_is_refused(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", [
    "/vendor/leaflet@{leaflet}/package.json",          # package root is not public
    "/vendor/leaflet-measure@{leaflet-measure}/src/leaflet-measure.js",
    "/vendor/brfs@1/index.js",                          # a dependency's dependency
    "/vendor/.package-lock.json",
    "/vendor/leaflet/dist/leaflet.js",                  # no version
    "/vendor/leaflet@0.0.1/dist/leaflet.js",            # not the pinned version
    "/vendor/folium@{folium}/../__init__.py",
    "/vendor/folium@{folium}/pa7_hm.min.js",            # folium file not on the list
    "/vendor/leaflet@{leaflet}/dist/",
    "/vendor/leaflet@{leaflet}/dist/no-such-file.js",
])
def test_files_outside_the_allow_list_are_refused(client: FlaskClient, path: str) -> None:
    versions = {name: source.version for name, source in vendor.SOURCES.items()}
    response = client.get(path.format_map(versions))
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


def test_allowed_file_next_to_refused_ones_is_served(client: FlaskClient) -> None:
    assert client.get(vendor.ASSETS["leaflet"]).status_code == 200


def test_missing_node_modules_says_to_run_the_setup(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    gone = dataclasses.replace(vendor.SOURCES["leaflet"], root=tmp_path / "node_modules/leaflet")
    monkeypatch.setitem(vendor.SOURCES, "leaflet", gone)
    response = client.get(vendor.ASSETS["leaflet"])
    assert response.status_code == 404
    assert "set-up" in response.get_data(as_text=True)
    assert vendor.ASSETS["leaflet"] in vendor.missing_files()


def test_package_json_pins_exact_versions_matching_the_lock() -> None:
    package = json.loads((PROJECT_ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((PROJECT_ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert package["private"] is True
    assert lock["lockfileVersion"] == 3
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    assert set(package["dependencies"]) == set(vendor.NPM_PUBLIC)
    for name, version in vendor.pinned_versions().items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), (name, version)
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
        assert vendor.SOURCES[name].version == version
        assert vendor.SOURCES[name].installed_version() == version
