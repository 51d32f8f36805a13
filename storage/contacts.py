"""Contacts: find or create by identity, lock, and snapshot for the engine (its effects are
written by storage/contact_effects.py)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conversations.types import Channel, ContactSnapshot, ContactStatus
from conversations.types import ConversationState as StateView
from storage import consultations, contact_context, events, rights
from storage.contact_context import Known
from storage.models import (
    Contact,
    ContactIdentity,
)

# Crockford's base32 without look-alikes: codes are read aloud and typed by staff.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def find_identity(session: Session, channel: Channel, address: str) -> ContactIdentity | None:
    return session.scalars(
        select(ContactIdentity).where(
            ContactIdentity.channel == channel.value, ContactIdentity.address == address
        )
    ).one_or_none()


def find_or_create(
    session: Session,
    channel: Channel,
    address: str,
    community_id: str,
    now: datetime,
    simulated: bool = False,
) -> ContactIdentity:
    """The identity for this address, creating a new contact the first time it writes."""
    identity = find_identity(session, channel, address)
    if identity is not None:
        return identity
    return create(session, channel, address, community_id, now, simulated)[0]


def create(
    session: Session,
    channel: Channel,
    address: str,
    community_id: str,
    now: datetime,
    simulated: bool = False,
) -> tuple[ContactIdentity, Contact | None]:
    """A new contact and identity for an address no identity was found for, and the contact.

    The contact is None when another transaction created this address's at the same moment:
    their identity is returned, and its contact must be locked before use. One created here
    needs no lock: no other transaction can see it before this one commits."""
    try:
        with session.begin_nested():
            contact = Contact(**_new_contact(community_id, now, simulated))
            session.add(contact)
            session.flush()
            identity = ContactIdentity(
                contact_id=contact.id, channel=channel.value, address=address, created_at=now
            )
            session.add(identity)
            session.flush()
            return identity, contact
    except IntegrityError:
        # Another request created this contact at the same moment: use theirs.
        found = find_identity(session, channel, address)
        if found is None:
            raise
        return found, None


def create_many(
    session: Session, addresses: list[tuple[Channel, str]], community_id: str, now: datetime
) -> dict[tuple[str, str], tuple[ContactIdentity, Contact]]:
    """New contacts and identities for addresses no identity was found for, by (channel,
    address): two statements, however many. No lock is needed: no other transaction can see
    them before this one commits.

    Should another transaction create one of them at the same moment, the identity's unique
    key refuses it and this raises IntegrityError, failing the transaction: group commit then
    receives each message on its own (`create` finds the other's).
    """
    if not addresses:
        return {}
    made = [_new_contact(community_id, now) for _ in addresses]
    new_contacts = list(session.scalars(_INSERT_CONTACTS, made))
    values = [
        {"contact_id": contact.id, "channel": channel.value, "address": address, "created_at": now}
        for contact, (channel, address) in zip(new_contacts, addresses, strict=True)
    ]
    identities = session.scalars(_INSERT_IDENTITIES, values)
    return {
        (identity.channel, identity.address): (identity, contact)
        for identity, contact in zip(identities, new_contacts, strict=True)
    }


def _new_contact(community_id: str, now: datetime, simulated: bool = False) -> dict[str, Any]:
    """A new contact's columns: onboarding, with a fresh code."""
    return {
        "code": new_code(),
        "community_id": community_id,
        "status": ContactStatus.ONBOARDING.value,
        "is_simulated": simulated,
        "created_at": now,
        "updated_at": now,
    }


# ORM bulk INSERTs returning their rows as objects in the session, in the parameters' order.
_INSERT_CONTACTS = insert(Contact).returning(Contact, sort_by_parameter_order=True)
_INSERT_IDENTITIES = insert(ContactIdentity).returning(
    ContactIdentity, sort_by_parameter_order=True
)


def lock(session: Session, contact_id: int) -> Contact:
    """The contact row, locked until commit so one contact's messages go one at a time.

    FOR NO KEY UPDATE, not FOR UPDATE: it still excludes another message for this contact and
    a bulk statement's lock (storage/contact_locks.py), but not the key-share lock a foreign
    key takes, so a broadcast inserting outbox rows for this contact never waits on it (with
    FOR UPDATE, a launch and a message could deadlock: benchmarks/soak.py found it).
    """
    return session.scalars(_locking(contact_id)).one()


def lock_if_present(session: Session, contact_id: int) -> Contact | None:
    """`lock`, or None when the contact is no longer there (erased since it was read)."""
    return session.scalars(_locking(contact_id)).one_or_none()


def _locking(contact_id: int) -> Select[Contact]:
    return select(Contact).where(Contact.id == contact_id).with_for_update(key_share=True)


def snapshot(
    session: Session,
    contact: Contact,
    channel: Channel,
    now: datetime | None = None,
    with_records: bool = False,
    known: Known | None = None,
) -> ContactSnapshot:
    """What the engine may know about this contact (upcoming events only when `now` is given;
    `with_records` adds what MYDATA reports; `known` when already read in this transaction)."""
    known = known or contact_context.load(session, contact.id)
    state = known.state
    consultation, closed = None, False
    if state is not None and state.flow == consultations.FLOW:
        found = consultations.definition(session, str(state.data.get("c", "")))
        if found is not None:
            consultation, closed = found[0], found[1] == "closed"
    return ContactSnapshot(
        id=contact.id,
        channel=channel,
        community_id=contact.community_id,
        language=contact.language,
        status=ContactStatus(contact.status),
        consent_version=contact.consent_version,
        children=known.children,
        state=state or StateView(),
        is_new=state is None,
        last_tip_id=known.last_tip[0] if known.last_tip else None,
        last_tip_at=known.last_tip[1] if known.last_tip else None,
        tips_paused_until=contact.paused_until,
        tip_weekday=contact.tip_weekday,
        tip_time=contact.tip_time,
        consultation=consultation,
        consultation_closed=closed,
        events=(
            events.upcoming(session, contact.id, contact.community_id, now)
            if now is not None and contact.status == ContactStatus.ACTIVE.value
            else ()
        ),
        records=rights.records(session, contact.id) if with_records else None,
    )
