"""The consultation pages: a worker writes one in the form, previews it, launches it to a segment.

Real database, real HTTP, parents who joined through the real engine (tests/integration/world.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from storage.audit_models import AuditEntry
from storage.consultation_models import Consultation as ConsultationRow
from storage.db import transaction
from tests.integration.staff_client import csrf_of
from tests.integration.world import (
    BUSY,
    ENGLISH_SMS,
    ENGLISH_TELEGRAM,
    EXPECTING,
    FELTHAM,
    SILENT,
    START,
    WELSH_SMS,
    World,
    populate,
)

Staff = Callable[[str], TestClient]
ROOT = Path(__file__).resolve().parents[2]
NEW = "/admin/consultations/new"

BILINGUAL = {
    "count": "2",
    "cid": "park-benches",
    "community": "bettws",
    "title_en": "Benches in the park",
    "title_cy": "Meinciau yn y parc",
    "intro_en": "Bettws Early Learning Community wants to know what you think. It takes a minute.",
    "intro_cy": "Mae Cymuned Dysgu Cynnar Bettws eisiau gwybod beth rydych chi'n ei feddwl.",
    "audience_channel": "sms",
    "age_min": "0",
    "age_max": "60",
    "reminders": "2",
    "q1_type": "choice",
    "q1_text_en": "Would more benches help you?",
    "q1_text_cy": "Fyddai mwy o feinciau yn eich helpu chi?",
    "q1_options_en": "Yes, a lot\nA little\nNot really",
    "q1_options_cy": "Byddai, yn fawr\nYchydig\nDim mewn gwirionedd",
    "q2_type": "scale",
    "q2_text_en": "How safe do you feel in the park?",
    "q2_text_cy": "Pa mor ddiogel ydych chi'n teimlo yn y parc?",
    "q2_low_en": "Not safe",
    "q2_low_cy": "Ddim yn ddiogel",
    "q2_high_en": "Very safe",
    "q2_high_cy": "Diogel iawn",
}


def post(client: TestClient, path: str, data: dict[str, str]) -> httpx.Response:
    return client.post(path, data={**data, "csrf": csrf_of(client, "/admin/consultations")},
                       follow_redirects=False)  # fmt: skip


def stored_ids(world: World) -> list[str]:
    with transaction(world.container.sessions) as session:
        return list(session.scalars(select(ConsultationRow.id)))


def audit_actions(world: World) -> list[str]:
    """Staff actions (the clock's nightly retention run is audited too, and left out)."""
    with transaction(world.container.sessions) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [e.action for e in entries if e.action != "retention.run"]


def create_draft(wendy: TestClient, **changes: str) -> None:
    saved = post(wendy, NEW, {**BILINGUAL, **changes, "action": "save"})
    assert saved.status_code == 303, saved.text


def test_a_worker_writes_previews_and_launches_a_bilingual_consultation(
    world: World, staff_client: Staff
) -> None:
    populate(world)
    wendy = staff_client("wendy")
    page = wendy.get(NEW)
    assert page.status_code == 200
    assert 'id="q1_text_cy"' in page.text and 'id="q2_text_en"' not in page.text
    assert "Feltham" not in page.text  # only her own community to choose

    # "Add a question" keeps everything typed and adds a slot.
    one = {k: v for k, v in BILINGUAL.items() if not k.startswith("q2_")} | {"count": "1"}
    added = post(wendy, NEW, {**one, "action": "add"})
    assert added.status_code == 200
    assert 'id="q2_text_en"' in added.text and "Byddai, yn fawr" in added.text
    assert stored_ids(world) == []

    shown = post(wendy, NEW, {**BILINGUAL, "action": "preview"})
    text = shown.text
    assert shown.status_code == 200, text
    assert 'id="preview-en"' in text and 'id="preview-cy"' in text
    assert '<span class="tg-button">Yes, a lot</span>' in text  # a Telegram button
    assert '<span class="tg-button">Byddai, yn fawr</span>' in text
    assert "1 Yes, a lot\n2 A little\n3 Not really" in text  # SMS numbered options
    assert "1 Byddai, yn fawr\n2 Ychydig" in text
    assert re.search(r"SMS segments: \d+ \(GSM-7, \d+ characters\)", text)
    assert text.count("SMS segments for everything: ") == 2  # English and Welsh
    assert 'value="Diogel iawn"' in text  # the form is still there, beside the preview
    assert stored_ids(world) == []  # a preview stores nothing

    create_draft(wendy)
    listed = wendy.get("/admin/consultations")
    assert "Benches in the park" in listed.text and "Draft" in listed.text
    preview = wendy.get("/admin/consultations/park-benches/preview")
    assert preview.status_code == 200 and "Meinciau yn y parc" in preview.text

    launch = wendy.get("/admin/consultations/park-benches/launch")
    assert launch.status_code == 200, launch.text
    # SMS only, children 0-60 months in Bettws: not the Telegram family, the pregnancy or Feltham.
    assert "Recipients: 4" in launch.text
    assert re.search(r"SMS cost: up to £\d+\.\d\d \(\d+ segments at 4p each\)", launch.text)

    asked = post(wendy, "/admin/consultations/park-benches/launch", {"when": "now"})
    assert asked.status_code == 200 and 'id="launch-confirm"' in asked.text
    assert world.outbox(WELSH_SMS, "intro") == []  # nothing sent before the confirmation

    done = post(
        wendy, "/admin/consultations/park-benches/launch", {"when": "now", "confirm": "yes"}
    )
    assert done.status_code == 303
    welsh = world.outbox(WELSH_SMS, "intro")
    assert [m.message["locales"] for m in welsh] == [["cy"], ["cy"]]
    assert "Meinciau yn y parc" in welsh[0].message["text"]
    for invited in (ENGLISH_SMS, BUSY, SILENT):
        assert world.invite(invited) is not None
    for left_out in (ENGLISH_TELEGRAM, EXPECTING, FELTHAM):
        assert world.invite(left_out) is None
    assert "consultation.launch" in audit_actions(world)
    detail = wendy.get("/admin/consultations/park-benches")
    assert "Open" in detail.text and "/results" not in detail.text  # a worker sees no results

    # A parent answers on SMS; once launched, it can no longer be edited.
    world.say(WELSH_SMS, "1")
    assert world.answers(WELSH_SMS) == {"q1": "yes-a-lot"}
    again = post(wendy, "/admin/consultations/park-benches/edit", {**BILINGUAL, "action": "save"})
    assert again.status_code == 400


def test_bad_input_is_shown_next_to_the_form_and_nothing_is_stored(
    world: World, staff_client: Staff
) -> None:
    wendy = staff_client("wendy")
    bad = {**BILINGUAL, "q1_text_cy": "", "q2_type": "number", "q2_min": "lots", "action": "save"}
    refused = post(wendy, NEW, bad)
    text = refused.text
    assert refused.status_code == 400
    assert 'role="alert"' in text
    assert "Question 1: missing Welsh (cy) text" in text  # bettws speaks Welsh
    assert "&#39;lots&#39; is not a number" in text
    assert 'value="Benches in the park"' in text  # what was typed is kept
    assert stored_ids(world) == []
    # Another community, and an id already taken.
    assert (
        post(wendy, NEW, {**BILINGUAL, "community": "feltham", "action": "save"}).status_code == 400
    )
    create_draft(wendy)
    taken = post(wendy, NEW, {**BILINGUAL, "action": "save"})
    assert taken.status_code == 400 and "already exists" in taken.text
    # A YAML file with mistakes: every problem with its line, nothing stored.
    yaml_text = (ROOT / "examples/consultations/invalid.yaml").read_text()
    pasted = post(wendy, NEW, {"action": "yaml", "yaml_text": yaml_text})
    assert pasted.status_code == 400 and "Line " in pasted.text
    assert stored_ids(world) == ["park-benches"]


def test_a_yaml_file_becomes_a_draft_and_its_edit_keeps_the_answers(
    world: World, staff_client: Staff
) -> None:
    cerys = staff_client("cerys")
    yaml_text = (ROOT / "examples/consultations/play-park.yaml").read_text()
    token = csrf_of(cerys, "/admin/consultations")
    uploaded = cerys.post(
        NEW,
        data={"action": "yaml", "csrf": token},
        files={"yaml_file": ("play-park.yaml", yaml_text.encode(), "text/yaml")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    edit = cerys.get("/admin/consultations/play-park/edit")
    assert edit.status_code == 200 and "Nac ydw" in edit.text and 'id="q8_type"' in edit.text
    assert 'value="0"' in edit.text and 'value="60"' in edit.text  # the age band
    # cerys may see results: the detail page links to them.
    assert (
        "/admin/consultations/play-park/results"
        not in cerys.get("/admin/consultations/play-park").text
    )  # not while it is a draft
    launched = post(
        cerys, "/admin/consultations/play-park/launch", {"when": "now", "confirm": "yes"}
    )
    assert launched.status_code == 303, launched.text
    assert "/admin/consultations/play-park/results" in cerys.get("/admin/consultations").text


def test_another_community_never_sees_it_and_forms_need_their_token(
    world: World, staff_client: Staff
) -> None:
    create_draft(staff_client("wendy"))
    colin = staff_client("colin")
    assert "park-benches" not in colin.get("/admin/consultations").text
    for path in ("", "/edit", "/preview", "/launch"):
        assert colin.get(f"/admin/consultations/park-benches{path}").status_code == 404
    for path in ("/launch", "/close", "/edit"):
        answer = post(colin, f"/admin/consultations/park-benches{path}", {"confirm": "yes"})
        assert answer.status_code == 404
    wendy = staff_client("wendy")
    for path in (NEW, "/admin/consultations/park-benches/launch"):
        assert wendy.post(path, data={**BILINGUAL, "action": "save"}).status_code == 403
    assert wendy.post("/admin/consultations/park-benches/close").status_code == 403
    assert staff_client("ada").get("/admin/consultations/park-benches").status_code == 200
    assert stored_ids(world) == ["park-benches"]


def test_a_scheduled_launch_goes_out_when_the_clock_passes_and_can_be_closed(
    world: World, staff_client: Staff
) -> None:
    populate(world)
    wendy = staff_client("wendy")
    create_draft(wendy)
    path = "/admin/consultations/park-benches/launch"
    past = post(wendy, path, {"when": "later", "at": "2026-03-01T09:00", "confirm": "yes"})
    assert past.status_code == 400
    # 12 March 09:00 in Bettws (GMT then) is 09:00 UTC.
    later = {"when": "later", "at": "2026-03-12T09:00"}
    asked = post(wendy, path, later)
    assert "2026-03-12 09:00" in asked.text
    assert post(wendy, path, {**later, "confirm": "yes"}).status_code == 303
    assert "Scheduled" in wendy.get("/admin/consultations").text
    world.tick(START + timedelta(days=1))
    assert world.invite(WELSH_SMS) is None
    world.tick(START + timedelta(days=2))  # 12 March, 10:00 UTC
    assert [m.message["locales"] for m in world.outbox(WELSH_SMS, "intro")] == [["cy"], ["cy"]]

    confirm = post(wendy, "/admin/consultations/park-benches/close", {})
    assert confirm.status_code == 200 and 'id="close-confirm"' in confirm.text
    assert "Open" in wendy.get("/admin/consultations/park-benches").text
    closed = post(wendy, "/admin/consultations/park-benches/close", {"confirm": "yes"})
    assert closed.status_code == 303
    assert "Closed" in wendy.get("/admin/consultations/park-benches").text
    assert audit_actions(world) == ["consultation.schedule", "consultation.close"]
