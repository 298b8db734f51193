"""One chart look: no "-0.0" anywhere a number is written, flat labels and bar texts, and a range
label that shows its whole range (近90天 spans 90 days and says where the data begin)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from citybrain.i18n import fmt_number
from citybrain.ui.figures import figure, range_axis, range_note, wrap


@pytest.mark.parametrize("v", [-0.04, -0.0, -0.049999, 0.04, -1e-12])
@pytest.mark.parametrize("unit", ["%", "指数", "m", ""])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_negative_zero(v, unit, lang):
    text = fmt_number(v, unit, lang)
    assert not text.startswith("-"), text
    assert fmt_number(-0.06, "%", lang) == "-0.1%"  # a real negative value keeps its sign


def test_index_has_no_unit_text():
    assert fmt_number(0.0, "指数", "zh") == "0"
    assert fmt_number(0.42, "指数", "zh") == "0.4"


def test_figure_lays_labels_flat_and_bar_text_flat():
    fig = figure([{"type": "bar", "x": ["石浦渔港", "东门渔港"], "y": [3, 0.2], "text": ["3", "0.2"]},
                  {"type": "scatter", "x": [1], "y": [2]}], 280)
    bar, line = fig["data"]
    assert bar["textangle"] == 0
    assert "textangle" not in line
    for axis in ("xaxis", "yaxis"):
        assert fig["layout"][axis]["tickangle"] == 0 and fig["layout"][axis]["automargin"] is True
    # a caller's own axis settings extend the look
    fig = figure([], 200, xaxis={"title": {"text": "艘"}})
    assert fig["layout"]["xaxis"]["title"]["text"] == "艘" and fig["layout"]["xaxis"]["tickangle"] == 0


def test_wrap_breaks_long_labels_into_lines():
    assert wrap("石浦渔港", 6) == "石浦渔港"
    assert wrap("象山县石浦渔港避风锚地", 6) == "象山县石浦渔<br>港避风锚地"
    assert wrap("Shipu fishing port shelter", 12) == "Shipu<br>fishing port<br>shelter"


def test_range_axis_spans_the_range_it_names():
    end = datetime(2026, 12, 2, 12, 0)
    start = end - timedelta(days=90)
    ax = range_axis(start, end, "zh")
    assert ax["range"] == ["2026-09-03T12:00", "2026-12-02T12:00"] and ax["autorange"] is False
    a, b = (datetime.fromisoformat(x) for x in ax["range"])
    assert (b - a).days == 90
    assert ax["type"] == "date" and "%m-%d" in json.dumps(ax)
    assert "%b" in json.dumps(range_axis(start, end, "en"))


def test_range_note_says_where_data_begin():
    start = datetime(2026, 9, 3, 12, 0)
    assert range_note(None, start) is None
    assert range_note(start - timedelta(hours=1), start) is None
    first = datetime(2026, 11, 2, 0, 5)
    assert range_note(first, start, "zh")["text"] == "数据自 11-02 起"
    assert range_note(first, start, "en")["text"] == "data from Nov 2"


def test_drill_down_of_90_days_shows_90_days(built_store):
    """The drill-down's '近90天' trend spans 90 days even where the store holds fewer, and says so."""
    from citybrain import queries
    from citybrain.ui.drill import drill_figures
    from tests.conftest import app_context

    with app_context(built_store) as ctx:
        at = queries.anchor(ctx.store)
        _title, trend, bars, _link = drill_figures("overview", "vessels_at_sea", "330225", "90d", "zh")
    a, b = (datetime.fromisoformat(x) for x in trend["layout"]["xaxis"]["range"])
    assert b == at.replace(second=0, microsecond=0) and (b - a) == timedelta(days=90)
    xs = trend["data"][0]["x"]
    first = datetime.fromisoformat(xs[0])
    if first > a:  # the store holds less than 90 days: the chart says where they begin
        assert any(n["text"].startswith("数据自") for n in trend["layout"]["annotations"])
    assert all(not str(tx).startswith("-0") for tx in bars["data"][0]["text"])
    assert bars["data"][0]["textangle"] == 0
