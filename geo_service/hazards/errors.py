"""Typed errors of the hazard service, each with a message in Chinese and English.

The web layer maps them to HTTP: :class:`InvalidInput` -> 400/422, :class:`NotFound` -> 404,
:class:`TransitionRefused` -> 409, :class:`PhotoRefused` -> 413/422.
"""

from __future__ import annotations

from typing import Any

from geo_service.hazards.messages import Term, both


class HazardError(Exception):
    """Base error: a machine code, the message in both languages, optional details."""

    code = "hazard_error"

    def __init__(self, key: str, *, details: dict[str, Any] | None = None, **params: Any) -> None:
        self.key = key
        self.messages = both(key, **params)
        self.details: dict[str, Any] = details or {}
        super().__init__(self.messages["en"])

    def message(self, lang: str = "zh") -> str:
        """The message in ``lang`` (``zh`` or ``en``)."""
        return self.messages.get(lang, self.messages["zh"])

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        """JSON form: code, message (in ``lang``), both messages and the details."""
        return {"code": self.code, "message": self.message(lang), "messages": self.messages,
                **self.details}


class InvalidInput(HazardError):
    """A field of the input is missing or wrong; ``field`` names it."""

    code = "invalid_input"

    def __init__(self, field: str, key: str, *, malformed: bool = False, **params: Any) -> None:
        self.field = field
        self.malformed = malformed  # the body itself could not be read (HTTP 400, not 422)
        params.setdefault("field", field)
        super().__init__(key, details={"field": field}, **params)


class NotFound(HazardError):
    """No hazard (or photo) with that id."""

    code = "not_found"


class TransitionRefused(HazardError):
    """The action is not allowed in the hazard's current status (or level)."""

    code = "transition_refused"

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

    def __init__(self, key: str, *, too_big: bool = False, **params: Any) -> None:
        self.too_big = too_big
        super().__init__(key, details={"field": "photo"}, **params)
