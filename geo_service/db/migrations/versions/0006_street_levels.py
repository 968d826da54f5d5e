"""streets keep the level they lie on (OSM layer, bridge, tunnel), so noding never joins levels

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 23:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("streets", sa.Column("level", sa.Integer(), server_default="0",
                                       nullable=False))


def downgrade() -> None:
    op.drop_column("streets", "level")
