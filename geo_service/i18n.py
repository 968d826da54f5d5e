"""The words a person reads, Chinese first and English second, with no web framework.

Every message has a key, the msgid of the gettext catalogues
``translations/<locale>/LC_MESSAGES/messages.po`` (``zh_CN`` and ``en``), read once with
Babel when this module is imported (no compiled ``.mo`` file, so a fresh clone needs no build
step). :func:`translate` gives a key in a language, :func:`say` fills in its ``{name}``
parameters (vocabulary values and actions wrapped in :class:`Term` are shown by their label)
and :func:`both` gives ``{"zh": ..., "en": ...}`` for error bodies. The domain, the command
line and the web layer all call these; the web layer only chooses the request's language and
hands :func:`translations` to Flask-Babel.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from geo_service.vocab import LABELS_ZH

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
#: The catalogue (gettext locale) of each language.
LOCALES = {"zh": "zh_CN", "en": "en"}
TRANSLATIONS_DIR = Path(__file__).with_name("translations")
DOMAIN = "messages"

ENGLISH_LABELS: dict[str, str] = {
    "in_progress": "in progress",
    "dirty_alley": "dirty back alley",
    "dim_lighting": "dim lighting",
    "peeling_wall": "peeling wall",
    "leaking_drain": "leaking drain",
    "fire_risk": "fire risk",
    "broken_light": "broken streetlight",
    "broken_camera": "broken camera",
    "self_built": "self-built house",
    "factory_compound": "factory compound",
    "parking": "hard parking",
    "yes": "lit",
    "no": "unlit",
}


def catalogue_path(lang: str) -> Path:
    """The ``.po`` file of ``lang``."""
    return TRANSLATIONS_DIR / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(lang: str) -> Catalog:
    """The catalogue of ``lang`` as Babel reads it."""
    with catalogue_path(lang).open("rb") as po:
        return read_po(po, locale=LOCALES[lang], domain=DOMAIN)


def _texts(catalog: Catalog) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


_CATALOGUES = {lang: read_catalogue(lang) for lang in LANGUAGES}
_TEXTS = {lang: _texts(catalog) for lang, catalog in _CATALOGUES.items()}


def _language(lang: str | None) -> str:
    """``zh`` for Chinese, ``en`` for anything else (as the pages have always done)."""
    return "zh" if lang == "zh" else "en"


def known(key: str) -> bool:
    """Whether ``key`` has words."""
    return key in _TEXTS[DEFAULT_LANGUAGE]


def keys() -> list[str]:
    """Every message key of the default catalogue, in catalogue order."""
    return list(_TEXTS[DEFAULT_LANGUAGE])


def translate(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The words for ``key`` in ``lang`` (the key itself when unknown)."""
    return _TEXTS[_language(lang)].get(key, key)


def words(prefixes: str | Iterable[str], lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Every message whose key starts with one of ``prefixes``: the words a page script uses."""
    starts = (prefixes,) if isinstance(prefixes, str) else tuple(prefixes)
    return {key: text for key, text in _TEXTS[_language(lang)].items() if key.startswith(starts)}


def weekday(index: int, lang: str = DEFAULT_LANGUAGE, *, short: bool = False) -> str:
    """The name of weekday ``index`` (0 = Monday): 周一 / Monday, or 周一 / Mon when ``short``."""
    return translate(f"weekday.{'short.' if short else ''}{index}", lang)


def translations(lang: str) -> Translations:
    """The catalogue of ``lang`` as a gettext object (compiled in memory once, for Flask-Babel)."""
    return _compiled(_language(lang))


@cache
def _compiled(lang: str) -> Translations:
    compiled = io.BytesIO()
    write_mo(compiled, _CATALOGUES[lang])
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def label(value: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """Display word for a vocabulary value (``alley`` -> 背街小巷 / back alley)."""
    if value is None:
        return ""
    if lang == "zh":
        return LABELS_ZH.get(value, value)
    return ENGLISH_LABELS.get(value, value.replace("_", " "))


@dataclass(frozen=True)
class Term:
    """A vocabulary value (status, level, category...) or an action, shown by its label."""

    value: str
    action: bool = False

    def render(self, lang: str) -> str:
        """The label in ``lang``."""
        if self.action:
            return translate(f"hz.action.{self.value}", lang)
        return label(self.value, lang)


@dataclass(frozen=True)
class Word:
    """Another message (by key) used as a parameter, shown in each language."""

    key: str

    def render(self, lang: str) -> str:
        """The message in ``lang``."""
        return translate(self.key, lang)


def render(value: Any, lang: str) -> str:
    """One message parameter in ``lang`` (terms by label, lists joined)."""
    if isinstance(value, Term | Word):
        return value.render(lang)
    if isinstance(value, list | tuple):
        if not value:
            return translate("hz.none", lang)
        return ("、" if lang == "zh" else ", ").join(render(v, lang) for v in value)
    return str(value)


def say(key: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The message ``key`` in ``lang`` with its parameters filled in."""
    return translate(key, lang).format(**{k: render(v, lang) for k, v in params.items()})


def both(key: str, **params: Any) -> dict[str, str]:
    """The message in both languages: ``{"zh": ..., "en": ...}``."""
    return {lang: say(key, lang, **params) for lang in LANGUAGES}


def local_time(value: datetime | None, *, empty: str = "") -> str:
    """A stored time as the community reads it, ``2026-06-13 18:00`` in its time zone
    (Asia/Shanghai for the sample; a naive value is taken as UTC). Every page, sheet and mail
    that shows a time calls this (the ``local_time`` template filter)."""
    from geo_service.hazards.inputs import LOCAL_TZ

    if value is None:
        return empty
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
