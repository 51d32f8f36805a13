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


PARENT = "+447700900721"
QUESTION_EN = "Which day suits you for stay and play?"


def _join_bettws(dashboard: Dashboard, parent: str) -> None:
    """A Bettws parent onboards by SMS in Welsh, as a real phone would."""
    for body, expect in [
        ("bettws", "Pa iaith"),
        ("1", "Ydych chi'n cytuno"),
        ("1", "fabi ar y ffordd"),
        ("2", "dyddiad geni"),
        ("1/5/2025", "alw eich plentyn"),
        ("1", "plentyn arall"),
        ("2", "gywir"),
        ("1", "Dyna ni"),
    ]:
        dashboard.text(parent, body)
        dashboard.wait_for_sms(parent, expect)


def _create_consultation(page: Any, base: str) -> None:
    page.goto(f"{base}/admin/consultations/new")
    page.fill("#cid", "stay-and-play-day")
    page.select_option("#community", "bettws")
    page.fill("#title_en", "Stay and play day")
    page.fill("#title_cy", "Diwrnod aros a chwarae")
    page.fill("#intro_en", "Hello from Bettws Early Learning Community. One quick question.")
    page.fill("#intro_cy", "Helo gan Gymuned Dysgu Cynnar Bettws. Un cwestiwn cyflym.")
    page.select_option("#audience_channel", "sms")
    page.fill("#age_min", "0")
    page.fill("#age_max", "36")
    page.select_option("#q1_type", "choice")
    page.fill("#q1_text_en", QUESTION_EN)
    page.fill("#q1_text_cy", "Pa ddiwrnod sy'n addas i chi ar gyfer aros a chwarae?")
    page.fill("#q1_options_en", "Monday\nWednesday\nSaturday")
    page.fill("#q1_options_cy", "Dydd Llun\nDydd Mercher\nDydd Sadwrn")


def test_a_worker_launches_a_bilingual_consultation_a_parent_answers_a_coordinator_exports(
    dashboard: Dashboard, chromium: Any
) -> None:
    _join_bettws(dashboard, PARENT)
    base = dashboard.base

    # A worker, on a phone, writes the consultation and previews it in both languages.
    worker = _page(chromium, PHONE)
    sign_in(worker, base, "wendy", PASSWORD)
    _create_consultation(worker, base)
    check_page(worker)
    worker.click("#action-preview")
    english, welsh = worker.locator("#preview-en"), worker.locator("#preview-cy")
    assert QUESTION_EN in english.inner_text()
    assert "Dydd Mercher" in welsh.inner_text()
    # As the phone shows it: one option a line.
    assert "1 Monday\n2 Wednesday\n3 Saturday" in english.locator(".sms-text").last.inner_text()
    assert worker.locator("span.tg-button", has_text="Saturday").count() >= 1
    assert worker.locator(".segments").count() >= 4
    dashboard.shots.take(worker, "consultation-form-phone")
    dashboard.shots.element(english, "consultation-preview-phone")
    worker.click("#action-save")
    worker.wait_for_url(f"{base}/admin/consultations/stay-and-play-day*")

    # It goes to the segment: Bettws families on SMS with a child up to three.
    worker.click("#launch-link")
    assert worker.locator("#recipients").inner_text().strip().endswith("1")
    check_page(worker)
    dashboard.shots.take(worker, "consultation-launch-phone")
    worker.check("#when-now")
    worker.click("#launch-continue")
    worker.click("#launch-confirm")
    asked = dashboard.wait_for_sms(PARENT, "Pa ddiwrnod")
    assert "2 Dydd Mercher" in asked

    # The parent answers by SMS, in Welsh.
    dashboard.text(PARENT, "2")
    dashboard.wait_for_sms(PARENT, "Diolch")

    # A worker may not see results or take the export.
    results = f"{base}/admin/consultations/stay-and-play-day/results"
    assert worker.goto(results).status == 403
    assert worker.goto(results.replace("results", "export.csv")).status == 403

    # A coordinator sees the answer in the chart and downloads the export.
    coordinator = _page(chromium, LAPTOP)
    sign_in(coordinator, base, "cerys", PASSWORD)
    coordinator.goto(results)
    chart = coordinator.locator(".bar-chart").first
    wednesday = chart.locator(".bar-row", has_text="Wednesday")
    assert "1 (100.0%)" in wednesday.inner_text()
    drawn = wednesday.locator(".bar-fill").bounding_box()
    track = wednesday.locator(".bar-track").bounding_box()
    assert drawn and track and drawn["width"] == pytest.approx(track["width"], abs=1)
    monday = chart.locator(".bar-row", has_text="Monday").locator(".bar-fill").bounding_box()
    assert monday is not None and monday["width"] < 1
    check_page(coordinator)
    dashboard.shots.take(coordinator, "consultation-results")
    with coordinator.expect_download() as download:
        coordinator.click("#export-link")
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header, row = exported.splitlines()[:2]
    assert header.startswith("respondent,community,language,channel,age_band")
    assert "bettws,cy,sms" in row and "Wednesday" in row
    assert PARENT not in exported and PARENT[1:] not in exported


# (who, path, screenshot name): every main page, each checked at phone width.
MAIN_PAGES = [
    ("cerys", "/admin", "overview"),
    ("wendy", "/admin/consultations", "consultations"),
    ("wendy", "/admin/consultations/new", "consultation-new"),
    ("wendy", "/admin/events", "events"),
    ("wendy", "/admin/events/new", "event-new"),
    ("wendy", "/admin/inbox", "inbox"),
    ("wendy", "/admin/simulator", "simulator"),
    ("cerys", "/admin/content", "content"),
    ("cerys", "/admin/content/preview", "content-preview"),
    ("cerys", "/admin/contacts", "contacts"),
    ("cerys", "/admin/delivery", "delivery"),
    ("cerys", "/admin/exports", "exports"),
    ("ada", "/admin/staff", "staff"),
    ("ada", "/admin/tokens", "tokens"),
    ("ada", "/admin/audit", "audit"),
]


def test_every_main_page_reads_on_a_phone_and_a_laptop_in_both_languages(
    dashboard: Dashboard, chromium: Any
) -> None:
    _join_bettws(dashboard, PARENT)
    dashboard.text(PARENT, "Is the library open on Saturday?")
    dashboard.text(PARENT, "I can't cope any more")
    pages: dict[str, Any] = {}
    for who, path, name in MAIN_PAGES:
        for viewport, suffix in ((PHONE, "-phone"), (LAPTOP, "")):
            key = f"{who}{suffix}"
            if key not in pages:
                pages[key] = _page(chromium, viewport)
                sign_in(pages[key], dashboard.base, who, PASSWORD)
            page = pages[key]
            response = page.goto(f"{dashboard.base}{path}?lang=en")
            assert response is not None and response.status == 200, path
            check_page(page)
            dashboard.shots.take(page, f"{name}{suffix}", full_page=not suffix)
            welsh = page.goto(f"{dashboard.base}{path}?lang=cy")
            assert welsh is not None and welsh.status == 200
            assert page.locator("html").get_attribute("lang") == "cy"
            check_page(page)


def test_a_worker_answers_a_safeguarding_alert_and_tries_the_bot_in_the_simulator(
    dashboard: Dashboard, chromium: Any
) -> None:
    _join_bettws(dashboard, PARENT)
    dashboard.text(PARENT, "Is the library open on Saturday?")
    dashboard.text(PARENT, "Sorry, I can't cope any more")
    page = _page(chromium, PHONE)
    sign_in(page, dashboard.base, "wendy", PASSWORD)

    # The alert is listed first, with the words that raised it marked.
    page.goto(f"{dashboard.base}/admin/inbox")
    first = page.locator("main h2").first
    assert "Safeguarding alert" in first.inner_text()
    assert page.locator("mark").first.inner_text().lower() in ("can't cope", "cant cope")
    check_page(page)
    dashboard.shots.take(page, "inbox-alert-phone")
    first.get_by_role("link").click()
    page.fill("#reply-text", "Hi, this is Wendy from the Early Learning Community. Can I call you?")
    page.click("#send-reply")
    dashboard.wait_for_sms(PARENT, "Can I call you?")

    # The simulator: a Telegram parent, buttons pressed as on a phone, in Welsh.
    page.goto(f"{dashboard.base}/admin/simulator")
    page.select_option("#sim-channel", "telegram")
    page.select_option("#sim-language", "cy")
    page.select_option("#sim-community", "bettws")
    page.click("#sim-start")
    page.get_by_role("button", name="Cymraeg").click()
    assert "Ydych chi'n cytuno" in page.locator(".phone").inner_text()
    page.get_by_role("button", name="Ydw, rwy'n cytuno").click()
    assert "fabi ar y ffordd" in page.locator(".phone").inner_text()
    check_page(page)
    dashboard.shots.take(page, "simulator-phone")
    # Only the real parent was ever sent anything.
    assert {call.to for call in dashboard.fake_twilio.sent()} == {PARENT}
