"""The Open311 parts of the OpenAPI document that hold for every GeoReport v2 operation.

:func:`with_xml_and_api_key` runs over the whole document (from
:func:`geo_service.web.openapi.common_responses`): each ``/open311/v2/`` operation takes
``fmt`` as ``json`` or ``xml`` and an optional ``api_key``, and each of its answers is
described as ``text/xml`` (the spec's element names, :mod:`geo_service.web.open311_xml`) next
to ``application/json``.
"""

from __future__ import annotations

from typing import Any

PREFIX = "/open311/v2/"
FORMATS = ["json", "xml"]
XML_CONTENT = {"schema": {"type": "string",
                          "description": "The same fields as the JSON, as GeoReport v2 XML "
                                         "(services/service, service_definition, "
                                         "service_requests/request, errors/error)."}}
API_KEY = {"name": "api_key", "in": "query", "required": False,
           "schema": {"type": "string"},
           "description": "An API token, the same as Authorization: Bearer (a form field on "
                          "POST works too); a wrong one answers 401."}
SCHEMAS: dict[str, Any] = {
    "Open311ServiceDefinition": {
        "type": "object", "required": ["service_code", "attributes"], "properties": {
            "service_code": {"type": "string"},
            "attributes": {"type": "array", "items": {"type": "object", "properties": {
                "variable": {"type": "boolean"}, "code": {"type": "string"},
                "datatype": {"type": "string"}, "required": {"type": "boolean"},
                "datatype_description": {"type": "string"}, "order": {"type": "integer"},
                "description": {"type": "string"},
                "values": {"type": "array", "items": {"type": "object", "properties": {
                    "key": {"type": "string"}, "name": {"type": "string"}}}}}}}}},
}


def with_xml_and_api_key(paths: dict[str, Any]) -> dict[str, Any]:
    """Add the XML answers, the ``xml`` format and ``api_key`` to every GeoReport v2
    operation in ``paths`` (changed in place, returned)."""
    for path, item in paths.items():
        if not path.startswith(PREFIX):
            continue
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.setdefault("parameters", [])
            for parameter in parameters:
                if parameter.get("name") == "fmt":
                    parameter["schema"] = {"type": "string", "enum": list(FORMATS)}
                    parameter["description"] = "Answer format: json or xml."
            if not any(p.get("name") == "api_key" for p in parameters):
                parameters.append(dict(API_KEY))
            for response in operation["responses"].values():
                content = response.setdefault("content", {})
                content.setdefault("text/xml", dict(XML_CONTENT))
    return paths
