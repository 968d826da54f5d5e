# ruff: noqa: E501
"""initial schema: community, grids, buildings, street graph, lights, cameras, hazards with history

Revision ID: 0001
Revises:
Create Date: 2026-11-27 17:07:41.621900
"""

from __future__ import annotations

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY = """
CREATE FUNCTION hazard_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'hazard history is append-only: % refused on hazard_events', TG_OP;
END $$;
CREATE TRIGGER hazard_events_append_only BEFORE UPDATE OR DELETE ON hazard_events
    FOR EACH ROW EXECUTE FUNCTION hazard_events_append_only();
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') "
        "THEN CREATE EXTENSION IF NOT EXISTS pgrouting; END IF; END $$"
    )
    op.create_table(
        "community",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("admin_code", sa.String(length=20), nullable=True),
        sa.Column(
            "boundary",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "ST_IsValid(boundary) AND NOT ST_IsEmpty(boundary)",
            name=op.f("ck_community_boundary_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community")),
        sa.UniqueConstraint("name", name=op.f("uq_community_name")),
    )
    op.create_table(
        "grids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("zone", sa.String(length=100), nullable=True),
        sa.Column("party_group", sa.String(length=100), nullable=True),
        sa.Column("staff", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_grids_geom_valid")
        ),
        sa.CheckConstraint("number > 0", name=op.f("ck_grids_number_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grids")),
        sa.UniqueConstraint("number", name=op.f("uq_grids_number")),
    )
    op.create_table(
        "street_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_street_nodes_geom_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street_nodes")),
    )
    op.create_table(
        "buildings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("floors", sa.Integer(), nullable=True),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), server_default="other", nullable=False),
        sa.Column("compound", sa.String(length=100), nullable=True),
        sa.Column("leader_name", sa.String(length=100), nullable=True),
        sa.Column("leader_phone", sa.String(length=50), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('self_built', 'commercial', 'residential', 'factory_compound', 'school', 'public', 'other')",
            name=op.f("ck_buildings_kind_allowed"),
        ),
        sa.CheckConstraint(
            "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_buildings_geom_valid")
        ),
        sa.CheckConstraint(
            "floors IS NULL OR floors >= 0", name=op.f("ck_buildings_floors_nonnegative")
        ),
        sa.CheckConstraint(
            "households IS NULL OR households >= 0",
            name=op.f("ck_buildings_households_nonnegative"),
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grids.id"], name=op.f("fk_buildings_grid_id_grids"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildings")),
        sa.UniqueConstraint("source_id", name=op.f("uq_buildings_source_id")),
    )
    op.create_table(
        "cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("heading_deg", sa.Float(), nullable=True),
        sa.Column("fov_deg", sa.Float(), nullable=True),
        sa.Column("range_m", sa.Float(), nullable=True),
        sa.Column("lens_mm", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="working", nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('working', 'broken', 'planned')", name=op.f("ck_cameras_status_allowed")
        ),
        sa.CheckConstraint(
            "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_cameras_geom_valid")
        ),
        sa.CheckConstraint(
            "fov_deg IS NULL OR (fov_deg > 0 AND fov_deg <= 360)", name=op.f("ck_cameras_fov_range")
        ),
        sa.CheckConstraint(
            "heading_deg IS NULL OR (heading_deg >= 0 AND heading_deg <= 360)",
            name=op.f("ck_cameras_heading_range"),
        ),
        sa.CheckConstraint(
            "range_m IS NULL OR range_m > 0", name=op.f("ck_cameras_range_positive")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grids.id"], name=op.f("fk_cameras_grid_id_grids"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.UniqueConstraint("source_id", name=op.f("uq_cameras_source_id")),
    )
    op.create_table(
        "lights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("height_m", sa.Float(), nullable=True),
        sa.Column("intensity_cd", sa.Float(), nullable=True),
        sa.Column("power_w", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="working", nullable=False),
        sa.Column("mount", sa.String(length=16), nullable=True),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("mount IN ('pole', 'wall')", name=op.f("ck_lights_mount_allowed")),
        sa.CheckConstraint(
            "status IN ('working', 'broken', 'planned')", name=op.f("ck_lights_status_allowed")
        ),
        sa.CheckConstraint(
            "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_lights_geom_valid")
        ),
        sa.CheckConstraint(
            "height_m IS NULL OR height_m > 0", name=op.f("ck_lights_height_positive")
        ),
        sa.CheckConstraint(
            "intensity_cd IS NULL OR intensity_cd >= 0", name=op.f("ck_lights_intensity_nonneg")
        ),
        sa.CheckConstraint(
            "power_w IS NULL OR power_w >= 0", name=op.f("ck_lights_power_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grids.id"], name=op.f("fk_lights_grid_id_grids"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lights")),
        sa.UniqueConstraint("source_id", name=op.f("uq_lights_source_id")),
    )
    op.create_table(
        "streets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("part", sa.Integer(), server_default="0", nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("street_class", sa.String(length=32), nullable=False),
        sa.Column("width_m", sa.Float(), nullable=True),
        sa.Column("lit", sa.String(length=16), server_default="unknown", nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("source", sa.Integer(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("source_file", sa.String(length=255), nullable=True),
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
        sa.CheckConstraint("lit IN ('yes', 'no', 'unknown')", name=op.f("ck_streets_lit_allowed")),
        sa.CheckConstraint(
            "street_class IN ('main', 'branch', 'residential', 'service', 'alley', 'footway', 'path', 'steps', 'other')",
            name=op.f("ck_streets_street_class_allowed"),
        ),
        sa.CheckConstraint(
            "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_streets_geom_valid")
        ),
        sa.CheckConstraint("length_m >= 0", name=op.f("ck_streets_length_nonnegative")),
        sa.CheckConstraint(
            "width_m IS NULL OR width_m > 0", name=op.f("ck_streets_width_positive")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grids.id"], name=op.f("fk_streets_grid_id_grids"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["source"], ["street_nodes.id"], name=op.f("fk_streets_source_street_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["target"], ["street_nodes.id"], name=op.f("fk_streets_target_street_nodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streets")),
        sa.UniqueConstraint(
            "source_id", "part", name="uq_streets_source_part", deferrable=True, initially="DEFERRED"
        ),
    )
    op.create_index(op.f("ix_streets_source"), "streets", ["source"], unique=False)
    op.create_index(op.f("ix_streets_target"), "streets", ["target"], unique=False)
    op.create_table(
        "hazards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("severity", sa.String(length=16), server_default="medium", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="reported", nullable=False),
        sa.Column("level", sa.String(length=16), server_default="building", nullable=False),
        sa.Column("assignee", sa.String(length=100), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("light_id", sa.Integer(), nullable=True),
        sa.Column("camera_id", sa.Integer(), nullable=True),
        sa.Column("reporter_name", sa.String(length=100), nullable=True),
        sa.Column("reporter_contact", sa.String(length=100), nullable=True),
        sa.Column("photo", sa.String(length=255), nullable=True),
        sa.Column(
            "reported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                srid=4326, dimension=2, from_text="ST_GeomFromEWKT", name="geometry", nullable=False
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "GeometryType(geom) IN ('POINT','LINESTRING','POLYGON','MULTIPOINT','MULTILINESTRING','MULTIPOLYGON')",
            name=op.f("ck_hazards_geom_kind"),
        ),
        sa.CheckConstraint(
            "category IN ('parking', 'dirty_alley', 'dim_lighting', 'peeling_wall', 'leaking_drain', 'fire_risk', 'dispute', 'broken_light', 'broken_camera', 'other')",
            name=op.f("ck_hazards_category_allowed"),
        ),
        sa.CheckConstraint(
            "level IN ('building', 'grid', 'community', 'subdistrict')",
            name=op.f("ck_hazards_level_allowed"),
        ),
        sa.CheckConstraint(
            "severity IN ('low', 'medium', 'high', 'urgent')",
            name=op.f("ck_hazards_severity_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('reported', 'assigned', 'in_progress', 'resolved', 'revisited', 'closed')",
            name=op.f("ck_hazards_status_allowed"),
        ),
        sa.CheckConstraint(
            "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_hazards_geom_valid")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_hazards_building_id_buildings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_hazards_camera_id_cameras"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grids.id"], name=op.f("fk_hazards_grid_id_grids"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["light_id"],
            ["lights.id"],
            name=op.f("fk_hazards_light_id_lights"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazards")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_hazards_idempotency_key")),
        sa.UniqueConstraint("source_id", name=op.f("uq_hazards_source_id")),
    )
    op.create_table(
        "hazard_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("from_level", sa.String(length=16), nullable=True),
        sa.Column("to_level", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint(
            "from_level IN ('building', 'grid', 'community', 'subdistrict')",
            name=op.f("ck_hazard_events_from_level_allowed"),
        ),
        sa.CheckConstraint(
            "from_status IN ('reported', 'assigned', 'in_progress', 'resolved', 'revisited', 'closed')",
            name=op.f("ck_hazard_events_from_status_allowed"),
        ),
        sa.CheckConstraint(
            "to_level IN ('building', 'grid', 'community', 'subdistrict')",
            name=op.f("ck_hazard_events_to_level_allowed"),
        ),
        sa.CheckConstraint(
            "to_status IN ('reported', 'assigned', 'in_progress', 'resolved', 'revisited', 'closed')",
            name=op.f("ck_hazard_events_to_status_allowed"),
        ),
        sa.CheckConstraint(
            "satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
            name=op.f("ck_hazard_events_satisfaction_range"),
        ),
        sa.ForeignKeyConstraint(
            ["hazard_id"],
            ["hazards.id"],
            name=op.f("fk_hazard_events_hazard_id_hazards"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_events")),
    )
    op.create_index(
        "ix_hazard_events_hazard_at", "hazard_events", ["hazard_id", "at"], unique=False
    )
    # Spatial (GiST) indexes come with each table from GeoAlchemy2.
    op.execute(APPEND_ONLY)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS hazard_events_append_only ON hazard_events")
    op.execute("DROP FUNCTION IF EXISTS hazard_events_append_only()")
    op.drop_index("ix_hazard_events_hazard_at", table_name="hazard_events")
    op.drop_table("hazard_events")
    op.drop_table("hazards")
    op.drop_index(op.f("ix_streets_target"), table_name="streets")
    op.drop_index(op.f("ix_streets_source"), table_name="streets")
    op.drop_table("streets")
    op.drop_table("lights")
    op.drop_table("cameras")
    op.drop_table("buildings")
    op.drop_table("street_nodes")
    op.drop_table("grids")
    op.drop_table("community")
