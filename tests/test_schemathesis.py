"""schemathesis over every operation of ``/api/openapi.json`` on a database with the sample:
no 5xx, and every response (status code, content type, body) is one the document describes.

Per operation: valid and invalid requests (schemathesis' positive and negative modes), the
document's own examples, and requests naming hazards and features that exist; each sent either
anonymously or with a community admin's API token. A bounded number of examples, so the whole
module stays well under a minute and a half.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from geo_service.config import Settings
from geo_service.db.engine import engine_for

EXAMPLES = 150
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ADMIN = "st_admin"


@pytest.fixture(scope="module")
def sampled_url(module_sample_db: str) -> str:
    """One database with the sample for the whole module (the examples only add hazards)."""
    return module_sample_db


@pytest.fixture(scope="module")
def api(sampled_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The schema loaded from the app, a community admin's API token and ids that exist."""
    from geo_service.auth import accounts
    from geo_service.web.app import create_app

    app = create_app(Settings(database_url=sampled_url,
                              data_dir=tmp_path_factory.mktemp("schemathesis")),
                     engine=engine_for(sampled_url))
    app.config["TESTING"] = True
    client = app.test_client()
    ids = []
    for i, category in enumerate(("fire_risk", "dirty_alley", "parking")):
        made = client.post("/api/hazards", json={"lat": 27.5195 + i * 0.0006, "lon": 106.829,
                                                 "category": category,
                                                 "description": f"schemathesis {i}",
                                                 "confirm_duplicate": True})
        assert made.status_code == 201, made.get_data(as_text=True)
        ids.append(made.get_json()["id"])
    with_photo = client.post("/api/hazards", data={
        "lat": "27.5215", "lon": "106.8305", "category": "peeling_wall",
        "confirm_duplicate": "true", "photo": (io.BytesIO(png()), "wall.png")},
        content_type="multipart/form-data")
    assert with_photo.status_code == 201 and with_photo.get_json()["has_photo"]
    ids.append(with_photo.get_json()["id"])
    engine = engine_for(sampled_url)
    with engine.begin() as conn:
        accounts.create_user(conn, ADMIN, "schemathesis password 1234", "community_admin")
        token = accounts.create_token(conn, ADMIN, "schemathesis")
        features = {table: conn.execute(text(f"SELECT min(id) FROM {table}")).scalar_one()
                    for table in ("grids", "buildings", "streets", "lights", "cameras")}
    return {"schema": schemathesis.openapi.from_wsgi("/api/openapi.json", app),
            "token": token, "hazards": ids, "features": features}


def png() -> bytes:
    """A real 2x2 PNG, made without an imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + bytes([120] * 6) for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def documented_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the document, as the app builds it."""
    from importlib import import_module

    from geo_service.web.app import BLUEPRINT_MODULES
    from geo_service.web.openapi import METHODS, document

    for name in BLUEPRINT_MODULES:  # modules register their paths at import
        import_module(f"geo_service.web.{name}")
    return [(method.upper(), path) for path, item in document()["paths"].items()
            for method in item if method in METHODS]


def strategies(api: dict[str, Any], method: str, path: str) -> st.SearchStrategy:
    """Generated cases of both modes, the document's examples, and cases naming real ids."""
    schema = api["schema"]
    operation = schema[path][method]
    options = [operation.as_strategy(GenerationMode.POSITIVE),
               operation.as_strategy(GenerationMode.NEGATIVE),
               *schema.get_strategies_from_examples(operation)]
    if "{hazard_id}" in path:
        options += [operation.as_strategy(GenerationMode.POSITIVE,
                                          path_parameters={"hazard_id": ident})
                    for ident in api["hazards"]]
    if "{service_request_id}" in path:
        options += [operation.as_strategy(GenerationMode.POSITIVE, path_parameters={
            "service_request_id": str(ident), "fmt": "json"}) for ident in api["hazards"]]
    if "{featureId}" in path:
        options += [operation.as_strategy(GenerationMode.POSITIVE, path_parameters={
            "collectionId": table, "featureId": str(ident)})
            for table, ident in api["features"].items()]
    return st.one_of(options)


@pytest.mark.parametrize(("method", "path"), documented_operations())
def test_operation(api: dict[str, Any], method: str, path: str) -> None:
    seen: Counter[int] = Counter()

    @given(case=strategies(api, method, path), signed_in=st.booleans())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case, signed_in: bool) -> None:  # noqa: ANN001
        # the WSGI transport does not decode compressed bodies (compression: test_compression)
        headers = {"Accept-Encoding": "identity"}
        if signed_in:
            headers["Authorization"] = f"Bearer {api['token']}"
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        seen[response.status_code] += 1

    check()
    print(f"{method} {path}: {dict(sorted(seen.items()))}")
