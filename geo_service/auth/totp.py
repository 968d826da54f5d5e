"""TOTP second factor (RFC 6238, pyotp) and one-time recovery codes (no Flask here).

Community admins and subdistrict staff (:data:`TOTP_ROLES`) may enrol from ``/account``: a
secret is drawn and shown as a QR code (SVG made by segno, served by the app) and as text; the
first right code confirms it and yields :data:`RECOVERY_CODES` recovery codes, shown once and
stored as SHA-256 (they are random, 50 bits each, so a fast hash suffices, as for API tokens).
From then on signing in asks for a 6-digit code after the password. A code is accepted one
30-second step either side of now, and each step once only (``user_totp.last_step``), so an
overheard code cannot be replayed; a recovery code works once.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import time

import pyotp
import segno
from sqlalchemy import Connection, text

from geo_service.models import Role

TOTP_ROLES = frozenset({Role.COMMUNITY_ADMIN.value, Role.SUBDISTRICT.value})
RECOVERY_CODES = 10
ISSUER = "geo-service"
STEP_SECONDS = 30
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes


def code_digest(code: str) -> str:
    """SHA-256 of a recovery code as typed, dashes and spaces dropped, lower case."""
    clean = "".join(c for c in code.lower() if c.isalnum())
    return hashlib.sha256(clean.encode("utf-8")).hexdigest()


def new_recovery_code() -> str:
    """``xxxxx-xxxxx`` from a look-alike-free alphabet."""
    letters = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{letters[:5]}-{letters[5:]}"


def enabled(conn: Connection, user_id: int) -> bool:
    """Whether ``user_id`` signs in with a second factor (a confirmed secret)."""
    return bool(conn.execute(text("SELECT 1 FROM user_totp WHERE user_id = :u AND "
                                  "confirmed_at IS NOT NULL"), {"u": user_id}).first())


def pending_secret(conn: Connection, user_id: int, *, start: bool = False) -> str | None:
    """The unconfirmed secret of an enrolment under way (a new one when ``start``); None when
    enrolled already, or none is under way and ``start`` is false."""
    row = conn.execute(text("SELECT secret, confirmed_at FROM user_totp WHERE user_id = :u"),
                       {"u": user_id}).first()
    if row is not None:
        return None if row.confirmed_at is not None else row.secret
    if not start:
        return None
    secret = pyotp.random_base32()
    conn.execute(text("INSERT INTO user_totp (user_id, secret) VALUES (:u, :s)"),
                 {"u": user_id, "s": secret})
    return secret


def provisioning_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as a standalone SVG document."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=4, dark="#000",
                                    light="#fff")
    return out.getvalue().decode("utf-8")


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (now, one before or one after) whose code is ``code``, or None."""
    code = "".join(c for c in (code or "") if not c.isspace())
    if len(code) != 6 or not code.isdigit():
        return None
    moment = time.time() if now is None else now
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        at = moment + offset * STEP_SECONDS
        if secrets.compare_digest(totp.at(at), code):
            return totp.timecode(at)
    return None


def confirm(conn: Connection, user_id: int, code: str) -> list[str] | None:
    """Finish enrolment with a right code: the recovery codes (shown once), else None."""
    secret = pending_secret(conn, user_id)
    step = matching_step(secret, code) if secret else None
    if step is None:
        return None
    conn.execute(text("UPDATE user_totp SET confirmed_at = now(), last_step = :s "
                      "WHERE user_id = :u"), {"s": step, "u": user_id})
    return replace_recovery_codes(conn, user_id)


def replace_recovery_codes(conn: Connection, user_id: int) -> list[str]:
    """New recovery codes for ``user_id`` (the old ones stop working); returned once."""
    conn.execute(text("DELETE FROM user_recovery_codes WHERE user_id = :u"), {"u": user_id})
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        conn.execute(text("INSERT INTO user_recovery_codes (user_id, code_sha256) "
                          "VALUES (:u, :h)"), {"u": user_id, "h": code_digest(code)})
    return codes


def verify(conn: Connection, user_id: int, code: str) -> str | None:
    """Check a second factor: ``"totp"`` for a fresh right code, ``"recovery"`` for an unused
    recovery code (now used up), None otherwise."""
    row = conn.execute(text("SELECT secret, last_step FROM user_totp WHERE user_id = :u "
                            "AND confirmed_at IS NOT NULL FOR UPDATE"), {"u": user_id}).first()
    if row is None:
        return None
    step = matching_step(row.secret, code)
    if step is not None:
        if row.last_step is not None and step <= row.last_step:
            return None  # this step's code was used already
        conn.execute(text("UPDATE user_totp SET last_step = :s WHERE user_id = :u"),
                     {"s": step, "u": user_id})
        return "totp"
    if not code or len(code) > 40:
        return None
    used = conn.execute(text(
        "UPDATE user_recovery_codes SET used_at = now() WHERE user_id = :u "
        "AND code_sha256 = :h AND used_at IS NULL"),
        {"u": user_id, "h": code_digest(code)}).rowcount
    return "recovery" if used else None


def recovery_codes_left(conn: Connection, user_id: int) -> int:
    """How many recovery codes of ``user_id`` are unused."""
    return conn.execute(text("SELECT count(*) FROM user_recovery_codes WHERE user_id = :u "
                             "AND used_at IS NULL"), {"u": user_id}).scalar_one()


def disable(conn: Connection, user_id: int) -> None:
    """Drop the second factor and the recovery codes of ``user_id``."""
    conn.execute(text("DELETE FROM user_recovery_codes WHERE user_id = :u"), {"u": user_id})
    conn.execute(text("DELETE FROM user_totp WHERE user_id = :u"), {"u": user_id})
