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
    # escalation (``escalation``): the level reached while unacknowledged, since when it is active
    Column("escalation_level", Integer, nullable=False, server_default="0"),
    Column("escalated_at", DateTime),
    Column("active_since", DateTime),  # null: since first_seen (rows older than migration 0002)
    Index("ix_alarm_states_scope", "scope_region", "state"),
)

#: Every change of an alarm's state: raised, acknowledged, silenced, resolved, cleared, raised again,
#: escalated.
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
    Column("source", String(200)),  # the feed item an order was made from (``incident:<id>``), unique
    Index("ix_workorders_state", "state", "due_at"),
    Index("ix_workorders_source", "source", unique=True),
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

#: The duty roster (值班表): who is on duty in which role, for which region, from when to when.
duty_roster = Table(
    "duty_roster", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user", String(64), nullable=False),
    Column("role", String(16), nullable=False),  # duty (值班员) | leader (带班领导)
    Column("region_code", String(6), nullable=False),
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_duty_roster_region", "region_code", "starts_at"),
    Index("ix_duty_roster_ends", "ends_at"),
)

#: The duty log (值班日志): what the duty room wrote, when, optionally about one alarm or work order.
duty_log = Table(
    "duty_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("author", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("text", Text, nullable=False),
    Column("alarm_id", String(200)),
    Column("workorder_id", Integer, ForeignKey("workorders.id")),
    Index("ix_duty_log_region", "region_code", "at"),
)

#: Bearer tokens of users for scripts and integrations (``citybrain.auth.tokens``): only a SHA-256 of
#: the token is kept; ``label`` names it in lists; the role is the user's when it was issued.
api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(16), nullable=False),
    Column("user", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime),
    Column("revoked_at", DateTime),
    Index("ix_api_tokens_user", "user"),
)

#: Notifications sent (``citybrain.ops.notify``): one row per message and channel, claimed once per
#: ``key`` (an escalation level, an urgent order created or overdue), with the delivery's outcome.
notifications = Table(
    "notifications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(240), nullable=False),
    Column("channel", String(16), nullable=False),  # webhook | email
    Column("kind", String(24), nullable=False),  # escalation | urgent_order | overdue_order
    Column("title", Text, nullable=False),
    Column("status", String(12), nullable=False),  # queued | sent | failed
    Column("error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Index("ix_notifications_key", "key", "channel", unique=True),
)

#: Photos of a work order's steps: the file is ``<photo folder>/<sha256>``, its metadata here.
workorder_photos = Table(
    "workorder_photos", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workorder_id", Integer, ForeignKey("workorders.id"), nullable=False),
    Column("step_version", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("media_type", String(16), nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("filename", String(200)),
    Column("user", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_workorder_photos_order", "workorder_id", "step_version"),
)

#: Feed tokens (``citybrain feeds add``): who may push feeds of one dataset; only a hash is kept.
feed_tokens = Table(
    "feed_tokens", metadata,
    Column("name", String(64), primary_key=True),
    Column("dataset", String(64), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime),
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
