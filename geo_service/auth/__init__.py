"""Accounts, roles and privacy: passwords, API tokens and one access policy (no Flask here).

* :mod:`~geo_service.auth.passwords` - scrypt hashes and the rules for a new password
  (:mod:`~geo_service.auth.password_strength`: zxcvbn);
* :mod:`~geo_service.auth.sessions` - server-side sessions (``user_sessions``);
* :mod:`~geo_service.auth.throttle` - failed sign-ins counted per account and address;
* :mod:`~geo_service.auth.signin_log` - sign-ins in the audit log;
* :mod:`~geo_service.auth.totp` - the TOTP second factor and recovery codes;
* :mod:`~geo_service.auth.accounts` - users, their grids and buildings, API tokens;
* :mod:`~geo_service.auth.policy` - the table of who may call which endpoint;
* :mod:`~geo_service.auth.privacy` - what of a hazard each reader sees.

Sessions, CSRF and the per-request guard are the web's: :mod:`geo_service.web.auth`; the
sign-in and account pages: :mod:`geo_service.web.auth_pages`.
"""
