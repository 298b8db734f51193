"""citybrain.cache: keys carry the data version and the running code's digest."""

from __future__ import annotations

from citybrain import cache
from citybrain.settings import Settings
from tests.conftest import app_context


def test_code_version_is_stable_and_part_of_every_key(monkeypatch, tmp_path):
    with app_context(Settings(cache="simple", db=tmp_path / "s.duckdb")):
        _stable_and_keyed(monkeypatch)


def _stable_and_keyed(monkeypatch):
    v = cache.code_version()
    assert v == cache.code_version() and len(v) == 12
    assert cache.get_or_build("k:1", lambda: "old release") == "old release"
    assert cache.get_or_build("k:1", lambda: "rebuilt") == "old release"  # a hit within one release
    # a new release (other code) must not read the old release's values, whatever their shape
    monkeypatch.setattr(cache, "code_version", lambda: "000000000000")
    assert cache.get_or_build("k:1", lambda: "new release") == "new release"


def test_code_version_changes_with_the_code(monkeypatch, tmp_path):
    root = tmp_path / "tree"
    for pkg in cache.CODE_PACKAGES:
        (root / pkg).mkdir(parents=True)
        (root / pkg / "__init__.py").write_text("x = 1\n")
    (root / "citybrain" / "cache.py").write_text("")
    monkeypatch.setattr(cache, "__file__", str(root / "citybrain" / "cache.py"))
    cache.code_version.cache_clear()
    try:
        before = cache.code_version()
        (root / "layers" / "__init__.py").write_text("x = 2\n")
        cache.code_version.cache_clear()
        assert cache.code_version() != before
    finally:
        monkeypatch.undo()
        cache.code_version.cache_clear()


def test_request_scope_builds_each_key_once_per_request(monkeypatch, tmp_path):
    """Within one HTTP request a key is built once (even with no shared cache); the next request builds
    it again; outside a request nothing is memoised."""
    from flask import Flask

    builds: list[int] = []

    def build() -> int:
        builds.append(1)
        return len(builds)

    from citybrain import context

    app = Flask(__name__)
    context.install(app, context.build(Settings(cache="null", db=tmp_path / "s.duckdb")))
    cache.install_request_scope(app)

    @app.route("/probe")
    def probe():
        first, second = cache.get_or_build("probe:1", build), cache.get_or_build("probe:1", build)
        return {"first": first, "second": second}

    client = app.test_client()
    assert client.get("/probe").get_json() == {"first": 1, "second": 1}
    assert client.get("/probe").get_json() == {"first": 2, "second": 2}  # a new request, a new scope
    assert cache._request_memo.get() is None  # closed after each request
    with app.app_context():  # the app's (null) cache, outside a request: nothing is memoised
        assert cache.get_or_build("probe:1", build) == 3 and cache.get_or_build("probe:1", build) == 4


def test_data_version_is_read_once_per_scope(tmp_path):
    class FakeStore:
        path = tmp_path / "store.duckdb"
        reads = 0

        @property
        def version(self) -> str:
            FakeStore.reads += 1
            return f"v{FakeStore.reads}"

    st = FakeStore()
    with cache.request_scope():
        assert cache.data_version(st) == cache.data_version(st) == "v1"
    assert cache.data_version(st) == "v2" and cache.data_version(st) == "v3"  # outside a scope: every call


def test_the_filesystem_cache_keeps_the_newest_entries_within_its_bound(tmp_path):
    import os
    import time

    from citybrain.filecache import TRIM_LOCK, TrimmedFileCache

    c = TrimmedFileCache(str(tmp_path), max_files=50, trim_every_s=3600)
    for i in range(70):
        c.set(f"k{i}", {"i": i})
        os.utime(c._get_filename(f"k{i}"), (time.time() - 1000 + i, time.time() - 1000 + i))  # k0 oldest
    files = [n for n in os.listdir(tmp_path) if n != TRIM_LOCK]
    assert len(files) == 70, "between trims nothing is counted or removed (a set does no folder work)"
    assert c.trim() == 70 - 40, "down to 80 % of the bound, oldest first"
    assert c.get("k69") == {"i": 69} and c.get("k30") == {"i": 30}
    assert c.get("k29") is None and c.get("k0") is None
    assert not [n for n in os.listdir(tmp_path) if "count" in n], "no count file"
    c.trim_every_s = 0
    for i in range(70, 90):
        c.set(f"k{i}", {"i": i})
    assert len([n for n in os.listdir(tmp_path) if n != TRIM_LOCK]) <= 50, "a set trims once its period is over"


def test_the_app_uses_the_trimmed_filesystem_cache(tmp_path):
    from citybrain.filecache import TrimmedFileCache

    s = Settings(db=tmp_path / "s.duckdb", cache="filesystem", cache_dir=tmp_path / "cache")
    assert isinstance(cache.make_backend(s), TrimmedFileCache)


def test_concurrent_requests_for_one_value_build_it_once(built_store, tmp_path):
    """Single flight: threads asking for a value another thread is building wait for it (one build),
    whether the build declares its reads or is tracked; a failed build leaves the waiters to build."""
    import threading
    import time

    from citybrain.app_factory import create_app
    from citybrain.store import get_store

    app = create_app(built_store.model_copy(update={"cache": "filesystem", "cache_dir": tmp_path / "c"}))
    builds: list[str] = []
    fail = {"first": True}

    def slow(tag: str):
        def build():
            builds.append(tag)
            time.sleep(0.4)
            if tag == "failing" and fail.pop("first", False):
                raise RuntimeError("the first build fails")
            return get_store().scalar("SELECT count(*) FROM regions")
        return build

    def ask(name: str, tag: str, reads, out: list) -> None:
        with app.server.test_request_context("/"), cache.request_scope():
            try:
                out.append(cache.memoised(get_store(), name, slow(tag), reads=reads))
            except RuntimeError as exc:
                out.append(exc)

    for name, tag, reads in (("t:declared", "declared", ()), ("t:tracked", "tracked", None)):
        out: list = []
        threads = [threading.Thread(target=ask, args=(name, tag, reads, out)) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        assert builds.count(tag) == 1, (tag, builds)
        assert len(out) == 4 and len(set(out)) == 1 and out[0] > 0
    out = []
    threads = [threading.Thread(target=ask, args=("t:failing", "failing", (), out)) for _ in range(3)]
    for th in threads:
        th.start()
        time.sleep(0.05)  # the first thread builds; the others wait for it
    for th in threads:
        th.join(30)
    assert sum(isinstance(x, RuntimeError) for x in out) == 1
    assert [x for x in out if not isinstance(x, RuntimeError)] and builds.count("failing") >= 2
    assert cache._flights == {}
