"""The dashboard's exports page over real HTTP: the form, the download, and every refusal."""

from __future__ import annotations

import io
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from storage.audit_models import AuditEntry
from storage.db import transaction
from tests.integration.export_world import TELEGRAM, WELSH, build, read_csv
from tests.integration.staff_client import csrf_of
from tests.integration.world import World

Client = Callable[[str], TestClient]
PAGE = "/admin/exports"


def audited(world: World) -> list[AuditEntry]:
    with transaction(world.container.sessions) as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
            )
        )


def post(client: TestClient, **fields: str) -> httpx.Response:
    data = {"csrf": csrf_of(client, PAGE), "format": "csv", **fields}
    return client.post(PAGE, data=data)


def test_a_coordinator_downloads_a_pseudonymised_xlsx(world: World, staff_client: Client) -> None:
    known = build(world)
    cerys = staff_client("cerys")
    page = cerys.get(PAGE)
    assert page.status_code == 200
    assert 'id="export-form"' in page.text and 'value="play-park"' in page.text
    assert 'value="feltham"' not in page.text  # only her communities are offered
    response = cerys.post(
        PAGE,
        data={
            "csrf": csrf_of(cerys, PAGE),
            "dataset": "responses",
            "format": "xlsx",
            "consultation": "play-park",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="play-park-responses-')
    assert disposition.endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("respondent", "community", "language") and len(rows) == 4
    assert not any(code in str(rows) for code in known.contact_codes.values())
    [entry] = audited(world)
    assert entry.actor == "cerys" and entry.detail is not None
    assert entry.detail["filters"]["communities"] == ["bettws"] and entry.detail["rows"] == 3


def test_an_identifiable_export_needs_a_reason_then_carries_identities(
    world: World, staff_client: Client
) -> None:
    build(world)
    cerys = staff_client("cerys")
    refused = post(cerys, dataset="tips", identifiable="yes", reason="  ")
    assert refused.status_code == 400
    assert 'role="alert"' in refused.text and "needs a written reason" in refused.text
    assert audited(world) == []
    reason = "A parent asked for everything we hold about them"
    made = post(cerys, dataset="tips", identifiable="yes", reason=reason)
    assert made.status_code == 200
    text = made.content.decode("utf-8-sig")
    assert WELSH in text and TELEGRAM in text
    [entry] = audited(world)
    assert entry.reason == reason and entry.detail["mode"] == "identifiable"  # type: ignore[index]
    # Admins read the export audit log on the page; coordinators do not see it.
    assert 'id="recent-exports"' not in cerys.get(PAGE).text
    log = staff_client("ada").get(PAGE).text
    listed = log[log.index('id="recent-exports"') :]
    assert "cerys" in listed and reason in listed and "communities=bettws" in listed
    assert "tips (CSV, identifiable)" in listed


def test_the_page_refuses_workers_strangers_and_bad_input(
    world: World, staff_client: Client
) -> None:
    build(world)
    wendy = staff_client("wendy")
    assert wendy.get(PAGE).status_code == 403
    assert wendy.post(PAGE, data={"csrf": csrf_of(wendy), "dataset": "tips"}).status_code == 403
    cerys = staff_client("cerys")
    assert cerys.post(PAGE, data={"dataset": "tips", "format": "csv"}).status_code == 403
    bad_date = post(cerys, dataset="tips", **{"from": "10/03/2026"})
    assert bad_date.status_code == 400 and "YYYY-MM-DD" in bad_date.text
    colin = staff_client("colin")
    other = post(colin, dataset="tips", community="bettws")
    assert other.status_code == 400 and "your communities" in other.text
    theirs = post(colin, dataset="responses", consultation="play-park")
    assert theirs.status_code == 400 and "your consultations" in theirs.text
    assert audited(world) == []
    # Colin's own download has only his communities: the Feltham parent's reactions.
    own = post(colin, dataset="tips")
    assert own.status_code == 200
    rows = read_csv(own.content)
    assert {row[1] for row in rows[1:]} == {"feltham"}


def test_a_welsh_speaker_sees_the_form_in_welsh(world: World, staff_client: Client) -> None:
    cerys = staff_client("cerys")
    html = cerys.get(PAGE + "?lang=cy").text
    assert "Allforio" in html
