"""Accounts, roles and privacy: passwords, API tokens and one access policy (no Flask here).

* :mod:`~geo_service.auth.passwords` - scrypt hashes;
* :mod:`~geo_service.auth.accounts` - users, their grids and buildings, API tokens;
* :mod:`~geo_service.auth.policy` - the table of who may call which endpoint;
* :mod:`~geo_service.auth.privacy` - what of a hazard each reader sees.

Sessions, CSRF and the per-request guard are the web's: :mod:`geo_service.web.auth`; the
sign-in and account pages: :mod:`geo_service.web.auth_pages`.
"""
