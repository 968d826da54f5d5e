"""A photo sent with a report is stored and served without the phone's metadata, and an image
that would take gigabytes to decode is refused however small its file."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from geo_service.config import Settings

ORIGIN = (106.8300, 27.5200)
PHONE = "PhoneMaker SecretModel X9"
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
       b'photoshop:City="SecretCity"/></rdf:RDF></x:xmpmeta>')


@pytest.fixture()
def app(db_url: str, tmp_path: Path):  # noqa: ANN201
    """The app with uploads in a temporary folder."""
    from geo_service.db.engine import engine_for
    from geo_service.web.app import create_app

    application = create_app(Settings(database_url=db_url, data_dir=tmp_path),
                             engine=engine_for(db_url))
    application.config["TESTING"] = True
    return application


def phone_jpeg() -> bytes:
    """A JPEG as a phone writes it: EXIF with GPS position and phone model, an ICC profile,
    an XMP packet and a comment."""
    image = Image.new("RGB", (64, 48), (180, 120, 60))
    exif = Image.Exif()
    exif[271] = "PhoneMaker"  # Make
    exif[272] = PHONE  # Model
    exif[306] = "2026:11:30 21:15:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (27.0, 31.0, 12.5), 3: "E", 4: (106.0, 49.0, 48.0)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), icc_profile=icc, comment=b"SecretComment")
    data = out.getvalue()
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + XMP
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return data[:2] + app1 + data[2:]  # XMP right after the start-of-image marker


def post_photo(client, photo: bytes, name: str):  # noqa: ANN001, ANN201
    return client.post("/api/hazards", content_type="multipart/form-data", data={
        "lon": str(ORIGIN[0]), "lat": str(ORIGIN[1]), "category": "dirty_alley",
        "description": "背街小巷垃圾堆积", "photo": (io.BytesIO(photo), name)})


def test_phone_metadata_never_leaves_the_service(app, client, tmp_path: Path) -> None:  # noqa: ANN001
    original = phone_jpeg()
    with Image.open(io.BytesIO(original)) as check:  # the test photo really carries it all
        assert check.getexif()[272] == PHONE and check.getexif().get_ifd(0x8825)
        assert check.info.get("icc_profile")
    assert b"SecretCity" in original and b"SecretComment" in original

    created = post_photo(client, original, "IMG_0001.jpg")
    assert created.status_code == 201, created.get_json()
    served = client.get(created.get_json()["links"]["photo"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as clean:
        assert clean.size == (64, 48)
        assert dict(clean.getexif()) == {}
        assert "icc_profile" not in clean.info and "exif" not in clean.info
        assert clean.getpixel((10, 10)) == pytest.approx((180, 120, 60), abs=3)
    for secret in (PHONE.encode(), b"PhoneMaker", b"SecretCity", b"SecretComment", b"Exif"):
        assert secret not in served.data
    stored = list((tmp_path / "uploads").iterdir())
    assert [f.read_bytes() for f in stored] == [served.data]  # the original is not kept


def tiny_huge_png(width: int, height: int) -> bytes:
    """A black 1-bit PNG of ``width`` x ``height`` that compresses to a few kilobytes."""
    row = b"\x00" + bytes((width + 7) // 8)
    raw = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0,
                                                              0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def test_a_small_file_of_144_megapixels_is_refused(app, client, tmp_path: Path) -> None:  # noqa: ANN001
    bomb = tiny_huge_png(12_000, 12_000)
    assert len(bomb) < 40_000
    refused = post_photo(client, bomb, "bomb.png")
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["field"] == "photo" and "12000" in error["messages"]["en"]
    assert "百万像素" in error["messages"]["zh"]
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
    with app.config["ENGINE"].connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT count(*) FROM hazards")).scalar_one() == 0
    # a photo within the limit still goes through
    assert post_photo(client, tiny_huge_png(4000, 3000), "ok.png").status_code == 201


def test_the_pixel_limit_is_a_setting(client, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("GEO_SERVICE_MAX_PHOTO_PIXELS", "1000000")
    assert post_photo(client, tiny_huge_png(1200, 1000), "p.png").status_code == 422
    assert post_photo(client, tiny_huge_png(1000, 1000), "p.png").status_code == 201
