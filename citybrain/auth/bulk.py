"""The one bulk-read rule per role, for JSON pages and file exports alike.

``rows``: how many rows of one listing the role may read through JSON pages (``page × page_size``
may not reach beyond it; ``None``: any number of pages of at most ``api_max_rows``). ``files``:
whether the role may download CSV, Parquet or GeoJSON files (``export_roles``). Defaults: the wall
reads no listing and exports nothing, leaders read the first 500 rows of a listing and export
nothing, analysts and admins page freely and export.
"""

from __future__ import annotations

from dataclasses import dataclass

from citybrain.settings import Settings


@dataclass(frozen=True)
class BulkRule:
    rows: int | None
    files: bool


def bulk_rule(settings: Settings, role: str | None) -> BulkRule:
    """The bulk-read rule of ``role``."""
    rows = settings.role_read_rows.get(role or "")
    return BulkRule(rows=None if rows is None else max(0, rows), files=role in settings.export_roles)
