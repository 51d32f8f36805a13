"""The dashboard's frame: navigation by role, the stylesheet, and the language switch."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from conversations.types import Channel
from tests.integration.world import World


def test_navigation_offers_only_what_the_role_may_use(
    staff_client: Callable[[str], TestClient],
) -> None:
    worker = staff_client("wendy").get("/admin").text
    assert 'href="/admin/consultations"' in worker and 'href="/admin/inbox"' in worker
    assert 'href="/admin/contacts"' not in worker and 'href="/admin/staff"' not in worker
    assert 'href="/admin/exports"' not in worker
    coordinator = staff_client("cerys").get("/admin").text
    assert 'href="/admin/contacts"' in coordinator and 'href="/admin/staff"' not in coordinator
    assert 'href="/admin/exports"' in coordinator and 'href="/admin/audit"' not in coordinator
    admin = staff_client("ada").get("/admin").text
    assert 'href="/admin/staff"' in admin and 'href="/admin/tokens"' in admin
    assert 'href="/admin/audit"' in admin


def test_stylesheet_is_served_and_pages_switch_to_welsh(
    staff_client: Callable[[str], TestClient],
) -> None:
    client = staff_client("wendy")
    css = client.get("/admin/static/dashboard.css")
    assert css.status_code == 200 and "max-width" in css.text
    welsh = client.get("/admin?lang=cy").text
    assert "Ymgynghoriadau" in welsh and 'lang="cy"' in welsh


def test_open_safeguarding_alerts_show_on_every_page_for_their_community_only(
    staff_client: Callable[[str], TestClient], world: World
) -> None:
    world.join(Channel.SMS, "+447700900831", "bettws", "2", "1", "2", "3/1/2025", "skip", "2", "1")
    wendy = staff_client("wendy")
    assert 'id="alerts-badge"' not in wendy.get("/admin").text
    world.say("+447700900831", "I want to die")
    for path in ("/admin", "/admin/events", "/admin/simulator"):
        page = wendy.get(path).text
        assert "Open safeguarding alerts: 1" in page, path
    assert 'id="alerts-badge"' not in staff_client("colin").get("/admin").text
    welsh = wendy.get("/admin?lang=cy").text
    assert 'id="alerts-badge"' in welsh and "Open safeguarding" not in welsh
