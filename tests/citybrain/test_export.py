"""The export path: streamed CSV with BOM, RFC 4180 quoting, formula neutralisation, stable bytes."""

from __future__ import annotations

import csv
import io

import duckdb
import pyarrow.parquet as pq
import pytest

from citybrain.export import ExportStats, parquet_bytes, stream_csv
from citybrain.store import Store


@pytest.fixture
def tiny_store(tmp_path) -> Store:
    path = tmp_path / "tiny.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('data_version', 'tiny')")
    con.execute("""CREATE TABLE t AS SELECT id, name, value::DOUBLE AS value FROM (VALUES
        (1, '=HYPERLINK("http://x")', 1.5), (2, '+86 574 6570 0000', -2.0), (3, '-3', 0.0),
        (4, '@SUM(A1:A2)', 4.0), (5, E'\\tTAB', 5.0), (6, '象山县,"石浦"渔港', 6.25),
        (7, E'line\\nbreak', 7.0), (8, NULL, NULL), (9, 'ok', 9.0)) v(id, name, value)""")
    con.execute("CREATE TABLE big AS SELECT i AS id, 'row ' || i AS name, i * 0.5 AS value FROM range(200000) r(i)")
    con.close()
    return Store(path)


def _rows(data: bytes, encoding="utf-8-sig"):
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def test_bom_quoting_chinese_and_neutralisation(tiny_store):
    data = b"".join(stream_csv(tiny_store, "SELECT * FROM t ORDER BY id"))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = _rows(data)
    assert rows[0] == ["id", "name", "value"]
    names = {int(r[0]): r[1] for r in rows[1:]}
    assert names[1] == "'=HYPERLINK(\"http://x\")"
    assert names[2] == "'+86 574 6570 0000"
    assert names[3] == "'-3"
    assert names[4] == "'@SUM(A1:A2)"
    assert names[5] == "'\tTAB"
    assert names[6] == '象山县,"石浦"渔港'
    assert names[7] == "line\nbreak"
    assert names[8] == "" and names[9] == "ok"
    assert rows[2][2] == "-2"  # numbers are numbers, never neutralised


def test_same_query_same_bytes_and_stats(tiny_store):
    s1, s2 = ExportStats(), ExportStats()
    a = b"".join(stream_csv(tiny_store, "SELECT * FROM big ORDER BY id", stats=s1))
    b = b"".join(stream_csv(tiny_store, "SELECT * FROM big ORDER BY id", stats=s2))
    assert a == b
    assert s1.rows == 200000 and s1.bytes == len(a) and s1.done


def test_streams_in_batches(tiny_store):
    chunks = list(stream_csv(tiny_store, "SELECT * FROM big ORDER BY id"))
    assert len(chunks) > 3  # BOM, then one chunk per record batch: never one giant buffer


def test_gbk_without_bom(tiny_store):
    data = b"".join(stream_csv(tiny_store, "SELECT * FROM t WHERE id = ? ORDER BY id", [6], encoding="gbk"))
    assert not data.startswith(b"\xef\xbb\xbf")
    assert "象山县".encode("gbk") in data


def test_empty_result_still_has_header(tiny_store):
    data = b"".join(stream_csv(tiny_store, "SELECT * FROM t WHERE id > ? ORDER BY id", [100]))
    assert _rows(data) == [["id", "name", "value"]]


def test_parquet_round_trip(tiny_store):
    stats = ExportStats()
    data = b"".join(parquet_bytes(tiny_store, "SELECT * FROM t ORDER BY id", stats=stats))
    table = pq.read_table(io.BytesIO(data))
    assert table.num_rows == 9 == stats.rows
    assert table.column("name")[5].as_py() == '象山县,"石浦"渔港'


def test_abandoned_stream_does_not_block_the_next_query(tiny_store):
    gen = stream_csv(tiny_store, "SELECT * FROM big ORDER BY id")
    next(gen), next(gen)  # a client that hangs up half-way
    assert tiny_store.scalar("SELECT count(*) FROM t") == 9
    gen.close()


def test_neutralise_respects_array_slices():
    import pyarrow as pa

    from citybrain.export import neutralise

    arr = pa.array(["ok", "=1+1", None, "", "fine", "@x"])
    batch = pa.RecordBatch.from_arrays([arr], names=["s"])
    assert neutralise(batch.slice(0, 1)).column(0).to_pylist() == ["ok"]
    assert neutralise(batch.slice(1, 3)).column(0).to_pylist() == ["'=1+1", None, ""]
    assert neutralise(batch.slice(3, 3)).column(0).to_pylist() == ["", "fine", "'@x"]
