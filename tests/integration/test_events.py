"""Events end to end: announcement, RSVPs, capacity and the waiting list, reminders, changes.

Families join through the real service and answer over SMS and Telegram; the clock
(`run_pass`, what `tick --at` runs) sends reminders. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.event_yaml import load
from bot.events import cancel, create, reminder_time
from conversations.events.model import Event
from storage import event_rsvps as rsvps
from storage.db import transaction
from storage.event_models import EventRsvp
from storage.models import Contact, Outbox
from tests.integration.world import (
    ENGLISH_SMS,
    ENGLISH_TELEGRAM,
    EXPECTING,
    FELTHAM,
    SILENT,
    WELSH_SMS,
    World,
    populate,
)

ROOT = Path(__file__).resolve().parents[2]
STARTS = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)  # Thursday 09:00 GMT


def rhyme_time(**changes: object) -> Event:
    event, problems = load(ROOT / "examples/events/rhyme-time.yaml")
    assert event is not None, problems
    values: dict[str, object] = {
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(minutes=45),
        "capacity": 2,
    }
    values.update(changes)
    return replace(event, **values)  # type: ignore[arg-type]


def answers(world: World) -> dict[str, str | None]:
    with transaction(world.container.sessions) as session:
        rows = session.execute(
            select(Contact.id, EventRsvp.answer).join(EventRsvp, EventRsvp.contact_id == Contact.id)
        ).all()
    by_id = dict(rows)
    found = {}
    for address in (WELSH_SMS, ENGLISH_TELEGRAM, ENGLISH_SMS, SILENT, FELTHAM, EXPECTING):
        contact = world.contact_id(address)
        if contact in by_id:
            found[address] = by_id[contact]
    return found


def texts(world: World, address: str) -> list[str]:
    with transaction(world.container.sessions) as session:
        rows = session.scalars(
            select(Outbox).where(Outbox.contact_id == world.contact_id(address)).order_by(Outbox.id)
        ).all()
        return [str(row.message.get("text", row.message.get("filename"))) for row in rows]


def test_announce_rsvp_capacity_waiting_list_reminders_changes_and_cancel(world: World) -> None:
    populate(world)
    event = rhyme_time()
    outcome = create(world.container, event)
    assert outcome.created and outcome.messages == 5  # Bettws families with a child under 4
    assert world.outbox(FELTHAM, "announce") == [] and world.outbox(EXPECTING, "announce") == []
    welsh = world.outbox(WELSH_SMS, "announce")[0].message
    assert welsh["locales"] == ["cy"] and "Amser rhigwm" in welsh["text"]

    world.say(WELSH_SMS, "1")  # Ie
    shown = world.chats[ENGLISH_TELEGRAM].flush()
    assert "Rhyme time at Bettws Library" in shown[-1]
    world.say(ENGLISH_TELEGRAM, "1")  # the Yes button
    assert any(name.endswith(".ics") for name in texts(world, ENGLISH_TELEGRAM))
    assert not any(name.endswith(".ics") for name in texts(world, WELSH_SMS))  # SMS: no files
    world.say(ENGLISH_SMS, "yes")  # two places, both taken: waiting list
    world.say(SILENT, "2")  # maybe
    assert answers(world) == {
        WELSH_SMS: "yes",
        ENGLISH_TELEGRAM: "yes",
        ENGLISH_SMS: "waitlist",
        SILENT: "maybe",
    }

    # The Welsh parent can't come after all: EVENTS, pick it, Na. The place goes to the next.
    world.say(WELSH_SMS, "DIGWYDDIADAU", "1", "3")
    assert answers(world)[WELSH_SMS] == "no"
    assert answers(world)[ENGLISH_SMS] == "yes"
    assert "place" in texts(world, ENGLISH_SMS)[-1]  # told that a place came up

    # Reminders: a day before, and two hours before pulled out of quiet hours to 19:30.
    world.tick(STARTS - timedelta(days=1, minutes=1))
    assert world.outbox(ENGLISH_SMS, ":r") == []
    world.tick(STARTS - timedelta(days=1))
    world.tick(STARTS - timedelta(days=1))  # a second clock: nothing twice
    early = reminder_time(STARTS, timedelta(hours=2), (time(20), time(8)), "Europe/London")
    assert early == datetime(2026, 3, 11, 19, 30, tzinfo=UTC)
    world.tick(early)
    world.tick(STARTS - timedelta(hours=2))  # inside quiet hours: nothing more
    assert len(world.outbox(ENGLISH_SMS, ":r")) == 2
    assert len(world.outbox(ENGLISH_TELEGRAM, ":r")) == 2
    assert world.outbox(SILENT, ":r") == [] and world.outbox(WELSH_SMS, ":r") == []
    world.now = early
    world.say(ENGLISH_SMS, "no")  # "If you can't come any more, reply NO"
    assert answers(world)[ENGLISH_SMS] == "no"

    # A new time: those who said yes or maybe are told, in their language.
    world.now = STARTS - timedelta(hours=1)
    world.container.clock = lambda: world.now
    moved = replace(
        event, starts_at=STARTS + timedelta(hours=2), ends_at=STARTS + timedelta(hours=3)
    )
    assert create(world.container, moved).messages == 2  # Telegram's yes and the maybe
    assert len(world.outbox(SILENT, "changed")) == 1
    assert world.outbox(WELSH_SMS, "changed") == []

    with transaction(world.container.sessions) as session:
        code = session.get_one(Contact, world.contact_id(ENGLISH_SMS)).code
        assert rsvps.mark_attendance(session, event.id, [code], True) == 1
        assert rsvps.counts(session, event.id)["attended"] == 1

    assert cancel(world.container, event.id) == 2
    assert len(world.outbox(ENGLISH_TELEGRAM, "cancelled")) == 1
    assert cancel(world.container, event.id) == 0  # once
