"""A batch's held outbox rows and state updates (storage/held_writes.py): written once at the
batch's end, yet never missed by a read, never out of order and never lost with a savepoint.
On SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import suppress

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.container import Container
from conversations.types import Channel, ConversationState, InboundMessage, OutgoingMessage
from storage import contact_context, contacts, held_writes
from storage.db import transaction
from storage.models import Contact, ContactIdentity, Outbox
from storage.outbox import enqueue
from storage.outbox_batch import Batch
from tests.conftest import FIXED_NOW

PARENT = "+447700900351"


@pytest.fixture
def parent(container: Container) -> int:
    """A parent who has written once (so their conversation state has a row)."""
    container.inbound.receive(InboundMessage(Channel.SMS, PARENT, "join", FIXED_NOW, text="hi"))
    with transaction(container.sessions) as session:
        return session.scalars(
            select(ContactIdentity.contact_id).where(ContactIdentity.address == PARENT)
        ).one()


def _texts(container: Container, contact_id: int) -> list[str]:
    with transaction(container.sessions) as session:
        rows = session.scalars(
            select(Outbox).where(Outbox.contact_id == contact_id).order_by(Outbox.id)
        )
        return [row.message["text"] for row in rows]


def _identity(session: Session, contact_id: int) -> ContactIdentity:
    found = select(ContactIdentity).where(ContactIdentity.contact_id == contact_id)
    return session.scalars(found).one()


def _queue(session: Session, contact_id: int, *texts: str) -> None:
    batch = Batch(session, contact_id, _identity(session, contact_id))
    for text in texts:
        batch.reply(OutgoingMessage(text, ("en",)), FIXED_NOW)
    batch.write()


def test_held_rows_are_written_at_the_end_and_read_by_anything_before(
    container: Container, parent: int
) -> None:
    before = _texts(container, parent)
    with transaction(container.sessions) as session, held_writes.holding(session):
        _queue(session, parent, "one", "two")
        held = held_writes.held(session)
        assert held is not None and len(held.outbox) == 2  # held, not yet written
        found = session.scalars(select(Outbox.message).where(Outbox.contact_id == parent))
        assert [m["text"] for m in found][-2:] == ["one", "two"]  # the read wrote them first
        assert not held.outbox
        state = ConversationState("schedule", "day", {"n": 1})
        known = contact_context.load(session, parent)
        contact_context.save_state(session, parent, known, state, FIXED_NOW)
        assert held.states  # held
        again = contact_context.load(session, parent)  # reads conversation_states: written
        assert again.state == state and not held.states
        _queue(session, parent, "three")
    assert _texts(container, parent) == [*before, "one", "two", "three"]


def test_a_new_parents_first_state_is_held_as_an_insert_yet_read_and_kept(
    container: Container,
) -> None:
    states = [ConversationState("onboarding", "consent", {"n": n}) for n in range(3)]
    with transaction(container.sessions) as session, held_writes.holding(session):
        made = [
            contacts.create(session, Channel.SMS, f"+44770090036{n}", "feltham", FIXED_NOW)[0]
            for n in range(3)
        ]
        held = held_writes.held(session)
        assert held is not None
        for identity, state in zip(made[:2], states, strict=False):
            new = contact_context.NEW_CONTACT
            contact_context.save_state(session, identity.contact_id, new, state, FIXED_NOW)
        assert len(held.new_states) == 2  # held: no row yet
        assert contact_context.load(session, made[0].contact_id).state == states[0]  # written
        assert not held.new_states
        new = contact_context.NEW_CONTACT
        contact_context.save_state(session, made[2].contact_id, new, states[2], FIXED_NOW)
        assert held.new_states  # held until the batch's end: no read comes
    with transaction(container.sessions) as session:
        assert [contact_context.load(session, i.contact_id).state for i in made] == states


def test_a_row_queued_through_the_orm_keeps_its_place_between_held_ones(
    container: Container, parent: int
) -> None:
    before = _texts(container, parent)
    with transaction(container.sessions) as session, held_writes.holding(session):
        _queue(session, parent, "held first")
        message = OutgoingMessage("through the ORM", ("en",))
        enqueue(session, parent, _identity(session, parent), message, FIXED_NOW)
        _queue(session, parent, "held after")  # flushes the ORM's row, which writes the first
    assert _texts(container, parent) == [*before, "held first", "through the ORM", "held after"]


def test_a_savepoint_rolled_back_takes_nothing_held_with_it(
    container: Container, parent: int
) -> None:
    before = _texts(container, parent)
    with transaction(container.sessions) as session, held_writes.holding(session):
        _queue(session, parent, "kept")
        code = session.scalars(select(Contact.code).where(Contact.id == parent)).one()
        with suppress(IntegrityError), session.begin_nested():
            # A read of the outbox inside the savepoint: what is held must not be written here.
            session.scalars(select(Outbox.id).where(Outbox.contact_id == parent)).all()
            session.execute(  # another parent with the same code: refused, rolled back
                insert(Contact).values(
                    code=code,
                    community_id="feltham",
                    status="active",
                    is_simulated=False,
                    created_at=FIXED_NOW,
                    updated_at=FIXED_NOW,
                )
            )
    assert _texts(container, parent) == [*before, "kept"]


def test_a_batch_that_fails_writes_nothing_and_leaves_nothing_held(
    container: Container, parent: int
) -> None:
    before = _texts(container, parent)
    with (
        pytest.raises(RuntimeError),
        transaction(container.sessions) as session,
        held_writes.holding(session),
    ):
        _queue(session, parent, "never sent")
        raise RuntimeError("a bug in the batch")
    assert _texts(container, parent) == before
    with transaction(container.sessions) as session:
        assert held_writes.held(session) is None  # the pooled connection holds nothing more
