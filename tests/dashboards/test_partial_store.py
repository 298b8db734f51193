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
@pytest.mark.parametrize("lang, text", [("zh", NOT_LOADED), ("en", "The store was built without this dataset")])
def test_a_page_of_a_dataset_not_loaded_says_so(partial, path, lang, text):
    from citybrain.registry import all_modules

    m = next(m for m in all_modules() if m.path == path)
    with partial.server.test_request_context(f"{path}?region=330225&lang={lang}"):
        tree = str(m.layout(region="330225", lang=lang).to_plotly_json())
    assert text in tree


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
