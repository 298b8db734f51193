"""Recording progress on the targets page: a form (target, value, year, source, note) and a CSV upload
(``citybrain.ops.progress`` columns), shown to analysts and admins; both write through
``citybrain.ops.progress_api.submit`` (role checked again, audited). The message names the row and
field of a bad file; nothing of a bad file is stored."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from citybrain.auth.roles import can_record_progress
from citybrain.i18n import register, t
from citybrain.ops import progress
from citybrain.ops.caller import caller
from citybrain.ops.errors import OpsError
from citybrain.ops.progress_api import known_targets, submit

log = logging.getLogger(__name__)

register({
    "targets.record": ("填报进度", "Record progress"),
    "targets.record.hint": ("填报某项指标某年的实际值及其来源；也可按模板上传 CSV 文件（地区代码、指标代码、年份、实际值、来源、备注）。",
                            "Record a target's actual value for a year and its source, or upload a CSV file made "
                            "from the template (region, indicator id, year, value, source, note)."),
    "targets.record.template": ("下载 CSV 模板", "Download the CSV template"),
    "targets.record.indicator": ("指标", "Target"), "targets.record.value": ("实际值", "Value"),
    "targets.record.year": ("年份", "Year"), "targets.record.source": ("来源", "Source"),
    "targets.record.note": ("备注", "Note"), "targets.record.save": ("保存", "Save"),
    "targets.record.upload": ("上传 CSV 文件（拖放或点击）", "Upload a CSV file (drop or click)"),
    "targets.record.saved": ("已保存 {n} 条进度记录。", "{n} progress reports saved."),
    "targets.record.bad": ("未保存：{msg}", "Not saved: {msg}"),
    "targets.record.denied": ("当前角色不能填报进度（仅分析员、管理员）。", "This role may not record progress (analysts and admins only)."),
})


def panel(prefix: str, rows: list[dict[str, Any]], lang: str) -> html.Section:
    """The recording panel (hidden until the role callback shows it to an analyst or admin)."""
    opts = [{"label": r["name_zh"] if lang == "zh" else (r["name_en"] or r["name_zh"]), "value": r["indicator_id"]}
            for r in rows]

    def field(key: str, comp: Any) -> html.Label:
        return html.Label([html.Span(t(f"targets.record.{key}", lang)), comp], className="tg-field")

    return html.Section(id=f"{prefix}-record", className="dash-panel tg-record tg-hidden", children=[
        html.H2(t("targets.record", lang)),
        html.P([t("targets.record.hint", lang), " ",
                html.A(t("targets.record.template", lang), href="/assets/targets-progress-template.csv", download="",
                       className="cb-link")], className="dash-empty"),
        html.Div(className="tg-form", children=[
            field("indicator", dcc.Dropdown(id=f"{prefix}-record-indicator", options=opts, searchable=True,
                                            className="dash-dropdown")),
            field("value", dcc.Input(id=f"{prefix}-record-value", type="number", className="tg-input")),
            field("year", dcc.Input(id=f"{prefix}-record-year", type="number", min=progress.MIN_YEAR,
                                    max=progress.MAX_YEAR, step=1, className="tg-input")),
            field("source", dcc.Input(id=f"{prefix}-record-source", type="text", maxLength=progress.MAX_SOURCE,
                                      className="tg-input")),
            field("note", dcc.Input(id=f"{prefix}-record-note", type="text", maxLength=progress.MAX_NOTE,
                                    className="tg-input")),
            html.Button(t("targets.record.save", lang), id=f"{prefix}-record-save", n_clicks=0, className="ops-button"),
        ]),
        dcc.Upload(id=f"{prefix}-record-upload", className="tg-upload", accept=".csv,text/csv",
                   max_size=progress.MAX_BYTES, children=html.Div(t("targets.record.upload", lang))),
        html.Div(id=f"{prefix}-record-msg", className="ops-msg", role="status"),
    ])


def decode_upload(contents: str) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL, or ``BadRow`` naming the file."""
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, ValueError, binascii.Error):
        raise progress.BadRow("file", "not a readable upload", "a CSV file") from None


def register(app: Dash, prefix: str) -> None:
    """The role check that shows the panel, and the save/upload callback."""

    @app.callback(Output(f"{prefix}-record", "className"), Input(f"{prefix}-ctx", "data"))
    def _may(_data):
        may = can_record_progress(caller()[1])
        return "dash-panel tg-record" + ("" if may else " tg-hidden")

    @app.callback(Output(f"{prefix}-record-msg", "children"),
                  Input(f"{prefix}-record-save", "n_clicks"), Input(f"{prefix}-record-upload", "contents"),
                  State(f"{prefix}-record-indicator", "value"), State(f"{prefix}-record-value", "value"),
                  State(f"{prefix}-record-year", "value"), State(f"{prefix}-record-source", "value"),
                  State(f"{prefix}-record-note", "value"), State(f"{prefix}-ctx", "data"),
                  prevent_initial_call=True)
    def _save(_n, contents, ind, value, year, source, note, data):
        lang = data.get("lang", "zh") if isinstance(data, dict) else "zh"
        if not can_record_progress(caller()[1]):
            return t("targets.record.denied", lang)
        try:
            known = known_targets()
            if ctx.triggered_id == f"{prefix}-record-upload":
                if not isinstance(contents, str):
                    return no_update
                reports, via = progress.parse_csv(decode_upload(contents), known), "upload"
            else:
                raw = {"region_code": data.get("region"), "indicator_id": ind, "year": year, "value": value,
                       "source": source, "note": note}
                reports, via = [progress.check(raw, known)], "form"
            n = submit(reports, via)
        except progress.BadRow as exc:
            return t("targets.record.bad", lang).format(msg=exc.text(lang))
        except OpsError as exc:
            return t("targets.record.bad", lang).format(msg=exc.message)
        return t("targets.record.saved", lang).format(n=n)
