"""HTTP endpoints beside the pages: health checks and the versioned JSON API (``/api/v1``)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify

from . import queries
from .settings import Settings
from .store import StoreMissing, get_store

log = logging.getLogger(__name__)


def register_api(server: Flask, settings: Settings) -> None:
    """Add the health and API routes to the Flask server."""

    @server.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @server.get("/readyz")
    def readyz():
        try:
            store = get_store(settings.db)
            return jsonify(status="ready", data_version=store.version)
        except StoreMissing as exc:
            return jsonify(status="not ready", error=str(exc)), 503

    @server.get("/api/v1/datasets")
    def api_datasets():
        store = get_store(settings.db)
        ds = queries.datasets(store).merge(queries.dataset_stats(store), left_on="name", right_on="dataset")
        cols = ["name", "title_zh", "title_en", "domain", "source", "licence", "crs", "cadence", "owner_zh",
                "classification", "simulated", "rows", "first_ts", "last_ts"]
        out = ds[cols].astype(object).where(ds[cols].notna(), None)
        for c in ("first_ts", "last_ts"):
            out[c] = [v.isoformat() if v is not None else None for v in out[c]]
        return jsonify(data_version=store.version, datasets=out.to_dict(orient="records"))
