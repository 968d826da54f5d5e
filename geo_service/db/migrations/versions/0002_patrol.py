# ruff: noqa: E501
"""patrol log: members, tracks as uploaded, streets walked

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 17:43:09.932506
"""

from __future__ import annotations

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patrol_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_patrol_members_name_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_members")),
        sa.UniqueConstraint("name", name=op.f("uq_patrol_members_name")),
    )
    op.create_table(
        "patrol_tracks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timed", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "uploaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("walked_m", sa.Float(), server_default="0", nullable=False),
        sa.Column("covered_m", sa.Float(), server_default="0", nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_patrol_tracks_geom_valid")
        ),
        sa.CheckConstraint("ended_at >= started_at", name=op.f("ck_patrol_tracks_times_ordered")),
        sa.CheckConstraint("point_count >= 2", name=op.f("ck_patrol_tracks_point_count_min")),
        sa.CheckConstraint(
            "walked_m >= 0 AND covered_m >= 0", name=op.f("ck_patrol_tracks_lengths_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["patrol_members.id"],
            name=op.f("fk_patrol_tracks_member_id_patrol_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_tracks")),
    )
    op.create_index(op.f("ix_patrol_tracks_member_id"), "patrol_tracks", ["member_id"], unique=False)
    op.create_table(
        "patrol_walks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("walked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("walked_m", sa.Float(), nullable=False),
        sa.Column("start_m", sa.Float(), nullable=False),
        sa.Column("end_m", sa.Float(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="LINESTRING",
                srid=4326,
                dimension=2,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_patrol_walks_geom_valid")
        ),
        sa.CheckConstraint("end_m >= start_m", name=op.f("ck_patrol_walks_stretch_ordered")),
        sa.CheckConstraint("walked_m >= 0", name=op.f("ck_patrol_walks_walked_nonnegative")),
        sa.ForeignKeyConstraint(
            ["street_id"],
            ["streets.id"],
            name=op.f("fk_patrol_walks_street_id_streets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["patrol_tracks.id"],
            name=op.f("fk_patrol_walks_track_id_patrol_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_walks")),
    )
    op.create_index(
        "ix_patrol_walks_street_walked", "patrol_walks", ["street_id", "walked_at"], unique=False
    )
    op.create_index(op.f("ix_patrol_walks_track_id"), "patrol_walks", ["track_id"], unique=False)
    # Spatial (GiST) indexes come with each table from GeoAlchemy2.


def downgrade() -> None:
    op.drop_index(op.f("ix_patrol_walks_track_id"), table_name="patrol_walks")
    op.drop_index("ix_patrol_walks_street_walked", table_name="patrol_walks")
    op.drop_table("patrol_walks")
    op.drop_index(op.f("ix_patrol_tracks_member_id"), table_name="patrol_tracks")
    op.drop_table("patrol_tracks")
    op.drop_table("patrol_members")
