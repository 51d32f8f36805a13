"""A place given up goes to the waiting parent under that parent's lock, as their own
messages take it: a message of theirs being processed in another transaction at that moment
finishes first, and what it wrote is what the place is given against. On PostgreSQL (SQLite
has one writer, so two transactions never overlap)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

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


def _overlap(
    world: World,
    held: Callable[[Session], None],
    meanwhile: Callable[[], None],
    then: Callable[[Session], None] = lambda _session: None,
) -> list[BaseException]:
    """`held` in a transaction of its own, kept open while `meanwhile` runs in another thread
    until that is seen waiting for a lock; then `then` in the first transaction, and its
    commit. Whatever either raised."""
    holding, seen_waiting = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction(world.container.sessions) as session:
                held(session)
                session.flush()
                holding.set()
                seen_waiting.wait(timeout=30)
                then(session)
        except BaseException as error:
            errors.append(error)
            holding.set()

    def second() -> None:
        try:
            meanwhile()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first, daemon=True)]
    threads[0].start()
    assert holding.wait(timeout=30)
    threads.append(threading.Thread(target=second, daemon=True))
    threads[1].start()
    deadline = time.monotonic() + 30
    while not _waiting_for_a_lock(world) and time.monotonic() < deadline:
        time.sleep(0.05)
    seen_waiting.set()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    return errors


def _event_with_a_waiting_parent(world: World) -> int:
    """Rhyme time's two places taken, the English SMS parent waiting (and free): their id."""
    if world.container.database.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's one writer never lets two transactions overlap")
    populate(world)
    assert create(world.container, rhyme_time()).created  # two places
    world.say(WELSH_SMS, "1")
    world.chats[ENGLISH_TELEGRAM].flush()  # the announcement's buttons
    world.say(ENGLISH_TELEGRAM, "1")
    world.say(ENGLISH_SMS, "yes")  # the waiting list
    return world.contact_id(ENGLISH_SMS)


@pytest.mark.parametrize("meanwhile", ["starts a conversation", "leaves the waiting list"])
def test_a_freed_place_waits_for_the_waiting_parents_own_message(
    world: World, meanwhile: str
) -> None:
    parent = _event_with_a_waiting_parent(world)
    world.say(WELSH_SMS, "DIGWYDDIADAU", "1")  # about to say Na

    def own_message(session: Session) -> None:
        """What the waiting parent's own message writes, held uncommitted for a while."""
        contacts.lock(session, parent)
        if meanwhile == "starts a conversation":
            state = session.get_one(ConversationState, parent)
            state.flow, state.step, state.data = MID_CONVERSATION
        else:
            rsvp = session.scalars(select(EventRsvp).where(EventRsvp.contact_id == parent))
            rsvp.one().answer = "no"

    def give_up() -> None:
        world.service.receive(InboundMessage(Channel.SMS, WELSH_SMS, "na", FIXED_NOW, text="3"))

    assert _overlap(world, own_message, give_up) == []
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
    parent = _event_with_a_waiting_parent(world)

    def lock_the_event(session: Session) -> None:
        session.get_one(EventRow, rhyme_time().id, with_for_update=True)

    def raise_capacity() -> None:
        update(world.container, rhyme_time(capacity=3), actor="wendy")

    def their_lock(session: Session) -> None:
        contacts.lock(session, parent)

    assert _overlap(world, their_lock, raise_capacity, then=lock_the_event) == []
    assert answers(world)[ENGLISH_SMS] == "yes"
    assert GOOD_NEWS in texts(world, ENGLISH_SMS)[-1]
