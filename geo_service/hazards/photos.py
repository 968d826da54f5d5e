"""Photo uploads: size-limited, type-checked by content, re-encoded, stored under a random name.

A photo is accepted when its first bytes are those of a JPEG, PNG or WebP file and Pillow
verifies it as that format, within a byte limit and a pixel limit (a small file can hold a
huge image). It is then decoded and encoded again from its pixels alone, so no metadata block
of the phone's file survives: no EXIF (GPS position, phone model, time), no XMP, no ICC
profile, no comments or text chunks. Only that clean copy is stored, as
``<data_dir>/uploads/<32 hex digits>.<ext>``; the name is kept on the hazard and the file is
served back by hazard id, so no path ever comes from a user and the original is never served.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import warnings
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

from geo_service.config import Settings
from geo_service.hazards.errors import NotFound, PhotoRefused

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_BYTES_ENV = "GEO_SERVICE_MAX_PHOTO_BYTES"
DEFAULT_MAX_PIXELS = 40_000_000
MAX_PIXELS_ENV = "GEO_SERVICE_MAX_PHOTO_PIXELS"
JPEG_QUALITY = 88
NAME = re.compile(r"\A[0-9a-f]{32}\.(jpg|png|webp)\Z")
MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
PILLOW_FORMAT = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}


def max_bytes(settings: Settings | None = None) -> int:
    """The size limit: ``Settings.extra['max_photo_bytes']``, the environment, or 5 MB."""
    raw = (settings.extra.get("max_photo_bytes") if settings else None) or os.environ.get(
        MAX_BYTES_ENV)
    try:
        return int(raw) if raw else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


def max_pixels(settings: Settings | None = None) -> int:
    """The pixel limit: ``Settings.extra['max_photo_pixels']``, the environment, or 40 MP."""
    raw = (settings.extra.get("max_photo_pixels") if settings else None) or os.environ.get(
        MAX_PIXELS_ENV)
    try:
        return int(raw) if raw else DEFAULT_MAX_PIXELS
    except ValueError:
        return DEFAULT_MAX_PIXELS


def uploads_dir(settings: Settings) -> Path:
    """Where photos are stored."""
    return Path(settings.data_dir) / "uploads"


def sniff(data: bytes) -> str | None:
    """The extension for a JPEG, PNG or WebP by its magic bytes, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def decoded_size(data: bytes, ext: str) -> tuple[int, int] | None:
    """Width and height when Pillow verifies the image as ``ext``, else None.

    Only the header is read for the size; ``verify`` checks the file's structure without
    decoding its pixels, so a decompression bomb is never expanded here.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit
            with Image.open(io.BytesIO(data)) as image:
                fmt, size = image.format, image.size
                image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return size if fmt == PILLOW_FORMAT[ext] else None


def reencoded(data: bytes, ext: str) -> bytes:
    """The image encoded again from its pixels: upright (the EXIF orientation applied), with
    no EXIF, XMP, ICC profile, comment or text chunk of the original."""
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image)
        pixels = upright.convert("RGBA" if _has_alpha(upright) else "RGB")
    pixels.info = {}
    out = io.BytesIO()
    if ext == "jpg":
        pixels.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif ext == "png":
        pixels.save(out, "PNG", optimize=True)
    else:
        pixels.save(out, "WEBP", quality=JPEG_QUALITY)
    return out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    """Whether the image has transparency worth keeping."""
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """Read at most ``limit`` bytes; :class:`PhotoRefused` (too big) when there are more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise PhotoRefused("hz.photo_too_big", too_big=True, limit_mb=round(limit / 2**20, 1))
    return data


def check(data: bytes, limit: int = DEFAULT_MAX_BYTES, pixels: int | None = None) -> str:
    """Refuse an empty, too big (bytes or pixels) or non-image photo; return its extension."""
    if not data:
        raise PhotoRefused("hz.photo_empty")
    if len(data) > limit:
        raise PhotoRefused("hz.photo_too_big", too_big=True, limit_mb=round(limit / 2**20, 1))
    ext = sniff(data)
    size = decoded_size(data, ext) if ext else None
    if ext is None or size is None:
        raise PhotoRefused("hz.photo_type")
    pixels = max_pixels() if pixels is None else pixels
    if size[0] * size[1] > pixels:
        raise PhotoRefused("hz.photo_too_many_pixels", width=size[0], height=size[1],
                           limit_mp=round(pixels / 1e6, 1))
    return ext


def save(data: bytes, ext: str, folder: Path) -> str:
    """Re-encode a checked photo (dropping every metadata block) and write it under a fresh
    random name; return the name."""
    clean = reencoded(data, ext)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{ext}"
    path = folder / name
    with open(path, "xb") as out:  # never overwrite
        out.write(clean)
    return name


def path_for(folder: Path, name: str) -> Path:
    """The stored file for a name kept on a hazard; :class:`NotFound` if odd or missing."""
    if not NAME.match(name or ""):
        raise NotFound("hz.no_photo")
    path = folder / name
    if not path.is_file():
        raise NotFound("hz.no_photo")
    return path


def mime_type(name: str) -> str:
    """The content type of a stored photo."""
    return MIME[name.rsplit(".", 1)[1]]


def discard(folder: Path, name: str | None) -> None:
    """Remove a stored photo that ended up unused (a replay, a duplicate, an error)."""
    if name and NAME.match(name):
        (folder / name).unlink(missing_ok=True)
