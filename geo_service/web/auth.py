"""Sign-in, CSRF and the access policy on every request.

:func:`init_app` (one line in the app factory) sets the session cookie up (signed with the
secret key, HttpOnly, SameSite=Lax, Secure when configured or when the request came over
HTTPS, 12 hours) and one ``before_request`` hook that, in order:

1. finds who is asking: an ``Authorization: Bearer <token>`` API token (a wrong one is
   refused with 401), else the session's user: the cookie names a ``user_sessions`` row
   (:mod:`geo_service.auth.sessions`) that must be live, so logout, a password change,
   switching the account off and an admin's "end all sessions" end it at once, even for a
   copy of the cookie; else the public; ``g.user`` is the
   :class:`~geo_service.auth.accounts.Principal` or None, and the audit log's actor is set;
2. refuses a state-changing request that could be forged: one whose ``Origin`` header names
   another site (:func:`same_origin`), and one without the CSRF token (Flask-WTF's
   ``CSRFProtect``, asked
   here rather than before every request so that these exemptions hold): every
   POST/PUT/PATCH/DELETE that carries the session cookie must send the session's CSRF token
   (form field ``csrf_token`` or header ``X-CSRF-Token``), and so must every form post to a
   page; exempt are requests
   with an API token and requests to ``/api/`` and ``/open311/`` that carry no session
   cookie (integrations posting JSON or Open311 forms without a browser's credentials);
3. asks the policy table (:mod:`geo_service.auth.policy`), with the hazard's grid, building
   and level for per-hazard actions.

Refusals: 401 (sign in; a page GET is redirected to ``/login?next=...``) and 403 (wrong role,
out of scope, CSRF); JSON under ``/api/``, Open311's error list under ``/open311/``, a page
elsewhere; in the request's language.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import Markup, escape

from geo_service.auth import accounts, policy, sessions, signin_log
from geo_service.auth.messages import both
from geo_service.auth.throttle import LoginThrottle
from geo_service.web.i18n import lang, translate
from geo_service.web.open311_xml import error_list

log = logging.getLogger(__name__)

SESSION_COOKIE = "geo_session"
SESSION_HOURS = sessions.MAX_AGE_HOURS
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
KEY_FILE = "secret_key"
# Served without looking anybody up (public files and the health probe).
NO_IDENTITY = frozenset({"static", "assets.vendored", "health.healthz"})
API_PREFIXES = ("/api/", "/open311/")


# -- the secret key -----------------------------------------------------------------------------
def secret_key(settings: Any) -> str:
    """``Settings.secret_key``, else the key kept in ``data_dir/secret_key`` (made once, 0600)."""
    if settings.secret_key:
        return settings.secret_key
    folder = Path(settings.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            log.warning("%s was readable by others; made it private (0600)", path)
            path.chmod(0o600)
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
        raise RuntimeError(
            f"{path} holds no usable secret key; delete it to make a new one") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    return key


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, ``Secure`` whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


# -- CSRF (Flask-WTF) ---------------------------------------------------------------------------
csrf = CSRFProtect()


def csrf_token() -> str:
    """The signed CSRF token of the session (made on first use, which gives the visitor a
    session); forms send it as ``csrf_token``, scripts as ``X-CSRF-Token``."""
    return generate_csrf()


def csrf_field() -> Markup:
    """The hidden form field carrying the CSRF token (``{{ csrf_field() }}`` in a form)."""
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token())}">')


def has_session_cookie() -> bool:
    """Whether the request carries our session cookie (a browser's credentials)."""
    return bool(request.cookies.get(current_app.config.get("SESSION_COOKIE_NAME",
                                                           SESSION_COOKIE)))


def csrf_exempt() -> bool:
    """Token-authenticated requests, and API posts without the session cookie."""
    user = g.get("user")
    if user is not None and user.via == "token":
        return True
    return request.path.startswith(API_PREFIXES) and not has_session_cookie()


def csrf_valid() -> bool:
    """Whether the request sends the session's CSRF token (header or form field), as
    Flask-WTF checks it."""
    try:
        csrf.protect()
    except CSRFError:
        return False
    return True


def same_origin() -> bool:
    """Whether the request's ``Origin`` (when it sends one) is this site: a browser names the
    page that made the request, and a state change from another site's page is refused even
    with a valid CSRF token. The host (and port) must match the request's; ``null`` (sandboxed
    or privacy-stripped pages) never does."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    parts = urlsplit(origin.strip())
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


def forget_csrf() -> None:
    """Drop the session's CSRF token; the next form gets a new one."""
    session.pop(CSRF_FIELD, None)
    g.pop(CSRF_FIELD, None)


# -- who is asking ------------------------------------------------------------------------------
def engine() -> Any:
    return current_app.config["ENGINE"]


def bearer_token() -> str | None:
    """The token of ``Authorization: Bearer <token>``, if that is how the request authenticates;
    under /open311/ also GeoReport v2's ``api_key`` query or form parameter."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if request.path.startswith("/open311/"):
        return request.values.get("api_key") or None
    return None


def client_address() -> str:
    """The client's address as the rate limits see it (trusted proxies honoured)."""
    from geo_service.web.ratelimit import client_ip

    return client_ip(current_app.config["SETTINGS"].trusted_proxies)


def session_user() -> accounts.Principal | None:
    """The user of the session's live ``user_sessions`` row, or None (an ended or revoked
    session is cleared, so a replayed copy of its cookie signs nobody in)."""
    sid, uid = session.get("sid"), session.get("uid")
    with engine().begin() as conn:  # asked even for a malformed cookie: no shortcut to tell
        live = sessions.find(conn, sid) if isinstance(sid, str) else None
        user = (accounts.load_principal(conn, uid)
                if live and isinstance(uid, int) and live.user_id == uid else None)
    if user is None:
        session.clear()
        return None
    g.session_row = live.id
    return user


def sign_in(user: accounts.Principal) -> None:
    """A fresh session for ``user``: a new ``user_sessions`` row, nothing carried over, a new
    CSRF token."""
    session.clear()
    forget_csrf()
    with engine().begin() as conn:
        sid = sessions.open_session(conn, user.id, client_address(),
                                    request.headers.get("User-Agent"))
    session.permanent = True
    session["uid"] = user.id
    session["sid"] = sid


PENDING = "pending_login"
PENDING_SECONDS = 300


def begin_second_factor(user: accounts.Principal, target: str | None) -> None:
    """The password was right and a code is due: a fresh cookie remembers who (for
    :data:`PENDING_SECONDS`), signed in as nobody yet."""
    session.clear()
    forget_csrf()
    session[PENDING] = {"uid": user.id, "at": int(time.time()), "next": target or ""}


def pending_second_factor() -> tuple[int, str] | None:
    """``(user id, next path)`` of a sign-in waiting for its code, or None (none or expired)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("uid"), int):
        return None
    if not 0 <= time.time() - int(pending.get("at", 0)) <= PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    return pending["uid"], str(pending.get("next") or "")


def sign_out() -> None:
    """Revoke the session's row and forget the cookie's contents (a new session starts with a
    new CSRF token when needed)."""
    sid = session.get("sid")
    if isinstance(sid, str):
        with engine().begin() as conn:
            sessions.revoke(conn, sid)
    session.clear()
    forget_csrf()


def login_throttle() -> LoginThrottle | None:
    """The app's login throttle (counts kept by its Flask-Limiter), or None while the limits
    are switched off (``RATELIMIT_ENABLED``; off by default in ``TESTING`` apps)."""
    app = current_app
    if not app.config.get("RATELIMIT_ENABLED", not app.testing):
        return None
    found = app.extensions.get("login_throttle")
    if found is None:
        settings = app.config["SETTINGS"]
        strategy = app.extensions["report_limiter"].limiter.limiter
        found = LoginThrottle(strategy, settings.login_failures_per_account,
                              settings.login_failures_per_address, settings.login_lock_seconds)
        app.extensions["login_throttle"] = found
    return found


def log_signin(action: str, username: str, *, reason: str | None = None) -> None:
    """A sign-in attempt in the audit log (account as typed, address, browser; no password)."""
    with engine().begin() as conn:
        signin_log.record(conn, action, username, client_address(),
                          request.headers.get("User-Agent"), reason=reason)


def session_row() -> int | None:
    """The ``user_sessions`` id of this request's session (None: no signed-in session)."""
    return g.get("session_row")


def current_user() -> accounts.Principal | None:
    """The request's user (None: the public)."""
    return g.get("user")


def set_audit_actor(user: accounts.Principal | None) -> None:
    """Tell the audit log who acts in this request (when the audit module is there)."""
    try:
        from geo_service import audit
    except ImportError:  # pragma: no cover - the audit module is optional
        return
    var, actor = getattr(audit, "current_actor", None), getattr(audit, "Actor", None)
    if var is None or actor is None:
        return
    who = actor(f"user:{user.username}", user.id) if user is not None else actor("public", None)
    g._audit_token = var.set(who)


def reset_audit_actor(_error: BaseException | None = None) -> None:
    token = g.pop("_audit_token", None)
    if token is None:
        return
    from geo_service import audit

    with suppress(ValueError, RuntimeError):
        audit.current_actor.reset(token)


# -- refusals -----------------------------------------------------------------------------------
def safe_next(target: str | None) -> str | None:
    """A local path to return to after signing in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def refuse(status: int, key: str) -> Response:
    """401/403 in the format of the path: JSON, Open311, a redirect to sign in, or a page."""
    messages = both(key)
    code = {401: "unauthorized", 403: "forbidden"}[status]
    if key == "auth_csrf":
        code = "csrf"
    path = request.path
    if path.startswith("/open311/"):
        response = error_list(status, messages[lang()], path)  # errors/error for .xml
    elif path.startswith("/api/") or (request.accept_mimetypes.best == "application/json"):
        response = jsonify(error={"code": code, "message": messages[lang()],
                                  "messages": messages})
    elif status == 401 and request.method in ("GET", "HEAD") and bearer_token() is None:
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("auth_pages.login", next=target))
    else:
        html = render_template("auth_refused.html", message=messages[lang()], status=status,
                               signed_in=current_user() is not None)
        response = Response(html, mimetype="text/html")
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="geo-service"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the hook -----------------------------------------------------------------------------------
def hazard_scope(view_args: dict[str, Any] | None) -> dict[str, Any] | None:
    """Grid, building, level and reporter of the hazard named in the URL (None: no such)."""
    raw = (view_args or {}).get("hazard_id")
    try:
        ident = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    if not 0 < ident < 2**31:
        return None
    with engine().connect() as conn:
        return accounts.hazard_scope(conn, ident)


def guard() -> Response | None:
    """Identify, check CSRF, apply the policy (see the module's docstring)."""
    g.user = None
    endpoint = request.endpoint
    if request.routing_exception is not None:  # 404/405 follow; nothing runs
        return None
    if endpoint in NO_IDENTITY and request.method in ("GET", "HEAD"):
        return None
    token = bearer_token()
    if token is not None:
        with engine().connect() as conn:
            user = accounts.principal_for_token(conn, token)
            conn.commit()
        if user is None:
            set_audit_actor(None)
            return refuse(401, "auth_bad_token")
        g.user = user
    elif "uid" in session or "sid" in session:
        g.user = session_user()
    set_audit_actor(g.user)
    if request.method in policy.UNSAFE_METHODS and not csrf_exempt():
        if not same_origin():
            return refuse(403, "auth_origin")
        if not csrf_valid():
            return refuse(403, "auth_csrf")
    if endpoint is None:
        return None
    rule, _ = policy.rule_for(endpoint, request.method)
    hazard = hazard_scope(request.view_args) if rule.scope == "hazard" else None
    decision = policy.decide(endpoint, request.method, g.user, hazard=hazard,
                             anonymous_reports=anonymous_reports())
    if not decision.allowed:
        return refuse(decision.status, decision.reason)
    return None


def anonymous_reports() -> bool:
    """Whether the public may report (``Settings.allow_anonymous_reports``)."""
    return bool(current_app.config["SETTINGS"].allow_anonymous_reports)


def private_responses(response: Response) -> Response:
    """What a signed-in user sees is never kept by shared caches."""
    if g.get("user") is not None and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "private, no-store"
    return response


# -- templates ----------------------------------------------------------------------------------
def may_visit(path: str) -> bool:
    """Whether the current user may open ``path`` (GET), scope aside: for the navigation."""
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path, method="GET")
    except Exception:  # noqa: BLE001 - NotFound, MethodNotAllowed, RequestRedirect
        return True
    user = current_user()
    return policy.decide(endpoint, "GET", user, anonymous_reports=anonymous_reports()).allowed


def role_label(role: str) -> str:
    """A role in the page language."""
    return translate(f"auth_role_{role}")


def template_helpers() -> dict[str, Any]:
    return {"current_user": current_user(), "csrf_token": csrf_token, "csrf_field": csrf_field,
            "may_visit": may_visit, "role_label": role_label}


def init_app(app: Flask) -> None:
    """Sessions, CSRF and the per-request guard (see the module's docstring); the sign-in
    pages are the blueprint of :mod:`geo_service.web.auth_pages`."""
    settings = app.config["SETTINGS"]
    app.secret_key = secret_key(settings)
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        # Flask-WTF checks only where guard() asks it (after the exemptions), the token lives
        # as long as the session, and HTTPS requests need no Referer (as before).
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_FIELD_NAME=CSRF_FIELD,
        WTF_CSRF_HEADERS=[CSRF_HEADER, "X-CSRFToken"],
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
    )
    csrf.init_app(app)
    app.session_interface = SessionInterface()
    app.before_request(guard)
    app.after_request(private_responses)
    app.teardown_request(reset_audit_actor)
    app.context_processor(template_helpers)
