"""The duty room's pages: /alarms lists the alarm set with states and lets duty roles acknowledge;
/workorders shows a board by state with overdue orders first and lets duty roles create orders.
Rendered inside a real app (its own SQLite operational database) as different roles."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g
from tests.conftest import GATEWAY


@pytest.fixture(scope="module")
def app(built_store, tmp_path_factory):
    from citybrain.app_factory import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('opspages') / 'ops.sqlite'}"
    return create_app(built_store.model_copy(update={"ops_db": url, "auth": "header", **GATEWAY}))


@contextlib.contextmanager
def as_role(app, role: str, user: str = "duty1", department: str | None = None):
    with app.server.test_request_context("/"):
        g.user, g.role, g.department = user, role, department
        yield


def _find(tree, id_):
    for c in [tree, *tree._traverse()]:
        if getattr(c, "id", None) == id_:
            return c
    return None


def test_alarms_page_by_role(app):
    from dashboards.alarms import layout

    with as_role(app, "duty"):
        tree = layout(region="330225", lang="zh")
        assert _find(tree, "alarms-ack") is not None and _find(tree, "alarms-readonly") is None
        grid = _find(tree, "alarms-grid")
        assert len(grid.rowData) > 0 and {"id", "state", "severity", "title"} <= set(grid.rowData[0])
        assert grid.dashGridOptions["rowSelection"] == "multiple"
    for role in ("leader", "analyst"):
        with as_role(app, role):
            tree = layout(region="330225", lang="en")
            assert _find(tree, "alarms-ack") is None and _find(tree, "alarms-readonly") is not None


def test_acknowledge_from_the_page(app):
    from dashboards.alarms import acknowledge, grid_rows

    with as_role(app, "duty", "值班员李"):
        rows = grid_rows("330225", "zh", None)
        ids = [r["id"] for r in rows[:2]]
        assert acknowledge(ids, "已电话通知") == 2
        acked = grid_rows("330225", "zh", "acknowledged")
        assert set(ids) <= {r["id"] for r in acked}
        assert all(r["state"] == "✓ 已确认" and r["by"] for r in acked)
        assert all(r["state"] == "▲ 未确认" for r in grid_rows("330225", "zh", "active"))
    with as_role(app, "leader"):
        with pytest.raises(PermissionError):
            acknowledge([rows[2]["id"]], None)


def test_workorder_board(app):
    from citybrain.ops.tables import workorders
    from dashboards.workorders import board, create, layout

    with as_role(app, "duty"):
        a = create("路灯不亮 · 石浦镇", "normal", "330225")["id"]
        b = create("积水点抽排", "urgent", "330225")["id"]
        engine = app.server.extensions["citybrain"].ops
        with engine.begin() as conn:  # b has been waiting for a day
            since = conn.execute(sa.select(workorders.c.state_since).where(workorders.c.id == b)).scalar_one()
            conn.execute(sa.update(workorders).where(workorders.c.id == b).values(due_at=since - timedelta(days=1)))
        cols = board("330225", "zh")
        received = json.dumps(cols[0].to_plotly_json(), default=str, ensure_ascii=False)
        assert "受理 · " in received and received.index(f"#{b}") < received.index(f"#{a}")  # overdue first
        assert "超时" in received
        tree = layout(region="330225", lang="en")
        assert _find(tree, "workorders-create") is not None
    with as_role(app, "leader"):
        assert _find(layout(region="330225", lang="zh"), "workorders-create") is None
        from citybrain.ops.errors import OpsError

        with pytest.raises(OpsError):
            create("x", "normal", "330225")
    with as_role(app, "handler", "chen", "城管局"):  # nothing dispatched to this department yet
        cols = board("330225", "zh")
        assert f"#{a}" not in json.dumps([c.to_plotly_json() for c in cols], default=str, ensure_ascii=False)
