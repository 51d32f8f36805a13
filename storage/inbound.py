"""Storing inbound messages exactly once, and finding the ones still to process."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conversations.types import ButtonPress, Channel, InboundKind
from conversations.types import InboundMessage as Inbound
from storage.models import Contact, ContactIdentity, InboundMessage

MAX_ATTEMPTS = 3


def insert_ignoring_duplicates(
    session: Session, table: Table, values: dict[str, Any], key: str = "id"
) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING key: the new key, or None for a repeat."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(table).values(**values).on_conflict_do_nothing().returning(table.c[key])
    )
    return session.execute(statement).scalar_one_or_none()


def locked_sender(
    session: Session, channel: Channel, address: str
) -> tuple[ContactIdentity, Contact] | None:
    """The sender's identity and contact, the contact locked until commit; one round trip.

    FOR NO KEY UPDATE, as `contacts.lock`: a broadcast's foreign-key checks on this contact
    never wait on the message, so a launch and a message cannot deadlock.
    """
    found = session.execute(_SENDER, {"channel": channel.value, "address": address}).one_or_none()
    return None if found is None else (found[0], found[1])


def locked_senders(
    session: Session, addresses: list[tuple[Channel, str]]
) -> dict[tuple[str, str], tuple[ContactIdentity, Contact]]:
    """The known senders among `addresses`, by (channel, address), their contacts locked.

    One round trip for a whole batch. The contacts are locked in order of their ids, as every
    batch locks them, so two batches received at once wait on each other but never deadlock.
    """
    rows = session.execute(
        _SENDERS, {"addresses": [(channel.value, address) for channel, address in addresses]}
    )
    return {(row[0].channel, row[0].address): (row[0], row[1]) for row in rows}


# Built once: constructing the statement cost more CPU than running it.
_SENDERS = (
    select(ContactIdentity, Contact)
    .join(Contact, Contact.id == ContactIdentity.contact_id)
    .where(
        tuple_(ContactIdentity.channel, ContactIdentity.address).in_(
            bindparam("addresses", expanding=True)
        )
    )
    .order_by(Contact.id)
    .with_for_update(of=Contact, key_share=True)
)
_SENDER = (
    select(ContactIdentity, Contact)
    .join(Contact, Contact.id == ContactIdentity.contact_id)
    .where(
        ContactIdentity.channel == bindparam("channel"),
        ContactIdentity.address == bindparam("address"),
    )
    .with_for_update(of=Contact, key_share=True)
)


def _store_statement(module: Any, *returning: str) -> Any:
    table = InboundMessage.__table__
    columns = [table.c[name] for name in ("id", *returning)]
    return module.insert(table).on_conflict_do_nothing().returning(*columns)


# Built once per dialect: constructing the statement cost more CPU than running it.
_STORE = {"postgresql": _store_statement(postgresql), "sqlite": _store_statement(sqlite)}
_STORE_MANY = {
    name: _store_statement(module, "channel", "provider_id")
    for name, module in (("postgresql", postgresql), ("sqlite", sqlite))
}


def store_inbound(
    session: Session, message: Inbound, contact_id: int, processed_at: datetime | None = None
) -> int | None:
    """Keep the message; None when this provider id was already stored (a retried webhook).

    `processed_at`: when it is processed in this same transaction (so it never waits).
    """
    statement = _STORE[session.get_bind().dialect.name]
    values = _values(message, contact_id, processed_at)
    # Through the connection, not session.execute: nothing the session holds need be flushed
    # for this row, so a batch's changes are flushed once, at commit (bot.group_commit).
    new_id: int | None = session.connection().execute(statement, values).scalar_one_or_none()
    return new_id


def store_processed(
    session: Session, messages: list[tuple[Inbound, int]], processed_at: datetime
) -> dict[tuple[str, str], int]:
    """Keep several messages, each with its contact id, as processed in this transaction, in
    one statement. The new ids by (channel, provider id); a message already stored is absent.
    """
    if not messages:
        return {}
    statement = _STORE_MANY[session.get_bind().dialect.name]
    rows = [_values(message, contact_id, processed_at) for message, contact_id in messages]
    stored = session.connection().execute(statement, rows)
    return {(row.channel, row.provider_id): row.id for row in stored}


def store_singles(
    session: Session,
    messages: list[Inbound],
    contact_of: dict[tuple[str, str], int],
    quiet: set[int],
    now: datetime,
) -> dict[int, int | None]:
    """Of a batch, store in one statement each message that is the only one there of its
    sender and of its provider id, from a known sender (`contact_of`, by channel and address)
    with nothing older waiting (`quiet`): the usual case. They are stored as processed now, as
    the batch's transaction processes them. By position in `messages`: the new id, or None for
    a retried webhook's.
    """
    senders = Counter((message.channel.value, message.address) for message in messages)
    ids = Counter((message.channel.value, message.provider_id) for message in messages)
    singles = {
        index: (message, contact_of[key])
        for index, message in enumerate(messages)
        if senders[key := (message.channel.value, message.address)] == 1
        and ids[(message.channel.value, message.provider_id)] == 1
        and contact_of.get(key) in quiet
    }
    new_ids = store_processed(session, list(singles.values()), now)
    return {
        index: new_ids.get((message.channel.value, message.provider_id))
        for index, (message, _) in singles.items()
    }


def _values(message: Inbound, contact_id: int, processed_at: datetime | None) -> dict[str, Any]:
    return {
        "channel": message.channel.value,
        "provider_id": message.provider_id,
        "contact_id": contact_id,
        "kind": message.kind.value,
        "text": message.text,
        "choice_id": message.choice_id,
        "payload": message.payload,
        "press": asdict(message.press) if message.press else None,
        "received_at": message.received_at,
        "processed_at": processed_at,
        "attempts": 0,
    }


def pending_for_contact(session: Session, contact_id: int) -> list[InboundMessage]:
    """Unprocessed messages of one contact, oldest first, so replies follow arrival order."""
    return list(
        session.scalars(
            select(InboundMessage)
            .where(
                InboundMessage.contact_id == contact_id,
                InboundMessage.processed_at.is_(None),
                InboundMessage.attempts < MAX_ATTEMPTS,
            )
            .order_by(InboundMessage.id)
        )
    )


def contacts_with_pending(session: Session, limit: int = 100) -> list[int]:
    """Contacts whose messages were stored but not processed (a crash, a bug): for the sweeper."""
    rows = session.scalars(
        select(InboundMessage.contact_id)
        .where(
            InboundMessage.processed_at.is_(None),
            InboundMessage.attempts < MAX_ATTEMPTS,
            InboundMessage.contact_id.is_not(None),
        )
        .distinct()
        .limit(limit)
    )
    return [row for row in rows if row is not None]


def record_failure(session: Session, inbound_ids: list[int], error: str) -> None:
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.id.in_(inbound_ids))
        .values(attempts=InboundMessage.attempts + 1, error=error[:200])
    )


def as_event(row: InboundMessage, address: str) -> Inbound:
    return Inbound(
        channel=Channel(row.channel),
        address=address,
        provider_id=row.provider_id,
        received_at=row.received_at,
        kind=InboundKind(row.kind),
        text=row.text or "",
        choice_id=row.choice_id,
        payload=row.payload,
        press=ButtonPress(**row.press) if row.press else None,
    )


def mark_processed(row: InboundMessage, now: datetime) -> None:
    row.processed_at = now
