"""Headless Chromium (the system's, driven by Playwright) against a served dashboard.

The browser is Debian's `/usr/bin/chromium` (`apt-get install -y chromium`; `.ci/run` does it),
never one Playwright downloads. Screenshots go to `SCREENSHOTS_DIR` when it is set
(`make screenshots` sets it to docs/screenshots), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium keeps trying to reach Google's hosts, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 860}

# Every visible form control must have a label (or an aria-label) a screen reader can read.
UNLABELLED = """() => [...document.querySelectorAll(
  'input:not([type=hidden]):not([type=submit]), select, textarea')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id || e.outerHTML.slice(0, 80))"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A headless Chromium for one test, or a skip that says how to get one.

    Per test, not per session: Playwright's sync API keeps an event loop running while it is
    open, and every later test that calls asyncio.run() would fail."""
    if not Path(CHROMIUM).exists():
        pytest.skip("browser tests need Chromium: apt-get install -y chromium (.ci/run does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - a dev dependency
        pytest.skip("browser tests need the playwright package (make test installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Shots:
    """Saves named screenshots where newcomers (and the README) can see them."""

    def __init__(self, fallback: Path) -> None:
        chosen = os.environ.get("SCREENSHOTS_DIR")
        self.folder = Path(chosen) if chosen else fallback
        self.folder.mkdir(parents=True, exist_ok=True)

    def take(self, page: Any, name: str, full_page: bool = True) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def element(self, locator: Any, name: str) -> Path:
        """Just one part of a page (a preview, a chart)."""
        path = self.folder / f"{name}.png"
        locator.screenshot(path=str(path))
        return path


def check_page(page: Any) -> None:
    """What every dashboard page must be: labelled controls, no sideways scroll on a phone."""
    assert page.evaluate(UNLABELLED) == [], f"unlabelled controls on {page.url}"
    width = page.viewport_size["width"]
    if width <= PHONE["width"]:
        assert page.evaluate(OVERFLOW) <= 0, f"{page.url} scrolls sideways at {width}px"


def sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/admin/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/admin")
