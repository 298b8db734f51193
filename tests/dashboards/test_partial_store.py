"""A store built with ``citybrain build --only`` (some datasets left out): every page opens, and the
page of a dataset the store lacks says so in both languages instead of failing."""

from __future__ import annotations

import pytest

from citybrain.app_factory import create_app
from citybrain.kpi import NOT_LOADED
from tests.conftest import make_settings

LOADED = ["boundaries", "targets", "water"]


@pytest.fixture(scope="module")
def partial(tmp_path_factory):
    from citybrain.store.build import build_store

    settings = make_settings(tmp_path_factory.mktemp("partial"))
    build_store(settings, progress=False, only=LOADED)
    return create_app(settings)


@pytest.mark.parametrize("path", ["/d/traffic", "/d/fisheries", "/d/emergency"])
@pytest.mark.parametrize("lang, text", [("zh", ["数据集未载入", NOT_LOADED]),
                                        ("en", ["Dataset not loaded", "The store was built without this dataset"])])
def test_a_page_of_a_dataset_not_loaded_says_so(partial, path, lang, text):
    from citybrain.registry import all_modules

    m = next(m for m in all_modules() if m.path == path)
    with partial.server.test_request_context(f"{path}?region=330225&lang={lang}"):
        tree = str(m.layout(region="330225", lang=lang).to_plotly_json())
    assert all(x in tree for x in text) and "本地区不适用" not in tree and "Not applicable" not in tree


def test_every_other_page_and_the_wall_open(partial):
    from citybrain.registry import all_modules

    client = partial.server.test_client()
    for m in all_modules():
        if m.path_template is not None:
            continue
        for lang in ("zh", "en"):
            with partial.server.test_request_context(f"{m.path}?region=330225&lang={lang}"):
                m.layout(region="330225", lang=lang)  # raises if a page cannot be drawn
    r = client.get("/api/v1/dashboards/traffic/views/congestion.json?region=330225")
    assert r.status_code == 404 and r.get_json() == {"error": "unknown dataset", "parameter": "dataset",
                                                      "got": "traffic"}


def test_an_unknown_name_in_only_fails_and_keeps_the_store(partial):
    """``build --only wter`` once replaced the store with an empty one; now it names the unknown
    dataset and leaves the store as it was."""
    import os

    from citybrain.manifest import ManifestError
    from citybrain.store.build import build_store

    settings = partial.server.extensions["citybrain"].settings
    before = os.path.realpath(settings.db)
    with pytest.raises(ManifestError, match="no dataset named 'wter'.*there are: boundaries"):
        build_store(settings, progress=False, only=["water", "wter"])
    assert os.path.realpath(settings.db) == before


def test_the_cli_takes_comma_separated_names(partial, tmp_path):
    from click.testing import CliRunner

    from citybrain.cli import main

    out = CliRunner().invoke(main, ["build", "--no-progress", "--db", str(tmp_path / "s.duckdb"),
                                    "--only", "boundaries,water"])
    assert out.exit_code == 0, out.output
    assert "water" in out.output and "boundaries" in out.output and "traffic" not in out.output


def test_the_map_legend_says_a_layer_is_not_loaded(partial):
    """The one-map's legend names a layer whose dataset the store lacks without calling it 'not applicable
    to this region'."""
    client = partial.server.test_client()
    body = client.get("/api/v1/layers/traffic.geojson?region=330225").get_json()
    assert body["applicable"] is False and body["reason"] == NOT_LOADED
    from dashboards.map.panels import legend

    for lang, said, gone in (("zh", NOT_LOADED, "本地区不适用"),
                             ("en", "The store was built without this dataset", "Not applicable")):
        text = str([c.to_plotly_json() for c in legend(["traffic", "water"], {"traffic": NOT_LOADED}, {}, lang)])
        assert said in text and gone not in text
