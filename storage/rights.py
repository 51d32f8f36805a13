"""What a family can ask about their data: MYDATA's summary and the staff's full copy (JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conversations.types import Records
from storage.audit_models import AuditEntry
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.event_models import EventRsvp
from storage.models import (
    Child,
    Consent,
    Contact,
    ContactIdentity,
    ConversationState,
    InboundMessage,
    InboxItem,
    InboxReply,
    Outbox,
    TipDelivery,
    TipReaction,
)


def records(session: Session, contact_id: int) -> Records:
    """Channels, the last agreement's time and the counts MYDATA reports, in one query."""
    channels = (
        select(ContactIdentity.channel)
        .where(ContactIdentity.contact_id == contact_id)
        .order_by(ContactIdentity.id)
    )
    consented = (
        select(func.max(Consent.recorded_at))
        .where(Consent.contact_id == contact_id, Consent.agreed.is_(True))
        .scalar_subquery()
    )
    consultations = (
        select(func.count(func.distinct(ConsultationAnswer.consultation_id)))
        .where(ConsultationAnswer.contact_id == contact_id)
        .scalar_subquery()
    )
    events = (
        select(func.count())
        .select_from(EventRsvp)
        .where(EventRsvp.contact_id == contact_id, EventRsvp.answer.is_not(None))
        .scalar_subquery()
    )
    row = session.execute(select(consented, consultations, events)).one()
    return Records(
        channels=tuple(dict.fromkeys(session.scalars(channels))),
        consented_at=row[0],
        consultations=int(row[1] or 0),
        events=int(row[2] or 0),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(
    session: Session, model: Any, where: Any, skip: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Every column of the matching rows, as JSON-ready dictionaries, oldest first."""
    columns = [c for c in model.__table__.columns if c.name not in skip]
    order = model.__table__.primary_key.columns
    result = session.execute(select(*columns).where(where).order_by(*order))
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in result]


def full_copy(session: Session, contact: Contact) -> dict[str, Any]:
    """Everything held about one family, message bodies included (a subject access copy)."""
    cid = contact.id
    items = select(InboxItem.id).where(InboxItem.contact_id == cid)
    subject = f"contact:{contact.code}"
    return {
        "contact": _rows(session, Contact, Contact.id == cid, skip=("id",))[0],
        "identities": _rows(session, ContactIdentity, ContactIdentity.contact_id == cid),
        "children": _rows(session, Child, Child.contact_id == cid),
        "consents": _rows(session, Consent, Consent.contact_id == cid),
        "conversation_state": _rows(
            session, ConversationState, ConversationState.contact_id == cid
        ),
        "consultation_invites": _rows(
            session, ConsultationInvite, ConsultationInvite.contact_id == cid
        ),
        "consultation_answers": _rows(
            session, ConsultationAnswer, ConsultationAnswer.contact_id == cid
        ),
        "event_rsvps": _rows(session, EventRsvp, EventRsvp.contact_id == cid),
        "tips_sent": _rows(session, TipDelivery, TipDelivery.contact_id == cid),
        "tip_reactions": _rows(session, TipReaction, TipReaction.contact_id == cid),
        "messages_received": _rows(session, InboundMessage, InboundMessage.contact_id == cid),
        "messages_sent": _rows(session, Outbox, Outbox.contact_id == cid),
        "inbox_items": _rows(session, InboxItem, InboxItem.contact_id == cid),
        "inbox_replies": _rows(
            session, InboxReply, (InboxReply.contact_id == cid) | InboxReply.item_id.in_(items)
        ),
        "audit_log": _rows(session, AuditEntry, AuditEntry.subject == subject),
    }
