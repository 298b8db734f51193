"""citybrain.store: the read side's numpy fetch (``Store.columns``) keeps NULLs as NaN / NaT / None."""

from __future__ import annotations

import duckdb
import numpy as np

from citybrain.store import Store, nrows


def test_columns_fill_nulls_by_type(tmp_path):
    db = tmp_path / "s.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR); INSERT INTO meta VALUES ('data_version', 'v1')")
    con.execute("""CREATE TABLE t AS SELECT * FROM (VALUES
                     (1, 'a', TIMESTAMP '2026-07-15 12:00', 1.5, true, 'x'::BLOB),
                     (NULL, NULL, NULL, NULL, NULL, NULL)) v(i, s, ts, f, b, g)""")
    con.close()
    cols = Store(db).columns("SELECT * FROM t WHERE i IS NULL OR i = ? ORDER BY i NULLS LAST", [1])
    assert nrows(cols) == 2 and not any(isinstance(a, np.ma.MaskedArray) for a in cols.values())
    assert cols["i"].dtype == "float64" and cols["i"][0] == 1 and np.isnan(cols["i"][1])
    assert cols["s"].dtype == object and cols["s"].tolist() == ["a", None]
    assert np.isnat(cols["ts"][1]) and str(cols["ts"][0]).startswith("2026-07-15T12:00")
    assert np.isnan(cols["f"][1]) and cols["b"][0] == 1 and np.isnan(cols["b"][1])
    assert bytes(cols["g"][0]) == b"x" and cols["g"][1] is None
    empty = Store(db).columns("SELECT s, f FROM t WHERE false")
    assert nrows(empty) == 0 and set(empty) == {"s", "f"}
