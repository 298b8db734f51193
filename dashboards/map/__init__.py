"""全市态势一张图 (one map): toggleable layers, replayable time, alerts that zoom, details on click.

The page reads the shell's ``?region=&lang=``; the map is ``layers.figure`` (offline MapLibre style,
no external request); callbacks live in ``dashboards.map.callbacks``.
"""

from __future__ import annotations

from dash import dcc, html

from citybrain.ui.figures import graph_config
from citybrain.i18n import t
from citybrain.regions import REGIONS, region_name
from citybrain.registry import DashboardModule
from citybrain.store import StoreMissing, get_store
from citybrain.semantics import freshness
from citybrain.ui import heading, stale_note
from citybrain.ui.page import live_attrs
from layers.registry import all_layers

from .callbacks import register_callbacks
from .duty import order_form
from .panels import P, slider_marks, window_of, window_options
from citybrain import context

#: The feeds the map draws (said stale the same way as on every page: ``citybrain.ui.stale_note``).
DATASETS = ("boundaries", "traffic", "fisheries", "water", "emergency", "typhoon")

#: Layers shown when the page opens.
DEFAULT_LAYERS = ["boundaries", "traffic", "fisheries", "water", "emergency", "workorders"]


def layout(region: str | None = None, lang: str | None = None, **_query) -> html.Div:
    """The /map page for a region and language (the figure itself is drawn by the callbacks)."""
    settings = context.current().settings
    lang = lang if lang in ("zh", "en") else settings.lang
    region = region if region in REGIONS else settings.region
    try:
        store = get_store()
        win = window_of(store, region, "24h")
        wopts = window_options(store, region, lang)
    except StoreMissing as exc:
        return html.Div(className="cb-page", children=[heading(t("map.title", lang)), html.Pre(str(exc))])
    layer_opts = [{"label": la.title(lang), "value": la.id} for la in all_layers()]
    subs = [html.Div(className="map-sub", children=[
        html.Div(la.title(lang), className="map-sub-title"),
        dcc.Checklist(id=f"{P}-sub-{la.id}", options=[{"label": s.title(lang), "value": s.id} for s in la.sublayers],
                      value=la.default_sublayers(), className="map-checklist", inputClassName="map-check")])
        for la in all_layers() if la.id != "boundaries"]
    return html.Div(className="cb-page map-page", id=f"{P}-page", **live_attrs("map", store), children=[
        dcc.Store(id=f"{P}-ctx", data={"region": region, "lang": lang}),
        dcc.Store(id=f"{P}-live"),  # the newest data version, set by assets/live.js
        dcc.Store(id=f"{P}-win", data=win),
        dcc.Store(id=f"{P}-traces", data=[]),
        dcc.Store(id=f"{P}-pick"), dcc.Store(id=f"{P}-alert-pick"), dcc.Store(id=f"{P}-order-draft"),
        dcc.Interval(id=f"{P}-tick", interval=900, disabled=True),
        html.Div(className="map-head", children=[
            html.H1(f"{t('map.title', lang)} · {region_name(region, lang)}", id=f"{P}-title"),
            html.Span(id=f"{P}-time-label", className="map-time-label"),
            # in the heading's row: the map keeps its height on a wall-sized screen
            stale_note(P, freshness.dataset_states(store, region, freshness.now()), DATASETS, lang),
        ]),
        html.Div(className="map-grid", children=[
            html.Aside(className="map-side", children=[
                html.H3(t("map.layers", lang)),
                dcc.Checklist(id=f"{P}-layers", options=layer_opts, value=DEFAULT_LAYERS, className="map-checklist",
                              inputClassName="map-check"),
                *subs,
                html.H3(t("map.counts", lang)),
                html.Div(id=f"{P}-counts", className="map-counts"),
            ]),
            html.Div(className="map-centre", children=[
                # phones: the layers panel opens as a drawer from here (assets/mapphone.js)
                html.Button(f"☰ {t('map.layers', lang)}", id=f"{P}-layers-btn", className="map-layers-btn",
                            n_clicks=0, type="button"),
                dcc.Graph(id=f"{P}-graph", className="map-graph", config=graph_config(lang, displaylogo=False, scrollZoom=True,
                                                                          modeBarButtonsToRemove=["toImage"])),
                html.Div(className="map-timebar", children=[
                    html.Button(t("map.play", lang), id=f"{P}-play", n_clicks=0, className="map-play"),
                    dcc.Dropdown(id=f"{P}-speed", options=[{"label": f"{s}×", "value": s} for s in (1, 2, 4, 8)],
                                 value=1, clearable=False, searchable=False, className="map-speed"),
                    html.Div(className="map-slider", children=[dcc.Slider(
                        id=f"{P}-slider", min=0, max=win["n"], step=1, value=win["n"], marks=slider_marks(win),
                        updatemode="mouseup", allow_direct_input=False)]),
                    dcc.Dropdown(id=f"{P}-window", options=wopts, value="24h", clearable=False, searchable=False,
                                 className="map-window", placeholder=t("map.window", lang)),
                ]),
            ]),
            html.Aside(className="map-right", children=[
                # phones: details and alerts are a bottom sheet opened from this handle
                html.Button(f"{t('map.detail', lang)} · {t('map.alerts', lang)}", id=f"{P}-sheet-handle",
                            className="map-sheet-handle", n_clicks=0, type="button"),
                html.Div(id=f"{P}-ack-msg", className="ops-msg map-ack-msg", role="status"),
                order_form(lang),
                html.H3(t("map.detail", lang)),
                html.Div(id=f"{P}-detail", className="map-detail",
                         children=[html.P(t("map.detail.hint", lang), className="map-empty")]),
                html.H3(t("map.alerts", lang)),
                html.Div(id=f"{P}-alerts", className="map-alerts"),
                html.H3(t("map.legend", lang)),
                html.Div(id=f"{P}-legend", className="map-legend"),
            ]),
        ]),
    ])


MODULE = DashboardModule(
    id=P, title_zh="一张图", title_en="One map", path="/map", layout=layout, order=10,
    datasets=DATASETS,
    layers=tuple(DEFAULT_LAYERS), register_callbacks=register_callbacks,
    description_zh="全市态势一张图：交通、渔港、水利、应急图层，时间回放、预警告警列表与要素详情。",
    description_en="The whole region on one map: traffic, fisheries, water and emergency layers, time replay, "
                   "alert list and details.",
)
