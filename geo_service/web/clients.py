"""Who is sending a request, as the scope of its idempotency key.

A report's ``Idempotency-Key`` belongs to the client that sent it: a signed-in user
(``user:<id>``), an integration's API token (``token:<digest>``, so two tokens of one account
are two clients) or, without an account, the client's address (``addr:<ip>``; behind trusted
proxies the address they forwarded, see ``Settings.trusted_proxies``).
"""

from __future__ import annotations

from flask import request

from geo_service.auth.accounts import token_digest
from geo_service.web.auth import bearer_token, current_user


def client_scope() -> str:
    """The scope of this request's idempotency key (see the module's docstring)."""
    user = current_user()
    if user is not None and user.via == "token":
        return "token:" + token_digest(bearer_token() or "")[:32]
    if user is not None:
        return f"user:{user.id}"
    return f"addr:{request.remote_addr or 'unknown'}"
