"""Right place: every layer in WGS-84 against the boundaries dataset's coastline (shapely)."""

from __future__ import annotations

from datetime import datetime

import shapely

from citybrain.queries import geo
from citybrain.store import get_store
from layers.base import LayerContext
from layers.registry import get

ANCHOR = datetime(2026, 7, 15, 12, 0)


def _land(store, region):
    r = geo.region_shapes(store, region)
    return shapely.union_all([shapely.from_wkb(bytes(g)) for g in r["geometry"]])


def test_vessels_in_port_are_in_the_water_not_on_land(built_store):
    store = get_store(built_store.db)
    for region in ("330225", "330900"):
        land = _land(store, region)
        v = geo.vessel_positions(store, region, ANCHOR)
        assert len(v["track_id"]) > 500
        on_land = shapely.contains_xy(land, v["lon"], v["lat"])
        assert on_land.sum() == 0, v["track_id"][on_land][:5]
        in_port = v["status"] == "in_port"
        # moored vessels lie close to the coast (within ~2 km of land), i.e. in the harbour
        d = shapely.distance(land, shapely.points(v["lon"][in_port], v["lat"][in_port]))
        assert (d < 0.02).mean() > 0.95


def test_shipu_vessels_are_in_shipu_harbour(built_store):
    store = get_store(built_store.db)
    land = _land(store, "330225")
    feats = get("fisheries").features(LayerContext(store=store, region="330225", at=ANCHOR))
    port = feats[feats["id"] == "port-shipu"].iloc[0]
    assert not shapely.contains_xy(land, port["lon"], port["lat"])
    v = feats[(feats["sublayer"] == "vessels") & (feats["kind"] == "vessel_in_port")]
    near = ((v["lon"].astype(float) - port["lon"]) ** 2 + (v["lat"].astype(float) - port["lat"]) ** 2) ** 0.5 < 0.01
    assert near.sum() > 100
    assert not shapely.contains_xy(land, v.loc[near, "lon"].astype(float).to_numpy(),
                                   v.loc[near, "lat"].astype(float).to_numpy()).any()


def test_points_of_land_layers_lie_on_land(built_store):
    store = get_store(built_store.db)
    for region in ("330225", "341623"):
        land = _land(store, region).buffer(0.05)  # positions are approximate (1-5 km)
        feats = get("traffic").features(LayerContext(store=store, region=region, at=ANCHOR))
        pts = feats[feats["sublayer"].isin(["checkpoints", "overload", "black_spots"])]
        assert shapely.contains_xy(land, pts["lon"].astype(float).to_numpy(), pts["lat"].astype(float).to_numpy()).all()
