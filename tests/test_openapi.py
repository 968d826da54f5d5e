"""``/api/openapi.json``: a well-formed OpenAPI 3.1 document covering the JSON endpoints."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from geo_service.web import openapi

METHODS = set(openapi.METHODS)


def refs(node: object) -> Iterator[str]:
    """Every ``$ref`` in a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: dict, pointer: str) -> object:
    assert pointer.startswith("#/"), pointer
    node: object = document
    for part in pointer[2:].split("/"):
        assert isinstance(node, dict) and part in node, pointer
        node = node[part]
    return node


def as_template(rule: str) -> str:
    """A Flask rule as an OpenAPI path (``<hazard_id>`` -> ``{hazard_id}``)."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_document_is_valid_json_with_the_paths(client) -> None:  # noqa: ANN001
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    document = json.loads(answer.data)
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] and document["info"]["version"]
    paths = document["paths"]
    for path in ("/api/hazards", "/api/hazards/{hazard_id}", "/api/hazards/{hazard_id}/events",
                 "/api/hazards/{hazard_id}/photo", "/open311/v2/services.{fmt}",
                 "/open311/v2/requests.{fmt}",
                 "/open311/v2/requests/{service_request_id}.{fmt}", "/api/openapi.json"):
        assert path in paths, path
    assert {"get", "post"} <= set(paths["/api/hazards"])
    for path, item in paths.items():
        assert path.startswith("/")
        operations = {m: op for m, op in item.items() if m in METHODS}
        assert operations, path
        for method, operation in operations.items():
            assert operation["responses"], (path, method)
            assert all(re.fullmatch(r"[1-5]\d\d|default", code)
                       for code in operation["responses"]), (path, method)
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{([^}]+)}", path)), (path, method)
    for pointer in set(refs(document)):
        resolve(document, pointer)


def shape(path: str) -> str:
    """A path with its parameter names blanked (``{cid}`` and ``{collectionId}`` are one)."""
    return re.sub(r"{[^}]+}", "{}", path)


def test_every_json_endpoint_of_the_app_is_described(app) -> None:  # noqa: ANN001
    described = {shape(path): item for path, item in openapi.document()["paths"].items()}
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/open311/")):
            continue
        path = shape(as_template(rule.rule))
        assert path in described, f"{rule.rule} ({rule.endpoint}) is not in /api/openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in described[path], (rule.rule, method)
            checked += 1
    # the planning, patrol-route, track and Open311 discovery endpoints are among them
    for path in ("/api/plan/lights", "/api/routes/{}.gpx", "/api/patrol/tracks",
                 "/open311/discovery.json", "/open311/v2/services/{}.{}",
                 "/api/collections/{}/items"):
        assert path in described, path
    assert checked >= 25


@pytest.fixture()
def clean_registry() -> Iterator[None]:
    paths, schemas, tags = (json.loads(json.dumps(x)) for x in
                            (openapi.PATHS, openapi.SCHEMAS, openapi.TAGS))
    yield
    openapi.PATHS.clear()
    openapi.PATHS.update(paths)
    openapi.SCHEMAS.clear()
    openapi.SCHEMAS.update(schemas)
    openapi.TAGS[:] = tags


def test_other_modules_can_add_paths(client, clean_registry: None) -> None:  # noqa: ANN001
    openapi.register_paths(
        {"/api/example-extension": {"get": {"summary": "Example",
                                      "responses": {"200": {"description": "ok", "content": {
                                          "application/json": {"schema": {
                                              "$ref": "#/components/schemas/ExampleThing"}}}}}}}},
        schemas={"ExampleThing": {"type": "object"}},
        tags=[{"name": "example", "description": "An extension"}])
    document = client.get("/api/openapi.json").get_json()
    assert "/api/example-extension" in document["paths"]
    assert "ExampleThing" in document["components"]["schemas"]
    assert "example" in {t["name"] for t in document["tags"]}
    with pytest.raises(ValueError, match="described twice"):
        openapi.register_paths({"/api/new-one": {"get": {"responses": {}}},
                                "/api/hazards": {"post": {"responses": {}}}})
    assert "/api/new-one" not in openapi.PATHS  # refused as a whole
    # another method on a known path is fine
    openapi.register_paths({"/api/hazards/{hazard_id}": {"delete": {"responses": {
        "204": {"description": "gone"}}}}})
    assert "delete" in openapi.document()["paths"]["/api/hazards/{hazard_id}"]
