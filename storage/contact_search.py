"""Finding contacts by pseudonymous code, and what staff may see of one: set-based reads."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, cast, exists, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from storage.models import (
    Child,
    Consent,
    Contact,
    ContactIdentity,
    InboundMessage,
    Outbox,
    TipDelivery,
)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # storage/contacts.py: Crockford's base32
CODE_LENGTH = 8
# Look-alikes people type for Crockford's letters: O for 0, I and L for 1.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")


def normalise_code(text: str) -> str | None:
    """A typed code (or its start) as stored, 'k7p3 m' -> 'K7P3-M'; '' for blank, None if
    it cannot be the start of a code (a letter outside the alphabet, or too long)."""
    raw = _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)
    if len(raw) > CODE_LENGTH or any(char not in CODE_ALPHABET for char in raw):
        return None
    return raw if len(raw) <= 4 else f"{raw[:4]}-{raw[4:]}"


@dataclass(frozen=True, slots=True)
class ContactFilter:
    communities: tuple[str, ...]  # those the member of staff may see
    code: str = ""  # normalised prefix; the whole code finds exactly one
    community: str | None = None
    status: str | None = None
    language: str | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: int
    code: str
    community_id: str
    language: str | None
    status: str
    simulated: bool
    joined: datetime
    channels: tuple[str, ...]
    children: tuple[tuple[date | None, date | None], ...]  # (birth, due) each


def _filtered(where: ContactFilter) -> Select[Any]:
    query = select(Contact.id).where(Contact.community_id.in_(where.communities))
    if where.code:
        query = query.where(Contact.code.startswith(where.code, autoescape=True))
    if where.community:
        query = query.where(Contact.community_id == where.community)
    if where.status:
        query = query.where(Contact.status == where.status)
    if where.language:
        query = query.where(Contact.language == where.language)
    if where.channel:
        query = query.where(
            exists().where(
                ContactIdentity.contact_id == Contact.id,
                ContactIdentity.channel == where.channel,
            )
        )
    return query


def search(
    session: Session, where: ContactFilter, limit: int, offset: int
) -> tuple[int, list[ContactRow]]:
    """How many match, and one page of them (newest first) with channels and children."""
    ids = _filtered(where).subquery()
    total = session.scalar(select(func.count()).select_from(ids)) or 0
    contacts = session.scalars(
        select(Contact)
        .where(Contact.id.in_(select(ids.c.id)))
        .order_by(Contact.created_at.desc(), Contact.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    page = [c.id for c in contacts]
    channels: dict[int, set[str]] = defaultdict(set)
    for contact_id, channel in session.execute(
        select(ContactIdentity.contact_id, ContactIdentity.channel).where(
            ContactIdentity.contact_id.in_(page)
        )
    ):
        channels[contact_id].add(channel)
    kids: dict[int, list[tuple[date | None, date | None]]] = defaultdict(list)
    for contact_id, birth, due in session.execute(
        select(Child.contact_id, Child.birth_date, Child.due_date)
        .where(Child.contact_id.in_(page))
        .order_by(Child.id)
    ):
        kids[contact_id].append((birth, due))
    rows = [
        ContactRow(
            c.id,
            c.code,
            c.community_id,
            c.language,
            c.status,
            c.is_simulated,
            c.created_at,
            tuple(sorted(channels[c.id])),
            tuple(kids[c.id]),
        )
        for c in contacts
    ]
    return total, rows


def by_code(session: Session, code: str, communities: Sequence[str]) -> Contact | None:
    """The contact with exactly this code in one of these communities."""
    return session.scalars(
        select(Contact).where(Contact.code == code, Contact.community_id.in_(communities))
    ).one_or_none()


def children(session: Session, contact_id: int) -> list[Child]:
    return list(
        session.scalars(select(Child).where(Child.contact_id == contact_id).order_by(Child.id))
    )


def sent_tips(session: Session, contact_id: int) -> set[tuple[int, str]]:
    """(child id, tip id) of every tip this household was already sent."""
    rows = session.execute(
        select(TipDelivery.child_id, TipDelivery.tip_id).where(TipDelivery.contact_id == contact_id)
    )
    return {(child_id, tip_id) for child_id, tip_id in rows if child_id is not None}


def identities(session: Session, contact_id: int) -> list[ContactIdentity]:
    return list(
        session.scalars(
            select(ContactIdentity)
            .where(ContactIdentity.contact_id == contact_id)
            .order_by(ContactIdentity.id)
        )
    )


def latest_consent(session: Session, contact_id: int) -> Consent | None:
    return session.scalars(
        select(Consent)
        .where(Consent.contact_id == contact_id)
        .order_by(Consent.recorded_at.desc(), Consent.id.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True, slots=True)
class MessageLine:
    """One message in or out, without its text."""

    at: datetime
    direction: str  # "in" or "out"
    channel: str
    kind: str
    status: str | None


def recent_messages(session: Session, contact_id: int, limit: int = 20) -> list[MessageLine]:
    """The newest messages both ways, in one query."""
    inbound = select(
        InboundMessage.received_at.label("at"),
        literal("in", String).label("direction"),
        InboundMessage.channel.label("channel"),
        InboundMessage.kind.label("kind"),
        cast(null(), String(24)).label("status"),
    ).where(InboundMessage.contact_id == contact_id)
    outbound = select(
        Outbox.created_at.label("at"),
        literal("out", String).label("direction"),
        Outbox.channel.label("channel"),
        Outbox.kind.label("kind"),
        func.coalesce(Outbox.delivery_status, Outbox.status).label("status"),
    ).where(Outbox.contact_id == contact_id)
    both = union_all(inbound, outbound).subquery()
    rows = session.execute(select(both).order_by(both.c.at.desc()).limit(limit))
    return [
        MessageLine(at, direction, channel, kind, status)
        for at, direction, channel, kind, status in rows
    ]
