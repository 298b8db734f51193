"""Bearer tokens, alarm escalation levels and the notifications sent.

Revision ID: 0003_tokens_escalation
Revises: 0002_duty
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_tokens_escalation"
down_revision = "0002_duty"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alarm_states", sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("alarm_states", sa.Column("escalated_at", sa.DateTime()))
    op.add_column("alarm_states", sa.Column("active_since", sa.DateTime()))
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("user", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime()),
        sa.Column("revoked_at", sa.DateTime()))
    op.create_index("ix_api_tokens_user", "api_tokens", ["user"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(240), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime()))
    op.create_index("ix_notifications_key", "notifications", ["key", "channel"], unique=True)


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("api_tokens")
    with op.batch_alter_table("alarm_states") as batch:
        for name in ("active_since", "escalated_at", "escalation_level"):
            batch.drop_column(name)
