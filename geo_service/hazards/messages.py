"""The hazard API's user-facing words and how to render them.

The words are ``hz.`` keys of the gettext catalogues (:mod:`geo_service.i18n`), so pages and the
API share them. Parameters wrapped in :class:`Term` are vocabulary values or actions and are
shown by their label in each language.
"""

from __future__ import annotations

from geo_service.i18n import Term, Word, both, render, say

__all__ = ["Term", "Word", "both", "render", "say"]
