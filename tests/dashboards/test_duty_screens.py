"""The duty officer's screens rendered inside a real app (its own SQLite operational database) as
different roles: the order page's steps per role and its 409, photos through the page, the map's
and the cockpit's acknowledge buttons, the wall's unacknowledged marker and the work-order layer."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import pytest

from tests.dashboards.test_ops_pages import _find, as_role
from tests.conftest import GATEWAY

REGION = "330225"


@pytest.fixture(scope="module")
def app(built_store, tmp_path_factory):
    from citybrain.app_factory import create_app

    tmp = tmp_path_factory.mktemp("dutyscreens")
    return create_app(built_store.model_copy(update={
        "ops_db": f"sqlite:///{tmp / 'ops.sqlite'}", "auth": "header", **GATEWAY, "ops_photo_dir": tmp / "photos",
        "ops_photo_max_bytes": 4096}))


def _text(tree) -> str:
    return json.dumps(tree.to_plotly_json() if hasattr(tree, "to_plotly_json") else tree,
                      default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
                      ensure_ascii=False)


def _png() -> bytes:
    def chunk(k: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def _order(app, **kw) -> int:
    from citybrain.ops import workorders
    from citybrain.semantics.freshness import clock

    return workorders.create(app.server.extensions["citybrain"].ops, user="duty1", role="duty", title="井盖缺失",
                             category="urgent", region=REGION, now=clock(), lon=121.87, lat=29.47, **kw)["id"]


def test_order_page_steps_by_role_and_409(app):
    from citybrain.ops.errors import Conflict
    from dashboards.workorder import layout, take_step

    oid = _order(app)
    with as_role(app, "duty"):
        tree = layout(order_id=str(oid), lang="zh")
        text = _text(tree)
        assert '"to": "registered"' in text and '"to": "rejected"' in text and "受理" in text
        take_step(oid, "registered", 1, None, None, [])
        with pytest.raises(Conflict):
            take_step(oid, "rejected", 1, "重复", None, [])  # the page's stale version
        take_step(oid, "dispatched", 2, None, "citymgmt", [])
    with as_role(app, "leader"):
        tree = layout(order_id=str(oid), lang="en")
        assert _find(tree, "workorder-readonly") is not None and "workorder-step" not in _text(tree)
    with as_role(app, "handler", "zhou", "water"):  # another department's order does not exist for it
        assert _find(layout(order_id=str(oid), lang="zh"), "workorder-missing") is not None
    with as_role(app, "handler", "chen", "citymgmt"):
        text = _text(layout(order_id=str(oid), lang="en"))
        assert '"to": "handled"' in text and "Mark handled" in text and '"to": "verified"' not in text
    for bad in ("abc", "0", "99999999999", None):
        with as_role(app, "duty"):
            assert _find(layout(order_id=bad, lang="zh"), "workorder-missing") is not None


def test_photos_through_the_page_are_checked_by_content_and_size(app):
    from citybrain.ops.errors import OpsError
    from dashboards.workorder import _message, decode, layout, take_step

    oid = _order(app)
    with as_role(app, "duty"):
        take_step(oid, "registered", 1, None, None, [])
        take_step(oid, "dispatched", 2, None, "citymgmt", [])
    with as_role(app, "handler", "chen", "citymgmt"):
        url = "data:image/png;base64," + base64.b64encode(b"GIF89a....").decode()
        with pytest.raises(OpsError) as exc:
            take_step(oid, "handled", 3, "ok", None, decode([url], ["fake.png"]))
        assert exc.value.details["parameter"] == "photo" and "fake.png" in _message(exc.value, "zh", ["fake.png"])
        big = "data:image/png;base64," + base64.b64encode(_png() + b"\x00" * 5000).decode()
        with pytest.raises(OpsError) as exc:
            decode([big], ["big.png"])
        assert exc.value.status == 413 and _message(exc.value, "en", ["big.png"]).startswith("Photo larger than")
        good = "data:image/png;base64," + base64.b64encode(_png()).decode()
        out = take_step(oid, "handled", 3, "已处置", None, decode([good], ["scene.png"]))
        assert out["version"] == 4
        text = _text(layout(order_id=str(oid), lang="zh"))
        assert f"/api/v1/workorders/{oid}/photos/" in text and "已处置" in text


def test_map_and_cockpit_lists_acknowledge_for_duty_only(app):
    from dashboards.map.duty import alert_panel
    from dashboards.map.panels import window_of
    from dashboards.overview.duty import items

    from citybrain.store import get_store
    from citybrain.ui import duty

    ctxdata = {"region": REGION, "lang": "zh"}
    with as_role(app, "duty", "值班员张"):
        win = window_of(get_store(), REGION, "24h")
        text = _text(alert_panel(ctxdata, win, None))
        assert "map-ack" in text and "map-order" in text and "▲ 未确认" in text
        assert "map-ack" not in _text(alert_panel(ctxdata, win, 0))  # the past: no states, no buttons
        cockpit = items(REGION, "zh")
        alarm_id = cockpit[0].to_plotly_json()["props"]["data-alarm"]
        assert "overview-ack" in _text(cockpit)
        assert duty.acknowledge(alarm_id, REGION, "zh").startswith("已确认告警")
        assert "值班员张" in _text(items(REGION, "zh"))
    for role in ("leader", "analyst", "handler"):
        with as_role(app, role):
            assert "map-ack" not in _text(alert_panel(ctxdata, win, None))
            assert "overview-ack" not in _text(items(REGION, "en"))
            assert duty.acknowledge(alarm_id, REGION, "en") == "This role may not acknowledge alarms."


def test_wall_marker_counts_unacknowledged_alarms(app):
    from dashboards.wall.alerts import unacked_part

    from citybrain import kpi
    from citybrain.semantics.alarms import alarm_set
    from citybrain.ui import duty

    with as_role(app, "wall", "wall-1"):
        store, region, _lang, at = kpi.resolve(REGION, "zh")
        raised = alarm_set(store, region, at)
        before = int(unacked_part(raised, "zh").comp.to_plotly_json()["props"]["data-unacked"])
        assert before == duty.unacknowledged(raised) > 0
    with as_role(app, "duty", "值班员张"):
        for aid in raised["id"]:
            duty.acknowledge(aid, REGION, "zh")
    with as_role(app, "wall", "wall-1"):
        mark = unacked_part(raised, "en").comp.to_plotly_json()["props"]
        assert mark["data-unacked"] == "0" and mark["children"] == ""


def test_work_order_layer_shows_open_orders_for_who_may_see_them(app):
    from layers.base import LayerContext
    from layers.registry import get

    from citybrain import queries
    from citybrain.store import get_store

    oid = _order(app)
    with as_role(app, "leader"):
        store = get_store()
        ctx = LayerContext(store=store, region=REGION, at=queries.anchor(store))
        feats = get("workorders").features(ctx)
        assert str(oid) in set(feats["id"]) and set(feats["status"]) == {"none"}
        traces = get("workorders").traces(ctx, feats, "zh", ["orders"])
        assert [t["uid"] for t in traces] == ["workorders-overdue", "workorders-orders"]
    with as_role(app, "handler", "zhou", "water"):
        assert str(oid) not in set(get("workorders").features(ctx)["id"])
