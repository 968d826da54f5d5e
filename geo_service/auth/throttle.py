"""Login throttling: failed sign-ins counted per account and per client address.

Counts are kept by the rate-limit strategy of the app's Flask-Limiter (the same storage as the
report limit, ``Settings.rate_limit_storage_uri``), in moving windows of
``Settings.login_lock_seconds``: after ``login_failures_per_account`` wrong passwords for one
account (known or not, so the answer tells nothing about which names exist), or
``login_failures_per_address`` failed sign-ins from one address, every sign-in for that
account or from that address is refused until the oldest counted failure leaves the window,
the right password included. A successful sign-in clears the account's count (not the
address's). Nothing here knows Flask: :mod:`geo_service.web.auth_pages` asks it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.strategies import RateLimiter

NAMESPACE = "login"


@dataclass(frozen=True)
class Lock:
    """Why a sign-in is refused now: ``account`` or ``address``, and the seconds to wait."""

    reason: str
    seconds: int

    @property
    def message_key(self) -> str:
        """The message a person reads (``auth_login_locked_account`` / ``..._address``)."""
        return f"auth_login_locked_{self.reason}"


def account_key(username: str) -> str:
    """The account a sign-in names, as counted: trimmed, lower case, at most 100 characters."""
    return (username or "").strip().lower()[:100]


class LoginThrottle:
    """Counts failed sign-ins and says when an account or an address is locked."""

    def __init__(self, strategy: RateLimiter, per_account: int, per_address: int,
                 window_seconds: int) -> None:
        window = max(1, int(window_seconds))
        self.strategy = strategy
        self.account_limit = RateLimitItemPerSecond(max(1, per_account), window, NAMESPACE)
        self.address_limit = RateLimitItemPerSecond(max(1, per_address), window, NAMESPACE)

    def _pairs(self, username: str, address: str) -> list[tuple[str, object, str]]:
        return [("account", self.account_limit, "account:" + account_key(username)),
                ("address", self.address_limit, "address:" + (address or "unknown"))]

    def locked(self, username: str, address: str) -> Lock | None:
        """The lock in force for this account or address (the longer wait first), or None."""
        found = []
        for reason, limit, key in self._pairs(username, address):
            if not self.strategy.test(limit, key):
                stats = self.strategy.get_window_stats(limit, key)
                found.append(Lock(reason, max(1, math.ceil(stats.reset_time - time.time()))))
        return max(found, key=lambda lock: lock.seconds) if found else None

    def failed(self, username: str, address: str) -> None:
        """Count a failed sign-in for the account and for the address."""
        for _reason, limit, key in self._pairs(username, address):
            self.strategy.hit(limit, key)

    def succeeded(self, username: str) -> None:
        """A right password: the account's failures are forgotten."""
        self.strategy.clear(self.account_limit, "account:" + account_key(username))
