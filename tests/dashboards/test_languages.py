"""Both languages complete: every page of every dashboard module, the map's panels, the wall and the
shell, rendered in Chinese and English for the five regions against the real built store, show no
code and no text of the other language.

What is collected is every text a user sees: strings among a component's ``children``, its
``placeholder``/``title``/``label``, option labels and slider marks, grid column headers and the
values of the grid columns shown, and a figure's static texts (titles, axis titles, annotations,
trace names, ``text``/``hovertext``, the literal parts of hover/text templates, categorical axis
values). The map page's panels are drawn by callbacks: their functions (``render``, ``detail``) are
called directly, for every feature in warning or alarm and the first features of each layer.

The rules:

* **Chinese**: no code token — no snake_case word (``traffic_accident``) and no lowercase English
  vocabulary word as a whole word (``fire``, ``general``, ``resolved``, ``normal``…). Upper-case
  abbreviations and units (``CSV``, ``AQI``, ``km``, ``m³/s``) are not codes.
* **English**: no CJK character at all, with one exception: the proper name of a place or thing that
  has no English name in the data (an entity whose ``name_en`` is empty, a dataset record's own
  Chinese title such as an incident report). Such a name is shown as it is written; the test allows
  exactly the strings that the store holds without an English counterpart, nothing else — and never
  a Chinese unit.
* **Verbatim quotes and endonyms**: the planning-targets grid quotes the Chinese plan's own sentence
  (``quote``, "Plan text") as the evidence of a target — a quotation is not translated. The language
  switch names the other language in that language ("中文").
* **Verbatim columns**: the data catalog is where people (and API users) learn the identifiers of
  datasets and indicators and where sources are cited as published; its identifier columns
  (``dataset``, ``indicator``) and citation columns (``source``, ``licence``, ``provenance``) are
  quoted verbatim and not checked. Entity ids after a name (``port-dongmen``) are references, not
  words: a token joined by ``-`` is not a code word.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from plotly.io.json import to_json_plotly

from citybrain.i18n import t
from citybrain.regions import TOP_REGIONS

LANGS = ("zh", "en")
REGION_CODES = ("330225", "330900", "370215", "341623", "210800")

#: Lowercase English words that are codes of a vocabulary when shown in the Chinese interface.
CODE_WORDS = frozenset("""
normal warning alarm nodata none stale fresh resolved closed open reported dispatched general fire
major minor critical severe moderate low high medium flood rescue accident moored sailing fishing lost
offline online good partial missing estimated suspect public internal restricted simulated real kind
status severity vessel depot shelter station reservoir camera port incident unknown active inactive
""".split())
SNAKE = re.compile(r"(?<![A-Za-z0-9_./:%{-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")
WORD = re.compile(r"(?<![A-Za-z0-9_./:%{-])([a-z]+)(?![A-Za-z0-9_-])")
#: Grid columns quoted verbatim (identifiers and citations of the data catalog), by grid id.
VERBATIM = {"catalog-datasets-grid": {"dataset", "source", "licence", "provenance"},
            "catalog-indicators-grid": {"indicator", "dataset"}, "targets-table-grid": {"quote"}}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]")
TEMPLATE_FIELD = re.compile(r"%\{[^}]*\}|<[^>]+>")
#: Props of a component whose string value is shown (or read out) to the user.
TEXT_PROPS = ("children", "placeholder", "title", "label", "alt", "aria-label", "data-title")


def _strings(v: Any) -> Iterator[str]:
    if isinstance(v, str):
        yield v
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, (str, list)):
                yield from _strings(x)


def _figure_texts(fig: dict[str, Any]) -> Iterator[str]:
    lay = fig.get("layout") or {}
    for k, v in lay.items():
        if k == "title" or (k.startswith(("xaxis", "yaxis")) and isinstance(v, dict)):
            node = v.get("title", v) if k != "title" else v
            if isinstance(node, dict):
                node = node.get("text")
            if isinstance(node, str):
                yield node
            if k != "title":
                yield from _strings(v.get("ticktext"))
    for a in lay.get("annotations") or []:
        if isinstance(a.get("text"), str):
            yield a["text"]
    for tr in fig.get("data") or []:
        for k in ("name", "text", "hovertext", "labels", "texttemplate", "hovertemplate"):
            for s in _strings(tr.get(k)):
                yield TEMPLATE_FIELD.sub(" ", s)
        for k in ("x", "y"):  # categorical values are the axis labels
            for s in _strings(tr.get(k)):
                if not re.match(r"^\d{4}-\d{2}-\d{2}", s):
                    yield s
        if tr.get("type") == "table":
            for part in ("header", "cells"):
                for s in _strings((tr.get(part) or {}).get("values")):
                    yield s


def _grid_texts(props: dict[str, Any]) -> Iterator[str]:
    fields: list[str] = []

    def walk(defs: list[dict[str, Any]]) -> Iterator[str]:
        for d in defs or []:
            if d.get("hide"):
                continue
            if isinstance(d.get("headerName"), str):
                yield d["headerName"]
            if d.get("field") and d["field"] not in VERBATIM.get(str(props.get("id")), ()):
                fields.append(d["field"])
            yield from walk(d.get("children") or [])

    yield from walk(props.get("columnDefs") or [])
    for row in props.get("rowData") or []:
        for f in fields:
            v = row.get(f)
            if isinstance(v, str):
                yield v


def texts(node: Any) -> Iterator[str]:
    """Every user-visible text of a component tree (as Dash serialises it), a figure or a list."""
    if isinstance(node, list):
        for x in node:
            yield from texts(x)
        return
    if isinstance(node, str):
        yield node
        return
    if not isinstance(node, dict):
        return
    if "props" in node and "type" in node:
        props = node["props"]
        if node["type"] == "Store":
            return
        for k in TEXT_PROPS:
            v = props.get(k)
            if isinstance(v, (str, list, dict)):
                yield from texts(v)
        for k, v in props.items():
            if k.startswith("data-msg"):
                yield v
        for o in props.get("options") or []:
            yield from texts(o.get("label") if isinstance(o, dict) else o)
        for v in (props.get("marks") or {}).values():
            yield from texts(v.get("label") if isinstance(v, dict) else v)
        if "columnDefs" in props:
            yield from _grid_texts(props)
        if isinstance(props.get("figure"), dict):
            yield from _figure_texts(props["figure"])
        return
    if "data" in node and "layout" in node:
        yield from _figure_texts(node)


def as_json(obj: Any) -> Any:
    """A component tree, figure or list as the browser receives it."""
    return json.loads(to_json_plotly(obj))


def code_tokens(text: str) -> list[str]:
    """Code tokens in a Chinese text: snake_case words and vocabulary words."""
    found = SNAKE.findall(text)
    found += [w for w in WORD.findall(text) if w in CODE_WORDS]
    return found


@pytest.fixture(scope="module")
def store(built_store):
    from tests.conftest import app_context

    with app_context(built_store) as ctx:
        yield ctx.store


@pytest.fixture(scope="module")
def proper_names(store) -> set[str]:
    """Chinese strings the store holds with no English counterpart (the English UI may show them)."""
    ent = store.df("SELECT name_zh FROM entities WHERE name_en IS NULL OR trim(name_en) = '' "
                      "OR name_en = name_zh")
    return {str(n) for n in ent["name_zh"] if n}


def map_texts(region: str, lang: str) -> Iterator[str]:
    """The /map page's callback-drawn panels: legend, alert list, counts, and feature details."""
    from dashboards.map import DEFAULT_LAYERS
    from dashboards.map.callbacks import SUB_IDS, render
    from dashboards.map.panels import detail, window_of
    from layers.registry import get

    from citybrain.store import get_store

    store = get_store()
    win = window_of(store, region, "24h")
    subs = {i: [s.id for s in get(i).sublayers] for i in SUB_IDS}
    r = render({"region": region, "lang": lang}, win, None, DEFAULT_LAYERS, subs)
    for part in ("legend", "alerts", "counts"):
        yield from texts(as_json(r[part]))
    for tr in r["traces"]:
        yield from _figure_texts({"data": [tr]})
    for lid, feats in r["drawn"].features.items():
        if feats.empty or lid == "boundaries":
            continue
        pick = list(feats["id"][feats["status"].isin(["warning", "alarm"])][:8]) + list(feats["id"][:4])
        for kind in feats["kind"].unique() if "kind" in feats else []:
            pick += list(feats["id"][feats["kind"] == kind][:1])
        for fid in dict.fromkeys(pick):
            yield from texts(as_json(detail(store, feats, lid, fid, r["ctx"].at, lang)))


def drill_texts(region: str, lang: str) -> Iterator[str]:
    """The drill-down panel of a KPI card (one per dashboard prefix is enough: it is shared)."""
    from citybrain import kpi
    from citybrain.ui import drill
    from citybrain.store import get_store

    for ind in ("open_incidents", "vessels_alarm", "depot_reserve_ratio"):
        if ind in kpi.definitions(get_store()):
            title, trend, bars, link = drill.drill_figures("emergency", ind, region, "7d", lang)
            yield title
            yield from texts(as_json([trend, bars, link]))


def shell_texts(built_store, lang: str) -> Iterator[str]:
    """The shell (title bar, navigation, region picker) as served and as its callback updates it."""
    from citybrain.app_factory import shell, shell_state
    from citybrain.registry import all_modules

    settings = built_store.model_copy(update={"lang": lang})
    mods = all_modules()
    yield from texts(as_json(shell(settings, mods)))
    yield from texts(as_json(list(shell_state("/", f"?lang={lang}", settings, mods))))


def page_texts(built_store, region: str, lang: str) -> Iterator[tuple[str, str]]:
    """(page, text) for every page of every module, the map panels, the drill-down and the shell."""
    from citybrain.registry import all_modules

    for m in all_modules():
        for s in texts(as_json(m.layout(region=region, lang=lang))):
            yield m.id, s
    for s in map_texts(region, lang):
        yield "map-panels", s
    for s in drill_texts(region, lang):
        yield "drill", s
    for s in shell_texts(built_store, lang):
        yield "shell", s


def test_five_regions_are_the_top_regions():
    assert set(REGION_CODES) == set(TOP_REGIONS)


@pytest.mark.parametrize("region", REGION_CODES)
def test_chinese_pages_show_no_code(region, store, built_store):
    bad: dict[tuple[str, str], str] = {}
    n = 0
    for page, s in page_texts(built_store, region, "zh"):
        n += 1
        for tok in code_tokens(s):
            bad.setdefault((page, tok), s[:120])
    assert n > 500, "too few texts collected: the collector is broken"
    assert not bad, "codes shown in the Chinese interface:\n" + "\n".join(
        f"  {p}: {tok!r} in {s!r}" for (p, tok), s in sorted(bad.items()))


@pytest.mark.parametrize("region", REGION_CODES)
def test_english_pages_show_no_chinese(region, store, built_store, proper_names):
    bad: dict[tuple[str, str], str] = {}
    n = 0
    for page, s in page_texts(built_store, region, "en"):
        n += 1
        if not CJK.search(s) or (page == "shell" and s == t("lang.switch", "en")):
            continue
        rest = s
        for name in sorted((p for p in proper_names if p in s), key=len, reverse=True):
            rest = rest.replace(name, "")
        if CJK.search(rest):
            bad.setdefault((page, "".join(CJK.findall(rest))[:12]), s[:120])
    assert n > 500, "too few texts collected: the collector is broken"
    assert not bad, "Chinese shown in the English interface:\n" + "\n".join(
        f"  {p}: {tok!r} in {s!r}" for (p, tok), s in sorted(bad.items()))


def test_detectors():
    """The detectors themselves: codes and Chinese units are found, units and abbreviations are not."""
    assert code_tokens("类型 traffic_accident") == ["traffic_accident"]
    assert code_tokens("等级 general · fire") == ["general", "fire"]
    assert code_tokens("导出 CSV · 12 km · m³/s · AQI · %{x|%m-%d}") == []
    assert CJK.search("351 艘") and not CJK.search("351 vessels")
