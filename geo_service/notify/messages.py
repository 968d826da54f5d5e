"""The words of a notification: subject and text of each kind, in Chinese and English.

A notification stores its kind and plain parameters (hazard number, category, status, level,
note); the words are made when it is read (the inbox, in the reader's language) or sent (a mail
carries Chinese first, then English). The ``nt.`` keys are in the gettext catalogues.
"""

from __future__ import annotations

from typing import Any

from geo_service.i18n import LANGUAGES, Term, say

KINDS = ("new_report", "assigned", "escalated", "status", "comment", "overdue")


def _params(params: dict[str, Any]) -> dict[str, Any]:
    """Message parameters: vocabulary values shown by their label."""
    return {"id": params.get("hazard_id", ""),
            "category": Term(params.get("category") or ""),
            "status": Term(params.get("to_status") or params.get("status") or ""),
            "level": Term(params.get("to_level") or params.get("level") or ""),
            "note": params.get("note") or "-",
            "due": (params.get("due_at") or "")[:16].replace("T", " ")}


def subject(kind: str, params: dict[str, Any], lang: str = "zh") -> str:
    """The one-line subject of a notification."""
    return say(f"nt.subject.{kind}", lang, **_params(params))


def text(kind: str, params: dict[str, Any], lang: str = "zh") -> str:
    """The notification's sentence."""
    return say(f"nt.body.{kind}", lang, **_params(params))


def mail_body(kind: str, params: dict[str, Any], link: str) -> str:
    """A mail's text: each language's sentence and the link, Chinese first."""
    parts = []
    for lang in LANGUAGES:
        parts.append(text(kind, params, lang) + "\n" + say("nt.link", lang, url=link))
    parts.append(say("nt.footer", "zh") + " / " + say("nt.footer", "en"))
    return "\n\n".join(parts) + "\n"


def mail_subject(kind: str, params: dict[str, Any]) -> str:
    """A mail's subject, Chinese then English."""
    return f"{subject(kind, params, 'zh')} / {subject(kind, params, 'en')}"
