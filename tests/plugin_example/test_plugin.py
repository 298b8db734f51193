"""Third-party dashboards arrive through the ``citybrain.dashboards`` entry-point group."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def installed_example(tmp_path, monkeypatch):
    """Put the example module and a dist-info (METADATA + entry_points.txt) on sys.path."""
    shutil.copy(HERE / "citybrain_example.py", tmp_path / "citybrain_example.py")
    info = tmp_path / "citybrain_example-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: citybrain-example\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[citybrain.dashboards]\nexample = citybrain_example\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield
    sys.modules.pop("citybrain_example", None)


def test_entry_point_module_is_discovered(installed_example):
    from citybrain.registry import all_modules, plugin_modules

    assert [m.id for m in plugin_modules()] == ["example"]
    assert "example" in [m.id for m in all_modules()]


def test_app_serves_plugin_page(installed_example, built_store):
    from citybrain.app_factory import create_app

    app = create_app(built_store)
    client = app.server.test_client()
    assert client.get("/d/example").status_code == 200
    r = client.get("/api/v1/dashboards")
    assert "example" in [d["id"] for d in r.get_json()["dashboards"]]
    import dash

    assert any(p["path"] == "/d/example" for p in dash.page_registry.values())
