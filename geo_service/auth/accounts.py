"""Accounts in the database: users with their grids and buildings, and API tokens.

Every function takes an open SQLAlchemy ``Connection`` (the caller owns the transaction), like
:mod:`geo_service.hazards.service`. Grids are named by their number and buildings by their
``source_id`` (what people know them by); they are stored by id.

API tokens are 256-bit random strings shown once; only their SHA-256 is stored, so a copy of
the database cannot be used to act as anybody.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo_service.auth import messages as _messages  # noqa: F401 - registers the words
from geo_service.auth import sessions
from geo_service.auth.passwords import check_new_password, hash_password, verify_password
from geo_service.errors import ServiceError
from geo_service.models import Role

ROLES = tuple(r.value for r in Role)
TOKEN_PREFIX = "gst_"
MAX_USERNAME = 100


class AccountError(ServiceError, ValueError):
    """A refused account change (422): a message key of :mod:`geo_service.auth.messages` and
    its parameters."""

    code = "account_refused"
    http_status = 422


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a signed-in user (by session) or an integration (by token)."""

    id: int
    username: str
    display_name: str | None
    role: str
    grid_ids: frozenset[int]
    grid_numbers: frozenset[int]
    building_ids: frozenset[int]
    via: str = "session"  # or "token"
    password_hash: str = ""  # to check the current password; never shown

    is_authenticated = True

    @property
    def name(self) -> str:
        """What pages show: the display name, else the username."""
        return self.display_name or self.username

    def __repr__(self) -> str:  # keep the hash out of logs
        return f"Principal({self.username!r}, {self.role!r}, via={self.via!r})"


# -- reading ------------------------------------------------------------------------------------
def load_principal(conn: Connection, user_id: int, via: str = "session") -> Principal | None:
    """The active user ``user_id`` with their grids and buildings, or None."""
    row = conn.execute(text("""
        SELECT u.id, u.username, u.display_name, u.role, u.password_hash,
               coalesce(array(SELECT ug.grid_id FROM user_grids ug WHERE ug.user_id = u.id),
                        '{}') AS grid_ids,
               coalesce(array(SELECT g.number FROM user_grids ug JOIN grids g ON g.id = ug.grid_id
                              WHERE ug.user_id = u.id), '{}') AS grid_numbers,
               coalesce(array(SELECT ub.building_id FROM user_buildings ub
                              WHERE ub.user_id = u.id), '{}') AS building_ids
        FROM users u WHERE u.id = :id AND u.active"""), {"id": user_id}).mappings().first()
    if row is None:
        return None
    return Principal(id=row["id"], username=row["username"], display_name=row["display_name"],
                     role=row["role"], grid_ids=frozenset(row["grid_ids"]),
                     grid_numbers=frozenset(row["grid_numbers"]),
                     building_ids=frozenset(row["building_ids"]), via=via,
                     password_hash=row["password_hash"])


def authenticate(conn: Connection, username: str, password: str) -> Principal | None:
    """The active user with this username and password, else None (same cost either way)."""
    row = conn.execute(text("SELECT id, password_hash, active FROM users WHERE username = :u"),
                       {"u": username.strip()[:MAX_USERNAME]}).first()
    if not verify_password(row.password_hash if row else None, password) or not row.active:
        return None
    return load_principal(conn, row.id)


def user_id(conn: Connection, username: str) -> int:
    """The id of ``username``; :class:`AccountError` when there is none."""
    found = conn.execute(text("SELECT id FROM users WHERE username = :u"),
                         {"u": username.strip()}).scalar()
    if found is None:
        raise AccountError("auth_no_user", username=username)
    return found


def list_users(conn: Connection) -> list[dict[str, Any]]:
    """Every user with role, grids (numbers), buildings (source ids) and live token count."""
    return [dict(r) for r in conn.execute(text("""
        SELECT u.id, u.username, u.display_name, u.role, u.phone, u.active, u.created_at,
               array(SELECT g.number FROM user_grids ug JOIN grids g ON g.id = ug.grid_id
                     WHERE ug.user_id = u.id ORDER BY g.number) AS grids,
               array(SELECT b.source_id FROM user_buildings ub
                     JOIN buildings b ON b.id = ub.building_id
                     WHERE ub.user_id = u.id ORDER BY b.source_id) AS buildings,
               (SELECT count(*) FROM api_tokens t WHERE t.user_id = u.id
                  AND t.revoked_at IS NULL) AS tokens
        FROM users u ORDER BY u.username""")).mappings()]


def list_tokens(conn: Connection, owner_id: int | None = None) -> list[dict[str, Any]]:
    """API tokens (never their value): id, owner, name, created, last used, revoked."""
    where = "" if owner_id is None else " WHERE t.user_id = :owner"
    return [dict(r) for r in conn.execute(text(
        "SELECT t.id, t.user_id, u.username, t.name, t.created_at, t.last_used_at, "
        "t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id" + where
        + " ORDER BY t.created_at, t.id"), {"owner": owner_id}).mappings()]


def own_hazards(conn: Connection, owner_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """The hazards a user reported (``hazards.reporter_user_id``), newest first."""
    return [dict(r) for r in conn.execute(text("""
        SELECT id, category, status, level, reporter_name, reporter_contact, reported_at
        FROM hazards WHERE reporter_user_id = :u
        ORDER BY reported_at DESC, id DESC LIMIT :n"""), {"u": owner_id, "n": limit}).mappings()]


# -- writing ------------------------------------------------------------------------------------
def clean_username(username: str) -> str:
    """A username: stripped, 1..100 characters, no spaces or control characters."""
    name = (username or "").strip()
    if not name or len(name) > MAX_USERNAME or any(c.isspace() or ord(c) < 32 for c in name):
        raise AccountError("auth_bad_username", limit=MAX_USERNAME)
    return name


def grid_ids(conn: Connection, numbers: Iterable[int]) -> list[int]:
    """Grid ids for grid numbers; :class:`AccountError` naming the unknown ones."""
    wanted = sorted(set(int(n) for n in numbers))
    if not wanted:
        return []
    found = dict(conn.execute(text("SELECT number, id FROM grids WHERE number = ANY(:n)"),
                              {"n": wanted}).all())
    missing = [n for n in wanted if n not in found]
    if missing:
        raise AccountError("auth_no_grid", grids=", ".join(map(str, missing)))
    return [found[n] for n in wanted]


def building_ids(conn: Connection, source_ids: Iterable[str]) -> list[int]:
    """Building ids for building source ids; :class:`AccountError` naming unknown ones."""
    wanted = sorted(set(s.strip() for s in source_ids if s and s.strip()))
    if not wanted:
        return []
    found = dict(conn.execute(text(
        "SELECT source_id, id FROM buildings WHERE source_id = ANY(:s)"), {"s": wanted}).all())
    missing = [s for s in wanted if s not in found]
    if missing:
        raise AccountError("auth_no_building", buildings=", ".join(missing))
    return [found[s] for s in wanted]


def create_user(conn: Connection, username: str, password: str, role: str, *,
                display_name: str | None = None, phone: str | None = None,
                grids: Sequence[int] = (), buildings: Sequence[str] = ()) -> int:
    """Store a new user (password hashed) with their grids (numbers) and buildings
    (source ids); returns the id. :class:`AccountError` for a taken name or unknown grid."""
    username = clean_username(username)
    if role not in ROLES:
        raise AccountError("auth_bad_role", roles=", ".join(ROLES))
    check_new_password(password, username)
    if conn.execute(text("SELECT 1 FROM users WHERE username = :u"), {"u": username}).first():
        raise AccountError("auth_user_exists", username=username)
    grid_list, building_list = grid_ids(conn, grids), building_ids(conn, buildings)
    new_id = conn.execute(text("""
        INSERT INTO users (username, display_name, password_hash, role, phone)
        VALUES (:u, :d, :h, :r, :p) RETURNING id"""), {
            "u": username, "d": (display_name or "").strip()[:100] or None,
            "h": hash_password(password), "r": role,
            "p": (phone or "").strip()[:50] or None}).scalar_one()
    for gid in grid_list:
        conn.execute(text("INSERT INTO user_grids (user_id, grid_id) VALUES (:u, :g)"),
                     {"u": new_id, "g": gid})
    for bid in building_list:
        conn.execute(text("INSERT INTO user_buildings (user_id, building_id) VALUES (:u, :b)"),
                     {"u": new_id, "b": bid})
    return new_id


def set_password(conn: Connection, username: str, password: str) -> None:
    """Replace a user's password (every session signed in with the old one ends)."""
    ident = user_id(conn, username)
    check_new_password(password, username)
    conn.execute(text("UPDATE users SET password_hash = :h WHERE id = :id"),
                 {"h": hash_password(password), "id": ident})
    sessions.revoke_all(conn, ident)


def set_active(conn: Connection, ident: int, active: bool) -> None:
    """Switch an account on or off (off: its sessions and tokens stop working at once)."""
    done = conn.execute(text("UPDATE users SET active = :a WHERE id = :id"),
                        {"a": active, "id": ident}).rowcount
    if not done:
        raise AccountError("auth_no_user", username=str(ident))
    if not active:
        sessions.revoke_all(conn, ident)


def mark_reporter(conn: Connection, hazard_id: int, principal: Principal | None) -> None:
    """Record that the signed-in ``principal`` reported ``hazard_id`` (no-op when anonymous)."""
    if principal is None:
        return
    conn.execute(text("UPDATE hazards SET reporter_user_id = :u "
                      "WHERE id = :id AND reporter_user_id IS NULL"),
                 {"u": principal.id, "id": hazard_id})


# -- tokens -------------------------------------------------------------------------------------
def hazard_scope(conn: Connection, hazard_id: int) -> dict[str, Any] | None:
    """Grid, building, level and reporter of a hazard (None: no such hazard), for the policy."""
    row = conn.execute(text("SELECT grid_id, building_id, level, reporter_user_id "
                            "FROM hazards WHERE id = :id"), {"id": hazard_id}).mappings().first()
    return dict(row) if row else None


def token_digest(token: str) -> str:
    """SHA-256 hex of a token: what is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(conn: Connection, username: str, name: str) -> str:
    """A new API token for ``username`` named ``name``; returned once, only its hash kept."""
    ident = user_id(conn, username)
    label = (name or "").strip()
    if not label or len(label) > 100:
        raise AccountError("auth_bad_token_name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(text("INSERT INTO api_tokens (user_id, name, token_sha256) "
                      "VALUES (:u, :n, :h)"), {"u": ident, "n": label, "h": token_digest(token)})
    return token


def revoke_token(conn: Connection, token_id: int) -> bool:
    """Revoke a token by id; False when there is no live token with that id."""
    return bool(conn.execute(text("UPDATE api_tokens SET revoked_at = now() "
                                  "WHERE id = :id AND revoked_at IS NULL"),
                             {"id": token_id}).rowcount)


def principal_for_token(conn: Connection, token: str) -> Principal | None:
    """The active user a live token acts as (its last use noted, at most every 5 min)."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(text("""
        SELECT t.id, t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_sha256 = :h AND t.revoked_at IS NULL AND u.active"""),
        {"h": token_digest(token)}).first()
    if row is None:
        return None
    conn.execute(text("UPDATE api_tokens SET last_used_at = now() WHERE id = :id AND "
                      "(last_used_at IS NULL OR last_used_at < now() - interval '5 minutes')"),
                 {"id": row.id})
    return load_principal(conn, row.user_id, via="token")
