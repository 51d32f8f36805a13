"""The staff inbox: unexpected replies and safeguarding alerts, and what staff wrote back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage.models import (
    Contact,
    ContactIdentity,
    InboundMessage,
    InboxItem,
    InboxReply,
    Outbox,
)

SAFEGUARDING = "safeguarding"
UNEXPECTED = "unexpected"


@dataclass(frozen=True, slots=True)
class ItemRow:
    item: InboxItem
    contact: Contact
    channel: str | None  # the channel the message came in on


def _items_query() -> Any:
    return (
        select(InboxItem, Contact, InboundMessage.channel)
        .join(Contact, Contact.id == InboxItem.contact_id)
        .outerjoin(InboundMessage, InboundMessage.id == InboxItem.inbound_id)
    )


def list_items(
    session: Session, communities: Sequence[str], handled: bool, limit: int = 200
) -> list[ItemRow]:
    """Open (or handled) items in these communities: safeguarding first, then newest first."""
    first = case((InboxItem.kind == SAFEGUARDING, 0), else_=1)
    done = InboxItem.handled_at.is_not(None) if handled else InboxItem.handled_at.is_(None)
    query = (
        _items_query()
        .where(Contact.community_id.in_(list(communities)), done)
        .order_by(first, InboxItem.created_at.desc(), InboxItem.id.desc())
        .limit(limit)
    )
    return [ItemRow(item, contact, channel) for item, contact, channel in session.execute(query)]


def count_open_alerts(session: Session, communities: Sequence[str]) -> int:
    """Safeguarding alerts nobody has handled yet, in these communities."""
    query = (
        select(func.count())
        .select_from(InboxItem)
        .join(Contact, Contact.id == InboxItem.contact_id)
        .where(
            InboxItem.kind == SAFEGUARDING,
            InboxItem.handled_at.is_(None),
            Contact.community_id.in_(list(communities)),
        )
    )
    return int(session.scalar(query) or 0)


def get_item(session: Session, item_id: int) -> ItemRow | None:
    found = session.execute(_items_query().where(InboxItem.id == item_id)).first()
    return ItemRow(found[0], found[1], found[2]) if found else None


@dataclass(frozen=True, slots=True)
class Said:
    """One message in a contact's conversation, either way."""

    incoming: bool
    channel: str
    text: str
    at: datetime
    status: str | None = None  # outgoing only: queued, sent, failed…


def _outgoing_text(message: dict[str, Any]) -> str:
    kind = message.get("type")
    if kind == "document":
        return str(message.get("caption") or message.get("filename") or "")
    if kind is not None:
        return ""  # a button acknowledgement: nothing the parent reads
    labels = [str(label) for _id, label in message.get("choices", [])]
    text = str(message.get("text") or "")
    return "\n".join([text, *(f"• {label}" for label in labels)]) if labels else text


def recent_messages(session: Session, contact_id: int, limit: int = 10) -> list[Said]:
    """The contact's last `limit` messages in both directions, oldest first."""
    inbound = session.execute(
        select(
            InboundMessage.channel,
            InboundMessage.text,
            InboundMessage.press,
            InboundMessage.choice_id,
            InboundMessage.received_at,
        )
        .where(InboundMessage.contact_id == contact_id)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(limit)
    ).all()
    outbound = session.execute(
        select(Outbox.channel, Outbox.message, Outbox.created_at, Outbox.status)
        .where(Outbox.contact_id == contact_id)
        .order_by(Outbox.created_at.desc(), Outbox.id.desc())
        .limit(limit * 2)  # button acknowledgements are skipped below
    ).all()
    said = [
        Said(True, channel, text or ((press or {}).get("label") or choice or ""), at)
        for channel, text, press, choice, at in inbound
    ]
    for channel, message, at, status in outbound:
        text = _outgoing_text(message)
        if text:
            said.append(Said(False, channel, text, at, status))
    said.sort(key=lambda s: (s.at, not s.incoming))
    return said[-limit:]


@dataclass(frozen=True, slots=True)
class ReplyRow:
    reply: InboxReply
    status: str | None  # the outbox row's status
    channel: str | None


def replies_for(session: Session, contact_id: int, limit: int = 20) -> list[ReplyRow]:
    """What staff wrote to this contact from the inbox, oldest first."""
    rows = session.execute(
        select(InboxReply, Outbox.status, Outbox.channel)
        .outerjoin(Outbox, Outbox.id == InboxReply.outbox_id)
        .where(InboxReply.contact_id == contact_id)
        .order_by(InboxReply.created_at.desc(), InboxReply.id.desc())
        .limit(limit)
    ).all()
    return [ReplyRow(reply, status, channel) for reply, status, channel in reversed(rows)]


def reply_identity(
    session: Session, contact_id: int, channel: str | None
) -> ContactIdentity | None:
    """The identity to answer on: the channel the parent wrote on, else their newest one."""
    query = select(ContactIdentity).where(ContactIdentity.contact_id == contact_id)
    if channel is not None:
        found = session.scalars(query.where(ContactIdentity.channel == channel)).first()
        if found is not None:
            return found
    return session.scalars(query.order_by(ContactIdentity.created_at.desc())).first()
