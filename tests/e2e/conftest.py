"""A real headless Chromium (Debian's, driven by Playwright for Python) against a live server.

No `playwright install`: the system browser at /usr/bin/chromium is used. Without it (or without
the Playwright package) these tests skip locally and fail on CI (`tests.services`).
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import serve
from tests.services import missing_service
from tests.world import World, make_settings, seed_world

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PHONE = {"width": 390, "height": 844}
ON_PURPOSE = ("WebSocket", "net::ERR_INTERNET_DISCONNECTED")
EXPECTED_404 = ("/api/v1/profile", "/api/v1/supporter-profile")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


# Module scope, not session: the sync API runs an event loop on this thread while it is open,
# which async tests of other folders must not find running.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if importlib.util.find_spec("playwright") is None:
        missing_service("Chromium (Playwright for Python is not installed)")
    if shutil.which(CHROMIUM) is None:
        missing_service("Chromium")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # generous: CI machines run other suites alongside
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'peerhaven.db'}"
    (tmp_path / "var").mkdir()
    with serve(make_settings(url, tmp_path / "var")) as server, server.client() as client:
        built = World(server=server, client=client)
        seed_world(built)
        yield built


class PageProblems:
    """Uncaught errors and console errors (a CSP violation is one) seen by a page."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Any) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        url = str(message.location.get("url", ""))
        # "No profile yet" is a 404 the app asks for on purpose; Chromium logs every 404.
        if "Failed to load resource" in message.text and url.endswith(EXPECTED_404):
            return
        self.errors.append(f"console: {message.text} ({url})")


@pytest.fixture
def new_page(browser: Any, world: World) -> Iterator[Callable[[], Any]]:
    """Open a phone-sized page in a fresh browser profile (its own IndexedDB)."""
    contexts: list[Any] = []
    problems = PageProblems()

    def make() -> Any:
        context = browser.new_context(viewport=PHONE, base_url=world.server.base_url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()
    # Failed requests the tests cause on purpose (a dropped socket, the browser set offline)
    # are not console errors.
    unexpected = [e for e in problems.errors if not any(m in e for m in ON_PURPOSE)]
    assert not unexpected, unexpected


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
