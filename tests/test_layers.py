"""Layer declarations (layers/*.toml): the shipped ones load; wrong ones name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from geo_service import layers as layer_files
from geo_service.config import Settings
from geo_service.features.catalog import COLLECTIONS, schema
from geo_service.layers import LayerError, load_layers

MINIMAL = """
collection = "streets"
title = { zh = "街巷", en = "Streets" }
kind = "line"
order = 30

[style]
color = "#9e9e9e"
weight = 3

[[rules]]
field = "lit"
values = { yes = { color = "#f2b600" }, no = { color = "#333333", dashArray = "6 5" } }

[popup]
title = "name"
fields = [ { field = "street_class", label = { zh = "等级", en = "Class" }, format = "vocab" } ]

[[legend]]
when = { lit = "yes" }
"""


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def problems(folder: Path) -> str:
    """The error message of loading ``folder`` (failing the test when it loads)."""
    with pytest.raises(LayerError) as caught:
        load_layers(folder, schema())
    return str(caught.value)


def test_shipped_declarations_cover_every_collection() -> None:
    layers = load_layers(layer_files.LAYERS_DIR, schema())
    assert {layer.id for layer in layers} == set(COLLECTIONS)
    assert [layer.order for layer in layers] == sorted(layer.order for layer in layers)
    for layer in layers:
        assert layer.collection in COLLECTIONS
        assert layer.legend, f"{layer.id} has no legend"
        assert layer.title.zh and layer.title.en
    by_id = {layer.id: layer for layer in layers}
    assert by_id["hazards"].cluster and by_id["hazards"].heat
    assert by_id["cameras"].sector is not None
    assert by_id["grids"].label is not None and by_id["grids"].label.field == "number"
    assert by_id["hazards"].links[0].href == "/hazards/{id}"


def test_styles_compose_rule_by_rule() -> None:
    layers = {layer.id: layer for layer in load_layers(layer_files.LAYERS_DIR, schema())}
    streets = layers["streets"]
    lit, unlit = streets.resolve_style({"lit": "yes"}), streets.resolve_style({"lit": "no"})
    unknown = streets.resolve_style({"lit": "unknown"})
    assert len({lit["color"], unlit["color"], unknown["color"]}) == 3
    assert unlit.get("dashArray") and not lit.get("dashArray")
    main = streets.resolve_style({"street_class": "main", "lit": "yes"})
    alley = streets.resolve_style({"street_class": "alley", "lit": "yes"})
    steps = streets.resolve_style({"street_class": "steps", "lit": "no"})
    assert main["weight"] > alley["weight"] >= 2.5
    assert steps["color"] == unlit["color"] and steps["dashArray"] != unlit["dashArray"]
    buildings = layers["buildings"]
    assert buildings.resolve_style({"has_leader": False}) != buildings.resolve_style(
        {"has_leader": True})
    grids = layers["grids"]
    shades = [grids.resolve_style({"open_hazards": n})["fillColor"] for n in (0, 1, 2, 3, 5, 9)]
    assert shades[1] == shades[2] and len(set(shades)) == 4
    hazards = layers["hazards"]
    fire = hazards.resolve_style({"category": "fire_risk", "severity": "urgent", "overdue": True})
    assert (fire["icon"], fire["markerColor"], fire["halo"]) == ("fire", "darkred", "#ff1744")
    cameras = layers["cameras"]
    assert cameras.resolve_style({"status": "broken"})["sector"]["dashArray"]


def test_minimal_declaration_loads(tmp_path: Path) -> None:
    write(tmp_path, "streets.toml", MINIMAL)
    (layer,) = load_layers(tmp_path, schema())
    assert (layer.id, layer.kind, layer.min_zoom, layer.show) == ("streets", "line", 0, True)


@pytest.mark.parametrize(("change", "expected"), [
    (('collection = "streets"', 'collection = "roads"'),
     "streets.toml: collection: unknown collection 'roads'"),
    (('color = "#9e9e9e"', 'color = "reddish"'),
     "streets.toml: style.color: 'reddish' is not a colour"),
    (('color = "#9e9e9e"', 'color = "#12345"'), "streets.toml: style.color"),
    (('color = "#9e9e9e"', 'colour = "#9e9e9e"'), "streets.toml: style.colour: unknown key"),
    (('weight = 3', 'weight = "thick"'), "streets.toml: style.weight: must be a number"),
    (('field = "street_class"', 'field = "leader_name"'),
     "streets.toml: popup.fields[0].field: 'leader_name' is not a field of collection"),
    (('title = "name"', 'title = "nom"'), "streets.toml: popup.title: 'nom' is not a field"),
    (('field = "lit"', 'field = "lamp"'), "streets.toml: rules[0].field: 'lamp' is not a field"),
    (('no = { color', 'unlit = { color'),
     "streets.toml: rules[0].values.unlit: 'unlit' is not a value of streets.lit"),
    (('dashArray = "6 5"', 'dashArray = "dashed"'), "rules[0].values.no.dashArray"),
    (('format = "vocab"', 'format = "fancy"'), "streets.toml: popup.fields[0].format"),
    (('when = { lit = "yes" }', 'when = { lamp = "yes" }'), "streets.toml: legend[0].when.lamp"),
    (('kind = "line"', 'kind = "ribbon"'), "streets.toml: kind: 'ribbon' is not one of"),
    (('kind = "line"\n', ''), "streets.toml: kind: is required"),
    (('order = 30', 'order = 30\nmin_zoom = 40'), "streets.toml: min_zoom: must be a whole"),
    (('order = 30', 'order = 30\nopacity = 0.5'), "streets.toml: opacity: unknown key"),
    (('[style]', '[style\n'), "streets.toml: (file): cannot be read as TOML"),
    (('title = { zh = "街巷", en = "Streets" }', 'title = { zh = "街巷" }'),
     "streets.toml: title.en: is required"),
])
def test_errors_name_file_and_key(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in MINIMAL
    write(tmp_path, "streets.toml", MINIMAL.replace(old, new, 1))
    assert expected in problems(tmp_path)


def test_marker_layer_checks_colour_names_and_icons(tmp_path: Path) -> None:
    write(tmp_path, "hazards.toml", """
collection = "hazards"
title = { zh = "隐患", en = "Hazards" }
kind = "marker"
order = 70
[style]
icon = "no-such-icon-anywhere"
markerColor = "mauve"
iconColor = "#fff"
[[rules]]
field = "severity"
values = { dire = { markerColor = "red" } }
[[rules]]
field = "category"
breaks = [ { min = 0, style = { icon = "fire" } } ]
[cluster]
disable_at_zoom = 18
[heat]
title = { zh = "热力", en = "Heat" }
field = "severity"
weights = { high = 2.0 }
[popup]
links = [ { label = { zh = "详情", en = "Details" }, href = "javascript:alert(1)" } ]
""")
    message = problems(tmp_path)
    if layer_files.font_awesome_icons():
        assert "hazards.toml: style.icon: 'no-such-icon-anywhere' is not a Font Awesome icon" in (
            message)
    assert "hazards.toml: style.markerColor: 'mauve' is not a marker colour" in message
    assert "hazards.toml: rules[0].values.dire: 'dire' is not a value of hazards.severity" in (
        message)
    assert "hazards.toml: rules[1].breaks: hazards.category is not numeric" in message
    assert "hazards.toml: heat.weights.high: must be a number from 0.0 to 1.0" in message
    assert "hazards.toml: popup.links[0].href: 'javascript:alert(1)' must be a path" in message


def test_every_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "streets.toml", MINIMAL.replace('"#9e9e9e"', '"grey-ish"'))
    write(tmp_path, "other.toml", MINIMAL.replace('"streets"', '"nowhere"', 1))
    message = problems(tmp_path)
    assert "streets.toml: style.color" in message
    assert "other.toml: collection" in message


def test_cluster_only_on_marker_layers_and_sector_must_be_geometry(tmp_path: Path) -> None:
    write(tmp_path, "streets.toml", MINIMAL + '\n[cluster]\nmax_radius = 40\n'
          '[sector]\nfield = "name"\n')
    message = problems(tmp_path)
    assert "streets.toml: cluster: only marker layers cluster" in message
    assert "streets.toml: sector.field: streets.name is not a geometry" in message


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    assert "no layer declarations" in problems(tmp_path)


def test_app_refuses_to_start_with_a_wrong_declaration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo_service.web.app import create_app

    write(tmp_path, "streets.toml", MINIMAL.replace('"#9e9e9e"', '"blue-ish"'))
    monkeypatch.setattr(layer_files, "LAYERS_DIR", tmp_path)
    nowhere = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/nothing")
    with pytest.raises(LayerError, match=r"streets\.toml: style\.color"):
        create_app(Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:9/nothing"),
                   engine=nowhere)
