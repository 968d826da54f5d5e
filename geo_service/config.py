"""Settings read from the environment, in one place.

Every setting has a default that runs the embedded service on the sample community.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T", int, float)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of the service.

    Attributes
    ----------
    database_url:
        SQLAlchemy URL of an existing PostGIS database; ``None`` means the embedded cluster.
    data_dir:
        Folder for the embedded cluster and uploaded files (git-ignored).
    sample_dir:
        Folder holding ``grids.geojson`` and ``sample/``.
    metric_crs:
        Projected CRS for metric work on the sample (CGCS2000 / 3-degree GK CM 108E).
    max_request_bytes:
        Largest request body accepted (413 above it; photos have their own, smaller limit).
    report_rate_per_minute, report_burst:
        Token bucket per client IP for anonymous report posts (``POST /api/hazards``,
        ``/hazards/new``, ``/open311/v2/requests.json``): refilled at this rate, holding at
        most ``report_burst`` tokens; 429 with Retry-After when empty. 0 disables the limit.
    page_size_cap:
        Largest page of a feature collection (larger ``limit`` values are clamped); the hazard
        list's own cap (1000) applies when it is lower.
    trusted_proxies:
        Reverse proxies in front of the service whose ``X-Forwarded-For`` entries are
        trusted to name the client (0: the client is the TCP peer).
    secret_key:
        Signs the session cookies (``GEO_SERVICE_SECRET_KEY``); when unset, a random key is
        generated once and kept in ``data_dir/secret_key`` (mode 0600).
    allow_anonymous_reports:
        Whether the public may report hazards without signing in
        (``GEO_SERVICE_ALLOW_ANONYMOUS_REPORTS``, default true).
    secure_cookies:
        Always mark cookies ``Secure`` (``GEO_SERVICE_SECURE_COOKIES``); when false they are
        still ``Secure`` on every request that arrived over HTTPS.
    """

    database_url: str | None = None
    data_dir: Path = PROJECT_ROOT / "var"
    sample_dir: Path = PROJECT_ROOT / "data"
    metric_crs: str = "EPSG:4545"
    community_name: str = "白龙社区"
    basemap: str = "osm"
    tianditu_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    allow_anonymous_reports: bool = True
    secure_cookies: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    max_request_bytes: int = 8 * 1024 * 1024
    report_rate_per_minute: float = 30.0
    report_burst: int = 10
    page_size_cap: int = 10_000
    trusted_proxies: int = 0


def load_settings() -> Settings:
    """Read settings from ``GEO_SERVICE_*`` and ``DATABASE_URL`` environment variables."""
    env = os.environ
    return Settings(
        database_url=env.get("DATABASE_URL") or None,
        data_dir=Path(env.get("GEO_SERVICE_DATA_DIR", PROJECT_ROOT / "var")),
        sample_dir=Path(env.get("GEO_SERVICE_SAMPLE_DIR", PROJECT_ROOT / "data")),
        metric_crs=env.get("GEO_SERVICE_METRIC_CRS", "EPSG:4545"),
        community_name=env.get("GEO_SERVICE_COMMUNITY", "白龙社区"),
        basemap=env.get("GEO_SERVICE_BASEMAP", "osm"),
        tianditu_key=env.get("GEO_SERVICE_TIANDITU_KEY") or None,
        max_request_bytes=_number(env, "GEO_SERVICE_MAX_REQUEST_BYTES", 8 * 1024 * 1024, int),
        report_rate_per_minute=_number(env, "GEO_SERVICE_REPORT_RATE_PER_MINUTE", 30.0, float),
        report_burst=_number(env, "GEO_SERVICE_REPORT_BURST", 10, int),
        page_size_cap=_number(env, "GEO_SERVICE_PAGE_SIZE_CAP", 10_000, int),
        trusted_proxies=_number(env, "GEO_SERVICE_TRUSTED_PROXIES", 0, int),
        secret_key=env.get("GEO_SERVICE_SECRET_KEY") or None,
        allow_anonymous_reports=_flag(env, "GEO_SERVICE_ALLOW_ANONYMOUS_REPORTS", True),
        secure_cookies=_flag(env, "GEO_SERVICE_SECURE_COOKIES", False),
    )


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case); ``default`` when unset or blank."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _number(env: Mapping[str, str], name: str, default: T, kind: Callable[[str], T]) -> T:
    """A non-negative number from the environment; a clear error when it is not one."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:  # type: ignore[operator]
        raise ValueError(f"{name} must not be negative, got {raw!r}")
    return value
