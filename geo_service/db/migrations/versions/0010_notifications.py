"""notifications outbox and inbox, private follow links, staff e-mail addresses

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:00:00

``notifications`` is both the durable outbox (e-mail and webhook rows a worker delivers, with
attempts, backoff and ``sent_at`` set exactly once) and the in-app inbox (``channel = 'inbox'``
rows, delivered when written, read when ``read_at`` is set). ``follow_links`` keeps the
SHA-256 of each private follow token, never the token. ``users.email`` is where a staff
member's mails go.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(length=254), nullable=True))
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False,
                  server_default=sa.text("'{}'::jsonb")),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True),
                  server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("channel IN ('inbox', 'email', 'webhook')",
                           name=op.f("ck_notifications_channel_allowed")),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'skipped')",
                           name=op.f("ck_notifications_status_allowed")),
        sa.CheckConstraint("channel <> 'inbox' OR user_id IS NOT NULL",
                           name=op.f("ck_notifications_inbox_has_user")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notifications_attempts_nonnegative")),
        sa.ForeignKeyConstraint(["hazard_id"], ["hazards.id"],
                                name=op.f("fk_notifications_hazard_id_hazards"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["hazard_events.id"],
                                name=op.f("fk_notifications_event_id_hazard_events"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_notifications_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    # One notification per event, channel and recipient, however often it is recorded.
    op.execute("CREATE UNIQUE INDEX uq_notifications_once ON notifications "
               "(event_id, channel, coalesce(user_id, 0), coalesce(address, '')) "
               "WHERE event_id IS NOT NULL")
    # One overdue reminder per hazard, person and channel a day (params.day, local date).
    op.execute("CREATE UNIQUE INDEX uq_notifications_reminder_once ON notifications "
               "(hazard_id, channel, coalesce(user_id, 0), coalesce(address, ''), "
               "(params->>'day')) WHERE kind = 'overdue'")
    op.create_index("ix_notifications_due", "notifications", ["next_attempt_at"],
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_index("ix_notifications_inbox", "notifications", ["user_id", "created_at"],
                    postgresql_where=sa.text("channel = 'inbox'"))
    op.create_table(
        "follow_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["hazard_id"], ["hazards.id"],
                                name=op.f("fk_follow_links_hazard_id_hazards"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_links")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_follow_links_token_sha256")),
    )
    op.create_index(op.f("ix_follow_links_hazard_id"), "follow_links", ["hazard_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_follow_links_hazard_id"), table_name="follow_links")
    op.drop_table("follow_links")
    op.drop_index("ix_notifications_inbox", table_name="notifications")
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.execute("DROP INDEX IF EXISTS uq_notifications_reminder_once")
    op.execute("DROP INDEX IF EXISTS uq_notifications_once")
    op.drop_table("notifications")
    op.drop_column("users", "email")
