"""Photo uploads: size-limited, type-checked by content, stored under a random name.

A photo is accepted when its first bytes are those of a JPEG, PNG or WebP file (and, when
Pillow is installed, when Pillow can verify it as that format). It is stored as
``<data_dir>/uploads/<32 hex digits>.<ext>``; the name is kept on the hazard and the file is
served back by hazard id, so no path ever comes from a user.
"""

from __future__ import annotations

import io
import os
import re
import secrets
from pathlib import Path
from typing import IO

from geo_service.config import Settings
from geo_service.hazards.errors import NotFound, PhotoRefused

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_BYTES_ENV = "GEO_SERVICE_MAX_PHOTO_BYTES"
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


def pillow_agrees(data: bytes, ext: str) -> bool:
    """True when Pillow verifies the image as ``ext`` (or Pillow is not installed)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        return True
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False
    return fmt == PILLOW_FORMAT[ext]


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """Read at most ``limit`` bytes; :class:`PhotoRefused` (too big) when there are more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise PhotoRefused("hz.photo_too_big", too_big=True, limit_mb=round(limit / 2**20, 1))
    return data


def check(data: bytes, limit: int = DEFAULT_MAX_BYTES) -> str:
    """Refuse an empty, too big or non-image photo; return its extension."""
    if not data:
        raise PhotoRefused("hz.photo_empty")
    if len(data) > limit:
        raise PhotoRefused("hz.photo_too_big", too_big=True, limit_mb=round(limit / 2**20, 1))
    ext = sniff(data)
    if ext is None or not pillow_agrees(data, ext):
        raise PhotoRefused("hz.photo_type")
    return ext


def save(data: bytes, ext: str, folder: Path) -> str:
    """Write a checked photo under a fresh random name; return the name."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{ext}"
    path = folder / name
    with open(path, "xb") as out:  # never overwrite
        out.write(data)
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
