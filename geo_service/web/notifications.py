"""The in-app inbox over HTTP: ``GET /api/notifications``, ``POST /api/notifications/<id>/read``,
the ``/notifications`` page and the unread badge in the navigation bar.

Only the signed-in user's own notifications are ever read or changed (the policy table keeps
the public out; a notification of somebody else is simply not found).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template

from geo_service.errors import ServiceError
from geo_service.notify.channels import inbox
from geo_service.notify.messages import KINDS
from geo_service.web.auth import current_user
from geo_service.web.db import engine
from geo_service.web.i18n import lang

blueprint = Blueprint("notifications", __name__)

LIMIT = 50
LARGEST_ID = 2**63 - 1


def signed_in_id() -> int:
    """The signed-in user's id (the policy already refused the public)."""
    user = current_user()
    if user is None:
        raise ServiceError("nt.sign_in", http_status=401, code="unauthorized")
    return user.id


@blueprint.app_context_processor
def badge() -> dict[str, Callable[[], int]]:
    """``unread_notifications()`` for the navigation bar (asked only when a page shows it)."""

    def unread() -> int:
        user = current_user()
        if user is None:
            return 0
        with engine().connect() as conn:
            return inbox.unread_count(conn, user.id)

    return {"unread_notifications": unread}


def inbox_state(user_id: int) -> dict[str, Any]:
    """The user's newest notifications and their unread count."""
    with engine().connect() as conn:
        return {"notifications": inbox.listing(conn, user_id, lang=lang(), limit=LIMIT),
                "unread": inbox.unread_count(conn, user_id)}


@blueprint.get("/api/notifications")
def listing() -> Response:
    """The signed-in user's notifications, newest first, with the unread count."""
    return jsonify(inbox_state(signed_in_id()))


@blueprint.post("/api/notifications/<int:notification_id>/read")
def mark_read(notification_id: int) -> Response:
    """Mark one of the user's notifications read (404 for any other)."""
    user_id = signed_in_id()
    with engine().begin() as conn:
        found = notification_id <= LARGEST_ID and inbox.mark_read(conn, user_id,
                                                                  notification_id)
        unread = inbox.unread_count(conn, user_id)
    if not found:
        raise ServiceError("nt.not_found", http_status=404, code="not_found",
                           id=notification_id)
    return jsonify(id=notification_id, read=True, unread=unread)


@blueprint.post("/notifications/<int:notification_id>/read")
def mark_read_page(notification_id: int) -> Response:
    """Mark one read from the inbox page, then show the page again."""
    user_id = signed_in_id()
    if notification_id <= LARGEST_ID:
        with engine().begin() as conn:
            inbox.mark_read(conn, user_id, notification_id)
    return redirect("/notifications", code=303)


@blueprint.get("/notifications")
def page() -> str:
    """The inbox as a page."""
    return render_template("notifications.html", **inbox_state(signed_in_id()))


# -- OpenAPI (the pattern of geo_service.web.openapi_more) ----------------------------------------
def _describe() -> None:
    """Add the inbox endpoints to ``/api/openapi.json``."""
    from geo_service.web.openapi import register_paths
    from geo_service.web.openapi_parts import api_error, json_body, ref

    id_param = {"name": "notification_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 0}}
    schemas = {
        "Notification": {
            "type": "object", "required": ["id", "kind", "subject", "text", "read"],
            "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string", "enum": list(KINDS)},
                "hazard_id": {"type": ["integer", "null"]},
                "created_at": {"type": "string", "format": "date-time"},
                "subject": {"type": "string"}, "text": {"type": "string"},
                "link": {"type": ["string", "null"]}, "read": {"type": "boolean"}}},
        "NotificationInbox": {
            "type": "object", "required": ["notifications", "unread"],
            "properties": {"notifications": {"type": "array", "items": ref("Notification"),
                                             "maxItems": LIMIT},
                           "unread": {"type": "integer", "minimum": 0}}},
    }
    paths = {
        "/api/notifications": {"get": {
            "tags": ["notifications"], "summary": "The signed-in user's notifications",
            "description": f"Newest first (at most {LIMIT}), in the request's language, with "
                           "the unread count.",
            "responses": {"200": json_body(ref("NotificationInbox"), "The inbox."),
                          "401": api_error("Not signed in.")}}},
        "/api/notifications/{notification_id}/read": {"post": {
            "tags": ["notifications"], "summary": "Mark one of one's notifications read",
            "parameters": [id_param],
            "responses": {"200": json_body({"type": "object", "properties": {
                "id": {"type": "integer"}, "read": {"const": True},
                "unread": {"type": "integer", "minimum": 0}}}, "Marked read."),
                "401": api_error("Not signed in."),
                "404": api_error("No such notification of this user.")}}},
    }
    register_paths(paths, schemas, [{"name": "notifications",
                                     "description": "The in-app inbox."}])


_describe()
