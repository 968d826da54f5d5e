"""What a layer's tile carries: the public fields its declaration names, as tile attributes.

A tile holds only what the map needs to style a feature, label it, pop it up and link it: the
fields named by the layer's rules, popup, links, label, heat and legend. Every one of them is a
public field of the layer's collection (:mod:`geo_service.features.catalog`, checked against
:data:`geo_service.auth.privacy.PERSONAL_FIELDS` there and by the layer loader); geometry and
point fields are not tile attributes (a vector tile has one geometry per feature), except the
point a label is drawn at (``label_point`` of grids), carried as two numbers
``label_point_lon`` / ``label_point_lat``.
"""

from __future__ import annotations

import re

from geo_service.auth.privacy import PERSONAL_FIELDS
from geo_service.features.catalog import Collection, Field
from geo_service.layers import Layer

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
SCALAR_KINDS = ("string", "integer", "number", "boolean", "date", "datetime")
LABEL_POINT = "label_point"


def used_fields(layer: Layer) -> set[str]:
    """Every property name the layer's declaration reads."""
    names = {rule.field for rule in layer.rules}
    names.update(field.field for field in layer.popup)
    if layer.popup_title:
        names.add(layer.popup_title)
    for link in layer.links:
        names.update(_PLACEHOLDER.findall(link.href))
    if layer.label:
        names.update((layer.label.field, LABEL_POINT))
    if layer.heat and layer.heat.field:
        names.add(layer.heat.field)
    for entry in layer.legend:
        names.update(entry.when)
    names.discard("id")  # the feature id, not an attribute
    return names


def tile_fields(layer: Layer, coll: Collection) -> dict[str, Field]:
    """The layer's tile attributes in declaration order: used, public and scalar (a label
    point as its two coordinates)."""
    wanted = used_fields(layer)
    out: dict[str, Field] = {}
    for name, spec in coll.fields.items():
        if name not in wanted or name in PERSONAL_FIELDS:
            continue
        if spec.kind in SCALAR_KINDS:
            out[name] = spec
        elif spec.kind == "point" and name == LABEL_POINT and spec.sql:
            for axis, index in (("lon", 0), ("lat", 1)):
                out[f"{name}_{axis}"] = Field(
                    f"(({spec.sql})::json -> 'coordinates' ->> {index})::float8", "number")
    return out


def attribute_sql(spec: Field) -> str:
    """A field's SQL as a tile attribute: numbers as float8, dates as ISO 8601 text."""
    if spec.kind == "number":
        return f"({spec.sql})::float8"
    if spec.kind == "integer":
        return f"({spec.sql})::bigint"
    if spec.kind in ("date", "datetime"):
        return f"to_json({spec.sql}) #>> '{{}}'"
    if spec.kind == "boolean":
        return f"({spec.sql})::boolean"
    return f"({spec.sql})::text"
