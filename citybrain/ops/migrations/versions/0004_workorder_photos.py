"""Photos of work-order steps, and the source of an order made from a feed (one order per incident).

Revision ID: 0004_photos
Revises: 0003_tokens_escalation
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_photos"
down_revision = "0003_tokens_escalation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workorder_photos",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workorder_id", sa.Integer(), sa.ForeignKey("workorders.id"), nullable=False),
        sa.Column("step_version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(16), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(200)),
        sa.Column("user", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False))
    op.create_index("ix_workorder_photos_order", "workorder_photos", ["workorder_id", "step_version"])
    with op.batch_alter_table("workorders") as batch:
        batch.add_column(sa.Column("source", sa.String(200), nullable=True))
        batch.create_index("ix_workorders_source", ["source"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("workorders") as batch:
        batch.drop_index("ix_workorders_source")
        batch.drop_column("source")
    op.drop_table("workorder_photos")
