"""``citybrain serve`` loads the app from the package, so it runs from any folder after
``pip install -e .`` (the editable install maps packages only: ``import app`` failed there)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_the_server_loads_the_app_outside_the_checkout(built_store, tmp_path):
    code = ("from citybrain.server import _Gunicorn, gunicorn_options; "
            "print(type(_Gunicorn(gunicorn_options('127.0.0.1', 0, 1)).load()).__name__)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(CITYBRAIN_DB=str(built_store.db), CITYBRAIN_CACHE="null", CITYBRAIN_LOG_LEVEL="WARNING")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "Flask"
