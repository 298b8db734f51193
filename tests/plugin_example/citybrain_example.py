"""A third-party dashboard module, as an installed package would ship it (entry point
``citybrain.dashboards``: ``example = citybrain_example``)."""

from dash import Dash, Input, Output, html

from citybrain.registry import DashboardModule

P = "example"


def layout(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    return html.Div(id=f"{P}-page", children=[html.H1("示例插件" if lang != "en" else "Example plug-in", id=f"{P}-title"),
                                               html.Button("+1", id=f"{P}-btn", n_clicks=0), html.Span(id=f"{P}-out")])


def register_callbacks(app: Dash) -> None:
    @app.callback(Output(f"{P}-out", "children"), Input(f"{P}-btn", "n_clicks"))
    def _count(n):
        return str(n)


MODULE = DashboardModule(id=P, title_zh="示例插件", title_en="Example plug-in", path=f"/d/{P}", layout=layout,
                         datasets=("targets",), order=95, register_callbacks=register_callbacks)
