"""Dataset manifests: what each curated dataset under ``datasets/`` declares about itself.

A manifest (``manifest.yaml``) names the dataset, its provenance and licence, source CRS, update
cadence, owner department and classification, the files it ships with their field schemas (types,
units, ranges, keys, per-field classification), the indicators it provides and the regions it
applies to. The loader (``loader.py``) beside it turns validated files into store rows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Classification = Literal["public", "internal", "restricted"]
FieldType = Literal["string", "int", "float", "bool", "datetime", "date"]

_CADENCE = re.compile(r"^(\d+)(s|min|h|d|w|mo|y)$")
_UNIT_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400, "w": 604800, "mo": 2629800, "y": 31557600}


def cadence_seconds(cadence: str) -> int:
    """'5min' -> 300, '1h' -> 3600, '1y' -> 31557600."""
    m = _CADENCE.match(cadence)
    if not m:
        raise ValueError(f"cadence {cadence!r} must look like 5min, 1h, 1d, 1mo or 1y")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


class ManifestError(ValueError):
    """A manifest that cannot be read or does not follow the manifest schema."""


class FieldSpec(BaseModel):
    """One column of a data file."""

    model_config = ConfigDict(extra="forbid")
    name: str
    type: FieldType
    unit: str | None = None
    description: str | None = None
    required: bool = True
    min: float | None = None
    max: float | None = None
    allowed: list[str] | None = None
    classification: Classification | None = None


class FileSpec(BaseModel):
    """One data file shipped in the dataset folder."""

    model_config = ConfigDict(extra="forbid")
    path: str
    format: Literal["csv", "geojson"]
    description: str | None = None
    key: list[str] = Field(default_factory=list)
    fields: list[FieldSpec]
    lon: str | None = None
    lat: str | None = None
    region_field: str | None = None
    region_margin_deg: float = 0.6
    #: The box (min lon, min lat, max lon, max lat; degrees) every geometry of a GeoJSON file must lie in;
    #: by default China's (73–136°E, 3–54°N), which catches projected coordinates or a wrong CRS.
    extent: tuple[float, float, float, float] = (73.0, 3.0, 136.0, 54.0)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


class IndicatorSpec(BaseModel):
    """An indicator this dataset provides (goes to the ``indicators`` table)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name_zh: str
    name_en: str
    unit: str
    frequency: str
    direction: Literal["up", "down", "none"] = "none"
    warn: float | None = None
    alarm: float | None = None
    description: str | None = None

    @field_validator("frequency")
    @classmethod
    def _freq(cls, v: str) -> str:
        cadence_seconds(v)
        return v


class LiveSpec(BaseModel):
    """How live feeds of a dataset are judged (``live:`` in the manifest; defaults when absent)."""

    model_config = ConfigDict(extra="forbid")
    lateness: str = Field(default="1d", description="How far behind the store's 'now' a feed row may arrive.")
    retention: str = Field(default="400d", description="Rows older than this (before the wall clock) are refused.")
    keep: str | None = Field(default=None, description="Compaction deletes stored observations and positions "
                             "older than this (before the wall clock); absent: kept for good.")

    @field_validator("lateness", "retention", "keep")
    @classmethod
    def _span(cls, v: str | None) -> str | None:
        if v is not None:
            cadence_seconds(v)
        return v

    @property
    def lateness_seconds(self) -> int:
        return cadence_seconds(self.lateness)

    @property
    def retention_seconds(self) -> int:
        return cadence_seconds(self.retention)

    @property
    def keep_seconds(self) -> int | None:
        return None if self.keep is None else cadence_seconds(self.keep)


class Manifest(BaseModel):
    """The manifest of one curated dataset."""

    model_config = ConfigDict(extra="forbid")
    name: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    domain: str
    source: str
    licence: str
    provenance: str
    crs: Literal["WGS-84", "GCJ-02", "none"]
    cadence: str
    owner_zh: str
    owner_en: str
    classification: Classification
    simulated: Literal["no", "yes", "partly"]
    assumptions: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    regions: list[str]
    not_applicable: dict[str, str] = Field(default_factory=dict)
    restricted_fields: list[str] = Field(default_factory=list)
    files: list[FileSpec] = Field(default_factory=list)
    indicators: list[IndicatorSpec] = Field(default_factory=list)
    live: LiveSpec = Field(default_factory=LiveSpec)
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("cadence")
    @classmethod
    def _cad(cls, v: str) -> str:
        cadence_seconds(v)
        return v

    @property
    def cadence_seconds(self) -> int:
        return cadence_seconds(self.cadence)

    @property
    def folder(self) -> Path:
        assert self.path is not None
        return self.path.parent

    def file(self, path: str) -> FileSpec:
        for f in self.files:
            if f.path == path:
                return f
        raise KeyError(f"{self.name}: no file {path!r} in manifest")


def load_manifest(path: Path) -> Manifest:
    """Read and check one ``manifest.yaml``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ManifestError(f"{path}: cannot read manifest: {exc}") from exc
    try:
        m = Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ManifestError(f"{path}: field {loc}: {first['msg']}") from exc
    if m.name != path.parent.name:
        raise ManifestError(f"{path}: name {m.name!r} must equal the folder name {path.parent.name!r}")
    m.path = path
    return m


def discover(datasets_dir: Path) -> list[Manifest]:
    """All manifests under ``datasets_dir``, ordered so dependencies come first."""
    found = {m.name: m for m in (load_manifest(p) for p in sorted(datasets_dir.glob("*/manifest.yaml")))}
    ordered: list[Manifest] = []
    seen: set[str] = set()

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in chain:
            raise ManifestError(f"dataset dependency cycle: {' -> '.join(chain + (name,))}")
        if name not in found:
            raise ManifestError(f"dataset {chain[-1]!r} depends on unknown dataset {name!r}")
        for dep in found[name].depends_on:
            visit(dep, chain + (name,))
        seen.add(name)
        ordered.append(found[name])

    for name in found:
        visit(name, ())
    return ordered
