"""Typhoon defence over HTTP: the stored storms, a storm's track and wind circles as GeoJSON, and the
exposure of a region's towns, ports, shelters and reservoirs at a time (JSON and CSV).

``/api/v1/typhoons`` lists every stored best track (one per agency and storm); ids are track ids
such as ``JMA-2106`` or ``CMA-2212``. Times in the answers are ISO 8601 with the China Standard Time
offset (``+08:00``); ``at`` accepts a time with an offset, or without one in China Standard Time.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from flask import Response, current_app, jsonify, request

from citybrain.api.params import Param, parse
from citybrain.api.routes import add_route, ok_answer, operation, path_param
from citybrain.auth.policy import EXPORT, STAFF
from citybrain.queries import typhoon as tq
from citybrain.store import get_store
from citybrain.typhoon import exposure as ex
from citybrain.typhoon import rain
from citybrain.typhoon.circles import THRESHOLDS
from citybrain.typhoon.replay import default_time, exposure_frame
from citybrain.views import csv_bytes

REGION = Param("region", "region", "Region code (adcode); default: the configured default region.")
AT = Param("at", "datetime", "Time (ISO 8601; without an offset, China Standard Time); default: the storm's "
                             "landfall, else its closest approach to the region.")
GEO_AT = Param("at", "datetime", "Also give the interpolated wind circles at this time (ISO 8601).")
CST = "+08:00"


def iso(ts: Any) -> str | None:
    """A naive China Standard Time value as ISO 8601 with its offset (None for a missing time)."""
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).isoformat() + CST


def _storm(store, track_id: str) -> pd.Series:
    s = tq.storms(store)
    hit = s[s["track_id"] == track_id]
    if hit.empty:
        raise LookupError(("id", track_id[:80]))
    return hit.iloc[0]


def typhoon_list():
    """Every stored typhoon track."""
    parse(request.args, [])
    store = get_store()
    s = tq.storms(store)
    items = [{"id": r.track_id, "name_zh": r.name_zh, "name_en": r.name_en, "intl_no": r.intl_no,
              "agency": r.agency, "first_time": iso(r.first_ts), "last_time": iso(r.last_ts), "fixes": int(r.fixes),
              "wind_radii": bool(r.has_radii),
              "track": f"/api/v1/typhoons/{r.track_id}/track.geojson"} for r in s.itertuples()]
    return jsonify(typhoons=items, data_version=store.version)


def _point(time, lon, lat, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(lon), 5), round(float(lat), 5)]},
            "properties": {"kind": "fix", "time": iso(time), **props}}


def circle_features(path, times, interpolated: bool) -> list[dict[str, Any]]:
    """The wind circles (Polygons) of a path at the given times, where there are any."""
    out = []
    for t in times:
        for kt in THRESHOLDS:
            ring = path.circle(t, kt)
            if ring is None:
                continue
            out.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
                        "properties": {"kind": "wind_circle", "threshold_kt": kt, "time": iso(t),
                                       "interpolated": interpolated}})
    return out


def track_geojson(track_id: str):
    """A storm's fixes (Points) and its wind circles at every fix that reports them (Polygons)."""
    v = parse(request.args, [GEO_AT])
    store = get_store()
    meta = _storm(store, track_id)
    tr = store.df("""SELECT ts, lon, lat, grade, wind_ms, pressure_hpa FROM tracks
                     WHERE kind = 'typhoon' AND track_id = ? ORDER BY ts""", [track_id])
    path = tq.storm_path(store, track_id)
    feats = [_point(r.ts, r.lon, r.lat, {"grade": r.grade, "wind_ms": None if pd.isna(r.wind_ms) else round(float(r.wind_ms), 1),
                                         "pressure_hpa": None if pd.isna(r.pressure_hpa) else float(r.pressure_hpa)})
             for r in tr.itertuples()]
    feats += circle_features(path, [pd.Timestamp(t).to_pydatetime() for t in path.ts], False)
    if v["at"] is not None:
        feats += circle_features(path, [v["at"]], True)
    body = {"type": "FeatureCollection", "id": track_id, "name_zh": meta["name_zh"], "name_en": meta["name_en"],
            "intl_no": meta["intl_no"], "agency": meta["agency"], "wind_radii": bool(meta["has_radii"]),
            "note": None if meta["has_radii"] else "this agency's best track gives no wind radii; no circle is drawn",
            "crs": "WGS-84 (EPSG:4326)", "data_version": store.version, "features": feats}
    return Response(json.dumps(body, ensure_ascii=False, allow_nan=False), mimetype="application/geo+json",
                    headers={"X-Data-Version": store.version})


def api_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Exposure rows as JSON: times with their offset, missing values null."""
    out = []
    for r in frame.to_dict("records"):
        for k in ("arrival_30kt", "closest_time"):
            r[k] = iso(r[k])
        for k in ("in_30kt", "in_50kt", "distance_km"):
            r[k] = None if r[k] is None or pd.isna(r[k]) else (bool(r[k]) if k != "distance_km" else float(r[k]))
        out.append(r)
    return out


def _exposure_args(track_id: str, params: list[Param]):
    v = parse(request.args, params)
    store = get_store()
    meta = _storm(store, track_id)
    region = v["region"] or current_app.config["CITYBRAIN_SETTINGS"].region
    at = v["at"] if v["at"] is not None else default_time(meta)
    return v, store, meta, region, at


def exposure_json(track_id: str):
    """Every town, port, shelter and reservoir of the region, exposed to the storm at ``at``."""
    _, store, meta, region, at = _exposure_args(track_id, [REGION, AT])
    frame = exposure_frame(store, track_id, region, at)
    body = {"id": track_id, "region": region, "at": iso(at), "wind_radii": bool(meta["has_radii"]),
            "note": None if meta["has_radii"] else "this agency's best track gives no wind radii: inside and arrival are null",
            "step_minutes": int(ex.STEP.astype(int)), "data_version": store.version, "rows": api_rows(frame)}
    return Response(json.dumps(body, ensure_ascii=False, allow_nan=False), mimetype="application/json",
                    headers={"X-Data-Version": store.version})


ENCODING = Param("encoding", "enum", "CSV text encoding.", enum=("utf-8", "gbk"), default="utf-8")


def exposure_csv(track_id: str):
    """The same rows as CSV (UTF-8 with BOM by default), exactly what the typhoon page's table exports."""
    v, store, _, region, at = _exposure_args(track_id, [REGION, AT, ENCODING])
    frame = exposure_frame(store, track_id, region, at)
    for k in ("arrival_30kt", "closest_time"):
        frame[k] = [iso(x) for x in frame[k]]
    name = f"typhoon_{track_id}_exposure_{region}_{pd.Timestamp(at):%Y%m%dT%H%M}_{store.version}.csv"
    return Response(csv_bytes(frame, v["encoding"]), content_type=f"text/csv; charset={v['encoding']}",
                    headers={"X-Data-Version": store.version, "Content-Disposition": f'attachment; filename="{name}"'})


def rainfall_csv(track_id: str):
    """Rain along the track at the region's stations at ``at`` (``citybrain.typhoon.rain.stations``) as CSV:
    what the typhoon page's rainfall table exports at that storm and moment."""
    v, store, _, region, at = _exposure_args(track_id, [REGION, AT, ENCODING])
    frame = rain.stations(store, track_id, region, at)
    name = f"typhoon_{track_id}_rainfall_{region}_{pd.Timestamp(at):%Y%m%dT%H%M}_{store.version}.csv"
    return Response(csv_bytes(frame, v["encoding"]), content_type=f"text/csv; charset={v['encoding']}",
                    headers={"X-Data-Version": store.version, "Content-Disposition": f'attachment; filename="{name}"'})


def _op(op: str, summary: str, params: list[Param], media: str, with_id: bool = True) -> dict[str, Any]:
    track = path_param("track_id", description="Track id, e.g. JMA-2106 or CMA-2212 (see /api/v1/typhoons).")
    errors = {400: "Bad parameter", **({404: "Unknown track id"} if with_id else {})}
    return {"get": operation(op, summary, "typhoons", ok_answer(media, {"type": "object"}), errors, params=params,
                             param_objects=[track] if with_id else None)}


add_route("/typhoons", "typhoons", typhoon_list, _op(
    "typhoons", "Stored typhoon best tracks: id, names, international number, agency, first and last time.",
    [], "application/json", with_id=False), access=STAFF)
add_route("/typhoons/<track_id>/track.geojson", "typhoon_track", track_geojson, _op(
    "typhoon_track", "A storm's fixes (Points: time, grade, wind, pressure) and its 30-/50-kt wind circles "
    "(Polygons, kind wind_circle) at every fix that reports them, and at `at` if given.",
    [GEO_AT], "application/geo+json"), access=EXPORT)  # a file, like the layers' GeoJSON
add_route("/typhoons/<track_id>/exposure", "typhoon_exposure", exposure_json, _op(
    "typhoon_exposure", "Towns, ports, shelters and reservoirs of a region: distance to the centre at `at`, "
    "inside the 30/50-kt circle, arrival of the 30-kt circle, closest approach.", [REGION, AT], "application/json"),
    access=STAFF)
add_route("/typhoons/<track_id>/exposure.csv", "typhoon_exposure_csv", exposure_csv, _op(
    "typhoon_exposure_csv", "The exposure rows as CSV (what the typhoon page's table exports).",
    [REGION, AT, ENCODING], "text/csv"), access=EXPORT)
add_route("/typhoons/<track_id>/rainfall.csv", "typhoon_rainfall_csv", rainfall_csv, _op(
    "typhoon_rainfall_csv", "Rain (mm) at the region's water stations as the storm passes: last hour, last 24 h, "
    "since the first fix, wettest hour; distance to the centre at `at` and closest approach (km).",
    [REGION, AT, ENCODING], "text/csv"), access=EXPORT)
