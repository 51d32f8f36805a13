"""The tip library pages: browse by age, upload with row-numbered errors, download, preview."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select

from bot.desks.content_plan import after_quiet
from conversations.content.library import tip_for
from storage.audit_models import AuditEntry
from storage.db import transaction
from storage.models import Contact, Tip
from tests.integration.staff_client import csrf_of
from tests.integration.world import WELSH_SMS, World, populate

Client = Callable[[str], TestClient]


def _library(world: World) -> dict[str, str]:
    with transaction(world.container.sessions) as session:
        rows = session.execute(select(Tip.id, Tip.texts).where(Tip.active.is_(True))).all()
        return {tip_id: texts["en"] for tip_id, texts in rows}


def _exported(client: TestClient) -> list[dict[str, str]]:
    response = client.get("/admin/content/export?format=csv")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _as_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _upload(client: TestClient, data: bytes, name: str = "tips.csv", **form: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/admin/content")
    return client.post(
        "/admin/content/upload",
        data={"csrf": token, **form},
        files={"file": (name, data, "text/csv")},
    )


def test_browse_shows_tips_by_age_in_both_languages(world: World, staff_client: Client) -> None:
    library = world.container.engine.config.tips
    assert library is not None
    client = staff_client("cerys")
    page = client.get("/admin/content")
    assert page.status_code == 200
    p12 = library.get("p12")
    assert str(escape(p12.text("en"))) in page.text and str(escape(p12.text("cy"))) in page.text
    assert "SMS segments: 1" in page.text
    assert str(escape(library.get("c000").text("en"))) not in page.text  # another age band
    baby = client.get("/admin/content?band=0-3m").text
    c0 = library.get("c000")
    assert str(escape(c0.text("en"))) in baby and str(escape(c0.text("cy"))) in baby
    assert str(escape(library.get("c013").text("en"))) not in baby  # 3-6 months
    talk = client.get("/admin/content?band=0-3m&topic=talk").text
    shown = {t.id for t in library.tips if t.track == "child" and t.week <= 12}
    for tip_id in shown:
        tip = library.get(tip_id)
        assert (f'id="tip-{tip_id}"' in talk) == (tip.topic == "talk")
    welsh = client.get("/admin/content?lang=cy").text
    assert "Beichiogrwydd" in welsh


def test_a_worker_is_refused_every_content_page(world: World, staff_client: Client) -> None:
    client = staff_client("wendy")
    for path in ("/admin/content", "/admin/content/preview", "/admin/content/export"):
        assert client.get(path).status_code == 403
    refused = client.post("/admin/content/upload", files={"file": ("t.csv", b"id\n", "text/csv")})
    assert refused.status_code == 403


def test_a_bad_upload_lists_row_numbered_errors_and_changes_nothing(
    world: World, staff_client: Client
) -> None:
    client = staff_client("cerys")
    before = _library(world)
    rows = _exported(client)
    rows[12]["text_cy"] = ""  # spreadsheet row 14: the header is row 1
    rows[3]["track"] = "toddler"
    rows = rows[:-5]  # and it would have retired five tips
    response = _upload(client, _as_csv(rows))
    assert response.status_code == 400
    assert "Row 14, text_cy: missing Welsh translation" in response.text
    assert "Row 5, track: unknown track" in response.text
    assert "nothing was changed" in response.text
    assert _library(world) == before
    with transaction(world.container.sessions) as session:
        assert not session.scalar(select(func.count()).select_from(AuditEntry))


def test_uploads_refused_without_csrf_too_large_or_of_another_type(
    world: World, staff_client: Client
) -> None:
    client = staff_client("cerys")
    before = _library(world)
    csv_bytes = _as_csv(_exported(client))
    no_token = client.post("/admin/content/upload", files={"file": ("t.csv", csv_bytes)})
    assert no_token.status_code == 403
    too_big = _upload(client, csv_bytes + b"x" * (1024 * 1024))
    assert too_big.status_code == 413 and "larger than 1 MiB" in too_big.text
    word = _upload(client, b"hello", name="tips.docx")
    assert word.status_code == 400 and "Upload a .csv or .xlsx file" in word.text
    broken = _upload(client, b"not a workbook", name="tips.xlsx")
    assert broken.status_code == 400 and "not a readable .xlsx workbook" in broken.text
    assert _library(world) == before


def test_a_good_upload_replaces_the_library_and_the_new_tip_is_previewed(
    world: World, staff_client: Client
) -> None:
    populate(world)
    client = staff_client("cerys")
    with transaction(world.container.sessions) as session:
        code = session.get_one(Contact, world.contact_id(WELSH_SMS)).code
    first = client.get(f"/admin/content/preview?code={code.lower()}")
    assert first.status_code == 200
    library = world.container.engine.config.tips
    assert library is not None
    # Born 12 June 2025; next Tuesday (17 March 2026) is week 39 of life.
    assert str(escape(library.get("c039").text("cy"))) in first.text
    assert "2026-03-17 10:00" in first.text
    rows = _exported(client)
    for row in rows:
        if row["id"] == "c039":
            row.update(
                id="n39",
                text_en="Sing the new song at bath time.",
                text_cy="Canwch y gân newydd amser bath.",
            )
        if row["id"] == "p12":
            row["text_en"] = "Say hello to your bump on the bus."
    response = _upload(client, _as_csv(rows))
    assert response.status_code == 200, response.text
    assert "Tips: 211. Added: 1. Changed: 1. Retired: 1." in response.text
    stored = _library(world)
    assert stored["n39"] == "Sing the new song at bath time." and "c039" not in stored
    assert stored["p12"] == "Say hello to your bump on the bus."
    after = client.get(f"/admin/content/preview?code={code}")
    assert "Canwch y gân newydd amser bath." in after.text
    with transaction(world.container.sessions) as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["content.preview", "content.import", "content.preview"]


def test_preview_by_date_lists_the_next_tips_in_the_family_language(
    world: World, staff_client: Client
) -> None:
    library = world.container.engine.config.tips
    assert library is not None
    client = staff_client("cerys")
    due = date(2026, 6, 30)
    page = client.get(f"/admin/content/preview?due={due.isoformat()}&language=cy")
    assert page.status_code == 200
    tuesdays = [date(2026, 3, 17) + timedelta(weeks=n) for n in range(8)]
    expected = [tip_for(library, day, None, due) for day in tuesdays]
    for day, tip in zip(tuesdays, expected, strict=True):
        assert tip is not None
        assert str(escape(tip.text("cy"))) in page.text
        assert f"{day.isoformat()} 10:00" in page.text
    bad = client.get("/admin/content/preview?birth=2025-02-30")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text


def test_preview_of_another_communitys_contact_is_not_found(
    world: World, staff_client: Client
) -> None:
    populate(world)
    with transaction(world.container.sessions) as session:
        code = session.get_one(Contact, world.contact_id(WELSH_SMS)).code
    refused = staff_client("colin").get(f"/admin/content/preview?code={code}")
    assert refused.status_code == 404
    assert "No contact with that code" in refused.text
    with transaction(world.container.sessions) as session:
        assert not session.scalar(select(func.count()).select_from(AuditEntry))


def test_a_slot_inside_quiet_hours_goes_when_they_end() -> None:
    quiet, zone = (time(20), time(8)), "Europe/London"
    evening = datetime(2026, 3, 17, 21, 30, tzinfo=UTC)
    assert after_quiet(evening, quiet, zone) == datetime(2026, 3, 18, 8, 0, tzinfo=UTC)
    early = datetime(2026, 7, 7, 5, 0, tzinfo=UTC)  # 06:00 British Summer Time
    assert after_quiet(early, quiet, zone) == datetime(2026, 7, 7, 7, 0, tzinfo=UTC)
    morning = datetime(2026, 3, 17, 10, 0, tzinfo=UTC)
    assert after_quiet(morning, quiet, zone) == morning
