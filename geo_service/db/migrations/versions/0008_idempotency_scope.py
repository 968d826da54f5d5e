"""idempotency keys belong to a client and to one body: a key is unique per client
(``idempotency_client``: ``user:<id>``, ``token:<id>`` or ``addr:<address>``; keys stored
before this revision keep the empty client) and remembers the SHA-256 of the body it was
first sent with (``idempotency_digest``; NULL for older reports, which replay as before)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hazards", sa.Column("idempotency_client", sa.String(length=200),
                                       server_default="", nullable=False))
    op.add_column("hazards", sa.Column("idempotency_digest", sa.String(length=64),
                                       nullable=True))
    op.drop_constraint("uq_hazards_idempotency_key", "hazards", type_="unique")
    op.create_unique_constraint("uq_hazards_idempotency_client_key", "hazards",
                                ["idempotency_client", "idempotency_key"])


def downgrade() -> None:
    op.drop_constraint("uq_hazards_idempotency_client_key", "hazards", type_="unique")
    # the same key may now be stored for several clients: keep the oldest
    op.execute("""UPDATE hazards h SET idempotency_key = NULL
                  WHERE idempotency_key IS NOT NULL AND EXISTS (
                      SELECT 1 FROM hazards o WHERE o.idempotency_key = h.idempotency_key
                      AND o.id < h.id)""")
    op.create_unique_constraint("uq_hazards_idempotency_key", "hazards", ["idempotency_key"])
    op.drop_column("hazards", "idempotency_digest")
    op.drop_column("hazards", "idempotency_client")
