"""The words of sign-in, accounts and refusals: ``auth_`` keys of the gettext catalogues."""

from __future__ import annotations

from geo_service.i18n import both, translate

__all__ = ["both", "translate"]
