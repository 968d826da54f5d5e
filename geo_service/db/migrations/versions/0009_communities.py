"""communities as data: subdistricts, communities (outline, time zone, metric CRS) and a
community_id on every grid, street, building, light, camera, hazard and plan

The single ``community`` row becomes the first row of ``communities`` and everything already
stored belongs to it. Grid numbers and source ids are unique per community, so a second
community's "grid 1" or "osm:way/7" never touches the first's. A row inserted without a
community (a hazard reported on the map, a row written by hand) gets one from its grid, else
from the outline its geometry lies in, else the only community there is
(:func:`community_at`, called by one trigger function per kind of table).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:10:00.000000
"""

from __future__ import annotations

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: Tables whose rows lie somewhere (geometry and grid) and those that do not.
PLACED = ("buildings", "streets", "lights", "cameras", "hazards")
OWNED = ("grids", *PLACED, "patrol_plans")
#: (table, old unique constraint, its columns) made unique per community.
PER_COMMUNITY = (("grids", "uq_grids_number", ("number",)),
                 ("buildings", "uq_buildings_source_id", ("source_id",)),
                 ("lights", "uq_lights_source_id", ("source_id",)),
                 ("cameras", "uq_cameras_source_id", ("source_id",)))

COMMUNITY_AT = """
CREATE OR REPLACE FUNCTION community_at(place geometry, grid integer) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT community_id FROM grids WHERE id = grid),
        (SELECT id FROM communities WHERE place IS NOT NULL AND outline IS NOT NULL
           AND ST_Intersects(outline, place) ORDER BY id LIMIT 1),
        (SELECT min(id) FROM communities HAVING count(*) = 1))
$$"""
FILL_PLACED = """
CREATE OR REPLACE FUNCTION fill_community_from_place() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.community_id IS NULL THEN
        NEW.community_id := community_at(NEW.geom, NEW.grid_id);
    END IF;
    RETURN NEW;
END $$"""
FILL_GRID = """
CREATE OR REPLACE FUNCTION fill_community_of_grid() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.community_id IS NULL THEN
        NEW.community_id := community_at(NEW.geom, NULL);
    END IF;
    RETURN NEW;
END $$"""
FILL_PLAN = """
CREATE OR REPLACE FUNCTION fill_only_community() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.community_id IS NULL THEN
        NEW.community_id := community_at(NULL, NULL);
    END IF;
    RETURN NEW;
END $$"""


def _outline() -> geoalchemy2.types.Geometry:
    return geoalchemy2.types.Geometry(geometry_type="MULTIPOLYGON", srid=4326,
                                      spatial_index=False, from_text="ST_GeomFromEWKT",
                                      name="geometry")


def upgrade() -> None:
    op.create_table(
        "subdistricts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("outline", _outline(), nullable=True),
        sa.CheckConstraint("ST_IsValid(outline) AND NOT ST_IsEmpty(outline)",
                           name=op.f("ck_subdistricts_outline_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subdistricts")),
        sa.UniqueConstraint("name", name=op.f("uq_subdistricts_name")),
    )
    op.rename_table("community", "communities")
    op.execute("ALTER SEQUENCE community_id_seq RENAME TO communities_id_seq")
    op.execute("ALTER TABLE communities RENAME CONSTRAINT pk_community TO pk_communities")
    op.execute("ALTER TABLE communities RENAME CONSTRAINT uq_community_name "
               "TO uq_communities_name")
    op.alter_column("communities", "boundary", new_column_name="outline")
    op.execute("ALTER TABLE communities RENAME CONSTRAINT ck_community_boundary_valid "
               "TO ck_communities_outline_valid")
    op.add_column("communities", sa.Column("name_en", sa.String(length=100), nullable=True))
    op.add_column("communities", sa.Column(
        "subdistrict_id", sa.Integer(),
        sa.ForeignKey("subdistricts.id", name="fk_communities_subdistrict_id_subdistricts",
                      ondelete="SET NULL"), nullable=True))
    op.add_column("communities", sa.Column("time_zone", sa.String(length=64),
                                           server_default="Asia/Shanghai", nullable=False))
    op.add_column("communities", sa.Column("metric_epsg", sa.Integer(), nullable=True))
    op.create_check_constraint("ck_communities_metric_epsg_positive", "communities",
                               "metric_epsg IS NULL OR metric_epsg > 0")
    # the one community stored so far is the sample's (CGCS2000 / 3-degree GK CM 108E)
    op.execute("UPDATE communities SET metric_epsg = 4545 WHERE metric_epsg IS NULL")
    op.execute("CREATE INDEX ix_communities_outline ON communities USING gist (outline)")

    for table in OWNED:
        op.add_column(table, sa.Column(
            "community_id", sa.Integer(),
            sa.ForeignKey("communities.id", name=f"fk_{table}_community_id_communities",
                          ondelete="CASCADE"), nullable=True))
        op.create_index(f"ix_{table}_community_id", table, ["community_id"])
        op.execute(f"UPDATE {table} SET community_id = (SELECT min(id) FROM communities)")
    for table, old, columns in PER_COMMUNITY:
        op.drop_constraint(old, table, type_="unique")
        op.create_unique_constraint(f"uq_{table}_community_{'_'.join(columns)}", table,
                                    ["community_id", *columns])
    op.drop_constraint("uq_streets_source_part", "streets", type_="unique")
    op.execute("ALTER TABLE streets ADD CONSTRAINT uq_streets_community_source_part "
               "UNIQUE (community_id, source_id, part) DEFERRABLE INITIALLY DEFERRED")

    op.execute(COMMUNITY_AT)
    for function in (FILL_PLACED, FILL_GRID, FILL_PLAN):
        op.execute(function)
    for table in PLACED:
        op.execute(f"CREATE TRIGGER {table}_community BEFORE INSERT ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION fill_community_from_place()")
    op.execute("CREATE TRIGGER grids_community BEFORE INSERT ON grids "
               "FOR EACH ROW EXECUTE FUNCTION fill_community_of_grid()")
    op.execute("CREATE TRIGGER patrol_plans_community BEFORE INSERT ON patrol_plans "
               "FOR EACH ROW EXECUTE FUNCTION fill_only_community()")


def downgrade() -> None:
    for table in (*PLACED, "grids", "patrol_plans"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_community ON {table}")
    for function in ("fill_community_from_place", "fill_community_of_grid",
                     "fill_only_community"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.execute("DROP FUNCTION IF EXISTS community_at(geometry, integer)")
    op.drop_constraint("uq_streets_community_source_part", "streets", type_="unique")
    op.execute("ALTER TABLE streets ADD CONSTRAINT uq_streets_source_part "
               "UNIQUE (source_id, part) DEFERRABLE INITIALLY DEFERRED")
    for table, old, columns in PER_COMMUNITY:
        op.drop_constraint(f"uq_{table}_community_{'_'.join(columns)}", table, type_="unique")
        op.create_unique_constraint(old, table, list(columns))
    for table in OWNED:
        op.drop_index(f"ix_{table}_community_id", table)
        op.drop_column(table, "community_id")
    op.execute("DROP INDEX IF EXISTS ix_communities_outline")
    op.drop_constraint("ck_communities_metric_epsg_positive", "communities", type_="check")
    for column in ("metric_epsg", "time_zone", "subdistrict_id", "name_en"):
        op.drop_column("communities", column)
    op.execute("ALTER TABLE communities RENAME CONSTRAINT ck_communities_outline_valid "
               "TO ck_community_boundary_valid")
    op.alter_column("communities", "outline", new_column_name="boundary")
    op.execute("ALTER TABLE communities RENAME CONSTRAINT uq_communities_name "
               "TO uq_community_name")
    op.execute("ALTER TABLE communities RENAME CONSTRAINT pk_communities TO pk_community")
    op.execute("ALTER SEQUENCE communities_id_seq RENAME TO community_id_seq")
    op.rename_table("communities", "community")
    op.drop_table("subdistricts")
