"""Browser fixtures: the app served by gunicorn on loopback, and Debian's Chromium via Playwright.

No test tool downloads a browser: Playwright drives ``/usr/bin/chromium`` (``CITYBRAIN_CHROMIUM``
overrides). If Chromium is missing the tests fail — they are never skipped. Every page records
console errors and any request that would leave the host (those are aborted).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from citybrain import devserver

CHROMIUM = os.environ.get("CITYBRAIN_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("CITYBRAIN_SCREENSHOTS", Path(__file__).resolve().parents[2] / "screenshots"))


def start_server(settings, port: int, workers: int = 1, extra_env: dict | None = None) -> subprocess.Popen:
    """The app on loopback over the test store (filesystem cache shared by its workers)."""
    env = {"CITYBRAIN_DB": str(settings.db), "CITYBRAIN_CACHE": "filesystem",
           "CITYBRAIN_CACHE_DIR": str(settings.cache_dir), **(extra_env or {})}
    return devserver.start(port, env, workers=workers)


@pytest.fixture(scope="session")
def live_server(built_store):
    port = devserver.free_port()
    proc = start_server(built_store, port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-dev-shm-usage", "--font-render-hinting=none"])
        yield b
        b.close()


class PageWatch:
    """A page plus what it did wrong: console errors and requests that left the host."""

    def __init__(self, page, base: str) -> None:
        self.page = page
        self.base = base
        self.console_errors: list[str] = []
        self.external: list[str] = []
        # Shared 2-core machines can be slow: wait generously rather than flake.
        page.set_default_timeout(90_000)
        page.set_default_navigation_timeout(90_000)
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.route("**/*", self._route)

    def _route(self, route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path, wait_until="networkidle")

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        p = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(p), full_page=False)
        return p

    def assert_clean(self) -> None:
        assert not self.external, f"requests left the host: {self.external[:5]}"
        assert not self.console_errors, f"console errors: {self.console_errors[:5]}"


@pytest.fixture
def open_page(browser, live_server):
    contexts = []

    def _open(width: int = 1920, height: int = 1080, scale: float = 1.0) -> PageWatch:
        ctx = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
        contexts.append(ctx)
        return PageWatch(ctx.new_page(), live_server)

    yield _open
    for c in contexts:
        c.close()
