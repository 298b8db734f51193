"""The dashboard registry: built-in modules under ``dashboards/`` and third-party ones.

A dashboard module is a package that exposes ``MODULE: DashboardModule``. Built-ins are found by
scanning the ``dashboards`` package; third-party packages register through the entry-point group
``citybrain.dashboards`` (an entry point naming a module that exposes ``MODULE``). The app
factory registers each module's page with Dash Pages and its callbacks against the app.
"""

from __future__ import annotations

import functools

import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from dash import Dash

from citybrain.auth.roles import STAFF_ROLES

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "citybrain.dashboards"


@dataclass(frozen=True)
class DashboardModule:
    """What a dashboard module declares and provides.

    ``layout(region=..., lang=..., **query)`` returns the page's component tree; its component ids
    must start with ``f"{id}-"``. ``register_callbacks(app)`` registers the module's callbacks
    against the given app; the page and every callback it registers admit ``roles`` only.
    """

    id: str
    title_zh: str
    title_en: str
    path: str
    layout: Callable[..., Any]
    datasets: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    layers: tuple[str, ...] = ()
    description_zh: str = ""
    description_en: str = ""
    order: int = 100
    register_callbacks: Callable[[Dash], None] | None = None
    nav: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    #: The module's named views (``citybrain.views.View``): every card, table and chart's rows.
    views: tuple[Any, ...] = ()
    #: Roles that may open the page and run its callbacks (the wall display is not among the default).
    roles: tuple[str, ...] = STAFF_ROLES
    #: A path with variables (Dash Pages' ``path_template``, e.g. ``/workorders/<order_id>``): the layout
    #: gets them as keyword arguments. ``path`` is then only the page's name in the registry.
    path_template: str | None = None
    #: A short English name for the navigation bar (English titles are longer than the Chinese ones and
    #: the bar stays one line on a 1920 screen); the title when not given.
    nav_en: str | None = None

    def title(self, lang: str = "zh") -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def nav_label(self, lang: str = "zh") -> str:
        """The module's name in the navigation bar."""
        return self.nav_en if lang == "en" and self.nav_en else self.title(lang)


def builtin_modules() -> list[DashboardModule]:
    """Modules of the ``dashboards`` package (each sub-package exposing ``MODULE``)."""
    import dashboards

    found = []
    for info in pkgutil.iter_modules(dashboards.__path__):
        if not info.ispkg:
            continue
        mod = importlib.import_module(f"dashboards.{info.name}")
        m = getattr(mod, "MODULE", None)
        if isinstance(m, DashboardModule):
            found.append(m)
    return found


def plugin_modules() -> list[DashboardModule]:
    """Modules registered by installed packages under the ``citybrain.dashboards`` group."""
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception:
            log.exception("dashboard plugin %s failed to load", ep.name)
            continue
        m = getattr(obj, "MODULE", obj)
        if isinstance(m, DashboardModule):
            found.append(m)
        else:
            log.error("dashboard plugin %s does not expose a DashboardModule", ep.name)
    return found


def all_modules() -> list[DashboardModule]:
    """Built-in and plug-in modules, ordered; ids must be unique. Found once per import path (reading
    every installed distribution's entry points costs more than a page): a plug-in installed on a
    new path is found on the next call."""
    import sys

    return list(_modules(tuple(sys.path)))


@functools.lru_cache(maxsize=4)
def _modules(path: tuple[str, ...]) -> tuple[DashboardModule, ...]:
    return tuple(_all_modules())


def _all_modules() -> list[DashboardModule]:
    mods = builtin_modules() + plugin_modules()
    seen: dict[str, DashboardModule] = {}
    for m in mods:
        if m.id in seen:
            raise ValueError(f"two dashboard modules share the id {m.id!r}")
        seen[m.id] = m
    return sorted(mods, key=lambda m: (m.order, m.id))
