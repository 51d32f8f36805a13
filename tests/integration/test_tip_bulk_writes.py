"""The tip pass's bulk writes keep every message's text exactly, in order, and never twice."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.container import Container
from conversations.types import Choice, MessageKind, OutgoingMessage
from storage import outbox, tips
from storage.db import transaction
from storage.models import Child, Contact, ContactIdentity, Outbox, TipDelivery

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
AWKWARD = (
    'Say "well done" \\ not {NULL} or NULL, with commas,\n\ttabs and lines\n'
    "Gwnewch ŵy a ŷd yn hwyl — 🙂 “quotes” ‘too’"
)


def _household(session: Session, n: int) -> tuple[int, ContactIdentity, int]:
    contact = Contact(
        code=f"W{n}",
        community_id="feltham",
        language="cy",
        status="active",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(contact)
    session.flush()
    identity = ContactIdentity(
        contact_id=contact.id,
        channel="telegram",
        address=f"bench-{n}",
        reachable=True,
        created_at=NOW,
    )
    child = Child(contact_id=contact.id, created_at=NOW, updated_at=NOW)
    session.add_all([identity, child])
    session.flush()
    return contact.id, identity, child.id


def test_awkward_text_arrives_intact_in_order_and_shared_messages_stay_whole(
    container: Container,
) -> None:
    shared = OutgoingMessage(
        text=AWKWARD,
        locales=("cy",),
        choices=(Choice("r:t1:useful", 'Defnyddiol "iawn"'), Choice("r:t1:tried", "{}")),
        kind=MessageKind.PROACTIVE,
        list_on_sms=False,
    )
    own = OutgoingMessage(text="", locales=("en",), kind=MessageKind.PROACTIVE)
    with transaction(container.sessions) as session:
        homes = [_household(session, n) for n in range(4)]
        planned = [
            (homes[0][0], homes[0][1], shared, "tip:1:2026-W11:a,b"),
            (homes[1][0], homes[1][1], own, None),
            (homes[2][0], homes[2][1], shared, 'tip:3:"quoted",\\key'),
            (homes[3][0], homes[3][1], shared, "tip:4:2026-W11:a"),
        ]
        outbox.enqueue_many(session, planned, NOW)
    with transaction(container.sessions) as session:
        rows = session.scalars(select(Outbox).order_by(Outbox.id)).all()
        assert [(r.contact_id, r.identity_id, r.dedupe_key) for r in rows] == [
            (contact, identity.id, key) for contact, identity, _, key in planned
        ]
        assert [OutgoingMessage.from_json(r.message) for r in rows] == [
            message for _, _, message, _ in planned
        ]
        assert {(r.channel, r.kind, r.priority, r.status) for r in rows} == {
            ("telegram", "proactive", 1, "queued")
        }


def test_a_delivery_recorded_twice_is_new_only_the_first_time(container: Container) -> None:
    with transaction(container.sessions) as session:
        (first, _, child_a), (second, _, child_b) = (_household(session, n) for n in (7, 8))
        rows = [(first, child_a, "tip-1", "tip:7:w:tip-1"), (second, child_b, "tip-2", "k,2")]
        assert tips.record_deliveries(session, rows, "2026-W11", NOW) == {
            (child_a, "tip-1"),
            (child_b, "tip-2"),
        }
    with transaction(container.sessions) as session:
        again = [rows[0], (second, child_b, "tip-3", 'k"3')]
        assert tips.record_deliveries(session, again, "2026-W11", NOW) == {(child_b, "tip-3")}
    with transaction(container.sessions) as session:
        keys = session.scalars(select(TipDelivery.message_key).order_by(TipDelivery.id)).all()
        assert keys == ["tip:7:w:tip-1", "k,2", 'k"3']
