"""The outbox: messages waiting to be sent, and claiming them for a sender."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from conversations.types import ButtonPress, MessageKind, OutgoingMessage
from storage.models import ContactIdentity, Outbox


def enqueue(
    session: Session,
    contact_id: int | None,
    identity: ContactIdentity,
    message: OutgoingMessage,
    now: datetime,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> Outbox:
    row = Outbox(
        contact_id=contact_id,
        identity_id=identity.id,
        channel=identity.channel,
        kind=message.kind.value,
        priority=0 if message.kind is MessageKind.REPLY else 1,
        message=message.to_json(),
        dedupe_key=dedupe_key,
        status="queued",
        not_before=not_before or now,
        attempts=0,
        created_at=now,
    )
    session.add(row)
    return row


def enqueue_many(
    session: Session,
    messages: Sequence[tuple[int, ContactIdentity, OutgoingMessage, str | None]],
    now: datetime,
) -> None:
    """Many messages in one bulk INSERT: (contact id, identity, message, dedupe key)."""
    if not messages:
        return
    session.execute(
        insert(Outbox),
        [
            {
                "contact_id": contact_id,
                "identity_id": identity.id,
                "channel": identity.channel,
                "kind": message.kind.value,
                "priority": 0 if message.kind is MessageKind.REPLY else 1,
                "message": message.to_json(),
                "dedupe_key": key,
                "status": "queued",
                "not_before": now,
                "attempts": 0,
                "created_at": now,
            }
            for contact_id, identity, message, key in messages
        ],
    )


def enqueue_button_ack(
    session: Session,
    contact_id: int,
    identity: ContactIdentity,
    press: ButtonPress,
    now: datetime,
) -> Outbox:
    """Stop the pressed button's spinner and show the choice in place of the keyboard."""
    row = Outbox(
        contact_id=contact_id,
        identity_id=identity.id,
        channel=identity.channel,
        kind=MessageKind.REPLY.value,
        priority=0,
        message={
            "type": "button_ack",
            "query_id": press.query_id,
            "message_id": press.message_id,
            "text": press.message_text,
            "label": press.label,
        },
        status="queued",
        not_before=now,
        attempts=0,
        created_at=now,
    )
    session.add(row)
    return row


def queued_for_contact(session: Session, contact_id: int) -> list[Outbox]:
    """Messages for one contact not yet sent, oldest first (the terminal chat reads these)."""
    return list(
        session.scalars(
            select(Outbox)
            .where(Outbox.contact_id == contact_id, Outbox.status == "queued")
            .order_by(Outbox.id)
        )
    )


def message_of(row: Outbox) -> OutgoingMessage:
    return OutgoingMessage.from_json(row.message)
