"""The tables of the operational database (SQLAlchemy Core), defined once; the migrations in
``migrations/versions`` create exactly these.

Times are China Standard Time without zone, like the store's.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

#: One row per alarm id of the alarm set: its state, last known content and acknowledgement.
alarm_states = Table(
    "alarm_states", metadata,
    Column("alarm_id", String(200), primary_key=True),
    Column("scope_region", String(6), nullable=False),
    Column("state", String(16), nullable=False),  # active | acknowledged | cleared
    Column("severity", String(16), nullable=False),
    Column("region_code", String(6)),
    Column("domain", String(40)),
    Column("indicator_id", String(120)),
    Column("entity_id", String(200)),
    Column("value", Float),
    Column("threshold", Float),
    Column("raised_at", DateTime),
    Column("title_zh", Text),
    Column("title_en", Text),
    Column("first_seen", DateTime, nullable=False),
    Column("acknowledged_by", String(64)),
    Column("acknowledged_at", DateTime),
    Column("ack_note", Text),
    Column("cleared_at", DateTime),
    Column("cleared_by", String(64)),  # null: cleared by itself (left the alarm set)
    Column("silenced_until", DateTime),
    Column("version", Integer, nullable=False),
    Index("ix_alarm_states_scope", "scope_region", "state"),
)

#: Every change of an alarm's state: raised, acknowledged, silenced, resolved, cleared, raised again.
alarm_events = Table(
    "alarm_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alarm_id", String(200), ForeignKey("alarm_states.alarm_id"), nullable=False),
    Column("event", String(16), nullable=False),
    Column("user", String(64)),
    Column("at", DateTime, nullable=False),
    Column("note", Text),
    Index("ix_alarm_events_alarm", "alarm_id", "id"),
)

#: Silences: an alarm kept quiet until a time, with a reason (expires by itself).
silences = Table(
    "silences", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alarm_id", String(200), ForeignKey("alarm_states.alarm_id"), nullable=False),
    Column("user", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    Index("ix_silences_alarm", "alarm_id", "ends_at"),
)

#: Work orders (工单) and their current step; ``version`` counts the steps taken (optimistic lock).
workorders = Table(
    "workorders", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("category", String(16), nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("alarm_id", String(200)),
    Column("lon", Float),
    Column("lat", Float),
    Column("state", String(16), nullable=False),
    Column("department", String(64)),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("state_since", DateTime, nullable=False),
    Column("due_at", DateTime),
    Column("closed_at", DateTime),
    Column("version", Integer, nullable=False),
    Index("ix_workorders_state", "state", "due_at"),
    Index("ix_workorders_department", "department", "state"),
)

#: Every step of a work order: from, to, who (and role), when, department, note.
workorder_steps = Table(
    "workorder_steps", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workorder_id", Integer, ForeignKey("workorders.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("from_state", String(16)),
    Column("to_state", String(16), nullable=False),
    Column("user", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("department", String(64)),
    Column("note", Text),
    Index("ix_workorder_steps_order", "workorder_id", "version", unique=True),
)

#: Progress of planning targets recorded by analysts and admins (one row per report; the newest
#: report of a (region, indicator, year) is its value). Read by ``citybrain.ops.progress``.
target_progress = Table(
    "target_progress", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("region_code", String(6), nullable=False),
    Column("indicator_id", String(120), nullable=False),
    Column("year", Integer, nullable=False),
    Column("value", Float, nullable=False),
    Column("source", Text, nullable=False),
    Column("note", Text),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Index("ix_target_progress_key", "region_code", "indicator_id", "year", "id"),
)
