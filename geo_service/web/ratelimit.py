"""Rate limit on anonymous hazard reports: a token bucket per client IP, in memory.

Each client IP holds at most ``Settings.report_burst`` tokens, refilled at
``Settings.report_rate_per_minute``; a report post takes one. With none left the post is
answered 429 with ``Retry-After`` (the seconds until a token is back) before its body is read.
Only the report posts are limited (:data:`LIMITED_ENDPOINTS`), and only for anonymous
clients: a request the authentication layer has marked as signed in (see
:func:`authenticated`) passes. The buckets live in one process; behind several processes
each has its own, so the effective limit is per process.

The client is the TCP peer, or with ``Settings.trusted_proxies`` = N > 0 the N-th address
from the right of ``X-Forwarded-For`` (what the nearest trusted proxy saw).

Flask config ``RATELIMIT_ENABLED`` switches the limit on or off; it defaults to on, and to off
in ``TESTING`` apps (tests that check the limit switch it on), because tests post many reports
from one address.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g, request

#: (method, endpoint) pairs that store an anonymous report.
LIMITED_ENDPOINTS = frozenset({("POST", "api_hazards.create"),
                               ("POST", "hazard_pages.new_posted"),
                               ("POST", "open311.post_request")})
MAX_CLIENTS = 50_000  # buckets kept before idle full ones are dropped


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBucket:
    """Token buckets by key: ``rate`` tokens per second, at most ``burst`` held.

    ``take(key)`` returns 0.0 when a token was taken, else the seconds until one is back.
    Thread-safe; memory is bounded by dropping buckets that have refilled completely.
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_CLIENTS) -> None:
        self.rate = float(rate)
        self.burst = max(int(burst), 1)
        self.clock = clock
        self.max_keys = max_keys
        self.lock = threading.Lock()
        self.buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> float:
        """Take one token for ``key``; 0.0 when allowed, else seconds to wait."""
        now = self.clock()
        with self.lock:
            bucket = self.buckets.get(key)
            if bucket is None:
                if len(self.buckets) >= self.max_keys:
                    self._prune(now)
                bucket = self.buckets[key] = _Bucket(float(self.burst), now)
            else:
                bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
                bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        """Drop buckets that are full again (they behave exactly like a new one)."""
        full = [k for k, b in self.buckets.items()
                if b.tokens + (now - b.at) * self.rate >= self.burst]
        for key in full:
            del self.buckets[key]
        if len(self.buckets) >= self.max_keys:  # still full: forget the oldest half
            oldest = sorted(self.buckets, key=lambda k: self.buckets[k].at)
            for key in oldest[: len(oldest) // 2]:
                del self.buckets[key]


def client_ip(trusted_proxies: int = 0) -> str:
    """The client's address: the TCP peer, or the one the nearest trusted proxy saw."""
    if trusted_proxies > 0:
        forwarded = [part.strip() for part in
                     ",".join(request.headers.getlist("X-Forwarded-For")).split(",")
                     if part.strip()]
        if len(forwarded) >= trusted_proxies:
            return forwarded[-trusted_proxies]
    return request.remote_addr or "unknown"


def authenticated() -> bool:
    """Whether the authentication layer has signed this request in.

    It is expected to put the account on ``flask.g`` as ``user`` (or ``account``) before the
    limiter runs; an app can replace this check with
    ``app.extensions["report_limiter"].is_authenticated = callable``.
    """
    for name in ("user", "account", "current_user"):
        who = g.get(name)
        if who is not None and getattr(who, "is_authenticated", True):
            return True
    return False


class ReportLimiter:
    """The limiter an app uses; :meth:`check` is called before every request."""

    def __init__(self, rate_per_minute: float, burst: int, trusted_proxies: int = 0) -> None:
        self.enabled = rate_per_minute > 0
        self.bucket = TokenBucket(rate_per_minute / 60.0 if self.enabled else 1.0, burst)
        self.trusted_proxies = trusted_proxies
        self.is_authenticated: Callable[[], bool] = authenticated

    def check(self) -> int | None:
        """None when the request may go on, else the whole seconds the client should wait."""
        if not self.enabled or (request.method, request.endpoint) not in LIMITED_ENDPOINTS:
            return None
        if not current_app.config.get("RATELIMIT_ENABLED", not current_app.testing):
            return None
        if self.is_authenticated():
            return None
        wait = self.bucket.take(client_ip(self.trusted_proxies))
        return None if wait <= 0 else max(1, math.ceil(wait))


def init_app(app: Flask) -> ReportLimiter:
    """Create the app's limiter from its settings (``app.extensions["report_limiter"]``)."""
    settings = app.config["SETTINGS"]
    limiter = ReportLimiter(getattr(settings, "report_rate_per_minute", 30.0),
                            getattr(settings, "report_burst", 10),
                            getattr(settings, "trusted_proxies", 0))
    app.extensions["report_limiter"] = limiter
    return limiter
