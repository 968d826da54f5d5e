"""The ``geo-service`` command line: the same functions the web service uses.

One module per command group (``db``, ``load``, ``check``, ``serve``, ``gaps``, ``place``,
``route``, ``patrol``, ``export``/``restore``, ``audit``, ``users``), shared helpers in
:mod:`geo_service.cli.common`, all registered on :data:`main` in :mod:`geo_service.cli.root`.
"""

from geo_service.cli.root import main, run

__all__ = ["main", "run"]
