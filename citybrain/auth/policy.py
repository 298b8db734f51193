"""Who may call what: every HTTP route and every Dash callback declares the roles it admits.

Routes declare an *access* (``PUBLIC``, ``SIGNED_IN``, ``STAFF``, ``EXPORT``, ``FORMAT``, ``PAGE``,
``CALLBACK``, ``NOBODY``) by their URL rule: Flask's and Dash's own rules here, ``/api/v1`` rules
where they are added (``citybrain.api.routes.add_route``). Dash callbacks declare roles where they
are registered: ``AccessPolicy.callbacks(app, roles)`` records every callback registered inside the
block (the app factory wraps each dashboard module's ``register_callbacks`` with the module's
``roles``). ``decide`` answers for the current request; anything undeclared is denied.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Request

from citybrain.auth.bulk import bulk_rule
from citybrain.auth.dashreq import CallbackRequest
from citybrain.auth.roles import STAFF_ROLES, WALL_ROLES
from citybrain.settings import Settings

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
WALL = "wall"

PUBLIC = "public"        # anyone, anonymous included (no data)
SIGNED_IN = "signed-in"  # any known role, the wall included
STAFF = "staff"          # any known role but the wall
EXPORT = "export"        # roles whose bulk-read rule allows files
FORMAT = "format"        # /api/v1/<name>.<fmt>: json is STAFF, files are EXPORT
PAGE = "page"            # a page: the roles of the module owning the path
CALLBACK = "callback"    # /_dash-update-component: the roles of the callback named by the body
FEED = "feed"            # a feed push: no session; the view checks the dataset's feed token (401/403)
NOBODY = "nobody"

#: The access of Flask's, Dash's and the app's own rules (``/api/v1`` routes add theirs).
ROUTE_ACCESS: dict[str, str] = {
    "/healthz": PUBLIC, "/readyz": PUBLIC, "/login": PUBLIC, "/logout": PUBLIC,
    "/assets/<path:filename>": PUBLIC, "/_favicon.ico": PUBLIC,
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": PUBLIC,
    "/api/v1/openapi.json": PUBLIC,
    "/_dash-layout": SIGNED_IN, "/_dash-dependencies": SIGNED_IN, "/_reload-hash": SIGNED_IN,
    "/_dash-update-component": CALLBACK,
    "/": PAGE, "/<path:path>": PAGE,
    "/api/v1/<name>": STAFF, "/api/v1/<name>.<fmt>": FORMAT,
    "/static/<path:filename>": NOBODY,
}

#: Dash's own callbacks (by their first output id): the page router renders a page (PAGE).
PAGE_ROUTER_OUTPUT = "_pages_content"
DASH_OWN_CALLBACKS: dict[str, tuple[str, ...] | str] = {PAGE_ROUTER_OUTPUT: PAGE, "_pages_dummy": WALL_ROLES}


def declare_route(rule: str, access: str) -> None:
    """Declare the access of a URL rule (called where the route is added)."""
    if access not in (PUBLIC, SIGNED_IN, STAFF, EXPORT, FORMAT, PAGE, CALLBACK, NOBODY, FEED):
        raise ValueError(f"unknown access {access!r} for {rule}")
    ROUTE_ACCESS[rule] = access


def first_output_id(key: str) -> str:
    """The first output's component id of a callback-map key (``..a.b...c.d..`` or ``a.b``)."""
    body = key[2:] if key.startswith("..") else key
    return body.split("...")[0].rsplit(".", 1)[0]


@dataclass(frozen=True)
class Denial:
    """A refusal: HTTP status and a reason that leaks nothing."""

    code: int
    reason: str


@dataclass
class AccessPolicy:
    """One app's page and callback declarations (built by the app factory)."""

    pages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    callback_roles: dict[str, tuple[str, ...] | str] = field(default_factory=dict)

    def page(self, path: str, roles: tuple[str, ...]) -> None:
        self.pages[_norm(path)] = tuple(roles)

    @contextlib.contextmanager
    def callbacks(self, app, roles: tuple[str, ...] | str) -> Iterator[None]:
        """Every callback ``app`` registers inside the block admits ``roles``."""
        before = set(app.callback_map)
        yield
        for key in set(app.callback_map) - before:
            self.callback_roles[key] = roles if isinstance(roles, str) else tuple(roles)

    def roles_of_callback(self, key: str) -> tuple[str, ...] | str | None:
        """The declared roles of a callback (None: undeclared)."""
        if key in self.callback_roles:
            return self.callback_roles[key]
        return DASH_OWN_CALLBACKS.get(first_output_id(key))

    def page_roles(self, path: str | None) -> tuple[str, ...]:
        """Roles that may render ``path``: its module's; unknown paths (Dash's 404 page) for staff."""
        return self.pages.get(_norm(path or "/"), STAFF_ROLES)


def _norm(path: str) -> str:
    return path.rstrip("/") or "/"


def route_access(request: Request) -> str:
    """The declared access of the request's URL rule (NOBODY when undeclared)."""
    rule = request.url_rule.rule if request.url_rule is not None else None
    if rule is None:
        return PUBLIC  # no rule: Flask answers 404/405 itself, with no data
    access = ROUTE_ACCESS.get(rule)
    if access is None:
        log.warning("route %s declares no access: denied", rule)
        return NOBODY
    if access == FORMAT:
        fmt = (request.view_args or {}).get("fmt", "json")
        return STAFF if fmt == "json" else EXPORT
    return access


def role_allowed(settings: Settings, role: str, roles: tuple[str, ...] | str) -> bool:
    """Whether ``role`` is among ``roles`` (a tuple of names or one of the symbolic accesses)."""
    if roles == SIGNED_IN:
        return True
    if roles == STAFF:
        return role != WALL
    if roles == EXPORT:
        return bulk_rule(settings, role).files
    if isinstance(roles, str):
        return False
    return role in roles


def decide(policy: AccessPolicy, settings: Settings, role: str | None, request: Request,
           call: CallbackRequest | None = None) -> Denial | None:
    """None when ``role`` (None: anonymous) may make this request, else the denial.

    ``call`` is the parsed body of a callback request (``dashreq.parse``)."""
    access = route_access(request)
    if access in (PUBLIC, FEED):
        return None
    if role is None:
        return Denial(401, "authentication required")
    if access == NOBODY:
        return Denial(403, "no access declared for this route")
    if access == PAGE:
        ok = role_allowed(settings, role, policy.page_roles(request.path))
        return None if ok else Denial(403, _why(role))
    if access == CALLBACK:
        if call is None:
            return Denial(400, "bad callback request")
        roles = policy.roles_of_callback(call.output)
        if roles is None:
            log.warning("callback %s declares no roles: denied", call.output[:200])
            return Denial(403, "this callback declares no roles")
        if roles == PAGE:
            roles = policy.page_roles(call.input_value("_pages_location", "pathname"))
        return None if role_allowed(settings, role, roles) else Denial(403, _why(role))
    if access == EXPORT and not role_allowed(settings, role, EXPORT):
        return Denial(403, f"role {role} may not export data")
    return None if role_allowed(settings, role, access) else Denial(403, _why(role))


def _why(role: str) -> str:
    return "a wall display may show the wall only" if role == WALL else f"role {role} may not use this"
