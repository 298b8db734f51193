"""The work-order life cycle (GB/T 30428.8 立案、处置和结案): steps, who may take them, time limits.

``received → registered | rejected``, ``registered → dispatched → handled → verified → closed``,
and ``handled → dispatched`` when verification fails (返工). The duty officer (``duty``) registers,
rejects, dispatches, verifies and closes; a ``handler`` handles the orders of its own department;
``admin`` may take every step. Every non-final state has a time limit per category (``LIMITS``):
an order still in it after the limit is overdue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from citybrain.auth.roles import DUTY_ROLES, HANDLER
from citybrain.ops.errors import Forbidden, IllegalStep

STATES = ("received", "registered", "rejected", "dispatched", "handled", "verified", "closed")
FINAL = frozenset({"rejected", "closed"})
CATEGORIES = ("urgent", "normal")
#: The steps the life cycle allows from each state.
NEXT: dict[str, tuple[str, ...]] = {
    "received": ("registered", "rejected"),
    "registered": ("dispatched",),
    "dispatched": ("handled",),
    "handled": ("verified", "dispatched"),
    "verified": ("closed",),
    "rejected": (),
    "closed": (),
}
#: Roles that may take a step into each state (a handler only for its own department's orders).
STEP_ROLES: dict[str, frozenset[str]] = {
    "registered": DUTY_ROLES, "rejected": DUTY_ROLES, "dispatched": DUTY_ROLES,
    "handled": frozenset({HANDLER, "admin"}), "verified": DUTY_ROLES, "closed": DUTY_ROLES,
}
#: Minutes an order may stay in a state before it is overdue, by category (urgent: dispatch within
#: 30 min, handle within 2 h).
LIMITS: dict[str, dict[str, int]] = {
    "urgent": {"received": 10, "registered": 30, "dispatched": 120, "handled": 60, "verified": 30},
    "normal": {"received": 60, "registered": 240, "dispatched": 1440, "handled": 480, "verified": 240},
}


def due(category: str, state: str, since: datetime) -> datetime | None:
    """When an order of ``category`` entering ``state`` at ``since`` becomes overdue (None if final)."""
    minutes = LIMITS[category].get(state)
    return None if minutes is None else since + timedelta(minutes=minutes)


def overdue(state: str, due_at: datetime | None, now: datetime) -> bool:
    return state not in FINAL and due_at is not None and now > due_at


def may_create(role: str | None) -> bool:
    return role in DUTY_ROLES


def may_see(role: str | None, department: str | None, order_department: str | None) -> bool:
    """A handler sees its department's orders only; every other reader sees all."""
    return role != HANDLER or (department is not None and department == order_department)


def check_role(role: str | None, department: str | None, to: str, order_department: str | None) -> None:
    """``Forbidden`` unless ``role`` (of ``department``) may take a step into ``to``."""
    if role not in STEP_ROLES.get(to, frozenset()):
        raise Forbidden(f"role {role or 'anonymous'} may not move a work order to {to}", parameter="to")
    if role == HANDLER and (department is None or department != order_department):
        raise Forbidden("a handler handles only its own department's work orders", parameter="department")


def check_step(state: str, to: str) -> None:
    """``IllegalStep`` unless the life cycle allows ``state → to``."""
    if to not in NEXT.get(state, ()):
        allowed = ", ".join(NEXT.get(state, ())) or "none (final state)"
        raise IllegalStep(f"illegal step {state} -> {to}", parameter="to", expected=f"one of: {allowed}",
                          got=to)
