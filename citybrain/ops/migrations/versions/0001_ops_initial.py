"""The operational database's first tables: alarm states and events, silences, work orders and steps.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _text(name: str, n: int | None = None, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(n) if n else sa.Text(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alarm_states",
        sa.Column("alarm_id", sa.String(200), primary_key=True),
        _text("scope_region", 6, False), _text("state", 16, False), _text("severity", 16, False),
        _text("region_code", 6), _text("domain", 40), _text("indicator_id", 120), _text("entity_id", 200),
        sa.Column("value", sa.Float()), sa.Column("threshold", sa.Float()), sa.Column("raised_at", sa.DateTime()),
        _text("title_zh"), _text("title_en"),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        _text("acknowledged_by", 64), sa.Column("acknowledged_at", sa.DateTime()), _text("ack_note"),
        sa.Column("cleared_at", sa.DateTime()), _text("cleared_by", 64),
        sa.Column("silenced_until", sa.DateTime()),
        sa.Column("version", sa.Integer(), nullable=False))
    op.create_index("ix_alarm_states_scope", "alarm_states", ["scope_region", "state"])
    op.create_table(
        "alarm_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alarm_id", sa.String(200), sa.ForeignKey("alarm_states.alarm_id"), nullable=False),
        _text("event", 16, False), _text("user", 64), sa.Column("at", sa.DateTime(), nullable=False), _text("note"))
    op.create_index("ix_alarm_events_alarm", "alarm_events", ["alarm_id", "id"])
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alarm_id", sa.String(200), sa.ForeignKey("alarm_states.alarm_id"), nullable=False),
        _text("user", 64, False), _text("reason", None, False),
        sa.Column("starts_at", sa.DateTime(), nullable=False), sa.Column("ends_at", sa.DateTime(), nullable=False))
    op.create_index("ix_silences_alarm", "silences", ["alarm_id", "ends_at"])
    op.create_table(
        "workorders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _text("title", 200, False), _text("category", 16, False), _text("region_code", 6, False),
        _text("alarm_id", 200), sa.Column("lon", sa.Float()), sa.Column("lat", sa.Float()),
        _text("state", 16, False), _text("department", 64), _text("created_by", 64, False),
        sa.Column("created_at", sa.DateTime(), nullable=False), sa.Column("state_since", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime()), sa.Column("closed_at", sa.DateTime()),
        sa.Column("version", sa.Integer(), nullable=False))
    op.create_index("ix_workorders_state", "workorders", ["state", "due_at"])
    op.create_index("ix_workorders_department", "workorders", ["department", "state"])
    op.create_table(
        "workorder_steps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workorder_id", sa.Integer(), sa.ForeignKey("workorders.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _text("from_state", 16), _text("to_state", 16, False), _text("user", 64, False), _text("role", 16, False),
        sa.Column("at", sa.DateTime(), nullable=False), _text("department", 64), _text("note"))
    op.create_index("ix_workorder_steps_order", "workorder_steps", ["workorder_id", "version"], unique=True)


def downgrade() -> None:
    for name in ("workorder_steps", "workorders", "silences", "alarm_events", "alarm_states"):
        op.drop_table(name)
