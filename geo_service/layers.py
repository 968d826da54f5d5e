"""Map layers declared in ``layers/*.toml``, one small file per layer, validated at start-up.

A declaration says where a layer's data comes from (an API collection), how its features look,
what their popups show, what the legend says, whether markers cluster or feed a heat map, and
from which zoom the layer is fetched. The file's name (without ``.toml``) is the layer's id.

Format
------
::

    collection = "streets"                 # an id of /api/collections
    title = { zh = "街巷", en = "Streets" }
    kind = "line"                          # polygon | line | circle | marker
    order = 30                             # drawing order (higher on top) and control order
    min_zoom = 13                          # not fetched below this zoom
    show = true                            # visible when the page opens
    max_features = 5000                    # fetched per view at most (pages of the API)
    empty_note = { zh = "…", en = "…" }    # legend note when the view holds nothing

    [style]                                # Leaflet path options, or marker options
    color = "#9e9e9e"
    weight = 3

    [[rules]]                              # applied in order, each merges the matching style
    field = "lit"
    values = { yes = { color = "#f2c200" }, no = { color = "#333333", dashArray = "6 5" } }

    [[rules]]                              # numeric classes: the last break whose min <= value
    field = "open_hazards"
    breaks = [ { min = 0, style = { fillColor = "#f7f7f7" } },
               { min = 3, style = { fillColor = "#fdae61" } } ]

    [popup]
    title = "name"                         # field shown as the popup's heading (optional)
    fields = [ { field = "street_class", label = { zh = "等级", en = "Class" },
                 format = "vocab" } ]      # text | number | integer | vocab | boolean | date |
                                           # datetime; ``labels`` names non-vocabulary values
    links = [ { label = { zh = "详情", en = "Details" }, href = "/hazards/{id}" } ]

    [[legend]]                             # swatch = the style for these property values
    when = { lit = "yes" }
    label = { zh = "有照明", en = "lit" }  # optional when ``when`` names one vocabulary value

    [label]                                # a text label per feature (grid numbers)
    field = "number"
    min_zoom = 15

    [cluster]                              # marker layers: cluster when dense
    disable_at_zoom = 18
    max_radius = 45

    [heat]                                 # marker layers: a heat-map overlay fed by the same data
    title = { zh = "热力图", en = "Heat map" }
    field = "severity"
    weights = { low = 0.3, high = 1.0 }

    [sector]                               # a geometry property drawn under each feature
    field = "sector"
    style = { color = "#6a3d9a", fillOpacity = 0.2 }

Style keys are Leaflet's own names. Colours are ``#rgb`` or ``#rrggbb``; a marker's
``markerColor`` is one of Leaflet.awesome-markers' colour names and its ``icon`` a Font Awesome
(free, solid) icon name. Every error names the file and the key.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from geo_service.config import PROJECT_ROOT

LAYERS_DIR = PROJECT_ROOT / "layers"
FONT_AWESOME_CSS = (PROJECT_ROOT / "node_modules" / "@fortawesome" / "fontawesome-free" / "css"
                    / "all.min.css")

KINDS = ("polygon", "line", "circle", "marker")
FORMATS = ("text", "number", "integer", "vocab", "boolean", "date", "datetime")
NUMERIC = ("integer", "number")

#: Leaflet.awesome-markers' marker colours and the hex colour of each sprite.
MARKER_COLORS: dict[str, str] = {
    "red": "#d63e2a", "darkred": "#a23336", "lightred": "#ff8e7f", "orange": "#f69730",
    "beige": "#ffcb92", "green": "#72b026", "darkgreen": "#728224", "lightgreen": "#bbf970",
    "blue": "#38aadd", "darkblue": "#0067a3", "lightblue": "#8adaff", "purple": "#d252b9",
    "darkpurple": "#5b396b", "pink": "#ff91ea", "cadetblue": "#436978", "white": "#fbfbfb",
    "gray": "#575757", "lightgray": "#a3a3a3", "black": "#303030",
}

FieldInfo = tuple[str, tuple[str, ...] | None]
"""A collection field as the loader sees it: (kind, allowed values or ``None``)."""

Schema = Mapping[str, Mapping[str, FieldInfo]]
"""Collection id -> public field name -> :data:`FieldInfo`."""

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_DASH = re.compile(r"\d+(?:\.\d+)?(?:[ ,]+\d+(?:\.\d+)?)*")
_ICON = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LAYER_ID = re.compile(r"[a-z][a-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class LayerError(ValueError):
    """One or more layer declarations are wrong; the message lists every problem."""


@dataclass(frozen=True)
class Text:
    """Words in both interface languages."""

    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        """The words in ``lang`` (Chinese unless ``"en"``)."""
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Rule:
    """Style by a property: per value (``values``) or per numeric class (``breaks``)."""

    field: str
    values: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    breaks: tuple[tuple[float, dict[str, Any]], ...] = ()

    def style_for(self, value: Any) -> dict[str, Any] | None:
        """The style this rule adds for a property value (``None``: nothing)."""
        if self.breaks:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            found = None
            for minimum, style in self.breaks:
                if value >= minimum:
                    found = style
            return found
        return self.values.get(value_key(value))

    def to_json(self) -> dict[str, Any]:
        """Form passed to the browser."""
        if self.breaks:
            return {"field": self.field,
                    "breaks": [{"min": m, "style": s} for m, s in self.breaks]}
        return {"field": self.field, "values": self.values}


@dataclass(frozen=True)
class PopupField:
    """One row of a popup."""

    field: str
    label: Text
    format: str = "text"
    labels: dict[str, Text] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """A link at the foot of a popup; ``{field}`` placeholders are filled per feature."""

    label: Text
    href: str


@dataclass(frozen=True)
class LegendEntry:
    """A legend line: the swatch styled as a feature with the ``when`` properties."""

    when: dict[str, Any]
    label: Text | None = None


@dataclass(frozen=True)
class Label:
    """A text label per feature from ``field``, shown from ``min_zoom``."""

    field: str
    min_zoom: int


@dataclass(frozen=True)
class Heat:
    """A heat-map overlay fed with the layer's features, weighted by ``field``."""

    title: Text
    field: str | None = None
    weights: dict[str, float] = dataclasses.field(default_factory=dict)
    default_weight: float = 0.5
    radius: int = 25
    blur: int = 15
    min_opacity: float = 0.4
    show: bool = False


@dataclass(frozen=True)
class Sector:
    """A geometry property (a camera's view) drawn under each feature."""

    field: str
    style: dict[str, Any]


@dataclass(frozen=True)
class Layer:
    """One validated declaration from ``layers/``."""

    id: str
    path: Path
    collection: str
    title: Text
    kind: str
    order: int
    min_zoom: int = 0
    show: bool = True
    max_features: int = 5000
    style: dict[str, Any] = dataclasses.field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    popup_title: str | None = None
    popup: tuple[PopupField, ...] = ()
    links: tuple[Link, ...] = ()
    legend: tuple[LegendEntry, ...] = ()
    label: Label | None = None
    cluster: dict[str, Any] | None = None
    heat: Heat | None = None
    sector: Sector | None = None
    empty_note: Text | None = None

    def resolve_style(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """Style of a feature with these properties (base style, then each matching rule).

        A rule's style may hold a ``sector`` table, merged into the sector's style.
        """
        style = dict(self.style)
        sector = dict(self.sector.style) if self.sector else None
        for rule in self.rules:
            extra = rule.style_for(properties.get(rule.field))
            if extra:
                style.update({k: v for k, v in extra.items() if k != "sector"})
                if sector is not None and "sector" in extra:
                    sector.update(extra["sector"])
        if sector is not None:
            style["sector"] = sector
        return style


def value_key(value: Any) -> str:
    """Key a property value is looked up by in ``values`` tables (``true``, ``3``, ``alley``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- validation ---------------------------------------------------------------------------------
class _Checker:
    """Collects problems of one file, each with its key path."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[str] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{self.name}: {key}: {message}")

    def table(self, value: Any, key: str, allowed: set[str] | None = None,
              required: tuple[str, ...] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(key, f"must be a table, not {_shown(value)}")
            return {}
        for name in required:
            if name not in value:
                self.fail(f"{key}.{name}" if key else name, "is required")
        if allowed is not None:
            for name in value:
                if name not in allowed:
                    where = f"{key}.{name}" if key else name
                    self.fail(where, f"unknown key (expected one of {', '.join(sorted(allowed))})")
        return value

    def text(self, value: Any, key: str) -> Text | None:
        table = self.table(value, key, {"zh", "en"}, ("zh", "en"))
        zh, en = table.get("zh"), table.get("en")
        for lang, words in (("zh", zh), ("en", en)):
            if lang in table and (not isinstance(words, str) or not words.strip()):
                self.fail(f"{key}.{lang}", "must be a non-empty string")
        if isinstance(zh, str) and isinstance(en, str) and zh.strip() and en.strip():
            return Text(zh, en)
        return None

    def integer(self, value: Any, key: str, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(key, f"must be a whole number from {low} to {high}, not {_shown(value)}")
            return None
        return value

    def number(self, value: Any, key: str, low: float, high: float | None = None) -> float | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= low and (
            high is None or value <= high)
        if not ok:
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            self.fail(key, f"must be a number {bounds}, not {_shown(value)}")
            return None
        return float(value)

    def boolean(self, value: Any, key: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, not {_shown(value)}")
            return None
        return value


def _shown(value: Any) -> str:
    """A value as an error message shows it."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _colour(check: _Checker, value: Any, key: str) -> None:
    if not isinstance(value, str) or not _COLOUR.fullmatch(value):
        check.fail(key, f"{_shown(value)} is not a colour (write #rgb or #rrggbb)")


def _icon_colour(check: _Checker, value: Any, key: str) -> None:
    if value not in ("white", "black"):
        _colour(check, value, key)


def _marker_colour(check: _Checker, value: Any, key: str) -> None:
    if value not in MARKER_COLORS:
        check.fail(key, f"{_shown(value)} is not a marker colour (one of "
                        f"{', '.join(MARKER_COLORS)})")


def _icon(check: _Checker, value: Any, key: str) -> None:
    if not isinstance(value, str) or not _ICON.fullmatch(value):
        check.fail(key, f"{_shown(value)} is not an icon name (like 'fire' or 'lightbulb')")
        return
    known = font_awesome_icons()
    if known and value not in known:
        check.fail(key, f"{value!r} is not a Font Awesome icon")


def _dash(check: _Checker, value: Any, key: str) -> None:
    if not isinstance(value, str) or not _DASH.fullmatch(value.strip()):
        check.fail(key, f"{_shown(value)} is not a dash pattern (like '6 4')")


def _choice(*allowed: str) -> Callable[[_Checker, Any, str], None]:
    def check_choice(check: _Checker, value: Any, key: str) -> None:
        if value not in allowed:
            check.fail(key, f"{_shown(value)} is not one of {', '.join(allowed)}")
    return check_choice


def _fraction(check: _Checker, value: Any, key: str) -> None:
    check.number(value, key, 0.0, 1.0)


def _width(check: _Checker, value: Any, key: str) -> None:
    check.number(value, key, 0.0, 50.0)


def _radius(check: _Checker, value: Any, key: str) -> None:
    check.number(value, key, 0.5, 50.0)


def _flag(check: _Checker, value: Any, key: str) -> None:
    check.boolean(value, key)


PATH_STYLE: dict[str, Callable[[_Checker, Any, str], None]] = {
    "color": _colour, "weight": _width, "opacity": _fraction, "fillColor": _colour,
    "fillOpacity": _fraction, "dashArray": _dash, "fill": _flag, "stroke": _flag,
    "lineCap": _choice("butt", "round", "square"), "lineJoin": _choice("miter", "round", "bevel"),
}
CIRCLE_STYLE = {**PATH_STYLE, "radius": _radius}
MARKER_STYLE: dict[str, Callable[[_Checker, Any, str], None]] = {
    "icon": _icon, "markerColor": _marker_colour, "iconColor": _icon_colour,
    "opacity": _fraction, "halo": _colour,
}
STYLE_KEYS = {"polygon": PATH_STYLE, "line": PATH_STYLE, "circle": CIRCLE_STYLE,
              "marker": MARKER_STYLE}

TOP_KEYS = {"collection", "title", "kind", "order", "min_zoom", "show", "max_features", "style",
            "rules", "popup", "legend", "label", "cluster", "heat", "sector", "empty_note"}


@cache
def font_awesome_icons(css: Path = FONT_AWESOME_CSS) -> frozenset[str]:
    """Icon names defined by the served Font Awesome style sheet (empty when not installed)."""
    try:
        text = css.read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(re.findall(r"\.fa-([a-z0-9-]+)(?=[,{:])", text))


def _style(check: _Checker, value: Any, key: str, kind: str, *,
           sector: bool = False) -> dict[str, Any]:
    """A validated style table for a layer kind (``sector`` allows a nested sector style)."""
    keys = dict(STYLE_KEYS[kind])
    table = check.table(value, key, set(keys) | ({"sector"} if sector else set()))
    for name, item in table.items():
        if name == "sector":
            _style(check, item, f"{key}.sector", "polygon")
        elif name in keys:
            keys[name](check, item, f"{key}.{name}")
    return dict(table)


def _field(check: _Checker, fields: Mapping[str, FieldInfo], name: Any, key: str,
           collection: str) -> FieldInfo | None:
    if not isinstance(name, str) or name not in fields:
        check.fail(key, f"{_shown(name)} is not a field of collection {collection!r} "
                        f"(one of {', '.join(sorted(fields))})")
        return None
    return fields[name]


def _check_value(check: _Checker, info: FieldInfo | None, value: str, key: str,
                 where: str) -> None:
    """A ``values`` key must be one of a vocabulary field's values."""
    if info is None:
        return
    kind, allowed = info
    if kind == "boolean" and value not in ("true", "false"):
        check.fail(key, f"{value!r} is not a value of {where} (true, false)")
    elif allowed is not None and value not in allowed:
        check.fail(key, f"{value!r} is not a value of {where} ({', '.join(allowed)})")


def _rules(check: _Checker, raw: Any, kind: str, fields: Mapping[str, FieldInfo],
           collection: str, sector: bool) -> tuple[Rule, ...]:
    if not isinstance(raw, list):
        check.fail("rules", "must be an array of tables ([[rules]])")
        return ()
    rules = []
    for i, item in enumerate(raw):
        key = f"rules[{i}]"
        table = check.table(item, key, {"field", "values", "breaks"}, ("field",))
        info = _field(check, fields, table.get("field"), f"{key}.field", collection)
        where = f"{collection}.{table.get('field')}"
        if ("values" in table) == ("breaks" in table):
            check.fail(key, "needs exactly one of 'values' or 'breaks'")
            continue
        if "values" in table:
            values = check.table(table["values"], f"{key}.values")
            styles = {}
            for value, style in values.items():
                _check_value(check, info, value, f"{key}.values.{value}", where)
                styles[value] = _style(check, style, f"{key}.values.{value}", kind, sector=sector)
            rules.append(Rule(str(table.get("field")), values=styles))
            continue
        if info is not None and info[0] not in NUMERIC:
            check.fail(f"{key}.breaks", f"{where} is not numeric")
        breaks = table["breaks"]
        if not isinstance(breaks, list) or not breaks:
            check.fail(f"{key}.breaks", "must be a non-empty array of { min, style }")
            continue
        parsed: list[tuple[float, dict[str, Any]]] = []
        for j, step in enumerate(breaks):
            skey = f"{key}.breaks[{j}]"
            entry = check.table(step, skey, {"min", "style"}, ("min", "style"))
            minimum = check.number(entry.get("min"), f"{skey}.min", float("-inf"))
            style = _style(check, entry.get("style", {}), f"{skey}.style", kind, sector=sector)
            if minimum is not None:
                if parsed and minimum <= parsed[-1][0]:
                    check.fail(f"{skey}.min", "breaks must rise")
                parsed.append((minimum, style))
        rules.append(Rule(str(table.get("field")), breaks=tuple(parsed)))
    return tuple(rules)


def _popup(check: _Checker, raw: Any, fields: Mapping[str, FieldInfo], collection: str
           ) -> tuple[str | None, tuple[PopupField, ...], tuple[Link, ...]]:
    table = check.table(raw, "popup", {"title", "fields", "links"})
    title = table.get("title")
    if title is not None:
        _field(check, fields, title, "popup.title", collection)
    rows = []
    items = table.get("fields", [])
    if not isinstance(items, list):
        check.fail("popup.fields", "must be an array")
        items = []
    for i, item in enumerate(items):
        key = f"popup.fields[{i}]"
        entry = check.table(item, key, {"field", "label", "format", "labels"}, ("field", "label"))
        info = _field(check, fields, entry.get("field"), f"{key}.field", collection)
        label = check.text(entry.get("label", {}), f"{key}.label")
        fmt = entry.get("format", "text")
        if fmt not in FORMATS:
            check.fail(f"{key}.format", f"{_shown(fmt)} is not one of {', '.join(FORMATS)}")
        labels = {}
        for value, words in check.table(entry.get("labels", {}), f"{key}.labels").items():
            _check_value(check, info, value, f"{key}.labels.{value}",
                         f"{collection}.{entry.get('field')}")
            text = check.text(words, f"{key}.labels.{value}")
            if text:
                labels[value] = text
        if label and info is not None and fmt in FORMATS:
            rows.append(PopupField(entry["field"], label, fmt, labels))
    links = []
    items = table.get("links", [])
    if not isinstance(items, list):
        check.fail("popup.links", "must be an array")
        items = []
    for i, item in enumerate(items):
        key = f"popup.links[{i}]"
        entry = check.table(item, key, {"label", "href"}, ("label", "href"))
        label = check.text(entry.get("label", {}), f"{key}.label")
        href = entry.get("href")
        if not isinstance(href, str) or not href.startswith("/") or href.startswith("//"):
            check.fail(f"{key}.href", f"{_shown(href)} must be a path on this site ('/...')")
            continue
        for name in _PLACEHOLDER.findall(href):
            if name != "id":
                _field(check, fields, name, f"{key}.href", collection)
        if label:
            links.append(Link(label, href))
    return (title if isinstance(title, str) else None), tuple(rows), tuple(links)


def _legend(check: _Checker, raw: Any, fields: Mapping[str, FieldInfo],
            collection: str) -> tuple[LegendEntry, ...]:
    if not isinstance(raw, list):
        check.fail("legend", "must be an array of tables ([[legend]])")
        return ()
    entries = []
    for i, item in enumerate(raw):
        key = f"legend[{i}]"
        table = check.table(item, key, {"when", "label"})
        when = check.table(table.get("when", {}), f"{key}.when")
        for name, value in when.items():
            info = _field(check, fields, name, f"{key}.when.{name}", collection)
            if info is not None and info[1] is not None:
                _check_value(check, info, value_key(value), f"{key}.when.{name}",
                             f"{collection}.{name}")
        label = check.text(table["label"], f"{key}.label") if "label" in table else None
        vocab_only = len(when) == 1 and all(
            fields.get(n, ("", None))[1] is not None for n in when)
        if label is None and "label" not in table and not vocab_only:
            check.fail(f"{key}.label", "is required unless 'when' names one vocabulary value")
        entries.append(LegendEntry(dict(when), label))
    return tuple(entries)


def _parse(path: Path, schema: Schema) -> tuple[Layer | None, list[str]]:
    """Parse and check one file."""
    check = _Checker(path.name)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        check.fail("(file)", f"cannot be read as TOML: {error}")
        return None, check.problems
    layer_id = path.stem
    if not _LAYER_ID.fullmatch(layer_id):
        check.fail("(file name)", "must be lower-case letters, digits and '_'")
    check.table(raw, "", TOP_KEYS, ("collection", "title", "kind", "order"))
    collection = raw.get("collection")
    if collection is not None and collection not in schema:
        check.fail("collection", f"unknown collection {_shown(collection)} "
                                 f"(one of {', '.join(sorted(schema))})")
    fields: Mapping[str, FieldInfo] = schema.get(collection, {}) if isinstance(
        collection, str) else {}
    known = bool(fields) or collection in schema
    kind = raw.get("kind")
    if "kind" in raw and kind not in KINDS:
        check.fail("kind", f"{_shown(kind)} is not one of {', '.join(KINDS)}")
        kind = None
    title = check.text(raw.get("title", {}), "title") if "title" in raw else None
    order = check.integer(raw.get("order"), "order", 0, 1000) if "order" in raw else None
    min_zoom = check.integer(raw.get("min_zoom", 0), "min_zoom", 0, 22)
    show = check.boolean(raw.get("show", True), "show")
    max_features = check.integer(raw.get("max_features", 5000), "max_features", 1, 100_000)
    if kind is None or not known:
        return None, check.problems
    sector = None
    if "sector" in raw:
        table = check.table(raw["sector"], "sector", {"field", "style"}, ("field",))
        info = _field(check, fields, table.get("field"), "sector.field", collection)
        if info is not None and info[0] != "geometry":
            check.fail("sector.field", f"{collection}.{table.get('field')} is not a geometry")
        sector = Sector(str(table.get("field")),
                        _style(check, table.get("style", {}), "sector.style", "polygon"))
    style = _style(check, raw.get("style", {}), "style", kind)
    rules = _rules(check, raw.get("rules", []), kind, fields, collection, sector is not None)
    popup_title, popup, links = _popup(check, raw.get("popup", {}), fields, collection)
    legend = _legend(check, raw.get("legend", []), fields, collection)
    label = None
    if "label" in raw:
        table = check.table(raw["label"], "label", {"field", "min_zoom"}, ("field",))
        _field(check, fields, table.get("field"), "label.field", collection)
        zoom = check.integer(table.get("min_zoom", 0), "label.min_zoom", 0, 22)
        label = Label(str(table.get("field")), zoom or 0)
    cluster = None
    if "cluster" in raw:
        if kind != "marker":
            check.fail("cluster", "only marker layers cluster")
        table = check.table(raw["cluster"], "cluster", {"disable_at_zoom", "max_radius"})
        cluster = {}
        if "disable_at_zoom" in table:
            cluster["disableClusteringAtZoom"] = check.integer(
                table["disable_at_zoom"], "cluster.disable_at_zoom", 1, 22)
        if "max_radius" in table:
            cluster["maxClusterRadius"] = check.integer(table["max_radius"],
                                                        "cluster.max_radius", 1, 200)
    heat = None
    if "heat" in raw:
        table = check.table(raw["heat"], "heat", {"title", "field", "weights", "default_weight",
                                                  "radius", "blur", "min_opacity", "show"},
                            ("title",))
        heat_title = check.text(table.get("title", {}), "heat.title")
        weight_field = table.get("field")
        info = None
        if weight_field is not None:
            info = _field(check, fields, weight_field, "heat.field", collection)
        weights = {}
        for value, weight in check.table(table.get("weights", {}), "heat.weights").items():
            _check_value(check, info, value, f"heat.weights.{value}",
                         f"{collection}.{weight_field}")
            number = check.number(weight, f"heat.weights.{value}", 0.0, 1.0)
            if number is not None:
                weights[value] = number
        default_weight = check.number(table.get("default_weight", 0.5), "heat.default_weight",
                                      0.0, 1.0)
        radius = check.integer(table.get("radius", 25), "heat.radius", 1, 200)
        blur = check.integer(table.get("blur", 15), "heat.blur", 0, 200)
        min_opacity = check.number(table.get("min_opacity", 0.4), "heat.min_opacity", 0.0, 1.0)
        heat_show = check.boolean(table.get("show", False), "heat.show")
        if heat_title:
            heat = Heat(heat_title, weight_field, weights, default_weight or 0.5, radius or 25,
                        blur if blur is not None else 15,
                        min_opacity if min_opacity is not None else 0.4, bool(heat_show))
    empty_note = check.text(raw["empty_note"], "empty_note") if "empty_note" in raw else None
    if check.problems or title is None or order is None:
        return None, check.problems
    return Layer(
        id=layer_id, path=path, collection=str(collection), title=title, kind=kind,
        order=order, min_zoom=min_zoom or 0, show=bool(show),
        max_features=max_features or 5000, style=style, rules=rules, popup_title=popup_title,
        popup=popup, links=links, legend=legend, label=label, cluster=cluster, heat=heat,
        sector=sector, empty_note=empty_note,
    ), []


def load_layers(folder: Path, schema: Schema) -> list[Layer]:
    """Every ``*.toml`` declaration in ``folder``, validated, in drawing order.

    Parameters
    ----------
    folder:
        Folder of declarations (``layers/``).
    schema:
        The collections a layer may show and their public fields.

    Raises
    ------
    LayerError
        Listing every problem of every file, each as ``file: key: problem``.
    """
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise LayerError(f"{folder}: no layer declarations (*.toml)")
    layers, problems = [], []
    for path in paths:
        layer, found = _parse(path, schema)
        problems.extend(found)
        if layer is not None:
            layers.append(layer)
    if problems:
        raise LayerError("invalid layer declarations:\n  " + "\n  ".join(problems))
    return sorted(layers, key=lambda layer: (layer.order, layer.id))
