"""Access to the application's database engine from request handlers."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Engine


def engine() -> Engine:
    """The engine the app was created with."""
    return current_app.config["ENGINE"]
