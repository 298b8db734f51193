"""Roles and clearances: which classification a role may see, who may export, who may act on duty.

Roles of the duty room (``citybrain.ops``): ``duty`` (值班员) acknowledges, silences and resolves
alarms and creates, registers, dispatches, verifies and closes work orders; ``handler`` (部门处置人员,
with a department) handles its department's orders; ``admin`` may do all of it; ``leader``,
``analyst`` and ``wall`` only read.
"""

from __future__ import annotations

from citybrain.settings import Settings

LEVELS = {"public": 0, "internal": 1, "restricted": 2}
#: Roles that read dashboards and the API (every role but the wall display).
STAFF_ROLES: tuple[str, ...] = ("leader", "analyst", "admin", "duty", "handler")
#: Roles a wall page and its callbacks admit.
WALL_ROLES: tuple[str, ...] = ("wall", *STAFF_ROLES)


def known_role(settings: Settings, role: str | None) -> bool:
    return role is not None and role in settings.role_clearance


def clearance(settings: Settings, role: str | None) -> str:
    """The highest classification ``role`` may see (``public`` for unknown roles)."""
    return settings.role_clearance.get(role or "", "public")


def may_see(settings: Settings, role: str | None, classification: str) -> bool:
    return LEVELS[clearance(settings, role)] >= LEVELS.get(classification, 2)


def can_export(settings: Settings, role: str | None) -> bool:
    """Whether the role's bulk-read rule allows file exports."""
    from citybrain.auth.bulk import bulk_rule

    return bulk_rule(settings, role).files


#: Roles that act on alarms (acknowledge, silence, resolve) and create work orders.
DUTY_ROLES = frozenset({"duty", "admin"})
#: The role that handles work orders of its own department.
HANDLER = "handler"


def can_act_on_alarms(role: str | None) -> bool:
    """Whether ``role`` may acknowledge, silence and resolve alarms."""
    return role in DUTY_ROLES


#: Roles that record the progress of planning targets (``citybrain.ops.progress``).
PROGRESS_ROLES = frozenset({"analyst", "admin"})


def can_record_progress(role: str | None) -> bool:
    """Whether ``role`` may record progress values of planning targets."""
    return role in PROGRESS_ROLES
