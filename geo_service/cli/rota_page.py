"""The printable patrol rota: :func:`geo_service.analysis.rota.rota_sheet` rendered as HTML.

The rota is computed in :mod:`geo_service.analysis.rota`; only the page (``templates/rota.html``,
a stand-alone file people print, not a page of the web service) is made here.
"""

from __future__ import annotations

from collections.abc import Sequence

from jinja2 import Environment, FileSystemLoader, select_autoescape

from geo_service.analysis.rota import Rota, rota_sheet
from geo_service.config import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates"


def rota_html(rota: Rota, lang: str = "zh", weeks: Sequence[int] | None = None) -> str:
    """A printable rota page for ``weeks`` (0-based; default all), in ``lang`` (zh or en)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html"]))
    return env.get_template("rota.html").render(**rota_sheet(rota, lang, weeks))
