"""Typed errors of the hazard service, each with a message in Chinese and English.

The web layer maps them to HTTP: :class:`InvalidInput` -> 400/422, :class:`NotFound` -> 404,
:class:`TransitionRefused` -> 409, :class:`PhotoRefused` -> 413/422.
"""

from __future__ import annotations

from typing import Any

from geo_service.errors import ServiceError
from geo_service.hazards.messages import Term


class HazardError(ServiceError):
    """Base error of the hazard service (a :class:`ServiceError`)."""

    code = "hazard_error"

    def __init__(self, key: str, *, details: dict[str, Any] | None = None, **params: Any) -> None:
        super().__init__(key, details=details, **params)


class InvalidInput(HazardError):
    """A field of the input is missing or wrong; ``field`` names it."""

    code = "invalid_input"
    http_status = 422

    def __init__(self, field: str, key: str, *, malformed: bool = False, **params: Any) -> None:
        self.malformed = malformed  # the body itself could not be read (HTTP 400, not 422)
        if malformed:
            self.http_status = 400
        params.setdefault("field", field)
        super().__init__(key, details={"field": field}, **params)
        self.field = field


class NotFound(HazardError):
    """No hazard (or photo) with that id."""

    code = "not_found"
    http_status = 404


class TransitionRefused(HazardError):
    """The action is not allowed in the hazard's current status (or level)."""

    code = "transition_refused"
    http_status = 409

    def __init__(self, key: str, *, status: str, action: str, allowed: list[str],
                 **params: Any) -> None:
        self.status = status
        self.action = action
        self.allowed = allowed
        params |= {"status": Term(status), "action": Term(action, action=True),
                   "allowed": [Term(a, action=True) for a in allowed]}
        super().__init__(key, details={"status": status, "action": action, "allowed": allowed},
                         **params)


class PhotoRefused(HazardError):
    """An uploaded photo is too big or not an image of an accepted type."""

    code = "photo_refused"
    http_status = 422

    def __init__(self, key: str, *, too_big: bool = False, **params: Any) -> None:
        self.too_big = too_big
        if too_big:
            self.http_status = 413
        super().__init__(key, details={"field": "photo"}, **params)
        self.field = "photo"


class KeyReused(InvalidInput):
    """An idempotency key this client already used for a report with another body (422)."""

    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("idempotency_key", "hz.key_reused")
