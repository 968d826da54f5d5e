"""Rate limit on anonymous hazard reports, kept by Flask-Limiter.

The three report posts (:data:`LIMITED_ENDPOINTS`) share one limit per client address: at most
``Settings.report_burst`` posts within the time one post is worth (``60 /
Settings.report_rate_per_minute`` seconds) and at most ``report_rate_per_minute`` a minute
(moving windows). Over it the post is answered 429 with ``Retry-After`` (the seconds until the
oldest counted post leaves its window). A request the authentication layer has signed in
(``g.user``) is not limited; ``report_rate_per_minute`` = 0 switches the limit off.

The counts live in ``Settings.rate_limit_storage_uri`` (``memory://`` by default: one process;
``redis://host:6379`` or ``memcached://host:11211`` let several processes share one count).

The client is the TCP peer, or with ``Settings.trusted_proxies`` = N > 0 the N-th address
from the right of ``X-Forwarded-For`` (what the nearest trusted proxy saw).

Flask config ``RATELIMIT_ENABLED`` switches the limit on or off per request; it defaults to on,
and to off in ``TESTING`` apps (tests that check the limit switch it on), because tests post
many reports from one address.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app, g, request
from flask_limiter import Limiter

#: (method, endpoint) pairs that store an anonymous report.
LIMITED_ENDPOINTS = frozenset({("POST", "api_hazards.create"),
                               ("POST", "hazard_pages.new_posted"),
                               ("POST", "open311.post_request")})
SCOPE = "anonymous-reports"


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
    """Whether the authentication layer has signed this request in (``g.user``)."""
    who = g.get("user")
    return who is not None and getattr(who, "is_authenticated", True)


def limit_strings(rate_per_minute: float, burst: int) -> str:
    """The Flask-Limiter rule: ``burst`` per one post's worth of time, and the rate a minute."""
    seconds = max(1, round(60.0 / rate_per_minute))
    return f"{max(int(burst), 1)} per {seconds} second;{max(1, round(rate_per_minute))} per minute"


@dataclass
class ReportLimiter:
    """The app's limiter (``app.extensions["report_limiter"]``) and who it lets pass."""

    limiter: Limiter
    is_authenticated: Callable[[], bool] = field(default=authenticated)

    def exempt(self) -> bool:
        """Not limited: switched off in this app, or the request is signed in."""
        if not current_app.config.get("RATELIMIT_ENABLED", not current_app.testing):
            return True
        return (request.method, request.endpoint) not in LIMITED_ENDPOINTS or \
            self.is_authenticated()

    def retry_after(self) -> int:
        """Whole seconds until the limit this request broke lets a post through again."""
        breached = self.limiter.current_limit
        if breached is None:
            return 1
        return max(1, math.ceil(breached.window.reset_time - time.time()))


def init_app(app: Flask) -> ReportLimiter | None:
    """Limit the report endpoints of ``app`` (call after the blueprints and the auth guard)."""
    settings = app.config["SETTINGS"]
    preset = "RATELIMIT_ENABLED" in app.config
    limiter = Limiter(lambda: client_ip(settings.trusted_proxies), app=app,
                      storage_uri=settings.rate_limit_storage_uri, strategy="moving-window")
    if not preset:  # Flask-Limiter writes its default; ours is decided per request
        app.config.pop("RATELIMIT_ENABLED", None)
    reports = ReportLimiter(limiter)
    app.extensions["report_limiter"] = reports
    if settings.report_rate_per_minute <= 0:
        return reports
    shared = limiter.shared_limit(limit_strings(settings.report_rate_per_minute,
                                                settings.report_burst),
                                  scope=SCOPE, exempt_when=reports.exempt)
    for _method, endpoint in LIMITED_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = shared(view)  # checked as the view is called
    return reports
