# ruff: noqa: E501
"""patrol route plans: plans, their routes and numbered stops

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patrol_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("kind IN ('cover', 'points', 'week')", name=op.f("ck_patrol_plans_kind_allowed")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_plans")),
    )
    op.create_index(op.f("ix_patrol_plans_created_at"), "patrol_plans", ["created_at"], unique=False)
    op.create_table(
        "patrol_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.Integer(), nullable=False),
        sa.Column("route_order", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.Column("shift", sa.Integer(), nullable=True),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("repeated_m", sa.Float(), server_default="0", nullable=False),
        sa.Column("lower_bound_m", sa.Float(), nullable=True),
        sa.Column("method", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="LINESTRING", srid=4326, dimension=2,
                from_text="ST_GeomFromEWKT", name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_patrol_routes_geom_valid")),
        sa.CheckConstraint("day IS NULL OR day BETWEEN 0 AND 6", name=op.f("ck_patrol_routes_day_of_week")),
        sa.CheckConstraint("length_m >= 0 AND minutes >= 0 AND repeated_m >= 0", name=op.f("ck_patrol_routes_lengths_nonnegative")),
        sa.CheckConstraint("team >= 1 AND route_order >= 1", name=op.f("ck_patrol_routes_numbers_positive")),
        sa.ForeignKeyConstraint(["plan_id"], ["patrol_plans.id"], name=op.f("fk_patrol_routes_plan_id_patrol_plans"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_routes")),
        sa.UniqueConstraint("plan_id", "route_order", name=op.f("uq_patrol_routes_plan_id")),
    )
    op.create_index(op.f("ix_patrol_routes_plan_id"), "patrol_routes", ["plan_id"], unique=False)
    op.create_table(
        "patrol_route_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("stop", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=True),
        sa.Column("light_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("after_m", sa.Float(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT", srid=4326, dimension=2,
                from_text="ST_GeomFromEWKT", name="geometry", nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('hazard', 'light')", name=op.f("ck_patrol_route_stops_kind_allowed")),
        sa.CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_patrol_route_stops_geom_valid")),
        sa.CheckConstraint("stop >= 1", name=op.f("ck_patrol_route_stops_stop_positive")),
        sa.ForeignKeyConstraint(["hazard_id"], ["hazards.id"], name=op.f("fk_patrol_route_stops_hazard_id_hazards"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["light_id"], ["lights.id"], name=op.f("fk_patrol_route_stops_light_id_lights"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["plan_id"], ["patrol_plans.id"], name=op.f("fk_patrol_route_stops_plan_id_patrol_plans"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["route_id"], ["patrol_routes.id"], name=op.f("fk_patrol_route_stops_route_id_patrol_routes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_route_stops")),
        sa.UniqueConstraint("route_id", "stop", name=op.f("uq_patrol_route_stops_route_id")),
    )
    op.create_index(op.f("ix_patrol_route_stops_plan_id"), "patrol_route_stops", ["plan_id"], unique=False)
    op.create_index(op.f("ix_patrol_route_stops_route_id"), "patrol_route_stops", ["route_id"], unique=False)
    # Spatial (GiST) indexes come with each table from GeoAlchemy2.


def downgrade() -> None:
    op.drop_table("patrol_route_stops")
    op.drop_table("patrol_routes")
    op.drop_table("patrol_plans")
