"""The words of work-order states and categories in both languages (``citybrain.i18n`` vocabularies
``wo_state`` and ``wo_category``), registered once for the board, the order page and the map layer."""

from __future__ import annotations

from citybrain.i18n import register_vocabulary

register_vocabulary("wo_state", {
    "received": ("受理", "Received"), "registered": ("立案", "Registered"), "rejected": ("不予立案", "Rejected"),
    "dispatched": ("派遣", "Dispatched"), "handled": ("处置", "Handled"), "verified": ("核查", "Verified"),
    "closed": ("结案", "Closed")})
register_vocabulary("wo_category", {"urgent": ("紧急", "Urgent"), "normal": ("一般", "Normal")})
