"""Browser tests' helpers: Playwright driving the system's Chromium, cut off from the world.

Playwright never downloads a browser here: it starts Debian's ``/usr/bin/chromium``.
The flags keep a headless Chromium quiet on a closed network (no background
connections, updates or sync), and every request to anything but this machine
is aborted and recorded, so a test can say the page needed nothing from outside.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

CHROMIUM = Path(os.environ.get("DEVPORTAL_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = os.environ.get("DEVPORTAL_BROWSER_TESTS") == "required"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Names other than this machine's do not resolve: WebSockets too, which routes miss.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]


def skip_unless_chromium(items: list[pytest.Item]) -> None:
    """``browser`` tests run where Chromium is; CI (DEVPORTAL_BROWSER_TESTS=required) fails
    them rather than skip when it is missing."""
    if CHROMIUM.exists() or REQUIRED:
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()


class Offline:
    """A browser context whose requests leave this machine never: each is aborted and kept."""

    def __init__(self, browser: Browser) -> None:
        self.context: BrowserContext = browser.new_context()
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.context.set_default_timeout(10_000)

    def _route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort("blockedbyclient")

    def page(self) -> Page:
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        return page
