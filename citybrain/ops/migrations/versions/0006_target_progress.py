"""Progress of planning targets recorded by hand (value, year, source, note, who and when).

Revision ID: 0006_target_progress
Revises: 0005_feed_tokens
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_target_progress"
down_revision = "0005_feed_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "target_progress",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("indicator_id", sa.String(120), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False))
    op.create_index("ix_target_progress_key", "target_progress", ["region_code", "indicator_id", "year", "id"])


def downgrade() -> None:
    op.drop_index("ix_target_progress_key", table_name="target_progress")
    op.drop_table("target_progress")
