"""Every text answer is compressed when the client asks; versioned vendor files are cached a year.

- ``/map`` (HTML) comes gzip- and br-encoded for clients that accept them, and decodes to the
  same page as the plain answer; without ``Accept-Encoding`` it is plain.
- A GeoJSON page of buildings and a vector tile come gzip-encoded and decode to the plain bytes.
- A vendored style sheet (a year-long, immutable ``Cache-Control``: its version is in the URL)
  comes br- and gzip-encoded, and decodes to the file on disk.
- Small answers (under 500 bytes) and images stay as they are.
"""

from __future__ import annotations

import gzip
import math

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from geo_service.config import Settings
from geo_service.db.engine import engine_for
from geo_service.web import vendor

CSS = "dist/css/bootstrap.min.css"


@pytest.fixture()
def app(sample_db: str) -> Flask:
    from geo_service.web.app import create_app

    application = create_app(Settings(database_url=sample_db, basemap="none"),
                             engine=engine_for(sample_db))
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def decode(answer, coding: str) -> bytes:  # noqa: ANN001
    assert answer.headers.get("Content-Encoding") == coding, dict(answer.headers)
    assert "Accept-Encoding" in answer.headers.get("Vary", "")
    return gzip.decompress(answer.data) if coding == "gzip" else brotli.decompress(answer.data)


def test_map_page_is_compressed_when_asked(client: FlaskClient) -> None:
    plain = client.get("/map", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    page = plain.get_data(as_text=True)
    for coding in ("gzip", "br"):
        answer = client.get("/map", headers={"Accept-Encoding": coding})
        assert answer.status_code == 200 and answer.mimetype == "text/html"
        body = decode(answer, coding).decode()
        # the same page (each answer has its own CSP nonce)
        assert len(answer.data) < len(body) / 3
        assert body.count("<script") == page.count("<script") and 'id="map-config"' in body


def test_geojson_and_tiles_are_compressed_when_asked(client: FlaskClient, sample_db: str) -> None:
    url = "/api/collections/buildings/items?limit=200"
    plain = client.get(url).data
    answer = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert answer.mimetype == "application/geo+json"
    assert decode(answer, "gzip") == plain and len(answer.data) < len(plain) / 3
    with engine_for(sample_db).connect() as conn:
        lon, lat = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid("
                                     "ST_Extent(geom)) c FROM buildings) s")).one()
    z = 16
    x = int((lon + 180) / 360 * 2 ** z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2 ** z)
    tile = f"/tiles/buildings/{z}/{x}/{y}.pbf"
    plain = client.get(tile).data
    assert len(plain) > 500
    answer = client.get(tile, headers={"Accept-Encoding": "gzip"})
    assert decode(answer, "gzip") == plain
    again = client.get(tile, headers={"Accept-Encoding": "gzip",
                                      "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_vendor_files_are_compressed_and_cached_for_a_year(client: FlaskClient) -> None:
    source = vendor.SOURCES["bootstrap"]
    url = f"{source.url}/{CSS}"
    on_disk = (source.root / CSS).read_bytes()
    for coding in ("br", "gzip"):
        answer = client.get(url, headers={"Accept-Encoding": coding})
        assert answer.status_code == 200 and answer.mimetype == "text/css"
        assert answer.cache_control.max_age == 365 * 24 * 3600
        assert answer.cache_control.immutable and answer.cache_control.public
        assert decode(answer, coding) == on_disk
        assert len(answer.data) < len(on_disk) / 4


def test_small_answers_and_images_stay_plain(client: FlaskClient) -> None:
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert len(small.data) < 500 and "Content-Encoding" not in small.headers
    fonts = vendor.SOURCES["@fortawesome/fontawesome-free"]
    font = next((fonts.root / "webfonts").glob("*.woff2")).name
    answer = client.get(f"{fonts.url}/webfonts/{font}", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and "Content-Encoding" not in answer.headers
