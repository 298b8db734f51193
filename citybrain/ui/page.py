"""The frame of a dashboard page: heading, the stale note of its feeds, panels, the not-applicable
panel and the drill-down every KPI card opens."""

from __future__ import annotations

from typing import Any

from dash import html

from citybrain.i18n import reason_text, t
from citybrain.regions import region_name
from citybrain.semantics import freshness
from citybrain import cache
from citybrain.store import Store, get_store
from citybrain.ui import drill
from citybrain.ui.grids import stale_note


def page(prefix: str, title: str, intro: str, region: str, lang: str, children: list[Any],
         live: bool = True) -> html.Div:
    """A dashboard page: heading, the stale note of its feeds, the module's content and its drill-down.

    A ``live`` page is drawn again when pushed data arrives (``assets/live.js``), without a reload."""
    from citybrain.registry import all_modules

    datasets = next((m.datasets for m in all_modules() if m.id == prefix), ())
    store = get_store()
    states = freshness.dataset_states(store, region, freshness.now())
    # the data version is stamped on the page as it is served (``stamp_live_version``): a cached page is
    # kept while the datasets it reads are unchanged, and it must not depend on every batch
    return html.Div(id=f"{prefix}-page", className="cb-page dash-page", **({"data-live": "page"} if live else {}),
                    children=[
        html.Div(className="cb-heading", children=[html.H1(f"{title} · {region_name(region, lang)}"), html.P(intro)]),
        stale_note(prefix, states, datasets, lang),
        *children, drill.drill_panel(prefix, region, lang)])


def live_attrs(mode: str | None, store: Store) -> dict[str, str]:
    """The attributes by which ``assets/live.js`` follows pushed data on a page: ``mode`` "page" (draw
    the page again) or "map" (move the map's present), and the data version the page was drawn from
    (the request's, ``cache.data_version``: the one its queries read)."""
    return {"data-live": mode, "data-live-version": cache.data_version(store)} if mode else {}


def stamp_live_version(tree: Any, store: Store) -> Any:
    """Mark a page (``page``) that follows pushed data with the data version it is served at (the
    request's), for ``assets/live.js``; the rest of the page may come from the cache."""
    if getattr(tree, "data-live", None):
        setattr(tree, "data-live-version", cache.data_version(store))
    return tree


def section(prefix: str, key: str, title: str, children: list[Any], export: Any = None) -> html.Section:
    """A titled panel of a dashboard (optional export link in the title)."""
    return html.Section(id=f"{prefix}-{key}", className="dash-panel", children=[
        html.H2([title, " ", export] if export is not None else title), *children])


def not_applicable(prefix: str, reason: str | None, lang: str) -> html.Div:
    """The clear 'not applicable here' panel, with the reason from the coverage table."""
    from citybrain.kpi import na_title

    return html.Div(id=f"{prefix}-na", className="kpi-na", children=[
        html.Span("ⓘ", className="kpi-na-icon", **{"aria-hidden": "true"}),
        html.Strong(na_title(reason, lang)), html.P(reason_text(reason, lang))])


def not_applicable_page(prefix: str, dataset: str, region: str, lang: str) -> html.Div | None:
    """The whole page of a domain module where its dataset does not apply to ``region`` (the
    coverage table's reason), or None where it applies."""
    from citybrain import kpi

    ok, reason = kpi.applicable(get_store(), region, dataset)
    if ok:
        return None
    return page(prefix, t(f"{prefix}.title", lang), t(f"{prefix}.intro", lang), region, lang,
                [not_applicable(prefix, reason, lang)])
