"""Liveness and readiness: ``/healthz`` (the process answers) and ``/readyz`` (the store is served)."""

from __future__ import annotations

from flask import Flask, jsonify

from citybrain.settings import Settings
from citybrain.store import StoreMissing, get_store


def register(server: Flask, settings: Settings) -> None:
    @server.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @server.get("/readyz")
    def readyz():
        try:
            return jsonify(status="ready", data_version=get_store().version)
        except StoreMissing as exc:
            return jsonify(status="not ready", error=str(exc)), 503
