"""The dashboard in a real headless Chromium, against `python -m bot serve` as a real process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TWILIO_AUTH, TWILIO_SID
from tests.e2e.browser import LAPTOP, PHONE, Shots, check_page, chromium, sign_in
from tests.e2e.processes import Served, free_port, run_bot, served_env
from tests.fakes.twilio_api import FakeTwilio

__all__ = ["chromium"]

PASSWORD = "correct horse battery"
BOT_NUMBER = "+447700900000"
STAFF = {
    "wendy": ("worker", "bettws"),
    "cerys": ("coordinator", "bettws"),
    "ada": ("admin", None),
}


@dataclass
class Dashboard:
    base: str
    served: Served
    fake_twilio: FakeTwilio
    shots: Shots

    def text(self, parent: str, body: str) -> None:
        """A parent's SMS, signed as Twilio signs it, to the served webhook."""
        status = self.fake_twilio.deliver_inbound(
            f"{self.base}/webhooks/twilio/sms", parent, body, to=BOT_NUMBER
        )
        assert status == 200

    def wait_for_sms(self, parent: str, containing: str) -> str:
        def arrived(*_: object) -> bool:
            return any(containing in str(c.params["Body"]) for c in self.fake_twilio.sent(parent))

        if not self.fake_twilio.wait_for(arrived, timeout=30):
            log = self.served.log_path.read_text()[-3000:]
            pytest.fail(f"no SMS to the parent containing {containing!r}\n{log}")
        return "\n".join(str(c.params["Body"]) for c in self.fake_twilio.sent(parent))


@pytest.fixture
def dashboard(tmp_path: Path, fake_twilio: FakeTwilio) -> Iterator[Dashboard]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = served_env(
        f"sqlite:///{tmp_path / 'dashboard.db'}",
        TWILIO_ACCOUNT_SID=TWILIO_SID,
        TWILIO_AUTH_TOKEN=TWILIO_AUTH,
        TWILIO_FROM_NUMBER=BOT_NUMBER,
        TWILIO_API_BASE_URL=fake_twilio.origin,
        PUBLIC_BASE_URL=base,
        # One answer is enough to show a bar; deployments keep the default of 5.
        SMALL_CELL_THRESHOLD="1",
    )
    for username, (role, community) in STAFF.items():
        args = ["user", "create", username, "--role", role, "--password-stdin"]
        args += ["--community", community] if community else []
        done = run_bot(tmp_path, env, *args, stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
    served = Served(tmp_path, env, port=port)
    try:
        served.wait_healthy()
        yield Dashboard(base, served, fake_twilio, Shots(tmp_path / "screenshots"))
    finally:
        served.stop()
    log = served.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert PASSWORD not in log


def _page(chromium: Any, viewport: dict[str, int]) -> Any:
    context = chromium.new_context(viewport=viewport, locale="en-GB")
    return context.new_page()


def test_each_role_signs_in_and_sees_its_own_navigation_on_a_phone(
    dashboard: Dashboard, chromium: Any
) -> None:
    page = _page(chromium, PHONE)
    page.goto(f"{dashboard.base}/admin/login")
    check_page(page)
    dashboard.shots.take(page, "login-phone")
    sign_in(page, dashboard.base, "wendy", PASSWORD)
    nav = page.get_by_role("navigation", name="Dashboard")
    assert nav.get_by_role("link", name="Consultations").is_visible()
    assert nav.get_by_role("link", name="Contacts").count() == 0
    check_page(page)
    dashboard.shots.take(page, "overview-phone")
    page.get_by_role("link", name="Cymraeg").click()
    assert page.get_by_role("navigation", name="Dangosfwrdd").is_visible()
    page.get_by_role("button", name="Allgofnodi").click()
    page.wait_for_url(f"{dashboard.base}/admin/login")

    admin = _page(chromium, LAPTOP)
    sign_in(admin, dashboard.base, "ada", PASSWORD)
    admin.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Staff").click()
    assert admin.get_by_role("cell", name="wendy").is_visible()
    check_page(admin)
