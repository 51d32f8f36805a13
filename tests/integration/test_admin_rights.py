"""A family's rights: MYDATA, DELETE with its goodbye, staff copies and erasure, the audit log.

The family onboards with a nickname, RSVPs, answers a consultation (a choice and free text),
reacts to a tip and writes to the inbox, where staff answer. After erasure every column of
every table is searched for anything that could point back to them. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.consultation_yaml import load as load_consultation
from bot.consultations import launch
from bot.desks.inbox import InboxDesk
from bot.dispatcher import Dispatcher
from bot.event_yaml import load as load_event
from bot.events import create as create_event
from conversations.types import Channel, InboundKind
from storage.audit_models import AuditEntry
from storage.base import Base
from storage.consultation_results import results
from storage.db import transaction
from storage.models import Contact, InboxItem
from tests.fakes.twilio_api import FakeTwilio
from tests.integration.dispatching import sms_dispatcher
from tests.integration.staff_client import csrf_of
from tests.integration.world import World

ROOT = Path(__file__).resolve().parents[2]
PARENT = "+447700900321"
OTHER = "+447700900322"
NICKNAME = "Zephyrine"
FREE_TEXT = "Quixotic swings by the pond"
STAFF_REPLY = "Main Street library opens at nine"
Client = Callable[[str], TestClient]

SURVEY = """\
id: swings
title: {en: Swings, cy: Siglenni}
intro: {en: A quick question., cy: Cwestiwn cyflym.}
audience: {community: bettws}
closes_at: 2027-03-31T17:00:00+01:00
questions:
  - id: want
    type: choice
    text: {en: "Do you want more swings?", cy: "Ydych chi eisiau mwy o siglenni?"}
    options:
      - {id: "yes", text: {en: "Yes", cy: Ydw}}
      - {id: "no", text: {en: "No", cy: Nac ydw}}
  - id: ideas
    type: text
    text: {en: "Any ideas?", cy: "Unrhyw syniadau?"}
"""


def _family(world: World, tmp_path: Path) -> dict[str, Any]:
    """PARENT does everything a family can; OTHER just joins. Returns what identifies PARENT."""
    world.join(Channel.SMS, OTHER, "bettws", "2", "1", "2", "7/7/2024", "skip", "2", "1")
    world.join(Channel.SMS, PARENT, "bettws", "2", "1", "2", "3/1/2025", NICKNAME, "2", "1")
    event, problems = load_event(ROOT / "examples/events/rhyme-time.yaml")
    assert event is not None, problems
    create_event(world.container, event)
    world.chats[PARENT].flush()
    world.say(PARENT, "1")  # yes, coming
    path = tmp_path / "swings.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    consultation, problems = load_consultation(path)
    assert consultation is not None, problems
    launch(world.container, consultation)
    world.chats[PARENT].flush()
    world.say(PARENT, "1", FREE_TEXT)
    assert world.answers(PARENT) == {"want": "yes", "ideas": FREE_TEXT}
    _receive(world, PARENT, choice="r:T001:useful")  # a reaction button under a tip
    world.say(PARENT, f"Is the library open on Saturday? {NICKNAME} loves it")
    with transaction(world.container.sessions) as session:
        item = session.scalars(select(InboxItem.id)).one()
    assert InboxDesk(world.container).reply(item, "wendy", STAFF_REPLY) is None
    world.chats[PARENT].flush()
    with transaction(world.container.sessions) as session:
        contact = session.get_one(Contact, world.contact_id(PARENT))
        return {"id": contact.id, "code": contact.code}


def _receive(world: World, address: str, text: str = "", choice: str | None = None) -> None:
    """A message from a real family, left queued for the dispatcher (no terminal flush)."""
    chat = world.chats[address]
    event = chat.event_for(text)
    if choice is not None:
        event = event.__class__(
            **{**_fields(event), "kind": InboundKind.CHOICE, "text": "", "choice_id": choice}
        )
    world.service.receive(event)


def _fields(event: object) -> dict[str, Any]:
    return {name: getattr(event, name) for name in event.__slots__}  # type: ignore[attr-defined]


def _leftovers(world: World, needles: list[str], contact_id: int | None) -> list[str]:
    """Every place in the database that still holds one of `needles`, or the contact's id in a
    foreign key to contacts; the audit log's subject may name the code."""
    found = []
    with transaction(world.container.sessions) as session:
        for table in Base.metadata.sorted_tables:
            pointers = {
                column.name
                for column in table.columns
                if any(fk.column.table.name == "contacts" for fk in column.foreign_keys)
            }
            for row in session.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    if value is None:
                        continue
                    text = json.dumps(value, default=str) if isinstance(value, dict) else str(value)
                    if column.name in pointers and value == contact_id:
                        found.append(f"{table.name}.{column.name} = contact id")
                    if table.name == "audit_log" and column.name == "subject":
                        continue
                    found += [f"{table.name}.{column.name}: {n}" for n in needles if n in text]
    return found


def _needles(who: dict[str, Any]) -> list[str]:
    return [
        PARENT,
        PARENT.removeprefix("+"),
        NICKNAME,
        "2025-01-03",
        "3 January 2025",
        FREE_TEXT,
        STAFF_REPLY,
        who["code"],
    ]


def _dispatch(world: World, fake: FakeTwilio) -> None:
    dispatcher: Dispatcher = sms_dispatcher(world.container, fake)

    async def go() -> None:
        try:
            for second in range(1, 5):
                await dispatcher.drain(world.now + timedelta(seconds=second))
        finally:
            await dispatcher.close()

    asyncio.run(go())


def _closed_answer_counted(world: World) -> int | None:
    with transaction(world.container.sessions) as session:
        found = results(session, "swings", threshold=1)
    (want,) = [q for q in found.questions if q.id == "want"]
    return {c.key: c.count for c in want.counts}.get("yes")


def test_mydata_tells_a_known_family_what_is_kept(world: World, tmp_path: Path) -> None:
    _family(world, tmp_path)
    said = "\n".join(world.say(PARENT, "MYDATA"))
    assert "Language: English. Community: Bettws. Messages by: SMS." in said
    assert f"{NICKNAME}: born 3 January 2025" in said
    assert "You agreed to privacy notice 2026-11 on 10 March 2026." in said
    assert "Tips: Tuesday at 10:00." in said
    assert "Consultations answered: 1. Events replied to: 1." in said
    assert "write to us here" in said and "DELETE" in said
    # Welsh, from the middle of a conversation: the open question is asked again after it.
    world.say(OTHER, "IAITH")
    said = "\n".join(world.say(OTHER, "1", "PLANT", "fy nata"))
    assert "Iaith: Cymraeg. Cymuned: Bettws." in said
    assert "Ymgynghoriadau wedi'u hateb: 0. Digwyddiadau wedi'u hateb: 0." in said
    assert "Beth hoffech chi ei wneud?" in said  # the children menu, asked again


def test_delete_no_keeps_everything_and_carries_on(world: World, tmp_path: Path) -> None:
    who = _family(world, tmp_path)
    asked = world.say(PARENT, "TIPS", "DELETE")[-1]
    assert "delete everything we keep about you" in asked
    carried_on = "\n".join(world.say(PARENT, "No"))
    assert "nothing has been deleted" in carried_on and "day" in carried_on  # tip-day question
    with transaction(world.container.sessions) as session:
        assert session.get_one(Contact, who["id"]).erased_at is None
    assert world.answers(PARENT) == {"want": "yes", "ideas": FREE_TEXT}


def test_delete_yes_sends_the_goodbye_then_leaves_nothing_personal(
    world: World, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    who = _family(world, tmp_path)
    _receive(world, PARENT, "DILEU")
    _receive(world, PARENT, "ie")
    assert _leftovers(world, [NICKNAME, FREE_TEXT, who["code"]], None) == []  # gone at once
    kept = _leftovers(world, [PARENT], None)
    assert kept == [f"contact_identities.address: {PARENT}"]  # for the goodbye, until it is sent
    _dispatch(world, fake_twilio)
    bodies = [call.params.get("Body", "") for call in fake_twilio.sent(to=PARENT)]
    assert "Ydych chi eisiau i ni ddileu popeth" in bodies[-2] or "delete everything" in bodies[-2]
    assert "wedi dileu popeth" in bodies[-1] or "We have deleted everything" in bodies[-1]
    assert _leftovers(world, _needles(who), who["id"]) == []
    assert _closed_answer_counted(world) == 1
    with transaction(world.container.sessions) as session:
        erased = select(AuditEntry).where(AuditEntry.action == "contact.erase")
        entry = session.scalars(erased).one()
        assert (entry.actor, entry.subject) == ("parent", f"contact:{who['code']}")
    assert world.contact_id(OTHER)  # the other family is untouched
    # Texting again is a new family, and STOP works for it.
    world.say(PARENT, "STOP")
    with transaction(world.container.sessions) as session:
        again = session.get_one(Contact, world.contact_id(PARENT))
        assert again.code != who["code"] and again.status == "opted_out"


def test_staff_copy_and_erase(world: World, tmp_path: Path, staff_client: Client) -> None:
    who = _family(world, tmp_path)
    code = who["code"]
    cerys = staff_client("cerys")
    page = cerys.get(f"/admin/contacts/{code}")
    assert "Download a full copy (JSON)" in page.text and "Erase this family" in page.text
    copy = cerys.get(f"/admin/contacts/{code}/copy.json")
    assert copy.status_code == 200 and "attachment" in copy.headers["content-disposition"]
    text = copy.text
    for needle in (PARENT, NICKNAME, "2025-01-03", FREE_TEXT, STAFF_REPLY, code):
        assert needle in text
    assert copy.json()["consultation_answers"][1]["value"] == FREE_TEXT
    # Refusals: colin cannot see Bettws, wendy may not, and a reason is required.
    assert staff_client("colin").get(f"/admin/contacts/{code}/copy.json").status_code == 404
    wendy = staff_client("wendy")
    assert wendy.get(f"/admin/contacts/{code}/erase").status_code == 403
    token = csrf_of(cerys, f"/admin/contacts/{code}/erase")
    colin = staff_client("colin")
    refused = colin.post(
        f"/admin/contacts/{code}/erase", data={"csrf": csrf_of(colin), "reason": "asked"}
    )
    assert refused.status_code == 404
    no_csrf = cerys.post(f"/admin/contacts/{code}/erase", data={"reason": "asked"})
    assert no_csrf.status_code == 403
    blank = cerys.post(f"/admin/contacts/{code}/erase", data={"csrf": token, "reason": "  "})
    assert blank.status_code == 400 and 'role="alert"' in blank.text
    assert world.answers(PARENT)["ideas"] == FREE_TEXT  # nothing erased yet
    done = cerys.post(
        f"/admin/contacts/{code}/erase",
        data={"csrf": token, "reason": "Asked by phone on 10 March"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "has been erased" in cerys.get(done.headers["location"]).text
    assert cerys.get(f"/admin/contacts/{code}").status_code == 404
    assert _leftovers(world, _needles(who), who["id"]) == []
    assert _closed_answer_counted(world) == 1
    with transaction(world.container.sessions) as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.reason).where(
                AuditEntry.subject == f"contact:{code}"
            )
        ).all()
    assert ("contact.copy", "cerys", None) in entries
    assert ("contact.erase", "cerys", "Asked by phone on 10 March") in entries


def test_the_audit_log_page_filters_and_pages(world: World, staff_client: Client) -> None:
    from storage import audit

    with transaction(world.container.sessions) as session:
        for n in range(60):
            audit.record(
                session,
                at=world.now + timedelta(minutes=n),
                actor="cerys" if n % 2 else "colin",
                action="contact.open" if n < 55 else "contact.erase",
                subject=f"contact:AAAA-{n:04d}",
                community_id="bettws",
                reason="asked" if n >= 55 else None,
            )
    assert staff_client("cerys").get("/admin/audit").status_code == 403
    ada = staff_client("ada")
    first = ada.get("/admin/audit")
    assert first.status_code == 200 and "AAAA-0059" in first.text and "AAAA-0005" not in first.text
    assert "page=2" in first.text
    assert "AAAA-0005" in ada.get("/admin/audit?page=2").text
    erasures = ada.get("/admin/audit?action=contact.erase&actor=cerys").text
    assert "Entries found: 3" in erasures and "asked" in erasures  # 55, 57 and 59
    day = world.now.date().isoformat()
    assert "Entries found: 0" in ada.get(f"/admin/audit?until={day}&since=2099-01-01").text
    assert ada.get("/admin/audit?since=yesterday").status_code == 400
    assert 'href="/admin/audit"' in ada.get("/admin/staff").text


def test_a_goodbye_that_never_goes_is_given_up_and_the_clock_finishes(
    world: World, tmp_path: Path
) -> None:
    who = _family(world, tmp_path)
    _receive(world, PARENT, "DELETE")
    _receive(world, PARENT, "yes")  # no dispatcher runs: the goodbye stays queued
    world.tick(world.now + timedelta(hours=1))
    assert _leftovers(world, [PARENT], None) != []  # still waiting for the goodbye
    world.tick(world.now + timedelta(days=1))
    assert _leftovers(world, _needles(who), who["id"]) == []
    assert _closed_answer_counted(world) == 1
