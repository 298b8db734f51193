"""Loader of the planning targets: one ``targets`` row per (region, indicator, year, kind)."""

from __future__ import annotations

from citybrain.store.build import LoadContext


def load(ctx: LoadContext) -> None:
    src = ctx.read("data/targets.csv")
    out = src.rename(columns={"seed_file": "source_file"}).drop(columns=["row_id"])
    ctx.emit("targets", out)
