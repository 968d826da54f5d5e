"""Open311 GeoReport v2's XML encoding of the same payloads the JSON endpoints answer.

The element names are the spec's: ``services/service``, ``service_definition`` with
``attributes/attribute`` (and ``values/value``), ``service_requests/request`` (for the list,
one request and the POST answer alike) and ``errors/error``. A dict becomes child elements in
its key order, a list repeats the singular of its own name, ``None`` is an empty element and a
boolean is ``true``/``false``. Built with :mod:`xml.etree.ElementTree`, so text is escaped;
characters XML 1.0 cannot carry are replaced (:func:`text_of`).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from flask import Response

XML_MIMETYPE = "text/xml"
# A list inside an element repeats the singular of the element's name.
SINGULAR = {"attributes": "attribute", "values": "value", "endpoints": "endpoint",
            "formats": "format", "services": "service", "service_requests": "request",
            "errors": "error"}


# Characters XML 1.0 cannot carry (C0 controls but tab, newline, return; U+FFFE, U+FFFF).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text_of(value: Any) -> str:
    """A scalar as XML text (booleans as the spec writes them; a character XML cannot carry,
    such as a control character in a resident's description, becomes U+FFFD)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else NOT_XML.sub("\ufffd", str(value))


def fill(element: ET.Element, value: Any) -> None:
    """Put ``value`` into ``element``: children for a dict or list, text otherwise."""
    if isinstance(value, dict):
        for key, child in value.items():
            fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        name = SINGULAR.get(element.tag, "item")
        for child in value:
            fill(ET.SubElement(element, name), child)
    else:
        element.text = text_of(value)


def encode(root: str, payload: Any) -> bytes:
    """``payload`` under a ``root`` element, as a UTF-8 document with its declaration."""
    element = ET.Element(root)
    fill(element, payload)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def as_xml(root: str, payload: Any, status: int = 200) -> Response:
    """An XML answer."""
    response = Response(encode(root, payload), status=status, mimetype=XML_MIMETYPE)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def wants_xml(path: str) -> bool:
    """Whether an Open311 path asks for XML (``.xml``); everything else answers JSON."""
    return path.endswith(".xml")


def as_json(payload: Any, status: int = 200) -> Response:
    """UTF-8 JSON, user text verbatim."""
    body = json.dumps(payload, ensure_ascii=False)
    response = Response(body, status=status, mimetype="application/json")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def error_list(status: int, description: str, path: str) -> Response:
    """Open311's error list, ``errors/error`` in XML for a ``.xml`` path, JSON otherwise
    (geo_service.web.errors answers every error under /open311/ with this)."""
    payload = [{"code": status, "description": description}]
    return as_xml("errors", payload, status) if wants_xml(path) else as_json(payload, status)
