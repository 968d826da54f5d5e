"""Chinese first, English second: the request's language and Flask-Babel, wired once.

The language comes from ``?lang=en|zh`` (remembered in a cookie), then that cookie, else
Chinese; :func:`lang` is that choice (``zh`` or ``en``) for the rest of the request, and
Flask-Babel's locale is its catalogue (``zh_CN`` or ``en``, times in Asia/Shanghai). The words
themselves are the gettext catalogues :mod:`geo_service.i18n` reads: Flask-Babel's ``gettext``
and ``_()`` answer from them too, without a compiled ``.mo`` file. Templates get ``t('key')``
for interface words, ``label(value)`` for vocabulary values (street classes, hazard
categories, statuses, levels) and ``lang``.
"""

from __future__ import annotations

from functools import cached_property

import flask_babel
from babel.support import Translations
from flask import Flask, Response, g, request
from flask import has_request_context as in_a_request

from geo_service import i18n as words
from geo_service.hazards.inputs import LOCAL_TZ
from geo_service.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALES

__all__ = ["LANGUAGES", "current_language", "init_app", "label", "lang", "page_words",
           "translate"]

COOKIE = "lang"


def current_language() -> str:
    """The language the request asks for: ``?lang=``, then the cookie, then Chinese."""
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    return asked if asked in LANGUAGES else DEFAULT_LANGUAGE


def lang() -> str:
    """The request's language, ``zh`` or ``en`` (Chinese outside a request)."""
    if not in_a_request():
        return DEFAULT_LANGUAGE
    if g.get("lang") not in LANGUAGES:
        g.lang = current_language()
    return g.lang


def translate(key: str, language: str | None = None) -> str:
    """Interface word for ``key`` in the page language (the key itself when unknown)."""
    return words.translate(key, language or lang())


def label(value: str | None, language: str | None = None) -> str:
    """Display word for a vocabulary value in the page language."""
    return words.label(value, language or lang())


def page_words(*prefixes: str) -> dict[str, str]:
    """The messages a page script uses (keys starting with ``prefixes``), in the page language."""
    return words.words(prefixes, lang())


class CatalogueDomain(flask_babel.Domain):
    """Flask-Babel's message domain, answered from the catalogues read at import."""

    def __init__(self) -> None:
        super().__init__(domain=words.DOMAIN)

    def get_translations(self) -> Translations:
        """The catalogue of the request's locale."""
        locale = flask_babel.get_locale()
        return words.translations("en" if locale is not None and locale.language == "en"
                                  else "zh")


class CatalogueBabel(flask_babel.Babel):
    """Flask-Babel with :class:`CatalogueDomain` as its default domain."""

    @cached_property
    def domain_instance(self) -> CatalogueDomain:  # type: ignore[override]
        """The message domain of this app."""
        return CatalogueDomain()


def init_app(app: Flask) -> None:
    """Flask-Babel (locale = the request's language), the language cookie, template helpers."""
    CatalogueBabel(app, default_locale=LOCALES[DEFAULT_LANGUAGE],
                   default_translation_directories=str(words.TRANSLATIONS_DIR),
                   default_timezone=str(LOCAL_TZ),
                   locale_selector=lambda: LOCALES[lang()])
    app.jinja_env.filters["local_time"] = words.local_time

    @app.before_request
    def pick_language() -> None:
        g.lang = current_language()

    @app.after_request
    def remember_language(response: Response) -> Response:
        chosen = request.args.get("lang")
        if chosen in LANGUAGES:
            response.set_cookie(COOKIE, chosen, max_age=365 * 86400, samesite="Lax")
        return response

    @app.context_processor
    def helpers() -> dict[str, object]:
        return {"t": translate, "label": label, "lang": lang()}
