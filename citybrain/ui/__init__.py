"""The page frame and its parts: grids and badges (``grids``), figures, KPI cards (``cards``), the
page frame (``page``) and the drill-down (``drill``). Pages build from these; none of them queries the
store except through ``citybrain.kpi``, ``citybrain.views`` and ``citybrain.queries``."""

from citybrain.ui.grids import (  # noqa: F401
    AG_LOCALE_ZH,
    GRID_THEME,
    badge,
    export_button,
    grid,
    heading,
    records,
    stale_note,
)
from citybrain.ui.figures import dark, figure, graph_config, values, wrap  # noqa: F401, I001
from citybrain.ui.cards import card, cards, sparkline, status_badge  # noqa: F401, I001
from citybrain.ui.page import not_applicable, not_applicable_page, page, section  # noqa: F401, I001
