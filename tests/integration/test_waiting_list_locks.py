"""A place given up goes to the waiting parent under that parent's lock, as their own
messages take it: a message of theirs being processed in another transaction at that moment
finishes first, and what it wrote is what the place is given against. On PostgreSQL (SQLite
has one writer, so two transactions never overlap)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from bot.events import create, update
from conversations.types import Channel, InboundMessage
from storage import contacts
from storage.db import transaction
from storage.event_models import Event as EventRow
from storage.event_models import EventRsvp
from storage.models import ConversationState
from tests.conftest import FIXED_NOW
from tests.integration.test_events import answers, rhyme_time, texts
from tests.integration.world import ENGLISH_SMS, ENGLISH_TELEGRAM, WELSH_SMS, World, populate

MID_CONVERSATION = ("schedule", "day", {"from": "TIPS"})  # the waiting parent's own, meanwhile
GOOD_NEWS = "Good news: a place has come up"


def _waiting_for_a_lock(world: World) -> bool:
    with transaction(world.container.sessions) as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(text("pg_stat_activity"))
            .where(text("wait_event_type = 'Lock' AND datname = current_database()"))
        )
    return bool(waiting)


@pytest.mark.parametrize("meanwhile", ["starts a conversation", "leaves the waiting list"])
def test_a_freed_place_waits_for_the_waiting_parents_own_message(
    world: World, meanwhile: str
) -> None:
    if world.container.database.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's one writer never lets two transactions overlap")
    populate(world)
    assert create(world.container, rhyme_time()).created  # two places
    world.say(WELSH_SMS, "1")
    world.chats[ENGLISH_TELEGRAM].flush()  # the announcement's buttons
    world.say(ENGLISH_TELEGRAM, "1")
    world.say(ENGLISH_SMS, "yes")  # the waiting list; then free
    world.say(WELSH_SMS, "DIGWYDDIADAU", "1")  # about to say Na
    parent = world.contact_id(ENGLISH_SMS)
    holding, seen_waiting = threading.Event(), threading.Event()

    def own_message() -> None:
        """What the waiting parent's own message writes, held uncommitted for a while."""
        with transaction(world.container.sessions) as session:
            contacts.lock(session, parent)
            if meanwhile == "starts a conversation":
                state = session.get_one(ConversationState, parent)
                state.flow, state.step, state.data = MID_CONVERSATION
            else:
                rsvp = session.scalars(select(EventRsvp).where(EventRsvp.contact_id == parent))
                rsvp.one().answer = "no"
            session.flush()
            holding.set()
            seen_waiting.wait(timeout=30)

    def give_up() -> None:
        world.service.receive(InboundMessage(Channel.SMS, WELSH_SMS, "na", FIXED_NOW, text="3"))

    threads = [threading.Thread(target=own_message, daemon=True)]
    threads[0].start()
    assert holding.wait(timeout=30)
    threads.append(threading.Thread(target=give_up, daemon=True))
    threads[1].start()
    deadline = time.monotonic() + 30
    while not _waiting_for_a_lock(world) and time.monotonic() < deadline:
        time.sleep(0.05)
    seen_waiting.set()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()

    assert answers(world)[WELSH_SMS] == "no"
    with transaction(world.container.sessions) as session:
        state = session.get_one(ConversationState, parent)
        held = (state.flow, state.step, state.data)
    if meanwhile == "starts a conversation":
        # Their conversation stands (a place offered while it was read as ended would have
        # replaced it with the offer's), and the place is theirs.
        assert held == MID_CONVERSATION
        assert answers(world)[ENGLISH_SMS] == "yes"
        assert GOOD_NEWS in texts(world, ENGLISH_SMS)[-1]
    else:
        # They left the list first: no place for them, and no message saying so.
        assert answers(world)[ENGLISH_SMS] == "no"
        assert not any(GOOD_NEWS in said for said in texts(world, ENGLISH_SMS))


def test_a_raised_capacity_and_a_waiting_parents_answer_never_deadlock(world: World) -> None:
    """A worker raises the capacity while a waiting parent's message holds their lock and
    then locks the event to store an answer, as `record_rsvp` does. Saving takes the waiting
    parents' locks before the event's, the order their messages take them in."""
    if world.container.database.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's one writer never lets two transactions overlap")
    populate(world)
    assert create(world.container, rhyme_time()).created  # two places
    world.say(WELSH_SMS, "1")
    world.chats[ENGLISH_TELEGRAM].flush()
    world.say(ENGLISH_TELEGRAM, "1")
    world.say(ENGLISH_SMS, "yes")  # the waiting list
    parent = world.contact_id(ENGLISH_SMS)
    holding, seen_waiting = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def own_message() -> None:
        try:
            with transaction(world.container.sessions) as session:
                contacts.lock(session, parent)
                holding.set()
                seen_waiting.wait(timeout=30)
                session.get_one(EventRow, rhyme_time().id, with_for_update=True)
        except BaseException as error:
            errors.append(error)

    def raise_capacity() -> None:
        try:
            update(world.container, rhyme_time(capacity=3), actor="wendy")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=own_message, daemon=True)]
    threads[0].start()
    assert holding.wait(timeout=30)
    threads.append(threading.Thread(target=raise_capacity, daemon=True))
    threads[1].start()
    deadline = time.monotonic() + 30
    while not _waiting_for_a_lock(world) and time.monotonic() < deadline:
        time.sleep(0.05)
    seen_waiting.set()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    assert errors == []
    assert answers(world)[ENGLISH_SMS] == "yes"
    assert GOOD_NEWS in texts(world, ENGLISH_SMS)[-1]
