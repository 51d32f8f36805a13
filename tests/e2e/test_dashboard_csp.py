"""The dashboard under its strict Content-Security-Policy, in a real headless Chromium.

Every page a signed-in person can reach by following the dashboard's own links is opened, and
the browser must report no CSP violation: no inline script or style, nothing from elsewhere.
The scripts that make the pages nicer (moved to /admin/static/dashboard.js) must still work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.e2e.browser import LAPTOP, chromium, sign_in
from tests.e2e.processes import run_bot
from tests.e2e.test_dashboard_browser import (
    MAIN_PAGES,
    PARENT,
    PASSWORD,
    Dashboard,
    _join_bettws,
    dashboard,
)

__all__ = ["chromium", "dashboard"]

ROOT = Path(__file__).resolve().parents[2]
# Recorded before any page script runs; Playwright's init scripts are not subject to the CSP.
WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"""
LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"""
# Downloads are not pages; signing out would end the crawl.
NOT_PAGES = (".csv", ".xlsx", ".ics", ".json", "/logout")


class Watched:
    """A browser page that remembers every CSP violation it saw, by URL."""

    def __init__(self, chromium: Any) -> None:
        context = chromium.new_context(viewport=LAPTOP, locale="en-GB")
        context.add_init_script(WATCH)
        self.page = context.new_page()
        self.console: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(f"{self.page.url}: {message.text}")

    def violations(self) -> list[str]:
        seen = self.page.evaluate("() => window.__csp || []")
        return [f"{self.page.url}: {v}" for v in seen] + self.console

    def open(self, url: str) -> int:
        """The status of the page at `url`; 0 for a download (an export), which is no page."""
        try:
            response = self.page.goto(url)
        except Exception as error:  # Playwright's Error; the sync API hides its class
            if "Download is starting" in str(error):
                return 0
            raise
        self.page.wait_for_load_state("load")
        return response.status if response is not None else 0


def _crawl(watched: Watched, base: str, start: list[str]) -> dict[str, int]:
    """Open `start` and every /admin page linked from them (one level), once each."""
    statuses: dict[str, int] = {}
    queue = list(start)
    while queue:
        path = queue.pop(0)
        if path in statuses:
            continue
        statuses[path] = watched.open(base + path)
        assert watched.violations() == [], watched.violations()
        if path not in start:
            continue
        for href in watched.page.evaluate(LINKS):
            target = urlsplit(href)
            if target.netloc or not target.path.startswith("/admin") or target.fragment:
                continue
            if target.path.endswith(NOT_PAGES):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return statuses


def test_every_dashboard_page_keeps_the_content_security_policy(
    dashboard: Dashboard, chromium: Any, tmp_path: Path
) -> None:
    env = dashboard.served.env
    _join_bettws(dashboard, PARENT)
    dashboard.text(PARENT, "Sorry, I can't cope any more")  # an inbox item with a reply form
    launched = run_bot(
        tmp_path, env, "consultation", "launch", str(ROOT / "examples/consultations/play-park.yaml")
    )
    assert launched.returncode == 0, launched.stderr
    dashboard.wait_for_sms(PARENT, "parc chwarae")
    dashboard.text(PARENT, "1")  # an answer, so the results page draws its bars
    event = str(ROOT / "examples/events/rhyme-time.yaml")
    created = run_bot(tmp_path, env, "event", "create", event)
    assert created.returncode == 0, created.stderr

    anonymous = Watched(chromium)
    assert anonymous.open(f"{dashboard.base}/admin/login") == 200
    assert anonymous.violations() == []

    opened: dict[str, int] = {}
    for who in ("wendy", "cerys", "ada"):
        watched = Watched(chromium)
        sign_in(watched.page, dashboard.base, who, PASSWORD)
        start = [path for person, path, _ in MAIN_PAGES if person == who]
        start += ["/admin", "/admin/password"]
        if who == "cerys":
            start += ["/admin/consultations/play-park/results"]
        opened.update(_crawl(watched, dashboard.base, start))
    # The crawl reached the pages with the most on them, and they answered.
    for path in ("/admin/consultations/play-park/results", "/admin/simulator", "/admin/events/new"):
        assert opened.get(path) == 200, path
    assert any(p.startswith("/admin/inbox/") and opened[p] == 200 for p in opened)
    assert any(p.startswith("/admin/events/") and p[14:].strip("/") for p in opened)
    assert len(opened) > 25


def test_the_pages_scripts_still_work_from_their_static_file(
    dashboard: Dashboard, chromium: Any
) -> None:
    _join_bettws(dashboard, PARENT)
    dashboard.text(PARENT, "Is the library open on Saturday?")
    watched = Watched(chromium)
    page = watched.page
    sign_in(page, dashboard.base, "wendy", PASSWORD)

    # The inbox reply counts SMS segments as it is typed.
    page.goto(f"{dashboard.base}/admin/inbox")
    page.locator("main h2").first.get_by_role("link").click()
    page.fill("#reply-text", "x" * 161)
    assert page.locator("#reply-count").inner_text() == "SMS segments: 2"
    page.fill("#reply-text", "ŵ")
    assert page.locator("#reply-count").inner_text() == "SMS segments: 1"

    # A new event suggests its id from the English title and the date.
    page.goto(f"{dashboard.base}/admin/events/new")
    page.fill("#title_en", "Rhyme Time!")
    page.fill("#start_date", "2027-01-14")
    assert page.input_value("#id") == "rhyme-time-2027-01-14"
    assert watched.violations() == []

    # Served with a type the browser accepts under nosniff.
    for path, kind in (("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")):
        response = httpx.get(f"{dashboard.base}/admin/static/{path}")
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-type"].startswith(kind), response.headers

