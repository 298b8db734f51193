"""Work-order layer (工单): the open orders that have a place, coloured by their state, overdue ones ringed.

A *live* layer: its features come from the operational database (``citybrain.ops``), not from the
store, so they are never memoised by the store's data version (``Layer.live``). It raises nothing
into the alarm set (every feature's status is ``none``; overdue is the order's own flag, drawn as a
red ring and said in words). A handler sees its own department's orders only, as everywhere.
Clicking an order on /map offers its page (``/workorders/<id>``).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from citybrain.i18n import label, register
from citybrain.ops import words  # noqa: F401  (the words of states and categories)

from .base import (
    STATUS_COLOURS,
    Layer,
    LayerContext,
    LegendItem,
    SubLayer,
    by_sublayer,
    columns,
    empty_features,
    frame,
    point_trace,
    typed,
)

log = logging.getLogger(__name__)
register({"layers.workorders.title": ("工单", "Work orders")})
#: The colour of an open order by its state (never alone: the hover and detail say the state).
STATE_COLOURS = {"received": "#ff8c42", "registered": "#f5b400", "dispatched": "#35c2ff", "handled": "#b57cff",
                 "verified": "#2ecc71"}
OVERDUE_ZH, OVERDUE_EN = "已超时", "overdue"


def _when(v: Any) -> str:
    return "" if v is None else pd.Timestamp(v).strftime("%m-%d %H:%M")


def open_orders(region: str) -> list[dict[str, Any]]:
    """The region's open orders the caller may see (empty when the operational database cannot be read)."""
    from sqlalchemy.exc import SQLAlchemyError

    from citybrain.context import current
    from citybrain.ops import rules, workorders
    from citybrain.ops.caller import caller
    from citybrain.ops.db import ensure
    from citybrain.semantics.freshness import now as clock_now

    _user, role, dept = caller()
    states = [s for s in rules.STATES if s not in rules.FINAL]
    try:
        return workorders.listing(ensure(current().ops), role=role, department=dept, now=clock_now(),
                                  limit=current().settings.api_max_rows, states=states, region=region)
    except SQLAlchemyError:
        log.exception("work-order layer: the operational database cannot be read")
        return []


class WorkOrderLayer(Layer):
    """Open work orders with a place."""

    def features(self, ctx: LayerContext) -> pd.DataFrame:
        rows = [o for o in open_orders(ctx.region) if o["lon"] is not None and o["lat"] is not None]
        if not rows:
            return empty_features()

        def detail(o: dict[str, Any], lang: str) -> str:
            bits = [label("wo_state", o["state"], lang), label("wo_category", o["category"], lang)]
            if o["department"]:
                bits.append(o["department"])
            if o["due_at"] is not None:
                bits.append(("时限 " if lang == "zh" else "due ") + _when(o["due_at"]))
            if o["overdue"]:
                bits.append(f"■ {OVERDUE_ZH if lang == 'zh' else OVERDUE_EN}")
            return " · ".join(bits)

        return frame({
            "id": [str(o["id"]) for o in rows], "layer": self.id, "sublayer": "orders",
            "kind": [f"workorder_{o['state']}" + ("_overdue" if o["overdue"] else "") for o in rows],
            "name_zh": [f"工单 #{o['id']} {o['title']}" for o in rows],
            "name_en": [f"Order #{o['id']} {o['title']}" for o in rows],
            "lon": [float(o["lon"]) for o in rows], "lat": [float(o["lat"]) for o in rows],
            "value": None, "unit": "", "status": "none",
            "detail_zh": [detail(o, "zh") for o in rows], "detail_en": [detail(o, "en") for o in rows],
            "indicator": None, "geometry": None})

    def traces(self, ctx, feats, lang, sublayers, compact=False) -> list[Any]:
        cols = by_sublayer(columns(feats), "orders")
        on = "orders" in sublayers
        colours = [STATE_COLOURS.get(str(k).split("_")[1], "#35c2ff") for k in cols["kind"]]
        late = np.array([str(k).endswith("_overdue") for k in cols["kind"]], dtype=bool)
        ring = {"type": "scattermap", "uid": "workorders-overdue", "name": "workorders-overdue", "mode": "markers",
                "lon": typed(np.asarray(cols["lon"], dtype="float32")[late]),
                "lat": typed(np.asarray(cols["lat"], dtype="float32")[late]),
                "marker": {"color": STATUS_COLOURS["alarm"], "size": 28, "opacity": 0.45},
                "hoverinfo": "skip", "visible": on, "showlegend": False}
        return [ring, point_trace("workorders-orders", cols, lang, colours, 14, on)]

    def legend(self, lang: str) -> list[LegendItem]:
        items = [LegendItem(f"工单 · {label('wo_state', s, 'zh')}", f"Order · {label('wo_state', s, 'en')}", c)
                 for s, c in STATE_COLOURS.items()]
        return items + [LegendItem("■ 超时工单（红圈）", "■ Overdue order (red ring)", STATUS_COLOURS["alarm"], "ring")]

    def observed(self, feats: pd.DataFrame) -> bool:
        return True  # no orders is a fact, not missing data

    def counts(self, feats: pd.DataFrame) -> dict[str, int]:
        late = int(feats["kind"].astype(str).str.endswith("_overdue").sum()) if len(feats) else 0
        return {"total": len(feats), "warning": 0, "alarm": late}


LAYER = WorkOrderLayer(id="workorders", title_zh="工单", title_en="Work orders", domain="emergency",
                       dataset="boundaries", sublayers=(SubLayer("orders", "未结工单", "Open orders"),), live=True)
