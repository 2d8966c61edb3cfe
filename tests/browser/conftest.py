"""Browser fixtures: Debian's Chromium driven by Playwright (fake camera and microphone), a live server.

Chromium comes from apt (`/usr/bin/chromium`), never from `playwright install`. While apt is still
installing it the fixture waits; when it is absent the tests skip (or fail under CI's
TELEVISIT_REQUIRE_SERVICES=1, like every other missing service).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import service_missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
INSTALL_WAIT_SECONDS = 600


def _installing() -> bool:
    """True while apt or dpkg runs (Chromium may be on its way)."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in {"apt", "apt-get", "dpkg"}:
                return True
        except OSError:
            continue
    return False


def _wait_for_chromium() -> None:
    deadline = time.monotonic() + INSTALL_WAIT_SECONDS
    while not CHROMIUM.exists() and _installing() and time.monotonic() < deadline:
        time.sleep(2)
    if not CHROMIUM.exists():
        service_missing(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; each test opens its own contexts."""
    _wait_for_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def live():
    """A live server (its own SQLite database, clock starting Monday 09:05 at the Cleveland site)."""
    from tests.support.waiting_world import live_server

    with live_server("sqlite") as (server,):
        yield server


@pytest.fixture
def clinic(live):
    """The clinic morning of tests/support/waiting_world.py on the live server (fresh data per test)."""
    from tests.support.waiting_world import world

    worlds = world(live)
    yield next(worlds)
    worlds.close()


class Browsers:
    """Pages in separate browser contexts (separate cookies), closed after the test."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url, self.contexts = browser, base_url, []

    def page(self, *, viewport=DESK, init_script: str | None = None):
        """A fresh page in its own context."""
        context = self.browser.new_context(viewport=viewport, base_url=self.base_url)
        self.contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        return context.new_page()

    def signed_in(self, email: str, *, viewport=DESK):
        """A page whose context signed in through the /login form."""
        from playwright.sync_api import expect

        from tests.factories import PASSWORD

        page = self.page(viewport=viewport)
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".top nav")).to_contain_text("Sign out")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser, live):
    """Open pages against the live server; `pages.signed_in(email)` signs in through the form."""
    opened = Browsers(browser, live.server.url)
    yield opened
    opened.close()


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0 = no horizontal scroll)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
