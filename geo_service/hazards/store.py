"""SQL of the hazard pages beside the service's own: the light or camera a report is about."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

ASSET_TABLES = ("lights", "cameras")


def _table(table: str) -> str:
    if table not in ASSET_TABLES:
        raise ValueError(f"not an asset table: {table!r}")
    return table


def asset(conn: Connection, table: str, ident: int) -> dict[str, Any] | None:
    """A light or camera: ``id``, ``source_id``, ``status``, ``lon``, ``lat`` (or ``None``)."""
    row = conn.execute(text(
        f"SELECT id, source_id, status, ST_X(geom) AS lon, ST_Y(geom) AS lat "
        f"FROM {_table(table)} WHERE id = :id"), {"id": ident}).mappings().first()
    return dict(row) if row is not None else None


def asset_ref(conn: Connection, table: str, ident: int) -> str | None:
    """The ``source_id`` of a light or camera (``None`` when it has none or is gone)."""
    return conn.execute(text(f"SELECT source_id FROM {_table(table)} WHERE id = :id"),
                        {"id": ident}).scalar()
