"""Building blocks of the OpenAPI description, shared by every module that describes paths."""

from __future__ import annotations

from typing import Any

FORMAT_PARAM = {"name": "fmt", "in": "path", "required": True,
                "schema": {"type": "string", "enum": ["json"]},
                "description": "Response format; only json is offered."}


def ref(name: str) -> dict[str, str]:
    """A reference to a shared schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """A JSON response."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def api_error(description: str) -> dict[str, Any]:
    """An error response of the hazard API."""
    return json_body({"type": "object", "properties": {"error": ref("Error")},
                      "required": ["error"]}, description)


def open311_error(description: str) -> dict[str, Any]:
    """An Open311 error response."""
    return json_body({"type": "array", "items": ref("Open311Error")}, description)


def query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """A query parameter."""
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def collections_error(description: str) -> dict[str, Any]:
    """An error of the feature collections (OGC API style ``{"code", "description"}``)."""
    return json_body({"type": "object", "required": ["code", "description"],
                      "properties": {"code": {"type": "string"},
                                     "description": {"type": "string"}}}, description)
