"""Sign in and out, one's own account, and the accounts page of the community admin.

``/login`` (GET form, POST check; ``/login/code`` asks the second factor of those who have
one), ``POST /logout``, ``/account`` (who I am, my reports with their contact, my sessions,
change my password; ``/account/totp``: the second factor), ``/users`` (community admin:
accounts, add one, switch one off or on, end its sessions, API tokens: make one - shown once -
or revoke one). Every form carries the CSRF
token; who may open what is in :mod:`geo_service.auth.policy`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import format_datetime
from werkzeug.wrappers import Response as BaseResponse

from geo_service.auth import accounts, sessions, totp
from geo_service.auth.passwords import PasswordRefused, check_new_password, verify_password
from geo_service.auth.policy import ROLES
from geo_service.web.auth import (
    begin_second_factor,
    client_address,
    current_user,
    log_signin,
    login_throttle,
    pending_second_factor,
    safe_next,
    session_row,
    sign_in,
    sign_out,
)
from geo_service.web.db import engine
from geo_service.web.i18n import translate

blueprint = Blueprint("auth_pages", __name__)

def say(key: str, **params: Any) -> str:
    """A message in the page language, parameters filled in."""
    return translate(key).format(**params)


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A page of this module, never cached."""
    response = Response(render_template(template, say=say, **context), status=status,
                        mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


# -- sign in / out -------------------------------------------------------------------------------
@blueprint.get("/login")
def login() -> Response:
    """The sign-in form."""
    return page("login.html", next=safe_next(request.args.get("next")) or "", error=None,
                username="")


@blueprint.post("/login")
def login_posted() -> BaseResponse:
    """Check the password; a new session on success (400 with the form again otherwise, 429
    while the account or the address is locked after too many failures)."""
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    target = safe_next(request.form.get("next"))
    if not (username and password):
        return login_refused(username, target, translate("auth_login_failed"))
    throttle = login_throttle()
    lock = throttle.locked(username, client_address()) if throttle else None
    if lock is not None:
        log_signin("login_failed", username, reason=f"locked_{lock.reason}")
        refused = login_refused(username, target, say(lock.message_key, seconds=lock.seconds),
                                429)
        refused.headers["Retry-After"] = str(lock.seconds)
        return refused
    with engine().connect() as conn:
        user = accounts.authenticate(conn, username, password)
    if user is None:
        if throttle:
            throttle.failed(username, client_address())
        log_signin("login_failed", username, reason="wrong_password")
        return login_refused(username, target, translate("auth_login_failed"))
    if throttle:
        throttle.succeeded(username)
    with engine().connect() as conn:
        second = totp.enabled(conn, user.id)
    if second:
        log_signin("login_password_right", user.username)
        begin_second_factor(user, target)
        return redirect(url_for("auth_pages.login_code"), code=303)
    log_signin("login", user.username)
    sign_in(user)
    return redirect(target or "/map", code=303)


@blueprint.get("/login/code")
def login_code() -> Response:
    """The second step: the 6-digit code (or a recovery code) after the password."""
    if pending_second_factor() is None:
        return login_refused("", None, translate("auth_code_expired"), 200)
    return page("login_code.html", error=None)


@blueprint.post("/login/code")
def login_code_posted() -> BaseResponse:
    """Check the code; a new session on success (400 with the form again otherwise)."""
    pending = pending_second_factor()
    if pending is None:
        return login_refused("", None, translate("auth_code_expired"))
    uid, target = pending
    with engine().connect() as conn:
        user = accounts.load_principal(conn, uid)
    if user is None:
        return login_refused("", None, translate("auth_code_expired"))
    throttle = login_throttle()
    lock = throttle.locked(user.username, client_address()) if throttle else None
    if lock is not None:
        log_signin("login_failed", user.username, reason=f"locked_{lock.reason}")
        refused = page("login_code.html", 429, error=say(lock.message_key, seconds=lock.seconds))
        refused.headers["Retry-After"] = str(lock.seconds)
        return refused
    with engine().begin() as conn:
        how = totp.verify(conn, uid, request.form.get("code") or "")
    if how is None:
        if throttle:
            throttle.failed(user.username, client_address())
        log_signin("login_failed", user.username, reason="wrong_code")
        return page("login_code.html", 400, error=translate("auth_code_wrong"))
    if throttle:
        throttle.succeeded(user.username)
    log_signin("login", user.username, reason=f"second factor: {how}")
    sign_in(user)
    return redirect(safe_next(target) or "/map", code=303)


def login_refused(username: str, target: str | None, message: str,
                  status: int = 400) -> Response:
    """The sign-in form again, with why."""
    return page("login.html", status, next=target or "", error=message,
                username=username[:100])


@blueprint.post("/logout")
def logout() -> BaseResponse:
    """End the session (its row is revoked: a copy of the cookie stops working too)."""
    log_signin("logout", current_user().username)
    sign_out()
    return redirect("/map", code=303)


# -- my account ------------------------------------------------------------------------------
def account_page(status: int = 200, **context: Any) -> Response:
    user = current_user()
    with engine().connect() as conn:
        reports = accounts.own_hazards(conn, user.id)
        buildings = [b for u in accounts.list_users(conn) if u["id"] == user.id
                     for b in u["buildings"]]
        live = sessions.list_live(conn, user.id)
    return page("account.html", status, user=user, reports=reports,
                offers_totp=user.role in totp.TOTP_ROLES,
                grids=sorted(user.grid_numbers), buildings=buildings, sessions=live,
                this_session=session_row(), local_time=local_time, **context)


def local_time(moment: Any) -> str:
    """A time in the community's time zone (Asia/Shanghai, Flask-Babel's default zone)."""
    return format_datetime(moment, "yyyy-MM-dd HH:mm") if moment else ""


@blueprint.get("/account")
def account() -> Response:
    """Who I am, my grids and buildings, my reports (with the contact I gave)."""
    return account_page()


@blueprint.post("/account/password")
def password() -> Response:
    """Change my password (other sessions of mine end; this one starts afresh)."""
    user = current_user()
    old = request.form.get("old_password") or ""
    new = request.form.get("new_password") or ""
    if not verify_password(user.password_hash, old):
        return account_page(400, error=translate("auth_wrong_password"))
    try:
        check_new_password(new, user.username)
        with engine().begin() as conn:
            accounts.set_password(conn, user.username, new)
            fresh = accounts.load_principal(conn, user.id)
    except PasswordRefused as refused:
        return account_page(400, error=say(refused.key, **refused.params))
    sign_in(fresh)
    return account_page(notice=translate("auth_password_changed"))


@blueprint.post("/account/sessions/end")
def session_end() -> BaseResponse:
    """End one of my sessions (form field ``session``: its number on the account page)."""
    try:
        row = int(request.form.get("session") or "")
    except ValueError:
        return account_page(400, error=translate("auth_no_session"))
    with engine().begin() as conn:
        ended = sessions.revoke_one(conn, current_user().id, row)
    if not ended:
        return account_page(404, error=translate("auth_no_session"))
    return redirect(url_for("auth_pages.account"), code=303)


@blueprint.post("/account/sessions/end-others")
def sessions_end_others() -> Response:
    """End every session of mine but this one."""
    with engine().begin() as conn:
        count = sessions.revoke_all(conn, current_user().id, keep=session_row())
    return account_page(notice=say("auth_sessions_ended", n=count))


# -- my second factor (community admin, subdistrict) ----------------------------------------
def totp_page(status: int = 200, **context: Any) -> Response:
    user = current_user()
    with engine().begin() as conn:
        on = totp.enabled(conn, user.id)
        secret = None if on else totp.pending_secret(conn, user.id, start=True)
        left = totp.recovery_codes_left(conn, user.id) if on else 0
    return page("account_totp.html", status, user=user, enabled=on, secret=secret,
                codes_left=left, **context)


@blueprint.get("/account/totp")
def totp_setup() -> Response:
    """Enrol (QR code, the secret as text, a form for the first code) or see the state."""
    return totp_page()


@blueprint.get("/account/totp/qr.svg")
def totp_qr() -> Response:
    """The QR code of the enrolment under way, as SVG (made here, no outside service)."""
    user = current_user()
    with engine().begin() as conn:
        secret = totp.pending_secret(conn, user.id, start=True)
    if secret is None:
        return Response(status=404)
    svg = totp.qr_svg(totp.provisioning_uri(secret, user.username))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/account/totp")
def totp_confirm() -> Response:
    """The first right code turns the second factor on and shows the recovery codes once."""
    with engine().begin() as conn:
        codes = totp.confirm(conn, current_user().id, request.form.get("code") or "")
    if codes is None:
        return totp_page(400, error=translate("auth_code_wrong"))
    return totp_page(notice=translate("auth_totp_on"), recovery_codes=codes)


@blueprint.post("/account/totp/disable")
def totp_disable() -> Response:
    """Turn the second factor off (the current password is asked)."""
    user = current_user()
    if not verify_password(user.password_hash, request.form.get("password") or ""):
        return totp_page(400, error=translate("auth_wrong_password"))
    with engine().begin() as conn:
        totp.disable(conn, user.id)
    return totp_page(notice=translate("auth_totp_off"))


# -- the community's accounts (community admin) -------------------------------------------
def users_page(status: int = 200, **context: Any) -> Response:
    with engine().connect() as conn:
        users = accounts.list_users(conn)
        tokens = accounts.list_tokens(conn)
    return page("users.html", status, users=users, tokens=tokens, roles=ROLES,
                form=context.pop("form", {}), **context)


@blueprint.get("/users")
def users() -> Response:
    """Every account and every API token."""
    return users_page()


def split(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").replace("，", ",").split(",") if p.strip()]


@blueprint.post("/users")
def user_create() -> Response:
    """Add an account with its role, grids and buildings."""
    form = request.form.to_dict(flat=True)
    form.pop("password", None)
    try:
        grids = [int(n) for n in split(request.form.get("grids"))]
    except ValueError:
        return users_page(422, error=translate("auth_bad_number"), form=form)
    try:
        with engine().begin() as conn:
            accounts.create_user(
                conn, request.form.get("username") or "", request.form.get("password") or "",
                request.form.get("role") or "", display_name=request.form.get("display_name"),
                phone=request.form.get("phone"), grids=grids,
                buildings=split(request.form.get("buildings")))
    except (accounts.AccountError, PasswordRefused) as refused:
        return users_page(422, error=say(refused.key, **refused.params), form=form)
    return users_page(201, notice=say("auth_user_added",
                                      username=(request.form.get("username") or "").strip()))


@blueprint.post("/users/<int:user_id>/active")
def user_active(user_id: int) -> BaseResponse:
    """Switch an account off (its sessions and tokens stop at once) or on again."""
    active = request.form.get("active") == "1"
    if user_id == current_user().id and not active:
        return users_page(409, error=translate("auth_role"))
    try:
        with engine().begin() as conn:
            accounts.set_active(conn, user_id, active)
    except accounts.AccountError:
        return users_page(404, error=say("auth_no_user", username=str(user_id)))
    return redirect(url_for("auth_pages.users"), code=303)


@blueprint.post("/users/<int:user_id>/sessions/end")
def user_sessions_end(user_id: int) -> Response:
    """End every session of an account at once (it must sign in again)."""
    with engine().begin() as conn:
        found = next((u for u in accounts.list_users(conn) if u["id"] == user_id), None)
        if found is None:
            return users_page(404, error=say("auth_no_user", username=str(user_id)))
        count = sessions.revoke_all(conn, user_id)
    return users_page(notice=say("auth_user_sessions_ended", n=count,
                                 username=found["username"]))


@blueprint.post("/users/<int:user_id>/tokens")
def token_create(user_id: int) -> Response:
    """A new API token for the account, shown once on the page that answers."""
    with engine().connect() as conn:
        found = next((u for u in accounts.list_users(conn) if u["id"] == user_id), None)
    if found is None:
        return users_page(404, error=say("auth_no_user", username=str(user_id)))
    try:
        with engine().begin() as conn:
            token = accounts.create_token(conn, found["username"], request.form.get("name", ""))
    except accounts.AccountError as refused:
        return users_page(422, error=say(refused.key, **refused.params))
    return users_page(201, new_token=token, token_owner=found["username"])


@blueprint.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int) -> BaseResponse:
    """Revoke a token (it stops working at once)."""
    with engine().begin() as conn:
        accounts.revoke_token(conn, token_id)
    return redirect(url_for("auth_pages.users"), code=303)
