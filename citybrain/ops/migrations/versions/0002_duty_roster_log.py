"""The duty room's roster (值班表) and log (值班日志).

Revision ID: 0002_duty
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_duty"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duty_roster",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user", sa.String(64), nullable=False), sa.Column("role", sa.String(16), nullable=False),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False), sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False), sa.Column("created_at", sa.DateTime(), nullable=False))
    op.create_index("ix_duty_roster_region", "duty_roster", ["region_code", "starts_at"])
    op.create_index("ix_duty_roster_ends", "duty_roster", ["ends_at"])
    op.create_table(
        "duty_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("author", sa.String(64), nullable=False), sa.Column("role", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False), sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("text", sa.Text(), nullable=False), sa.Column("alarm_id", sa.String(200)),
        sa.Column("workorder_id", sa.Integer(), sa.ForeignKey("workorders.id")))
    op.create_index("ix_duty_log_region", "duty_log", ["region_code", "at"])


def downgrade() -> None:
    op.drop_table("duty_log")
    op.drop_table("duty_roster")
