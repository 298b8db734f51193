"""A response reads one store version from its first query to its last byte, streams included.

Two copies of the real built store stand for two data versions (B renames every indicator and
entity); while an export streams, the link is switched to B and A is pruned, as a build does."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from citybrain.app_factory import create_app
from citybrain.store.files import switch
from tests.conftest import make_settings

URL = "/api/v1/observations.{fmt}?region=330225&from=2026-07-15T00:00&to=2026-07-15T06:00"


def copy_version(src: str, dst: Path, version: str, rename: bool) -> Path:
    shutil.copyfile(src, dst)
    con = duckdb.connect(str(dst))
    con.execute("UPDATE meta SET value = ? WHERE key = 'data_version'", [version])
    if rename:
        con.execute("UPDATE indicators SET name_zh = name_zh || '〔B〕'")
        con.execute("UPDATE entities SET name_zh = name_zh || '〔B〕', name_en = name_en || ' [B]'")
    con.close()
    return dst


@pytest.fixture
def versions(built_store, tmp_path: Path):
    real = os.path.realpath(built_store.db)
    a = copy_version(real, tmp_path / "store-1-pinA.duckdb", "pinA", rename=False)
    b = copy_version(real, tmp_path / "store-2-pinB.duckdb", "pinB", rename=True)
    os.symlink(a.name, tmp_path / "store.duckdb")
    settings = make_settings(tmp_path)
    return create_app(settings).server.test_client(), settings.db, a, b


def rows_of(fmt: str, body: bytes) -> list[dict]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    return pq.read_table(io.BytesIO(body)).to_pylist()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_stream_keeps_its_version_across_a_switch(versions, fmt):
    client, link, a, b = versions
    resp = client.get(URL.format(fmt=fmt), buffered=False)  # the view has returned; nothing streamed yet
    assert resp.status_code == 200 and resp.headers["X-Data-Version"] == "pinA"
    assert "_vpinA." in resp.headers["Content-Disposition"]
    switch(link, b, keep=1)  # a build lands: the link moves on and the old file is pruned
    assert not a.exists()
    rows = rows_of(fmt, resp.get_data())
    assert len(rows) > 10
    assert not [r for r in rows if "〔B〕" in (r["indicator_name"] or "") or "〔B〕" in (r["entity_name_zh"] or "")]
    assert any(r["entity_name_zh"] for r in rows)

    nxt = client.get(URL.format(fmt=fmt))  # the next request reads the new version
    assert nxt.headers["X-Data-Version"] == "pinB"
    new_rows = rows_of(fmt, nxt.data)
    assert len(new_rows) == len(rows) and all(r["indicator_name"].endswith("〔B〕") for r in new_rows)

