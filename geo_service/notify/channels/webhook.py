"""Signed webhooks: a JSON body POSTed with ``X-Geo-Signature-256: sha256=<hex HMAC>``.

The receiver (a WeCom or DingTalk bot bridge, say) recomputes HMAC-SHA256 of the raw body with
the shared secret and compares it in constant time; ``X-Geo-Delivery`` names the delivery, the
same on every retry, so a receiver can drop a repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from typing import Any

from geo_service.config import Settings

SIGNATURE_HEADER = "X-Geo-Signature-256"
DELIVERY_HEADER = "X-Geo-Delivery"
TIMEOUT_SECONDS = 15.0


def configured(settings: Settings) -> bool:
    """Whether a webhook address is set."""
    return bool(settings.webhook_url)


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the right signature of ``body`` (for receivers and tests)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


def post(settings: Settings, payload: dict[str, Any], delivery: str) -> None:
    """POST the payload; any answer but 2xx (or no answer) raises."""
    body = body_of(payload)
    headers = {"Content-Type": "application/json; charset=utf-8", DELIVERY_HEADER: delivery,
               "User-Agent": "geo-service-notify"}
    if settings.webhook_secret:
        headers[SIGNATURE_HEADER] = sign(settings.webhook_secret, body)
    request = urllib.request.Request(settings.webhook_url or "", data=body, headers=headers,
                                     method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
        if not 200 <= answer.status < 300:
            raise OSError(f"webhook answered {answer.status}")
