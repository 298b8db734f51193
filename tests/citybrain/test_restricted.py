"""Restricted fields leave the main tables at build time; only restricted_values holds them."""

from __future__ import annotations

import json

import pandas as pd

from citybrain.store.restricted import split
from citybrain.store import Store
from citybrain.store.tables import MASK


def test_split_moves_columns_and_property_keys():
    ev = pd.DataFrame({"event_id": ["e1", "e2"], "reporter_name": ["张三", None],
                       "properties": ['{"a": 1}', None]})
    masked, secret = split("events", ev, ["reporter_name"])
    assert masked["reporter_name"][0] == MASK and pd.isna(masked["reporter_name"][1])
    assert secret.to_dict("records") == [{"table_name": "events", "row_key": "e1", "field": "reporter_name", "value": "张三"}]
    ent = pd.DataFrame({"entity_id": ["v1", "v2"], "properties": ['{"owner_name": "李四", "len": 3}', '{"len": 4}']})
    masked, secret = split("entities", ent, ["owner_name"])
    assert json.loads(masked["properties"][0]) == {"owner_name": MASK, "len": 3}
    assert masked["properties"][1] == '{"len": 4}'
    assert list(secret["value"]) == ["李四"]


def test_built_store_holds_no_restricted_value_in_main_tables(built_store):
    store = Store(built_store.db)
    secret = store.df("SELECT table_name, row_key, field, value FROM restricted_values")
    assert {"owner_name", "reporter_name"} <= set(secret["field"])
    names = set(secret["value"])
    reporters = set(store.df("SELECT DISTINCT reporter_name FROM events")["reporter_name"].dropna())
    assert reporters <= {MASK}
    props = store.df("SELECT properties FROM entities WHERE kind = 'vessel'")["properties"]
    owners = {json.loads(p).get("owner_name") for p in props}
    assert owners == {MASK}
    # and no restricted value hides anywhere else in the entities' text: no property holds one, and no
    # name of three or more characters occurs inside any text (two-character names are checked as whole
    # values only: "沈海" is a simulated reporter and also in "G15 沈海高速", a real expressway's name)
    texts = store.df("SELECT properties FROM entities")["properties"].dropna().tolist()

    def strings(v):
        if isinstance(v, dict):
            for x in v.values():
                yield from strings(x)
        elif isinstance(v, list):
            for x in v:
                yield from strings(x)
        elif isinstance(v, str):
            yield v

    values = {x for p in texts for x in strings(json.loads(p))}
    assert not (values & names), sorted(values & names)[:5]
    blob = " ".join(texts)
    assert not [n for n in sorted(names) if len(n) >= 3 and n in blob]
