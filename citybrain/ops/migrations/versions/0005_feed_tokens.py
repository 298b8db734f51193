"""Feed tokens: the hashed bearer tokens that may push live feeds of one dataset.

Revision ID: 0005_feed_tokens
Revises: 0004_photos
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_feed_tokens"
down_revision = "0004_photos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime()))


def downgrade() -> None:
    op.drop_table("feed_tokens")
