"""Settings read from the environment, in one place.

Every setting has a default that runs the embedded service on the sample community.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

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
        Limit per client IP on anonymous report posts (``POST /api/hazards``,
        ``/hazards/new``, ``/open311/v2/requests.json``): at most ``report_burst`` within one
        post's worth of time and this many a minute; 429 with Retry-After above it (see
        :mod:`geo_service.web.ratelimit`). 0 disables the limit.
    rate_limit_storage_uri:
        Where Flask-Limiter keeps its counts (``memory://``: this process; ``redis://...``
        or ``memcached://...``: shared by several processes).
    hsts_seconds:
        ``Strict-Transport-Security`` max-age sent on responses over HTTPS (0: none).
    page_size_cap:
        Largest page of a feature collection (larger ``limit`` values are clamped); the hazard
        list's own cap (1000) applies when it is lower.
    trusted_proxies:
        Reverse proxies in front of the service whose ``X-Forwarded-For``, ``-Proto``,
        ``-Host`` and ``-Port`` entries are trusted (werkzeug's ProxyFix): they name the
        client, and HTTPS at the proxy makes cookies ``Secure`` and sends HSTS (0: the
        client is the TCP peer and forwarded headers are ignored).
    secret_key:
        Signs the session cookies (``GEO_SERVICE_SECRET_KEY``); when unset, a random key is
        generated once and kept in ``data_dir/secret_key`` (mode 0600).
    allow_anonymous_reports:
        Whether the public may report hazards without signing in
        (``GEO_SERVICE_ALLOW_ANONYMOUS_REPORTS``, default true).
    login_failures_per_account, login_failures_per_address, login_lock_seconds:
        Failed sign-ins allowed per account and per client address within
        ``login_lock_seconds``; past them sign-ins are refused (429) until the window passes
        (see :mod:`geo_service.auth.throttle`).
    report_margin_m:
        How far outside every community's outline a hazard report may lie and still be stored
        (``GEO_SERVICE_REPORT_MARGIN_M``, metres); farther ones are refused with the distance
        to the nearest community (:mod:`geo_service.hazards.landing`).
    secure_cookies:
        Always mark cookies ``Secure`` (``GEO_SERVICE_SECURE_COOKIES``); when false they are
        still ``Secure`` on every request that arrived over HTTPS.
    smtp_host, smtp_port, smtp_tls, smtp_sender, smtp_user, smtp_password:
        The mail server notifications are sent through (``GEO_SERVICE_SMTP_*``); no host means
        no e-mail (the worker marks mails ``skipped``). ``smtp_tls`` is ``none``, ``starttls``
        or ``ssl``; user and password are sent only when a user is set.
    webhook_url, webhook_secret:
        Where every hazard step is posted as JSON (``GEO_SERVICE_WEBHOOK_URL``), signed with
        HMAC-SHA256 of the body under the secret in ``X-Geo-Signature-256: sha256=<hex>``.
    notify_retry_seconds, notify_max_attempts:
        First wait before a failed delivery is tried again (doubling each time, at most an
        hour) and how many attempts a delivery gets before it is marked ``failed``.
    notify_reminder_hour:
        The community's local hour (0-23) after which the running worker writes the day's
        reminders of overdue hazards (once a day).
    public_url:
        The service's address as readers reach it, for links in mails and webhooks.
    map_tiles:
        Whether ``/map`` draws grids, streets, buildings and lights from vector tiles
        (``/tiles/...``) instead of GeoJSON by bounding box (``GEO_SERVICE_MAP_TILES``,
        default false); ``/map?tiles=1`` or ``?tiles=0`` chooses for one page.
    tile_max_age:
        Seconds a vector tile may be reused before the client checks its ETag again
        (``GEO_SERVICE_TILE_MAX_AGE``).
    """

    database_url: str | None = field(default=None, metadata={"env": "DATABASE_URL"})
    data_dir: Path = field(default=PROJECT_ROOT / "var", metadata={"env": "GEO_SERVICE_DATA_DIR"})
    sample_dir: Path = field(default=PROJECT_ROOT / "data",
                             metadata={"env": "GEO_SERVICE_SAMPLE_DIR"})
    metric_crs: str = field(default="EPSG:4545", metadata={"env": "GEO_SERVICE_METRIC_CRS"})
    community_name: str = field(default="白龙社区", metadata={"env": "GEO_SERVICE_COMMUNITY"})
    basemap: str = field(default="osm", metadata={"env": "GEO_SERVICE_BASEMAP"})
    tianditu_key: str | None = field(default=None, metadata={"env": "GEO_SERVICE_TIANDITU_KEY"})
    secret_key: str | None = field(default=None, repr=False,
                                   metadata={"env": "GEO_SERVICE_SECRET_KEY"})
    allow_anonymous_reports: bool = field(
        default=True, metadata={"env": "GEO_SERVICE_ALLOW_ANONYMOUS_REPORTS"})
    secure_cookies: bool = field(default=False, metadata={"env": "GEO_SERVICE_SECURE_COOKIES"})
    extra: dict[str, str] = field(default_factory=dict)
    max_request_bytes: int = field(default=8 * 1024 * 1024,
                                   metadata={"env": "GEO_SERVICE_MAX_REQUEST_BYTES"})
    report_rate_per_minute: float = field(
        default=30.0, metadata={"env": "GEO_SERVICE_REPORT_RATE_PER_MINUTE"})
    report_burst: int = field(default=10, metadata={"env": "GEO_SERVICE_REPORT_BURST"})
    rate_limit_storage_uri: str = field(
        default="memory://", metadata={"env": "GEO_SERVICE_RATE_LIMIT_STORAGE_URI"})
    page_size_cap: int = field(default=10_000, metadata={"env": "GEO_SERVICE_PAGE_SIZE_CAP"})
    trusted_proxies: int = field(default=0, metadata={"env": "GEO_SERVICE_TRUSTED_PROXIES"})
    hsts_seconds: int = field(default=31_536_000, metadata={"env": "GEO_SERVICE_HSTS_SECONDS"})
    smtp_host: str | None = field(default=None, metadata={"env": "GEO_SERVICE_SMTP_HOST"})
    smtp_port: int = field(default=25, metadata={"env": "GEO_SERVICE_SMTP_PORT"})
    smtp_tls: str = field(default="none", metadata={"env": "GEO_SERVICE_SMTP_TLS"})
    smtp_sender: str = field(default="geo-service@localhost",
                             metadata={"env": "GEO_SERVICE_SMTP_SENDER"})
    smtp_user: str | None = field(default=None, metadata={"env": "GEO_SERVICE_SMTP_USER"})
    smtp_password: str | None = field(default=None, repr=False,
                                      metadata={"env": "GEO_SERVICE_SMTP_PASSWORD"})
    webhook_url: str | None = field(default=None, metadata={"env": "GEO_SERVICE_WEBHOOK_URL"})
    webhook_secret: str | None = field(default=None, repr=False,
                                       metadata={"env": "GEO_SERVICE_WEBHOOK_SECRET"})
    notify_retry_seconds: float = field(default=30.0,
                                        metadata={"env": "GEO_SERVICE_NOTIFY_RETRY_SECONDS"})
    notify_max_attempts: int = field(default=8, metadata={"env": "GEO_SERVICE_NOTIFY_MAX_ATTEMPTS"})
    notify_reminder_hour: int = field(default=8,
                                      metadata={"env": "GEO_SERVICE_NOTIFY_REMINDER_HOUR"})
    public_url: str = field(default="http://127.0.0.1:8000",
                            metadata={"env": "GEO_SERVICE_PUBLIC_URL"})
    login_failures_per_account: int = field(
        default=5, metadata={"env": "GEO_SERVICE_LOGIN_FAILURES_PER_ACCOUNT"})
    login_failures_per_address: int = field(
        default=20, metadata={"env": "GEO_SERVICE_LOGIN_FAILURES_PER_ADDRESS"})
    login_lock_seconds: int = field(default=60, metadata={"env": "GEO_SERVICE_LOGIN_LOCK_SECONDS"})
    map_tiles: bool = field(default=False, metadata={"env": "GEO_SERVICE_MAP_TILES"})
    tile_max_age: int = field(default=60, metadata={"env": "GEO_SERVICE_TILE_MAX_AGE"})
    report_margin_m: float = field(default=500.0,
                                   metadata={"env": "GEO_SERVICE_REPORT_MARGIN_M"})


#: Readers of an environment value by the field's declared type (``from __future__`` keeps
#: annotations as strings).
_READERS: dict[str, Callable[[Mapping[str, str], str, Any], Any]] = {
    "str": lambda env, name, default: env.get(name) or default,
    "str | None": lambda env, name, default: env.get(name) or default,
    "Path": lambda env, name, default: Path(env[name]) if env.get(name) else default,
    "bool": lambda env, name, default: _flag(env, name, default),
    "int": lambda env, name, default: _number(env, name, default, int),
    "float": lambda env, name, default: _number(env, name, default, float),
}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``GEO_SERVICE_*`` and ``DATABASE_URL`` environment variables.

    Each field names its variable in ``metadata["env"]``; an unset or blank variable keeps the
    field's default (written once, in :class:`Settings`).
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for item in fields(Settings):
        name = item.metadata.get("env")
        if name is None:
            continue
        default = item.default if item.default is not MISSING else None
        values[item.name] = _READERS[str(item.type)](env, name, default)
    return Settings(**values)


def env_table() -> list[tuple[str, str, Any]]:
    """(variable, field, default) of every setting read from the environment."""
    return [(item.metadata["env"], item.name, item.default) for item in fields(Settings)
            if "env" in item.metadata]


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
