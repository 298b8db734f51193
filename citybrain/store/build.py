"""Build a new store file from ``datasets/`` and switch readers over atomically.

The build writes everything into a fresh temporary DuckDB file beside the target, checkpoints,
closes and fsyncs it, renames it to a versioned name (``<stem>-<time>-<version>.duckdb``) and then
atomically replaces the target path — a symbolic link — so that it points at the new file.
Readers resolve the link on each query (see ``store``) and open the new file when it changes; a
reader never sees half a batch. A build that fails or is killed never touches the link, so the
previous store stays served. Leftovers of killed builds and all but the newest few versions are
removed by the next build (processes still reading an old version keep their open file).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import sys
import time
import types
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import shapely
from shapely import wkb
from tqdm import tqdm

from citybrain.store import facets, parts, restricted, tables
from citybrain.store.files import CST, TMP_PREFIX, fsync, switch, writer_lock
from citybrain.errors import DataError
from citybrain.geo import gcj02_to_wgs84
from citybrain.manifest import Manifest, ManifestError, cadence_seconds, discover
from citybrain.regions import REGIONS
from citybrain.settings import Settings, get_settings
from citybrain.validate import check_points, read_csv_strict, read_geojson_strict

log = logging.getLogger(__name__)


def default_anchor(now: datetime | None = None) -> datetime:
    """The store's 'now': current China Standard Time floored to 5 minutes (naive)."""
    now = (now or datetime.now(CST)).astimezone(CST).replace(tzinfo=None)
    return now.replace(second=0, microsecond=0, minute=now.minute - now.minute % 5)


@dataclass
class LoadContext:
    """What a dataset loader gets: its manifest, validated reads, deterministic randomness, emit."""

    manifest: Manifest
    anchor: datetime
    seed: int
    _sink: Callable[[str, pd.DataFrame], int]
    _regions: pd.DataFrame | None = None
    emitted: dict[str, int] = field(default_factory=dict)
    #: Days of simulated history of the high-rate series (vessel positions, traffic counts); others
    #: keep their own windows. ``citybrain build --days N`` (settings.history_days).
    days: int = 7

    @property
    def name(self) -> str:
        return self.manifest.name

    def rng(self, stream: str = "") -> np.random.Generator:
        """A generator seeded by (settings seed, dataset, stream): same inputs, same numbers."""
        digest = hashlib.sha256(f"{self.seed}:{self.name}:{stream}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    def read(self, path: str) -> pd.DataFrame:
        """Read one declared file, validated against its manifest schema."""
        spec = self.manifest.file(path)
        full = self.manifest.folder / path
        if not full.exists():
            raise DataError("file is missing", dataset=self.name, file=path)
        if spec.format == "csv":
            frame = read_csv_strict(full, spec, dataset=self.name)
            if spec.region_field and spec.lon:
                check_points(frame, spec, dataset=self.name, file=path, first_row=2, bboxes=self.region_boxes())
            return frame
        return read_geojson_strict(full, spec, dataset=self.name, expect_crs=self.manifest.crs)

    def to_wgs84(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Convert coordinates from the manifest's source CRS to WGS-84."""
        if self.manifest.crs == "GCJ-02":
            return gcj02_to_wgs84(lon, lat)
        return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")

    def regions(self) -> pd.DataFrame:
        """Region rows emitted so far (from the boundaries dataset), with shapely ``shape`` column."""
        if self._regions is None:
            raise DataError("needs the boundaries dataset first (add it to depends_on)", dataset=self.name)
        return self._regions

    def land(self, region_code: str) -> shapely.Geometry:
        """The region's land polygon in WGS-84 (prepared for fast point tests)."""
        reg = self.regions()
        row = reg.loc[reg["region_code"] == region_code]
        if row.empty:
            raise DataError(f"no boundary for region {region_code}", dataset=self.name)
        geom = row["shape"].iloc[0]
        shapely.prepare(geom)
        return geom

    def region_boxes(self) -> dict[str, tuple[float, float, float, float]]:
        if self._regions is None:
            return {}
        return {r.region_code: (r.min_lon, r.min_lat, r.max_lon, r.max_lat)
                for r in self._regions.itertuples()}

    def emit(self, table: str, frame: pd.DataFrame) -> None:
        """Hand rows of one store table to the build (validated against the table's columns)."""
        n = self._sink(table, check_emitted(table, frame, dataset=self.name))
        self.emitted[table] = self.emitted.get(table, 0) + n


def check_emitted(table: str, frame: pd.DataFrame, *, dataset: str) -> pd.DataFrame:
    """A loader's frame must carry exactly the table's columns, required ones filled."""
    where = f"(emitted to table {table})"
    if table not in tables.TABLES:
        raise DataError(f"unknown store table {table!r}", dataset=dataset)
    cols = tables.column_names(table)
    missing = [c for c in cols if c not in frame.columns]
    extra = [c for c in frame.columns if c not in cols]
    if missing or extra:
        raise DataError(f"{where} missing {missing} / unexpected {extra} columns", dataset=dataset,
                        field=(missing or extra)[0])
    for c in tables.TABLES[table]:
        if c.required:
            nulls = frame[c.name].isna().to_numpy()
            if nulls.any():
                raise DataError(f"{where} is empty but required", dataset=dataset,
                                row=int(np.flatnonzero(nulls)[0]) + 1, field=c.name)
    if table == "observations":
        bad = ~frame["quality"].isin(tables.QUALITY).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{where} quality {frame['quality'].iloc[i]!r} is not one of {', '.join(tables.QUALITY)}",
                            dataset=dataset, row=i + 1, field="quality")
    if "region_code" in frame.columns:
        bad = ~frame["region_code"].isin(list(REGIONS)).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{where} unknown region code {frame['region_code'].iloc[i]!r}",
                            dataset=dataset, row=i + 1, field="region_code")
    if "lon" in frame.columns and table != "regions":
        lon = frame["lon"].to_numpy(dtype="float64")
        lat = frame["lat"].to_numpy(dtype="float64")
        if table == "tracks":  # best tracks start far out in the Western Pacific
            bad = ~((lon > 90) & (lon < 180) & (lat > 0) & (lat < 60))
        else:
            bad = ~((lon > 73) & (lon < 136) & (lat > 3) & (lat < 54))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{where} coordinates outside China ({lon[i]}, {lat[i]})", dataset=dataset,
                            row=i + 1, field="lon")
    return frame[cols]


def _sha_files(m: Manifest, extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for p in sorted(m.folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(m.folder).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _import_loader(m: Manifest):
    """Import ``loader.py`` as the package ``citybrain_datasets.<name>``.

    The dataset folder is the package's search path, so a loader split into several modules
    imports its siblings relatively (``from .shelters import build_shelters``).
    """
    path = m.folder / "loader.py"
    if not path.exists():
        raise DataError("has no loader.py", dataset=m.name)
    name = f"citybrain_datasets.{m.name}"
    if "citybrain_datasets" not in sys.modules:
        root = types.ModuleType("citybrain_datasets")
        root.__path__ = []  # a namespace for the dataset packages
        sys.modules["citybrain_datasets"] = root
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]  # always load the folder as it is now
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=[str(m.folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    assert spec.loader is not None
    spec.loader.exec_module(module)
    if not callable(getattr(module, "load", None)):
        raise DataError("loader.py defines no load(ctx)", dataset=m.name)
    return module


@dataclass
class BuildResult:
    path: Path
    data_version: str
    seconds: float
    rows: dict[str, dict[str, int]]


def build_store(settings: Settings | None = None, *, target: Path | None = None,
                progress: bool = True, only: list[str] | None = None) -> BuildResult:
    """Build the whole store into a new file and atomically replace ``target`` with it.

    Builds and ingests share one writer lock; after the loaders, the build replays the batches
    archived by ``citybrain ingest`` (see ``ingest``), so a rebuild loses no ingested data.
    """

    settings = settings or get_settings()
    target = Path(target or settings.db)
    with writer_lock(target):
        return _build_locked(settings, target, progress, only)


def _build_locked(settings: Settings, target: Path, progress: bool, only: list[str] | None) -> BuildResult:
    from citybrain.store.ingest import replay_archived

    parts.cleanup(target)
    anchor = settings.sim_anchor or default_anchor()
    tmp = target.parent / f"{TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb"
    pw = parts.PartWriter(target)
    final = tmp
    started = time.perf_counter()
    manifests = discover(settings.datasets_dir)
    if only:
        unknown = [n for n in only if n not in {m.name for m in manifests}]
        if unknown:  # never replace the store with one that silently lacks what was asked for
            raise ManifestError(f"--only: no dataset named {', '.join(map(repr, unknown))} in "
                                f"{settings.datasets_dir} (there are: {', '.join(m.name for m in manifests)})")
        manifests = [m for m in manifests if m.name in only]
    con = duckdb.connect(str(tmp))
    con.execute("SET enable_progress_bar = false")  # the build shows its own progress bar
    try:
        result = _build_into(con, manifests, settings, anchor, progress, pw)
        result = (replay_archived(con, target, result[0], pw), result[1])
        parts.retire_previous(con, target)
        parts.purge(con, target)
        con.execute("CHECKPOINT")
        con.close()
        fsync(tmp)
        pw.durable()
        version = result[0]
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        final = target.parent / f"{target.stem}-{stamp}-{version}{target.suffix}"
        os.replace(tmp, final)
        switch(target, final)
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        if os.path.realpath(target) != str(final):  # never served: its parts are nobody's
            pw.discard()
        raise
    version, rows = result
    secs = time.perf_counter() - started
    log.info("store built: %s (version %s) in %.1f s", target, version[:12], secs)
    return BuildResult(target, version, secs, rows)


def _build_into(con: duckdb.DuckDBPyConnection, manifests: list[Manifest], settings: Settings,
                anchor: datetime, progress: bool, pw: parts.PartWriter) -> tuple[str, dict[str, dict[str, int]]]:
    for t in tables.TABLES:
        if t not in parts.PART_TABLES:
            con.execute(tables.ddl(t))
    for sql in tables.SYSTEM_DDL.values():
        con.execute(sql)
    parts.create(con)
    pending: dict[str, list[pd.DataFrame]] = {t: [] for t in tables.TABLES}
    regions_frame: pd.DataFrame | None = None
    restricted_rows: list[pd.DataFrame] = []
    rows: dict[str, dict[str, int]] = {}
    versions = []
    bar = tqdm(manifests, desc="building store", unit="dataset", disable=not progress)
    for m in bar:
        bar.set_postfix_str(m.name)
        days = "" if settings.history_days == 7 else f";days={settings.history_days}"
        sha = _sha_files(m, f"seed={settings.seed};anchor={anchor.isoformat()}{days}")
        batch_id = f"{m.name}-{sha[:12]}"

        def sink(table: str, frame: pd.DataFrame, _m=m, _b=batch_id) -> int:
            frame, secret = restricted.split(table, frame, _m.restricted_fields)
            frame = frame.copy()
            frame["dataset"] = _m.name
            frame["batch_id"] = _b
            pending[table].append(frame)
            if len(secret):
                secret.insert(0, "dataset", _m.name)
                restricted_rows.append(secret)
            return len(frame)

        ctx = LoadContext(m, anchor, settings.seed, sink, regions_frame, days=settings.history_days)
        _import_loader(m).load(ctx)
        if ctx.emitted.get("regions"):
            regions_frame = pd.concat(pending["regions"], ignore_index=True)
            regions_frame["shape"] = [wkb.loads(bytes(b)) for b in regions_frame["geometry"]]
        _write_indicators(m, batch_id, pending)
        ctx.emitted["indicators"] = len(m.indicators)
        n = sum(ctx.emitted.values())
        rows[m.name] = dict(ctx.emitted)
        con.execute("INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, 'loaded', NULL)",
                    [batch_id, m.name, json.dumps([f.path for f in m.files], ensure_ascii=False), sha,
                     datetime.now(CST).replace(tzinfo=None), n])
        _write_dataset_row(con, m)
        versions.append(sha)
    for table, frames in tqdm(pending.items(), desc="writing tables", unit="table", disable=not progress):
        frames = [f for f in frames if len(f)]
        if not frames:
            continue
        df = pd.concat(frames, ignore_index=True)
        if "shape" in df.columns:
            df = df.drop(columns="shape")
        con.register("_incoming", df)
        if table in parts.PART_TABLES:  # the big tables: Parquet parts the catalog lists
            parts.add(con, parts.write_frame(con, pw, table, "_incoming"))
        else:
            cols = ", ".join(c.name for c in tables.TABLES[table] + tables.BUILD_COLUMNS)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming "
                        f"ORDER BY {tables.SORT_KEYS[table]}")
        con.unregister("_incoming")
        del df
    if restricted_rows:
        con.register("_secret", pd.concat(restricted_rows, ignore_index=True))
        con.execute("INSERT INTO restricted_values SELECT dataset, table_name, row_key, field, value FROM _secret")
        con.unregister("_secret")
    version = hashlib.sha256("".join(versions).encode()).hexdigest()[:16]
    for k, v in {"data_version": version, "anchor": anchor.isoformat(), "seed": str(settings.seed),
                 "built_at": datetime.now(CST).replace(tzinfo=None).isoformat(timespec="seconds")}.items():
        con.execute("INSERT INTO meta VALUES (?, ?)", [k, v])
    facets.start(con, version)
    parts.define_views(con, pw.target)
    facets.record_newest(con)
    return version, rows


def _write_indicators(m: Manifest, batch_id: str, pending: dict[str, list[pd.DataFrame]]) -> None:
    if not m.indicators:
        return
    df = pd.DataFrame([{
        "indicator_id": i.id, "name_zh": i.name_zh, "name_en": i.name_en, "domain": m.domain,
        "unit": i.unit, "frequency": i.frequency, "cadence_s": cadence_seconds(i.frequency),
        "direction": i.direction, "warn": i.warn, "alarm": i.alarm, "owner_zh": m.owner_zh,
        "classification": m.classification, "description": i.description,
        "simulated": m.simulated != "no"} for i in m.indicators])
    df["dataset"] = m.name
    df["batch_id"] = batch_id
    pending["indicators"].append(df)


def _write_dataset_row(con: duckdb.DuckDBPyConnection, m: Manifest) -> None:
    con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        m.name, m.title_zh, m.title_en, m.description_zh, m.description_en, m.domain, m.source, m.licence,
        m.provenance, m.crs, m.cadence, m.cadence_seconds, m.owner_zh, m.owner_en, m.classification,
        m.simulated, json.dumps(m.assumptions, ensure_ascii=False),
        json.dumps(m.restricted_fields), m.model_dump_json()])
    for code in REGIONS:
        if code in m.regions:
            con.execute("INSERT INTO coverage VALUES (?, ?, TRUE, NULL)", [m.name, code])
        elif code in m.not_applicable:
            con.execute("INSERT INTO coverage VALUES (?, ?, FALSE, ?)", [m.name, code, m.not_applicable[code]])


def run_loaders(names: list[str], settings: Settings | None = None, *,
                anchor: datetime | None = None) -> dict[str, dict[str, pd.DataFrame]]:
    """Run the named datasets' loaders (and their dependencies) in memory, without a store.

    Returns ``{dataset: {table: frame}}`` — what each loader emitted, validated. Used by tests
    (determinism hashes, placement checks) and by the benchmarks.
    """
    settings = settings or get_settings()
    anchor = anchor or settings.sim_anchor or default_anchor()
    manifests = discover(settings.datasets_dir)
    wanted: set[str] = set()

    def want(n: str) -> None:
        if n not in wanted:
            wanted.add(n)
            for d in next(m for m in manifests if m.name == n).depends_on:
                want(d)

    for n in names:
        want(n)
    out: dict[str, dict[str, pd.DataFrame]] = {}
    regions_frame: pd.DataFrame | None = None
    for m in manifests:
        if m.name not in wanted:
            continue
        got: dict[str, list[pd.DataFrame]] = {}

        def sink(table: str, frame: pd.DataFrame, _got=got) -> int:
            _got.setdefault(table, []).append(frame)
            return len(frame)

        ctx = LoadContext(m, anchor, settings.seed, sink, regions_frame, days=settings.history_days)
        _import_loader(m).load(ctx)
        out[m.name] = {t: pd.concat(fs, ignore_index=True) for t, fs in got.items()}
        if "regions" in out[m.name]:
            regions_frame = out[m.name]["regions"].copy()
            regions_frame["shape"] = [wkb.loads(bytes(b)) for b in regions_frame["geometry"]]
    return out
