"""The served pointer (``citybrain.warm.served``): which version a server's workers read, and the
guards that keep it from holding data back for long or from losing a version a server still reads."""

from __future__ import annotations

import os
import time
from pathlib import Path

from citybrain.store.files import switch
from citybrain.warm import served


def _version(folder: Path, stamp: str, age_s: float = 0.0) -> Path:
    """A versioned store file named like the build's, ``age_s`` seconds old."""
    f = folder / f"store-2026120{stamp}-{stamp * 4}.duckdb"
    f.write_bytes(b"x")
    t = time.time() - age_s
    os.utime(f, (t, t))
    return f


def _aged(path: Path, age_s: float) -> None:
    t = time.time() - age_s
    os.utime(path, (t, t))


def test_workers_read_the_published_version_within_the_lag(tmp_path):
    old, new = _version(tmp_path, "1", 60), _version(tmp_path, "2", 1)
    pointer = served.pointer_path(tmp_path / "store.duckdb", pid=4242)
    assert pointer.parent == tmp_path and pointer.name.startswith(".served-") and pointer.name.endswith("-4242")
    # no pointer yet (the warmer has not started): the link
    assert served.resolve(pointer, str(new), lag_s=8) == str(new)
    assert served.publish(pointer, str(old)) is True
    # the link moved a second ago: the published version until the warmer publishes the new one
    assert served.resolve(pointer, str(new), lag_s=8) == str(old)
    # the link's version has waited longer than the lag: served anyway
    _aged(new, 9)
    assert served.resolve(pointer, str(new), lag_s=8) == str(new)
    _aged(new, 1)
    assert served.publish(pointer, str(new)) is True
    assert served.resolve(pointer, str(new), lag_s=8) == str(new)


def test_a_pointer_never_moves_back_and_a_dead_or_dangling_one_is_ignored(tmp_path):
    old, new = _version(tmp_path, "1", 60), _version(tmp_path, "2", 1)
    pointer = served.pointer_path(tmp_path / "store.duckdb", pid=7)
    served.publish(pointer, str(new))
    assert served.publish(pointer, str(old)) is False and served.read(pointer) == new.name
    newer = _version(tmp_path, "3", 1)
    assert served.resolve(pointer, str(newer), lag_s=8) == str(new)
    _aged(pointer, served.DEAD_S + 1)  # its warmer stopped touching it
    assert served.resolve(pointer, str(newer), lag_s=8) == str(newer)
    served.touch(pointer)
    new.unlink()  # pruned meanwhile: never a file that is gone
    assert served.resolve(pointer, str(newer), lag_s=8) == str(newer)
    served.remove(pointer)
    assert not pointer.exists() and served.read(pointer) is None


def test_a_writer_never_prunes_a_version_a_server_still_serves(tmp_path):
    """``files.switch`` keeps ``keep`` versions, plus any a fresh pointer names; a pointer its warmer
    stopped touching (a killed server) protects nothing."""
    link = tmp_path / "store.duckdb"
    first = _version(tmp_path, "1", 30)
    os.symlink(first.name, link)
    pointer = served.pointer_path(link, pid=99)
    served.publish(pointer, str(first))
    second, third = _version(tmp_path, "2", 20), _version(tmp_path, "3", 10)
    switch(link, second, keep=1)
    switch(link, third, keep=1)
    assert first.exists() and not second.exists() and os.readlink(link) == third.name
    assert served.protected(tmp_path) == {first.name}
    _aged(pointer, served.FRESH_S + 1)
    assert served.protected(tmp_path) == set()
    fourth = _version(tmp_path, "4", 0)
    switch(link, fourth, keep=1)
    assert not first.exists() and not third.exists() and fourth.exists()
