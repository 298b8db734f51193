"""Views in the real browser: for every dashboard with views × region × language, each AgGrid named
``<module>-<view>-grid`` holds exactly its view's JSON rows in display order (read through the grid
API in headless Chromium), the view's CSV has as many rows and the JSON's columns, and every export
button of the page points at a view URL of that page (or a layer's GeoJSON).

One browser context, one tab, page after page; failures are collected and reported together.
"""

from __future__ import annotations

import csv
import io
import json
import time
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser

REGIONS = ("330225", "330900", "370215", "341623", "210800", "330902", "330903", "330921", "330922")
LANGS = ("zh", "en")
EXPECTED_MODULES = {"overview", "fisheries", "traffic", "water", "emergency", "targets", "data", "catalog"}

#: Counts the page's fetches in flight (Dash's layout, dependencies and callbacks all go through
#: ``fetch``) and when the count last changed, so a page is "settled" without fixed sleeps.
INFLIGHT = """(() => {
  let n = 0; window.__cbLast = performance.now();
  const f = window.fetch;
  window.fetch = function (...a) {
    n++; window.__cbLast = performance.now();
    return f.apply(this, a).finally(() => { n--; window.__cbLast = performance.now(); });
  };
  Object.defineProperty(window, '__cbInflight', {get: () => n});
})();"""

SETTLED = """(page) => !!document.getElementById(page) && window.__cbInflight === 0
  && performance.now() - window.__cbLast > 150"""

GRID_IDS = """(prefix) => Array.from(document.querySelectorAll('[id]')).map(e => e.id)
  .filter(id => id.startsWith(prefix) && id.endsWith('-grid'))"""

READ_GRIDS = """async (ids) => {
  const out = {};
  for (const id of ids) {
    const ready = dash_ag_grid.getApiAsync(id);
    const late = new Promise((_, no) => setTimeout(() => no(new Error('grid api not ready: ' + id)), 15000));
    const api = await Promise.race([ready, late]);
    const rows = [];
    api.forEachNodeAfterFilterAndSort(n => rows.push(n.data));
    out[id] = rows;
  }
  return out;
}"""

EXPORT_HREFS = "() => Array.from(document.querySelectorAll('a.cb-export')).map(a => a.getAttribute('href'))"


def _same(a, b) -> bool:
    """Strict value equality: booleans are not numbers, 1 == 1.0 (JSON has one number type)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def row_diff(got: list[dict], want: list[dict]) -> str | None:
    """None if ``got`` equals ``want`` row for row, in order; else where they first differ."""
    for i, (g, w) in enumerate(zip(got, want)):
        if not _same(g, w):
            cols = [k for k in dict.fromkeys([*w, *g]) if k not in g or k not in w or not _same(g[k], w[k])]
            return (f"row {i} differs in {cols}: grid={json.dumps(g, ensure_ascii=False, default=str)[:400]} "
                    f"json={json.dumps(w, ensure_ascii=False, default=str)[:400]}")
    if len(got) != len(want):
        return f"grid has {len(got)} rows, json has {len(want)}"
    return None


def _self_check(rows: list[dict]) -> None:
    """The comparison can fail: a changed cell, a swapped order, a missing row, a bool for a number."""
    assert row_diff(rows, list(rows)) is None
    k = next(iter(rows[0]))
    changed = [dict(rows[0], **{k: "__altered__"}), *rows[1:]]
    assert row_diff(rows, changed) is not None
    assert row_diff(rows, rows[:-1]) is not None
    if len(rows) > 1 and not _same(rows[0], rows[1]):
        assert row_diff(rows, [rows[1], rows[0], *rows[2:]]) is not None
    assert row_diff([{"a": 1}], [{"a": True}]) is not None and row_diff([{"a": 1}], [{"a": 1.0}]) is None


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_every_view_grid_matches_its_view_in_chromium(browser, live_server):
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.add_init_script(INFLIGHT)
    external: list[str] = []

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(30_000)
    http = page.request  # shares the context's cookies

    def get(url: str):
        r = http.get(live_server + url)
        assert r.ok, (url, r.status, r.text()[:300])
        return r

    dashboards = get("/api/v1/dashboards").json()["dashboards"]
    failures: list[str] = []
    checked: dict[str, set[str]] = {}
    pages = 0
    spent = {"api": 0.0, "page": 0.0}
    self_checked = False
    t0 = time.monotonic()
    try:
        for d in dashboards:
            mod = d["id"]
            for region in REGIONS:
                for lang in LANGS:
                    where = f"{mod} region={region} lang={lang}"
                    r = http.get(f"{live_server}/api/v1/dashboards/{mod}/views?region={region}&lang={lang}")
                    if r.status == 404:  # a module without views has no list route
                        break
                    assert r.ok, (where, r.status, r.text()[:300])
                    views = r.json()["views"]
                    if not views:
                        break
                    checked.setdefault(mod, set())
                    by_id = {v["id"]: v for v in views}
                    want: dict[str, list[dict]] = {}
                    t_api = time.monotonic()
                    for v in views:
                        rows = get(v["json"]).json()["rows"]
                        want[v["id"]] = rows
                        if len(rows) != v["rows"]:
                            failures.append(f"{where} view={v['id']}: list says {v['rows']} rows, json has {len(rows)}")
                        table = _csv(get(v["csv"]).body())
                        if len(table) - 1 != len(rows):
                            failures.append(f"{where} view={v['id']}: csv has {len(table) - 1} rows, json {len(rows)}")
                        if rows and (not table or table[0] != list(rows[0])):
                            failures.append(f"{where} view={v['id']}: csv header {table[:1]} != json keys "
                                            f"{list(rows[0])}")

                    t_page = time.monotonic()
                    spent["api"] += t_page - t_api
                    sep = "&" if "?" in d["path"] else "?"
                    page.goto(f"{live_server}{d['path']}{sep}region={region}&lang={lang}", wait_until="domcontentloaded")
                    pages += 1
                    try:
                        page.wait_for_function(SETTLED, arg=f"{mod}-page", polling=50)
                    except Exception:  # noqa: BLE001 — a loaded machine: load it once more, with more time
                        page.goto(f"{live_server}{d['path']}{sep}region={region}&lang={lang}",
                                  wait_until="domcontentloaded")
                        try:
                            page.wait_for_function(SETTLED, arg=f"{mod}-page", polling=50, timeout=90_000)
                        except Exception as e:  # noqa: BLE001 — reported with the others
                            failures.append(f"{where}: page #{mod}-page never settled ({type(e).__name__})")
                            continue
                    spent["page"] += time.monotonic() - t_page
                    ids = [i for i in page.evaluate(GRID_IDS, f"{mod}-")
                           if i[len(mod) + 1:-len("-grid")] in by_id]
                    try:
                        grids = page.evaluate(READ_GRIDS, ids)
                    except Exception as e:  # noqa: BLE001
                        failures.append(f"{where}: reading grids {ids} failed: {str(e)[:200]}")
                        grids = {}
                    for gid, got in grids.items():
                        vid = gid[len(mod) + 1:-len("-grid")]
                        checked[mod].add(vid)
                        if not self_checked and len(want[vid]) > 1:
                            _self_check(want[vid])
                            self_checked = True
                        diff = row_diff(got, want[vid])
                        if diff:
                            failures.append(f"{where} view={vid} (#{gid}): {diff}")

                    listed = {v[fmt] for v in views for fmt in ("json", "csv", "parquet")}
                    for h in page.evaluate(EXPORT_HREFS):
                        if h and h.startswith("/api/v1/layers/"):
                            continue
                        if not h or not h.startswith(f"/api/v1/dashboards/{mod}/views/"):
                            failures.append(f"{where}: export href {h!r} is neither a view URL nor a layer GeoJSON")
                        elif h not in listed:
                            q = parse_qs(urlparse(h).query)
                            failures.append(f"{where}: export href {h!r} is not a listed view URL of this page "
                                            f"(region={q.get('region')}, lang={q.get('lang')})")
    finally:
        ctx.close()
    took = time.monotonic() - t0
    print(f"\n{pages} pages in {took:.0f}s (view API {spent['api']:.0f}s, page load+settle {spent['page']:.0f}s); grids checked per module: "
          + ", ".join(f"{m}={sorted(v)}" for m, v in checked.items()))

    assert set(checked) >= EXPECTED_MODULES, f"modules with views: {sorted(checked)}"
    assert pages == len(checked) * len(REGIONS) * len(LANGS)
    assert sum(map(len, checked.values())) > 0 and self_checked, "no grid was compared"
    assert not external, f"requests left the host: {external[:5]}"
    assert not failures, f"{len(failures)} mismatches between pages and their views:\n" + "\n".join(failures[:60])
