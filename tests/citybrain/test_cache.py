"""citybrain.cache: keys carry the data version and the running code's digest."""

from __future__ import annotations

from citybrain import cache
from citybrain.settings import Settings


def test_code_version_is_stable_and_part_of_every_key(monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "_backend", cache.make_backend(Settings(cache="simple", db=tmp_path / "s.duckdb")))
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
