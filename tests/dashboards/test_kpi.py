"""KPI semantics: one status rule, target progress, card values from the real store."""

from __future__ import annotations

from citybrain import kpi
from citybrain import ui


def ind(direction, warn, alarm):
    return kpi.Indicator("x", "x", "x", "%", "d", direction, warn, alarm, 3600)


def test_status_down_and_up():
    down = ind("down", 4, 6)
    assert [kpi.status(v, down) for v in (1, 4, 5.9, 6)] == ["normal", "warning", "warning", "alarm"]
    up = ind("up", 95, 90)
    assert [kpi.status(v, up) for v in (99, 94, 89)] == ["normal", "warning", "alarm"]
    assert kpi.status(None, up) == "nodata"
    assert kpi.status(3, ind("none", None, None)) == "none"


def test_target_progress():
    assert kpi.target_progress(None, 96.9, 95) > 1
    assert abs(kpi.target_progress(40, 70, 100) - 0.5) < 1e-9
    assert kpi.target_progress(None, None, 95) is None


def test_values_from_store(built_store):
    from tests.conftest import app_context

    with app_context(built_store) as ctx:
        _values_from_store(ctx.store)


def _values_from_store(store):
    from citybrain import queries

    at = queries.anchor(store)
    vals = {v.ind.id: v for v in kpi.kpi_values(store, "330225", ("supervision_coverage", "overdue_incidents"), at)}
    sc = vals["supervision_coverage"]
    assert sc.value is not None and sc.target["value"] == 95 and sc.status in ("normal", "warning", "alarm")
    assert len(sc.spark) > 24
    html = str(ui.card("t", sc, "zh", at))
    # the card's export is its row of the module's cards view (exactly what the card shows)
    assert "/api/v1/dashboards/t/views/cards.csv?region=330225&amp;lang=zh" in html or \
        "/api/v1/dashboards/t/views/cards.csv?region=330225&lang=zh" in html
