"""Delivery health: outbox counts, failures with their reasons, and retrying one message."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from conversations.types import Channel
from storage.audit_models import AuditEntry
from storage.db import transaction
from storage.models import Contact, Outbox
from tests.integration.staff_client import csrf_of
from tests.integration.world import START, World

Client = Callable[[str], TestClient]
BETTWS = "+447700900701"
LEAVER = "+447700900702"
FELTHAM = "+447700900703"


def fail_latest(world: World, address: str, code: str, detail: str = "") -> int:
    """The family's newest outbox row, failed with this provider code; returns its id."""
    contact_id = world.contact_id(address)
    with transaction(world.container.sessions) as session:
        row_id = session.scalars(
            select(Outbox.id).where(Outbox.contact_id == contact_id).order_by(Outbox.id.desc())
        ).first()
        assert row_id is not None
        session.execute(
            update(Outbox)
            .where(Outbox.id == row_id)
            .values(status="failed", attempts=5, error_code=code, error_detail=detail,
                    updated_at=START)
        )  # fmt: skip
    return row_id


def failing_world(world: World) -> tuple[int, int, int]:
    world.join(Channel.SMS, BETTWS, "bettws", "2", "1", "2", "3/3/2024", "skip", "2", "1")
    world.join(Channel.SMS, LEAVER, "bettws", "2", "1", "2", "3/3/2024", "skip", "2", "1")
    world.join(Channel.SMS, FELTHAM, "feltham", "1", "2", "3/1/2025", "skip", "2", "1")
    world.say(LEAVER, "STOP")
    outage = fail_latest(world, BETTWS, "503", "Service unavailable for +447700900701")
    stopped = fail_latest(world, LEAVER, "21610", "Attempt to send to unsubscribed recipient")
    elsewhere = fail_latest(world, FELTHAM, "21211", "The 'To' number +447700900703 is invalid")
    return outage, stopped, elsewhere


def code_of(world: World, address: str) -> str:
    with transaction(world.container.sessions) as session:
        return session.get_one(Contact, world.contact_id(address)).code


def test_failures_show_reasons_and_codes_never_numbers(world: World, staff_client: Client) -> None:
    outage, stopped, elsewhere = failing_world(world)
    page = staff_client("cerys").get("/admin/delivery")
    assert page.status_code == 200
    html = page.text
    assert f'id="failure-{outage}"' in html and f'id="failure-{stopped}"' in html
    assert f'id="failure-{elsewhere}"' not in html  # Feltham is not cerys's
    assert code_of(world, BETTWS) in html and "outage" in html
    assert "replied STOP" in html and "Cannot retry: opted out." in html
    assert "+4477009007" not in html and "447700900" not in html
    assert 'id="count-sms-failed">2<' in html
    colin = staff_client("colin").get("/admin/delivery").text
    assert f'id="failure-{elsewhere}"' in colin and "not valid" in colin
    assert code_of(world, BETTWS) not in colin and "447700900703" not in colin
    assert staff_client("wendy").get("/admin/delivery").status_code == 403
    everything = staff_client("ada").get("/admin/delivery").text
    assert all(f'id="failure-{n}"' in everything for n in (outage, stopped, elsewhere))


def test_a_failed_message_is_queued_again_and_audited(world: World, staff_client: Client) -> None:
    outage, _, _ = failing_world(world)
    cerys = staff_client("cerys")
    token = csrf_of(cerys, "/admin/delivery")
    refused = cerys.post(f"/admin/delivery/{outage}/retry", data={}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    done = cerys.post(f"/admin/delivery/{outage}/retry", data={"csrf": token})
    assert done.status_code == 200 and "queued again" in done.text
    family = code_of(world, BETTWS)
    with transaction(world.container.sessions) as session:
        row = session.get_one(Outbox, outage)
        assert (row.status, row.attempts, row.not_before) == ("queued", 0, START)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "retry")).one()
        assert (entry.actor, entry.subject) == ("cerys", f"outbox:{outage}")
        assert entry.detail == {
            "contact": family, "outcome": "queued", "error_code": "503",
        }  # fmt: skip
    again = cerys.post(f"/admin/delivery/{outage}/retry", data={"csrf": token})
    assert again.status_code == 409 and "has not failed" in again.text


def test_an_opted_out_or_foreign_message_is_not_retried(world: World, staff_client: Client) -> None:
    _, stopped, elsewhere = failing_world(world)
    cerys = staff_client("cerys")
    token = csrf_of(cerys, "/admin/delivery")
    refused = cerys.post(f"/admin/delivery/{stopped}/retry", data={"csrf": token})
    assert refused.status_code == 409 and "opted out" in refused.text
    assert 'role="alert"' in refused.text
    foreign = cerys.post(f"/admin/delivery/{elsewhere}/retry", data={"csrf": token})
    assert foreign.status_code == 404
    with transaction(world.container.sessions) as session:
        assert session.get_one(Outbox, stopped).status == "failed"
        assert session.get_one(Outbox, elsewhere).status == "failed"
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "retry")).all() == []
