"""Retention, enforced by the nightly clock job: exactly what is due goes, and nothing else.

Families join (and answer consultations) through the real service at chosen moments years
apart; the clock pass (`tick --at`, here `world.tick` and the CLI) runs it once a night from
02:00 local time; the dry run counts the same and changes nothing. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.consultations import launch
from conversations.types import Channel
from storage import consultations as consultation_store
from storage import retention
from storage.audit_models import AuditEntry
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.db import transaction
from storage.models import (
    Child,
    Contact,
    ContactIdentity,
    InboundMessage,
    InboxItem,
    InboxReply,
    Outbox,
)
from tests.integration.test_consultations import play_park
from tests.integration.world import World

NIGHT = datetime(2026, 3, 11, 2, 30, tzinfo=UTC)  # 02:30 in London (GMT)
BODIES = NIGHT - timedelta(days=365)  # message bodies older than this are blanked
INACTIVE = NIGHT - timedelta(days=730)  # contacts silent since before this are erased
GONE = "+447700900701"  # joined just over two years ago, never heard from since
QUIET = "+447700900702"  # joined just under two years ago
OLDER = "+447700900703"  # wrote an hour before the one-year limit
YOUNGER = "+447700900704"  # wrote an hour after it
SCRIPT = ("bettws", "2", "1", "2", "3/1/2024", "skip", "2", "1")


def at(world: World, moment: datetime) -> None:
    world.now = moment
    world.container.clock = lambda: moment


def join(world: World, address: str, moment: datetime, *extra: str) -> None:
    at(world, moment)
    world.join(Channel.SMS, address, *SCRIPT)
    if extra:
        world.say(address, *extra)


def reply(world: World, address: str, moment: datetime, text: str) -> None:
    with transaction(world.container.sessions) as session:
        session.add(
            InboxReply(
                contact_id=world.contact_id(address), author="wendy", text=text, created_at=moment
            )
        )


def build(world: World) -> None:
    join(world, GONE, INACTIVE - timedelta(hours=16), "Is the library open?")
    join(world, QUIET, INACTIVE + timedelta(days=1))
    join(world, OLDER, BODIES - timedelta(hours=1), "Is the library open?")
    join(world, YOUNGER, BODIES + timedelta(hours=1), "Is the library open?")
    reply(world, OLDER, BODIES - timedelta(minutes=1), "Yes, from nine.")
    reply(world, YOUNGER, BODIES + timedelta(minutes=1), "Yes, from ten.")
    # Two consultations: one closed over 180 days before the night, one closed since.
    at(world, datetime(2025, 8, 1, 10, 0, tzinfo=UTC))
    launch(world.container, play_park(closes_at=datetime(2025, 9, 1, 17, 0, tzinfo=UTC)))
    world.chats[YOUNGER].flush()
    world.say(YOUNGER, "No", "3", "1 and 3", "two", "1", "More benches please", "no")
    at(world, datetime(2025, 9, 1, 17, 0, tzinfo=UTC))
    with transaction(world.container.sessions) as session:
        consultation_store.close_due(session, world.now)
    later = datetime(2025, 10, 1, 17, 0, tzinfo=UTC)
    launch(world.container, play_park(id="play-park-2", closes_at=later))
    world.chats[YOUNGER].flush()
    world.say(YOUNGER, "No", "3", "1 and 3", "two", "1", "A water fountain", "no")
    at(world, later)
    with transaction(world.container.sessions) as session:
        consultation_store.close_due(session, world.now)


def snapshot(world: World) -> dict[str, Any]:
    """Everything retention may touch, as plain values."""
    with transaction(world.container.sessions) as session:
        return {
            "inbound": {
                r.id: (r.contact_id, r.received_at, r.text)
                for r in session.scalars(select(InboundMessage))
            },
            "outbox": {
                r.id: (r.contact_id, r.created_at, r.message.get("text"))
                for r in session.scalars(select(Outbox))
            },
            "items": {
                r.id: (r.contact_id, r.created_at, r.text)
                for r in session.scalars(select(InboxItem))
            },
            "replies": {
                r.id: (r.contact_id, r.created_at, r.text)
                for r in session.scalars(select(InboxReply))
            },
            "answers": {
                (r.consultation_id, r.contact_id, r.question_id): r.value
                for r in session.scalars(select(ConsultationAnswer))
            },
            "pivoted": {
                (r.consultation_id, r.contact_id): r.answers
                for r in session.scalars(select(ConsultationInvite))
            },
            "contacts": set(session.scalars(select(Contact.id))),
            "identities": set(session.scalars(select(ContactIdentity.contact_id))),
            "children": set(session.scalars(select(Child.contact_id))),
        }


def unchanged(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Every row retention may touch is as it was (the clock's other jobs may add rows)."""
    for name, rows in before.items():
        if isinstance(rows, set):
            if rows != after[name]:
                return False
        elif any(after[name].get(key) != value for key, value in rows.items()):
            return False
    return True


def dry_run(world: World, *extra: str) -> str:
    env = {"DATABASE_URL": world.container.settings.database_url, "SECRET_KEY": "not-real-test"}
    result = CliRunner().invoke(app, ["retention", "--dry-run", *extra], env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_the_nightly_run_removes_exactly_what_is_due_once_a_night(world: World) -> None:
    build(world)
    gone, younger = world.contact_id(GONE), world.contact_id(YOUNGER)
    before = snapshot(world)
    old_inbound = [k for k, (_c, when, text) in before["inbound"].items() if when < BODIES and text]
    old_outbox = [k for k, (_c, when, _t) in before["outbox"].items() if when < BODIES]
    assert old_inbound and old_outbox and len(before["items"]) == 3

    # The dry run reports, per kind, and changes nothing.
    report = dry_run(world, "--at", NIGHT.isoformat())
    expected = {
        "inbound messages": len(old_inbound),
        "outbox messages": len(old_outbox),
        "inbox items": 2,  # GONE's and OLDER's questions
        "inbox replies": 1,
        "free text answers": 1,
        "inactive contacts": 1,
    }
    for kind, count in expected.items():
        assert f"would remove {kind}: {count}" in report
    assert unchanged(before, snapshot(world))

    assert world.tick(NIGHT - timedelta(minutes=31))["retention"] == 0  # 01:59: not yet
    assert unchanged(before, snapshot(world))
    assert world.tick(NIGHT)["retention"] == sum(expected.values())
    after = snapshot(world)

    # Bodies: older than a year blanked, younger kept. The erased family's rows are gone, or
    # kept (so a provider's retry is still recognised) with neither the family nor any text.
    for key, (contact, when, text) in before["inbound"].items():
        if contact == gone:
            assert after["inbound"].get(key, (None, when, None))[::2] == (None, None)
        else:
            assert after["inbound"][key] == (contact, when, None if when < BODIES else text)
    for key, (contact, when, text) in before["outbox"].items():
        if contact == gone:
            assert after["outbox"].get(key, (None, when, ""))[0] is None
            assert not after["outbox"].get(key, (None, when, ""))[2]
        else:
            assert after["outbox"][key] == (contact, when, "" if when < BODIES else text)
    assert sorted(text for _c, _w, text in after["items"].values() if text) == [
        "Is the library open?"
    ]
    assert sorted(text for _c, _w, text in after["replies"].values()) == ["", "Yes, from ten."]

    # Free text: only the consultation closed over 180 days ago; closed answers stay.
    changed = {k: v for k, v in after["answers"].items() if before["answers"][k] != v}
    assert changed == {("play-park", younger, "ideas"): None}
    assert after["answers"][("play-park-2", younger, "ideas")] == "A water fountain"
    assert after["answers"][("play-park", younger, "uses")] == "no"
    # The exports read each invite's pivoted answers: the words are gone from there too.
    kept = before["pivoted"][("play-park", younger)]
    assert kept["ideas"] == "More benches please"
    del kept["ideas"]
    assert after["pivoted"][("play-park", younger)] == kept
    assert after["pivoted"][("play-park-2", younger)]["ideas"] == "A water fountain"

    # Inactive: the family silent for over two years is erased; the one under two is kept.
    assert before["contacts"] - after["contacts"] == {gone}
    assert gone not in after["identities"] and gone not in after["children"]

    # Once a night: later passes the same night do nothing more, the next night does.
    reply(world, YOUNGER, BODIES - timedelta(hours=2), "Late entry")
    assert world.tick(NIGHT + timedelta(minutes=30))["retention"] == 0
    assert "Late entry" in {text for _c, _w, text in snapshot(world)["replies"].values()}
    with transaction(world.container.sessions) as session:
        runs = session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.run"))
        (run,) = runs.all()
    assert run.detail is not None and run.detail["inactive_contacts"] == 1
    assert "would remove inbox replies: 1" in dry_run(world, "--at", NIGHT.isoformat())
    # The next night, as an operator would replay it: `python -m bot tick --at`.
    env = {"DATABASE_URL": world.container.settings.database_url, "SECRET_KEY": "not-real-test"}
    next_night = (NIGHT + timedelta(days=1)).isoformat()
    ticked = CliRunner().invoke(app, ["tick", "--at", next_night], env=env)
    assert ticked.exit_code == 0, (ticked.output, ticked.exception)
    assert "retention 0" not in ticked.output and "retention " in ticked.output
    assert "Late entry" not in {text for _c, _w, text in snapshot(world)["replies"].values()}


def test_zero_keeps_forever(world: World) -> None:
    join(world, GONE, INACTIVE - timedelta(days=30), "Is the library open?")
    settings = world.container.settings
    settings.retention_message_bodies_days = 0
    settings.retention_inactive_contact_days = 0
    settings.retention_free_text_days = 0
    before = snapshot(world)
    assert world.tick(NIGHT)["retention"] == 0
    assert unchanged(before, snapshot(world))


def test_free_text_leaves_the_pivoted_answers_once_not_every_night(world: World) -> None:
    build(world)
    periods = retention.Periods()
    with transaction(world.container.sessions) as session:
        free = retention._free_questions(session, NIGHT, periods)
        assert [c for c, _ in free] == ["play-park"]
        assert retention._strip_pivoted(session, free) == 1  # the parent who wrote ideas
    with transaction(world.container.sessions) as session:
        assert retention._strip_pivoted(session, free) == 0  # nothing rewritten the next night
