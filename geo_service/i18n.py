"""The words a person reads, Chinese first and English second, with no web framework.

Every message has a key; :func:`translate` gives it in a language, :func:`say` fills in its
parameters (vocabulary values and actions wrapped in :class:`Term` are shown by their label) and
:func:`both` gives ``{"zh": ..., "en": ...}`` for error bodies. The domain, the command line and
the web layer all call these; the web layer only chooses the request's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geo_service.vocab import LABELS_ZH

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

# key -> (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {}

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


def register_messages(messages: Mapping[str, tuple[str, str]]) -> None:
    """Add words (key -> (Chinese, English)); a key may be defined only once."""
    clash = set(messages) & set(MESSAGES)
    if clash:
        raise ValueError(f"message keys defined twice: {sorted(clash)}")
    MESSAGES.update(messages)


def known(key: str) -> bool:
    """Whether ``key`` has words."""
    return key in MESSAGES


def translate(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The words for ``key`` in ``lang`` (the key itself when unknown)."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


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
