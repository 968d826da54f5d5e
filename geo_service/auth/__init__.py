"""Accounts, roles and privacy: password sign-in, API tokens, CSRF and one access policy.

* :mod:`~geo_service.auth.passwords` - scrypt hashes;
* :mod:`~geo_service.auth.accounts` - users, their grids and buildings, API tokens;
* :mod:`~geo_service.auth.policy` - the table of who may call which endpoint;
* :mod:`~geo_service.auth.privacy` - what of a hazard each reader sees;
* :mod:`~geo_service.auth.web` - sessions, CSRF and the per-request guard
  (:func:`init_app`).
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Install sessions, the sign-in pages and the access guard on ``app``."""
    from geo_service.auth.web import init_app as install

    install(app)


def current_user() -> Any:
    """The request's :class:`~geo_service.auth.accounts.Principal` (None: the public)."""
    from flask import g

    return g.get("user")
