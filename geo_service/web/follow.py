"""Follow a report without an account: the private link ``/follow/<token>``.

After a report the JSON answer carries ``follow`` (the link and a success message with the
report number) and the page shows the same message; :func:`link_for_report` makes the token
(:mod:`geo_service.notify.follow_links`, stored hashed) in its own short transaction right
after the report's. Whoever holds the link sees the status and the timeline as the public does
(no person named) and may add a comment, which lands in the hazard's history and tells the
assignee (or the level's staff). An unknown token is simply not found.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
)

from geo_service.auth import privacy
from geo_service.hazards import service
from geo_service.hazards.errors import NotFound
from geo_service.i18n import say
from geo_service.notify import follow_links, outbox
from geo_service.web.db import engine
from geo_service.web.i18n import lang

blueprint = Blueprint("follow", __name__)

FLASH_CATEGORY = "follow_link"


def link_for_report(hazard_id: int) -> dict[str, Any]:
    """A new private follow link for a just-stored report, with the success message."""
    with engine().begin() as conn:
        token = follow_links.issue(conn, hazard_id)
    url = f"/follow/{token}"
    return {"url": url, "hazard_id": hazard_id,
            "message": say("fl_reported", lang(), id=hazard_id),
            "keep": say("fl_keep_link", lang())}


def flash_link(hazard_id: int, link: dict[str, Any] | None = None) -> None:
    """Show the success message and the follow link on the next page."""
    flash(link or link_for_report(hazard_id), FLASH_CATEGORY)


def answer_for_report(hazard_id: int) -> dict[str, Any]:
    """The ``follow`` part of the JSON answer to a report; a browser session (the report
    page's script) also sees it on the hazard's page it goes to next."""
    link = link_for_report(hazard_id)
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        flash_link(hazard_id, link)
    return link


def followed(token: str) -> int:
    """The hazard a token follows; 404 when there is none."""
    with engine().connect() as conn:
        hazard_id = follow_links.hazard_for(conn, token)
    if hazard_id is None:
        abort(404)
    return hazard_id


def page(token: str, status: int = 200, *, error: str | None = None,
         comment: str = "") -> Response:
    """The follow page: number, status, timeline and the comment form."""
    hazard_id = followed(token)
    with engine().connect() as conn:
        try:
            hazard = service.get_hazard(conn, hazard_id, private=True)
        except NotFound:
            abort(404)
        hazard = privacy.view(hazard, None)
    html = render_template("follow.html", hazard=hazard, token=token, error=error,
                           comment=comment, fresh=request.args.get("new") == "1",
                           commented=request.args.get("commented") == "1")
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/follow/<token>")
def show(token: str) -> Response:
    """The report as its reporter follows it."""
    return page(token)


@blueprint.post("/follow/<token>")
def comment(token: str) -> Response:
    """Add the reporter's comment to the timeline (the page again when it is empty)."""
    hazard_id = followed(token)
    text = (request.form.get("comment") or "").strip()
    if not text:
        return page(token, 422, error=say("fl_comment_empty", lang()))
    if len(text) > follow_links.MAX_COMMENT:
        return page(token, 422, comment=text[:follow_links.MAX_COMMENT],
                    error=say("fl_comment_long", lang(), n=follow_links.MAX_COMMENT))
    with engine().begin() as conn:
        event_id = follow_links.add_comment(conn, hazard_id, text)
        outbox.record(conn, event_id)
    return redirect(f"/follow/{token}?commented=1#timeline", code=303)
