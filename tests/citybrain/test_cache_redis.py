"""Cache backends shared across processes: a real Redis server and the filesystem cache.

Each test counts how often a memoised query really runs (the probe appends a line to a file each
time it runs), in several processes: the second process gets the first one's result, and a new
data version (an ingest) makes every process compute afresh.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from citybrain.store.ingest import ingest_file
from citybrain.queries import core
from citybrain.store import Store
from tests.citybrain.test_ingest import child_env, feed, live_store, live_template, write  # noqa: F401

REDIS_SERVER = "/usr/bin/redis-server"

PROBE = textwrap.dedent("""\
    import sys
    from citybrain.cache import cached_query
    from citybrain.store import get_store

    @cached_query
    def probe(store, region):
        with open(sys.argv[1], "a") as fh:
            fh.write("ran\\n")
        return store.scalar("select count(*) from observations where region_code = ?", [region])

    print(probe(get_store(), "330225"))
    """)


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A real redis-server on a free loopback port, without persistence; stopped afterwards."""
    binary = shutil.which("redis-server") or REDIS_SERVER
    if not os.path.exists(binary):
        pytest.fail("redis-server is not installed: run `apt-get install redis-server` (the cache tests "
                    "need a real Redis server; .ci/run installs it)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    pytest.fail(f"redis-server exited with code {proc.returncode}")
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not answer within 5 s")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


def _run_probe(settings, spec: str, runs: Path, script: Path) -> int:
    env = child_env(settings, CITYBRAIN_CACHE=spec)
    out = subprocess.run([sys.executable, str(script), str(runs)], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    return int(out.stdout.strip())


def _runs(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _shared_by_processes(settings, spec: str, tmp: Path) -> None:
    script = write(tmp / "probe_script.py", PROBE)
    runs = tmp / "runs.txt"
    first = _run_probe(settings, spec, runs, script)
    assert _run_probe(settings, spec, runs, script) == first
    assert _runs(runs) == 1, "the second process got the first one's cached result"
    ingest_file("water", write(tmp / "feed.csv", feed(rows=8)), settings)
    after = _run_probe(settings, spec, runs, script)
    assert _runs(runs) == 2, "a new data version is computed afresh"
    assert after == first + 6  # six of the eight feed rows are in 330225
    assert _run_probe(settings, spec, runs, script) == after and _runs(runs) == 2


def test_redis_cache_memoises_and_invalidates_on_ingest(live_template, tmp_path, redis_url):
    from tests.conftest import app_context

    s = live_store(live_template, tmp_path)
    with app_context(s.model_copy(update={"cache": redis_url})) as ctx:
        assert type(ctx.cache).__name__ == "RedisCache"
        store = Store(s.db)
        v0 = store.version
        stats = core.dataset_stats(store)
        client = redis.Redis.from_url(redis_url)
        keys = [k.decode() for k in client.keys("citybrain:*")]
        # dataset_stats reads every dataset and the batches: its key holds the whole store's version
        assert any(f":all-{v0}:" in k and "dataset_stats" in k for k in keys), keys
        assert core.dataset_stats(store).equals(stats)
        ingest_file("water", write(tmp_path / "f.csv", feed(rows=4)), s)
        assert store.version != v0
        core.dataset_stats(store)
        versions = {k.decode().split(":")[4] for k in client.keys("citybrain:q:citybrain.queries.core.dataset_stats:*")}
        assert versions == {f"all-{v0}", f"all-{store.version}"}, "the new version got its own entry"
        client.close()


def test_redis_cache_shared_by_processes(live_template, tmp_path, redis_url):
    s = live_store(live_template, tmp_path)
    _shared_by_processes(s, redis_url, tmp_path)


def test_filesystem_cache_shared_by_processes(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    _shared_by_processes(s, "filesystem", tmp_path)
    assert any(s.cache_dir.iterdir()), "entries live in the shared cache folder"
