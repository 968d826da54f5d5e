"""The one error type the domain raises for a person to read.

A :class:`ServiceError` carries a machine ``code``, the ``http_status`` it maps to, the input
``field`` at fault (when one is), a message key with its parameters (rendered in Chinese and
English by :mod:`geo_service.i18n`) and extra ``details``. The web layer renders it once per path
family (pages, JSON API, OGC collections, Open311) in ``geo_service/web/errors.py``; the command
line prints :meth:`ServiceError.message`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from geo_service.i18n import both


class ServiceError(Exception):
    """An answer the service refuses with: code, status, field, bilingual message, details."""

    code: ClassVar[str] = "error"
    http_status: int = 400
    #: The OGC API exception code when it differs from the status's (collections family).
    ogc_code: str | None = None

    def __init__(self, key: str, *, field: str | None = None, http_status: int | None = None,
                 code: str | None = None, details: dict[str, Any] | None = None,
                 messages: dict[str, str] | None = None, **params: Any) -> None:
        if field is not None:
            params.setdefault("field", field)
        self.key = key
        self.params = params
        self.field = field
        if http_status is not None:
            self.http_status = http_status
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.details: dict[str, Any] = dict(details or {})
        if field is not None:
            self.details.setdefault("field", field)
        # ``messages``: words already in both languages (or verbatim), else the key's words
        self.messages = dict(messages) if messages is not None else both(key, **params)
        super().__init__(self.messages["en"])

    def message(self, lang: str = "zh") -> str:
        """The message in ``lang`` (``zh`` or ``en``)."""
        return self.messages.get(lang, self.messages["zh"])

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        """JSON form: code, message (in ``lang``), both messages, the field and the details."""
        return {"code": self.code, "message": self.message(lang), "messages": self.messages,
                **self.details}
