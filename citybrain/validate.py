"""Validation of data files and frames against field schemas.

Files are read strictly: UTF-8 only, every CSV record with exactly the header's field count, a
final line end (a file cut short is reported as truncated), typed columns checked row by row with
the first offending row named. Rows are numbered as a spreadsheet shows them: the header is row 1,
the first data record row 2. GeoJSON features are numbered from 1.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from citybrain.errors import DataError
from citybrain.manifest import FieldSpec, FileSpec
from citybrain.regions import REGIONS


def _decode(raw: bytes, *, dataset: str, file: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"not valid UTF-8 at byte {exc.start} (wrong encoding? files must be UTF-8)",
                        dataset=dataset, file=file, row=row) from None


def read_csv_strict(path: Path, spec: FileSpec, *, dataset: str) -> pd.DataFrame:
    """Read a CSV file and check it against ``spec``; return typed columns."""
    name = spec.path
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError("file is empty", dataset=dataset, file=name)
    text = _decode(raw, dataset=dataset, file=name)
    if not text.endswith("\n"):
        raise DataError("file is truncated: the last line has no line end", dataset=dataset,
                        file=name, row=text.count("\n") + 1)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        rows = []
        for rec in reader:
            if len(rec) != len(header):
                raise DataError(f"has {len(rec)} fields, the header has {len(header)} "
                                f"(truncated or misquoted record)", dataset=dataset, file=name,
                                row=reader.line_num)
            rows.append(rec)
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", dataset=dataset, file=name, row=reader.line_num) from None
    check_columns(header, spec.fields, dataset=dataset, file=name)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    typed = coerce_frame(frame, spec.fields, dataset=dataset, file=name, first_row=2)
    check_keys(typed, spec.key, dataset=dataset, file=name, first_row=2)
    if spec.lon and spec.lat:
        check_points(typed, spec, dataset=dataset, file=name, first_row=2)
    return typed


def check_columns(header: Sequence[str], fields: Sequence[FieldSpec], *, dataset: str, file: str) -> None:
    expected = [f.name for f in fields]
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", dataset=dataset, file=file,
                        row=1, field=missing[0])
    if extra:
        raise DataError(f"unexpected column(s) {', '.join(extra)} (not in the manifest schema)",
                        dataset=dataset, file=file, row=1, field=extra[0])
    if len(set(header)) != len(header):
        dup = next(c for c in header if list(header).count(c) > 1)
        raise DataError("duplicate column", dataset=dataset, file=file, row=1, field=dup)


def first_bad(mask: np.ndarray, problem: str, *, dataset: str, file: str, field: str, first_row: int,
              values: pd.Series | None = None) -> None:
    """Raise ``DataError`` for the first True of ``mask`` (row ``first_row + i``), counting the rest."""
    idx = np.flatnonzero(mask)
    if idx.size:
        i = int(idx[0])
        shown = f" (value {values.iloc[i]!r})" if values is not None else ""
        more = f"; {idx.size - 1} more row(s) alike" if idx.size > 1 else ""
        raise DataError(f"{problem}{shown}{more}", dataset=dataset, file=file, row=first_row + i,
                        field=field)


def coerce_frame(frame: pd.DataFrame, fields: Sequence[FieldSpec], *, dataset: str, file: str,
                 first_row: int) -> pd.DataFrame:
    """Convert each column to its declared type and check required/range/allowed rules."""
    out = {}
    for f in fields:
        col = frame[f.name]
        blank = col.isna().to_numpy() | (col.astype("string").str.strip() == "").fillna(True).to_numpy()
        kw = dict(dataset=dataset, file=file, field=f.name, first_row=first_row)
        if f.required:
            first_bad(blank, "is empty but required", **kw)
        if f.type == "string":
            val = col.astype("string")
            val = val.mask(pd.Series(blank, index=col.index))
        elif f.type in ("int", "float"):
            val = pd.to_numeric(col.where(~blank), errors="coerce")
            first_bad(val.isna().to_numpy() & ~blank, f"is not a number ({f.type})", values=col, **kw)
            if f.type == "int":
                frac = (val.fillna(0) % 1 != 0).to_numpy()
                first_bad(frac, "is not a whole number", values=col, **kw)
                val = val.astype("Int64")
            else:
                val = val.astype("float64")
            if not np.isfinite(val.astype("float64").fillna(0).to_numpy()).all():
                first_bad(~np.isfinite(val.astype("float64").fillna(0).to_numpy()), "is not finite", values=col, **kw)
            if f.min is not None:
                first_bad((val < f.min).fillna(False).to_numpy(), f"is below the minimum {f.min:g}", values=col, **kw)
            if f.max is not None:
                first_bad((val > f.max).fillna(False).to_numpy(), f"is above the maximum {f.max:g}", values=col, **kw)
        elif f.type == "bool":
            low = col.astype("string").str.strip().str.lower()
            ok = low.isin(["true", "false", "1", "0"]).fillna(False).to_numpy() | blank
            first_bad(~ok, "is not a boolean (true/false)", values=col, **kw)
            val = low.map({"true": True, "1": True, "false": False, "0": False}).astype("boolean")
        elif f.type in ("datetime", "date"):
            val = pd.to_datetime(col.where(~blank), errors="coerce", format="ISO8601")
            first_bad(val.isna().to_numpy() & ~blank, f"is not an ISO 8601 {f.type}", values=col, **kw)
            if getattr(val.dt, "tz", None) is not None:
                val = val.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
            val = val.astype("datetime64[us]")
            if f.type == "date":
                val = val.dt.normalize()
        else:  # pragma: no cover - Literal guards this
            raise AssertionError(f.type)
        if f.allowed is not None:
            bad = ~val.astype("string").isin(f.allowed).fillna(True).to_numpy() & ~blank
            first_bad(bad, f"is not one of {', '.join(f.allowed)}", values=col, **kw)
        out[f.name] = val
    return pd.DataFrame(out, index=frame.index)


def check_keys(frame: pd.DataFrame, key: Sequence[str], *, dataset: str, file: str, first_row: int) -> None:
    if not key:
        return
    dup = frame.duplicated(subset=list(key), keep="first").to_numpy()
    idx = np.flatnonzero(dup)
    if idx.size:
        i = int(idx[0])
        vals = ", ".join(f"{k}={frame[k].iloc[i]!r}" for k in key)
        raise DataError(f"duplicate key ({vals})", dataset=dataset, file=file, row=first_row + i, field=key[0])


def check_points(frame: pd.DataFrame, spec: FileSpec, *, dataset: str, file: str, first_row: int,
                 bboxes: dict[str, tuple[float, float, float, float]] | None = None) -> None:
    """Coordinates must be degrees, and inside their region's box when a region field is given."""
    lon = frame[spec.lon].astype("float64").to_numpy()
    lat = frame[spec.lat].astype("float64").to_numpy()
    kw = dict(dataset=dataset, file=file, first_row=first_row)
    first_bad((np.abs(lon) > 180) | (np.abs(lat) > 90),
          "is not a longitude/latitude in degrees (projected coordinates? the manifest CRS is degrees)",
          field=spec.lon, values=frame[spec.lon], **kw)
    # All regions this product knows lie in China: 73..136 E, 3..54 N.
    first_bad(~((lon > 73) & (lon < 136) & (lat > 3) & (lat < 54)) & ~np.isnan(lon),
          "lies outside China (swapped longitude/latitude or wrong CRS?)", field=spec.lon,
          values=frame[spec.lon], **kw)
    if spec.region_field and bboxes:
        codes = frame[spec.region_field].astype("string").to_numpy()
        out = np.zeros(len(frame), dtype=bool)
        m = spec.region_margin_deg
        for code, (x0, y0, x1, y1) in bboxes.items():
            sel = codes == code
            out |= sel & ~((lon >= x0 - m) & (lon <= x1 + m) & (lat >= y0 - m) & (lat <= y1 + m))
        first_bad(out, "coordinates lie outside the row's region", field=spec.lon, values=frame[spec.lon], **kw)
        unknown = ~pd.Series(codes).isin(list(REGIONS)).to_numpy()
        first_bad(unknown, "is not a known region code", field=spec.region_field,
              values=frame[spec.region_field], **kw)


def read_geojson_strict(path: Path, spec: FileSpec, *, dataset: str, expect_crs: str) -> pd.DataFrame:
    """Read a GeoJSON FeatureCollection; return property columns plus a shapely ``geometry`` column."""
    name = spec.path
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError("file is empty", dataset=dataset, file=name)
    text = _decode(raw, dataset=dataset, file=name)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}; truncated?)",
                        dataset=dataset, file=name) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError("is not a GeoJSON FeatureCollection", dataset=dataset, file=name)
    crs = doc.get("crs", {}).get("properties", {}).get("name") if isinstance(doc.get("crs"), dict) else None
    if crs and not _crs_matches(crs, expect_crs):
        raise DataError(f"declares CRS {crs!r} but the manifest says {expect_crs}", dataset=dataset, file=name)
    feats = doc.get("features") or []
    if not feats:
        raise DataError("has no features", dataset=dataset, file=name)
    props, geoms = [], []
    names = [f.name for f in spec.fields]
    for i, feat in enumerate(feats, start=1):
        p = feat.get("properties") or {}
        check_columns(list(p), spec.fields, dataset=dataset, file=f"{name} feature {i}")
        g = feat.get("geometry")
        if not g:
            raise DataError("geometry is missing", dataset=dataset, file=name, row=i, field="geometry")
        try:
            geom = shape(g)
        except Exception as exc:  # shapely raises several types for malformed input
            raise DataError(f"geometry is malformed: {exc}", dataset=dataset, file=name, row=i,
                            field="geometry") from None
        if geom.is_empty:
            raise DataError("geometry is empty", dataset=dataset, file=name, row=i, field="geometry")
        if not geom.is_valid:
            raise DataError(f"geometry is invalid: {shapely.is_valid_reason(geom)}", dataset=dataset,
                            file=name, row=i, field="geometry")
        x0, y0, x1, y1 = geom.bounds
        e = spec.extent
        if not (e[0] < x0 and x1 < e[2] and e[1] < y0 and y1 < e[3]):
            where = "China" if e == (73.0, 3.0, 136.0, 54.0) else f"the file's extent {list(e)}"
            raise DataError(f"geometry lies outside {where} (projected coordinates or wrong CRS?)",
                            dataset=dataset, file=name, row=i, field="geometry")
        props.append({k: p.get(k) for k in names})
        geoms.append(geom)
    frame = pd.DataFrame(props, columns=names, dtype=object)
    typed = coerce_frame(frame, spec.fields, dataset=dataset, file=name, first_row=1)
    check_keys(typed, spec.key, dataset=dataset, file=name, first_row=1)
    typed["geometry"] = geoms
    return typed


def _crs_matches(declared: str, expect: str) -> bool:
    d = declared.upper().replace(" ", "")
    if expect == "WGS-84":
        return any(t in d for t in ("4326", "CRS84", "WGS84", "WGS-84"))
    if expect == "GCJ-02":
        return "GCJ" in d
    return False
