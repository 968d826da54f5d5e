"""a place in no community's outline belongs to the nearest community

:func:`community_at` (0009) gave a row inserted without a community the community of its grid,
else of the outline it lies in, else the only community there is: with several communities, a
hazard reported just outside an outline (within the margin the report check allows,
``geo_service.hazards.landing``) belonged to none, so no staff would ever see it. Now such a
place gets the community whose outline is nearest (geodesic distance), before the
only-community rule.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 13:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

NEAREST = """
CREATE OR REPLACE FUNCTION community_at(place geometry, grid integer) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT community_id FROM grids WHERE id = grid),
        (SELECT id FROM communities WHERE place IS NOT NULL AND outline IS NOT NULL
           AND ST_Intersects(outline, place) ORDER BY id LIMIT 1),
        (SELECT id FROM communities WHERE place IS NOT NULL AND outline IS NOT NULL
           ORDER BY ST_Distance(outline::geography, place::geography), id LIMIT 1),
        (SELECT min(id) FROM communities HAVING count(*) = 1))
$$"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION community_at(place geometry, grid integer) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT community_id FROM grids WHERE id = grid),
        (SELECT id FROM communities WHERE place IS NOT NULL AND outline IS NOT NULL
           AND ST_Intersects(outline, place) ORDER BY id LIMIT 1),
        (SELECT min(id) FROM communities HAVING count(*) = 1))
$$"""


def upgrade() -> None:
    op.execute(NEAREST)


def downgrade() -> None:
    op.execute(PREVIOUS)
